# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: tensorflow_serving/apis/prediction_log.proto
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
    'tensorflow_serving/apis/prediction_log.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()


from monogen.proto import model_pb2 as tensorflow__serving_dot_apis_dot_model__pb2
from monogen.proto import predict_pb2 as tensorflow__serving_dot_apis_dot_predict__pb2


DESCRIPTOR = _POOL.AddSerializedFile(b'\n,tensorflow_serving/apis/prediction_log.proto\x12\x12tensorflow.serving\x1a#tensorflow_serving/apis/model.proto\x1a%tensorflow_serving/apis/predict.proto\"@\n\x0bLogMetadata\x12\x31\n\nmodel_spec\x18\x01 \x01(\x0b\x32\x1d.tensorflow.serving.ModelSpec\"x\n\nPredictLog\x12\x33\n\x07request\x18\x01 \x01(\x0b\x32\".tensorflow.serving.PredictRequest\x12\x35\n\x08response\x18\x02 \x01(\x0b\x32#.tensorflow.serving.PredictResponse\"\x89\x01\n\rPredictionLog\x12\x35\n\x0clog_metadata\x18\x01 \x01(\x0b\x32\x1f.tensorflow.serving.LogMetadata\x12\x35\n\x0bpredict_log\x18\x06 \x01(\x0b\x32\x1e.tensorflow.serving.PredictLogH\x00\x42\n\n\x08log_typeb\x06proto3')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.prediction_log_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_LOGMETADATA']._serialized_start=144
  _globals['_LOGMETADATA']._serialized_end=208
  _globals['_PREDICTLOG']._serialized_start=210
  _globals['_PREDICTLOG']._serialized_end=330
  _globals['_PREDICTIONLOG']._serialized_start=333
  _globals['_PREDICTIONLOG']._serialized_end=470
# @@protoc_insertion_point(module_scope)
