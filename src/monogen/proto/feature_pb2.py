# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: idl/matrix/proto/feature.proto
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
    'idl/matrix/proto/feature.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()




DESCRIPTOR = _POOL.AddSerializedFile(b'\n\x1eidl/matrix/proto/feature.proto\x12\x10idl.matrix.proto\" \n\x0b\x46ixed64List\x12\x11\n\x05value\x18\x01 \x03(\x06\x42\x02\x10\x01\"\x1e\n\tFloatList\x12\x11\n\x05value\x18\x01 \x03(\x02\x42\x02\x10\x01\"\x1e\n\tInt64List\x12\x11\n\x05value\x18\x01 \x03(\x03\x42\x02\x10\x01\"\x1a\n\tBytesList\x12\r\n\x05value\x18\x01 \x03(\x0c\"\xb3\x02\n\x07\x46\x65\x61ture\x12\x0c\n\x04name\x18\x01 \x01(\t\x12\x0f\n\x03\x66id\x18\x02 \x03(\x06\x42\x02\x10\x01\x12\x17\n\x0b\x66loat_value\x18\x03 \x03(\x02\x42\x02\x10\x01\x12\x17\n\x0bint64_value\x18\x04 \x03(\x03\x42\x02\x10\x01\x12\x13\n\x0b\x62ytes_value\x18\x05 \x03(\x0c\x12/\n\x08\x66id_list\x18\x06 \x03(\x0b\x32\x1d.idl.matrix.proto.Fixed64List\x12/\n\nfloat_list\x18\x07 \x03(\x0b\x32\x1b.idl.matrix.proto.FloatList\x12/\n\nint64_list\x18\x08 \x03(\x0b\x32\x1b.idl.matrix.proto.Int64List\x12/\n\nbytes_list\x18\t \x03(\x0b\x32\x1b.idl.matrix.proto.BytesList')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.feature_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_FIXED64LIST'].fields_by_name['value']._loaded_options = None
  _globals['_FIXED64LIST'].fields_by_name['value']._serialized_options = b'\020\001'
  _globals['_FLOATLIST'].fields_by_name['value']._loaded_options = None
  _globals['_FLOATLIST'].fields_by_name['value']._serialized_options = b'\020\001'
  _globals['_INT64LIST'].fields_by_name['value']._loaded_options = None
  _globals['_INT64LIST'].fields_by_name['value']._serialized_options = b'\020\001'
  _globals['_FEATURE'].fields_by_name['fid']._loaded_options = None
  _globals['_FEATURE'].fields_by_name['fid']._serialized_options = b'\020\001'
  _globals['_FEATURE'].fields_by_name['float_value']._loaded_options = None
  _globals['_FEATURE'].fields_by_name['float_value']._serialized_options = b'\020\001'
  _globals['_FEATURE'].fields_by_name['int64_value']._loaded_options = None
  _globals['_FEATURE'].fields_by_name['int64_value']._serialized_options = b'\020\001'
  _globals['_FIXED64LIST']._serialized_start=52
  _globals['_FIXED64LIST']._serialized_end=84
  _globals['_FLOATLIST']._serialized_start=86
  _globals['_FLOATLIST']._serialized_end=116
  _globals['_INT64LIST']._serialized_start=118
  _globals['_INT64LIST']._serialized_end=148
  _globals['_BYTESLIST']._serialized_start=150
  _globals['_BYTESLIST']._serialized_end=176
  _globals['_FEATURE']._serialized_start=179
  _globals['_FEATURE']._serialized_end=486
# @@protoc_insertion_point(module_scope)
