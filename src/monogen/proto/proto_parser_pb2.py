# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: idl/matrix/proto/proto_parser.proto
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
    'idl/matrix/proto/proto_parser.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()


from monogen.proto import feature_pb2 as idl_dot_matrix_dot_proto_dot_feature__pb2
from monogen.proto import line_id_pb2 as idl_dot_matrix_dot_proto_dot_line__id__pb2


DESCRIPTOR = _POOL.AddSerializedFile(b'\n#idl/matrix/proto/proto_parser.proto\x12\x0cparser.proto\x1a\x1eidl/matrix/proto/feature.proto\x1a\x1eidl/matrix/proto/line_id.proto\"$\n\x08LabelTag\x12\x0b\n\x03key\x18\x01 \x01(\x05\x12\x0b\n\x03val\x18\x02 \x01(\x02\"\xa0\x02\n\x08Instance\x12\x0f\n\x03\x66id\x18\x01 \x03(\x06\x42\x02\x10\x01\x12\x11\n\x05value\x18\x02 \x03(\x02\x42\x02\x10\x01\x12\x11\n\x05label\x18\x03 \x03(\x02\x42\x02\x10\x01\x12\x17\n\x0finstance_weight\x18\x04 \x01(\x02\x12)\n\x07line_id\x18\x05 \x01(\x0b\x32\x18.idl.matrix.proto.LineId\x12\x13\n\x05\x64\x65nse\x18\x06 \x03(\x02\x42\x04\x10\x01\x18\x01\x12)\n\tlabel_tag\x18\x07 \x03(\x0b\x32\x16.parser.proto.LabelTag\x12\x14\n\x08next_fid\x18\x08 \x03(\x06\x42\x02\x10\x01\x12*\n\x07\x66\x65\x61ture\x18\t \x03(\x0b\x32\x19.idl.matrix.proto.Feature\x12\x17\n\x0f\x64\x61ta_source_key\x18\x64 \x01(\r\"8\n\x0fInstanceWrapper\x12\x10\n\x08instance\x18\x01 \x01(\x0c\x12\x13\n\x0b\x64\x61ta_source\x18\x02 \x01(\t\"}\n\x07Request\x12\x0e\n\x06req_id\x18\x01 \x01(\t\x12\n\n\x02ut\x18\x02 \x01(\x05\x12\x0b\n\x03uid\x18\x03 \x01(\x06\x12\x10\n\x08req_time\x18\x04 \x01(\x03\x12)\n\tinstances\x18\x05 \x03(\x0b\x32\x16.parser.proto.Instance\x12\x0c\n\x04user\x18\x06 \x01(\t')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.proto_parser_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_INSTANCE'].fields_by_name['fid']._loaded_options = None
  _globals['_INSTANCE'].fields_by_name['fid']._serialized_options = b'\020\001'
  _globals['_INSTANCE'].fields_by_name['value']._loaded_options = None
  _globals['_INSTANCE'].fields_by_name['value']._serialized_options = b'\020\001'
  _globals['_INSTANCE'].fields_by_name['label']._loaded_options = None
  _globals['_INSTANCE'].fields_by_name['label']._serialized_options = b'\020\001'
  _globals['_INSTANCE'].fields_by_name['dense']._loaded_options = None
  _globals['_INSTANCE'].fields_by_name['dense']._serialized_options = b'\020\001\030\001'
  _globals['_INSTANCE'].fields_by_name['next_fid']._loaded_options = None
  _globals['_INSTANCE'].fields_by_name['next_fid']._serialized_options = b'\020\001'
  _globals['_LABELTAG']._serialized_start=117
  _globals['_LABELTAG']._serialized_end=153
  _globals['_INSTANCE']._serialized_start=156
  _globals['_INSTANCE']._serialized_end=444
  _globals['_INSTANCEWRAPPER']._serialized_start=446
  _globals['_INSTANCEWRAPPER']._serialized_end=502
  _globals['_REQUEST']._serialized_start=504
  _globals['_REQUEST']._serialized_end=629
# @@protoc_insertion_point(module_scope)
