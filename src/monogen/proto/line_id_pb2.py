# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: idl/matrix/proto/line_id.proto
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
    'idl/matrix/proto/line_id.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()




DESCRIPTOR = _POOL.AddSerializedFile(b'\n\x1eidl/matrix/proto/line_id.proto\x12\x10idl.matrix.proto\"1\n\x13MapStringFloatEntry\x12\x0b\n\x03key\x18\x01 \x01(\t\x12\r\n\x05value\x18\x02 \x01(\x02\"\x97\x02\n\x06LineId\x12\x0b\n\x03uid\x18\x02 \x01(\x06\x12\x10\n\x08req_time\x18\x03 \x01(\x03\x12\x0f\n\x07item_id\x18\x04 \x01(\x06\x12\x13\n\x07\x61\x63tions\x18\x06 \x03(\x05\x42\x02\x10\x01\x12\r\n\x05\x63hnid\x18\x13 \x01(\x03\x12\x17\n\x0bpre_actions\x18\x17 \x03(\x05\x42\x02\x10\x01\x12\x16\n\x0bsample_rate\x18\x1b \x01(\x02:\x01\x31\x12\x1a\n\x12special_strategies\x18\' \x03(\x05\x12\x13\n\x0b\x64\x65vice_type\x18) \x01(\t\x12\x0b\n\x03\x63id\x18\x30 \x01(\t\x12\x0f\n\x07user_id\x18\x31 \x01(\t\x12\x0f\n\x07is_draw\x18W \x01(\x08\x12\r\n\x04rank\x18\x91\x01 \x01(\x05\x12\x19\n\x10\x64\x61ta_source_name\x18\xeb\x01 \x01(\t')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.line_id_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_LINEID'].fields_by_name['actions']._loaded_options = None
  _globals['_LINEID'].fields_by_name['actions']._serialized_options = b'\020\001'
  _globals['_LINEID'].fields_by_name['pre_actions']._loaded_options = None
  _globals['_LINEID'].fields_by_name['pre_actions']._serialized_options = b'\020\001'
  _globals['_MAPSTRINGFLOATENTRY']._serialized_start=52
  _globals['_MAPSTRINGFLOATENTRY']._serialized_end=101
  _globals['_LINEID']._serialized_start=104
  _globals['_LINEID']._serialized_end=383
# @@protoc_insertion_point(module_scope)
