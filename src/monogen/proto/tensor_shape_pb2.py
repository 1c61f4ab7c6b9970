# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: tensorflow/core/framework/tensor_shape.proto
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
    'tensorflow/core/framework/tensor_shape.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()




DESCRIPTOR = _POOL.AddSerializedFile(b'\n,tensorflow/core/framework/tensor_shape.proto\x12\ntensorflow\"z\n\x10TensorShapeProto\x12-\n\x03\x64im\x18\x02 \x03(\x0b\x32 .tensorflow.TensorShapeProto.Dim\x12\x14\n\x0cunknown_rank\x18\x03 \x01(\x08\x1a!\n\x03\x44im\x12\x0c\n\x04size\x18\x01 \x01(\x03\x12\x0c\n\x04name\x18\x02 \x01(\tb\x06proto3')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.tensor_shape_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_TENSORSHAPEPROTO']._serialized_start=60
  _globals['_TENSORSHAPEPROTO']._serialized_end=182
  _globals['_TENSORSHAPEPROTO_DIM']._serialized_start=149
  _globals['_TENSORSHAPEPROTO_DIM']._serialized_end=182
# @@protoc_insertion_point(module_scope)
