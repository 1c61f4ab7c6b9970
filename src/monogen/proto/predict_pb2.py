# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: tensorflow_serving/apis/predict.proto
# Protobuf Python Version: 6.31.1
"""Generated protocol buffer code."""
from google.protobuf import descriptor as _descriptor
from monogen.proto._pool import POOL as _POOL
from google.protobuf import runtime_version as _runtime_version
from google.protobuf import symbol_database as _symbol_database
from google.protobuf.internal import builder as _builder
_runtime_version.ValidateProtobufRuntimeVersion(
    _runtime_version.Domain.PUBLIC,
    6,
    31,
    1,
    '',
    'tensorflow_serving/apis/predict.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()


from monogen.proto import tensor_pb2 as tensorflow_dot_core_dot_framework_dot_tensor__pb2
from monogen.proto import model_pb2 as tensorflow__serving_dot_apis_dot_model__pb2


DESCRIPTOR = _POOL.AddSerializedFile(b'\n%tensorflow_serving/apis/predict.proto\x12\x12tensorflow.serving\x1a&tensorflow/core/framework/tensor.proto\x1a#tensorflow_serving/apis/model.proto\"\xe2\x01\n\x0ePredictRequest\x12\x31\n\nmodel_spec\x18\x01 \x01(\x0b\x32\x1d.tensorflow.serving.ModelSpec\x12>\n\x06inputs\x18\x02 \x03(\x0b\x32..tensorflow.serving.PredictRequest.InputsEntry\x12\x15\n\routput_filter\x18\x03 \x03(\t\x1a\x46\n\x0bInputsEntry\x12\x0b\n\x03key\x18\x01 \x01(\t\x12&\n\x05value\x18\x02 \x01(\x0b\x32\x17.tensorflow.TensorProto:\x02\x38\x01\"\xd0\x01\n\x0fPredictResponse\x12\x31\n\nmodel_spec\x18\x02 \x01(\x0b\x32\x1d.tensorflow.serving.ModelSpec\x12\x41\n\x07outputs\x18\x01 \x03(\x0b\x32\x30.tensorflow.serving.PredictResponse.OutputsEntry\x1aG\n\x0cOutputsEntry\x12\x0b\n\x03key\x18\x01 \x01(\t\x12&\n\x05value\x18\x02 \x01(\x0b\x32\x17.tensorflow.TensorProto:\x02\x38\x01\x62\x06proto3')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.predict_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_PREDICTREQUEST_INPUTSENTRY']._loaded_options = None
  _globals['_PREDICTREQUEST_INPUTSENTRY']._serialized_options = b'8\001'
  _globals['_PREDICTRESPONSE_OUTPUTSENTRY']._loaded_options = None
  _globals['_PREDICTRESPONSE_OUTPUTSENTRY']._serialized_options = b'8\001'
  _globals['_PREDICTREQUEST']._serialized_start=139
  _globals['_PREDICTREQUEST']._serialized_end=365
  _globals['_PREDICTREQUEST_INPUTSENTRY']._serialized_start=295
  _globals['_PREDICTREQUEST_INPUTSENTRY']._serialized_end=365
  _globals['_PREDICTRESPONSE']._serialized_start=368
  _globals['_PREDICTRESPONSE']._serialized_end=576
  _globals['_PREDICTRESPONSE_OUTPUTSENTRY']._serialized_start=505
  _globals['_PREDICTRESPONSE_OUTPUTSENTRY']._serialized_end=576
# @@protoc_insertion_point(module_scope)
