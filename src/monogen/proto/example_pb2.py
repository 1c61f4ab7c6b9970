# -*- coding: utf-8 -*-
# Generated from protos/ by `make protos` (tools/gen_protos.py). DO NOT EDIT!
# source: idl/matrix/proto/example.proto
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
    'idl/matrix/proto/example.proto'
)
# @@protoc_insertion_point(imports)

_sym_db = _symbol_database.Default()


from monogen.proto import line_id_pb2 as idl_dot_matrix_dot_proto_dot_line__id__pb2


DESCRIPTOR = _POOL.AddSerializedFile(b'\n\x1eidl/matrix/proto/example.proto\x12\x11monolith.io.proto\x1a\x1eidl/matrix/proto/line_id.proto\"\x18\n\x07\x46idList\x12\r\n\x05value\x18\x01 \x03(\x06\"\x1a\n\tFloatList\x12\r\n\x05value\x18\x01 \x03(\x02\"\x1b\n\nDoubleList\x12\r\n\x05value\x18\x01 \x03(\x01\"\x1a\n\tInt64List\x12\r\n\x05value\x18\x01 \x03(\x03\"\x1a\n\tBytesList\x12\r\n\x05value\x18\x01 \x03(\x0c\"4\n\x08\x46idLists\x12(\n\x04list\x18\x01 \x03(\x0b\x32\x1a.monolith.io.proto.FidList\"8\n\nFloatLists\x12*\n\x04list\x18\x01 \x03(\x0b\x32\x1c.monolith.io.proto.FloatList\":\n\x0b\x44oubleLists\x12+\n\x04list\x18\x01 \x03(\x0b\x32\x1d.monolith.io.proto.DoubleList\"8\n\nInt64Lists\x12*\n\x04list\x18\x01 \x03(\x0b\x32\x1c.monolith.io.proto.Int64List\"8\n\nBytesLists\x12*\n\x04list\x18\x01 \x03(\x0b\x32\x1c.monolith.io.proto.BytesList\"\xea\x05\n\x07\x46\x65\x61ture\x12\x31\n\x0b\x66id_v1_list\x18\x01 \x01(\x0b\x32\x1a.monolith.io.proto.FidListH\x00\x12\x31\n\x0b\x66id_v2_list\x18\x02 \x01(\x0b\x32\x1a.monolith.io.proto.FidListH\x00\x12\x32\n\nfloat_list\x18\x03 \x01(\x0b\x32\x1c.monolith.io.proto.FloatListH\x00\x12\x34\n\x0b\x64ouble_list\x18\x04 \x01(\x0b\x32\x1d.monolith.io.proto.DoubleListH\x00\x12\x32\n\nint64_list\x18\x05 \x01(\x0b\x32\x1c.monolith.io.proto.Int64ListH\x00\x12\x32\n\nbytes_list\x18\x06 \x01(\x0b\x32\x1c.monolith.io.proto.BytesListH\x00\x12\x33\n\x0c\x66id_v2_lists\x18\x07 \x01(\x0b\x32\x1b.monolith.io.proto.FidListsH\x00\x12\x34\n\x0b\x66loat_lists\x18\x08 \x01(\x0b\x32\x1d.monolith.io.proto.FloatListsH\x00\x12\x36\n\x0c\x64ouble_lists\x18\t \x01(\x0b\x32\x1e.monolith.io.proto.DoubleListsH\x00\x12\x34\n\x0bint64_lists\x18\n \x01(\x0b\x32\x1d.monolith.io.proto.Int64ListsH\x00\x12\x34\n\x0b\x62ytes_lists\x18\x0b \x01(\x0b\x32\x1d.monolith.io.proto.BytesListsH\x00\x12\x15\n\x0bint64_value\x18\x0c \x01(\x03H\x00\x12\x15\n\x0b\x66loat_value\x18\r \x01(\x02H\x00\x12\x16\n\x0c\x64ouble_value\x18\x0e \x01(\x01H\x00\x12\x15\n\x0b\x62ytes_value\x18\x0f \x01(\x0cH\x00\x12\x33\n\x0c\x66id_v1_lists\x18\x10 \x01(\x0b\x32\x1b.monolith.io.proto.FidListsH\x00\x42\x06\n\x04type\"9\n\nRawFeature\x12+\n\x07\x66\x65\x61ture\x18\x01 \x03(\x0b\x32\x1a.monolith.io.proto.Feature\"\x8b\x01\n\x10NamedFeatureList\x12\n\n\x02id\x18\x04 \x01(\x05\x12\x0c\n\x04name\x18\x01 \x01(\t\x12+\n\x07\x66\x65\x61ture\x18\x02 \x03(\x0b\x32\x1a.monolith.io.proto.Feature\x12\x30\n\x04type\x18\x03 \x01(\x0e\x32\".monolith.io.proto.FeatureListType\"\x95\x01\n\x13NamedRawFeatureList\x12\n\n\x02id\x18\x04 \x01(\x05\x12\x0c\n\x04name\x18\x01 \x01(\t\x12\x32\n\x0braw_feature\x18\x02 \x03(\x0b\x32\x1d.monolith.io.proto.RawFeature\x12\x30\n\x04type\x18\x03 \x01(\x0e\x32\".monolith.io.proto.FeatureListType\"\xc4\x01\n\x0c\x45xampleBatch\x12?\n\x12named_feature_list\x18\x01 \x03(\x0b\x32#.monolith.io.proto.NamedFeatureList\x12\x46\n\x16named_raw_feature_list\x18\x02 \x03(\x0b\x32&.monolith.io.proto.NamedRawFeatureList\x12\x12\n\nbatch_size\x18\x03 \x01(\x05\x12\x17\n\x0f\x64\x61ta_source_key\x18\x64 \x01(\r\"h\n\x0cNamedFeature\x12\n\n\x02id\x18\x03 \x01(\x05\x12\x0c\n\x04name\x18\x01 \x01(\t\x12+\n\x07\x66\x65\x61ture\x18\x02 \x01(\x0b\x32\x1a.monolith.io.proto.Feature\x12\x11\n\tsorted_id\x18\x06 \x01(\x05\"_\n\x0fNamedRawFeature\x12\n\n\x02id\x18\x03 \x01(\x05\x12\x0c\n\x04name\x18\x01 \x01(\t\x12\x32\n\x0braw_feature\x18\x02 \x01(\x0b\x32\x1d.monolith.io.proto.RawFeature\"\xec\x01\n\x07\x45xample\x12\x36\n\rnamed_feature\x18\x01 \x03(\x0b\x32\x1f.monolith.io.proto.NamedFeature\x12=\n\x11named_raw_feature\x18\x02 \x03(\x0b\x32\".monolith.io.proto.NamedRawFeature\x12)\n\x07line_id\x18\x64 \x01(\x0b\x32\x18.idl.matrix.proto.LineId\x12\r\n\x05label\x18\x65 \x03(\x02\x12\x17\n\x0finstance_weight\x18\x66 \x01(\x02\x12\x17\n\x0f\x64\x61ta_source_key\x18g \x01(\r*-\n\x0f\x46\x65\x61tureListType\x12\x0e\n\nINDIVIDUAL\x10\x00\x12\n\n\x06SHARED\x10\x01\x62\x06proto3')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'monogen.proto.example_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
  DESCRIPTOR._loaded_options = None
  _globals['_FEATURELISTTYPE']._serialized_start=2255
  _globals['_FEATURELISTTYPE']._serialized_end=2300
  _globals['_FIDLIST']._serialized_start=85
  _globals['_FIDLIST']._serialized_end=109
  _globals['_FLOATLIST']._serialized_start=111
  _globals['_FLOATLIST']._serialized_end=137
  _globals['_DOUBLELIST']._serialized_start=139
  _globals['_DOUBLELIST']._serialized_end=166
  _globals['_INT64LIST']._serialized_start=168
  _globals['_INT64LIST']._serialized_end=194
  _globals['_BYTESLIST']._serialized_start=196
  _globals['_BYTESLIST']._serialized_end=222
  _globals['_FIDLISTS']._serialized_start=224
  _globals['_FIDLISTS']._serialized_end=276
  _globals['_FLOATLISTS']._serialized_start=278
  _globals['_FLOATLISTS']._serialized_end=334
  _globals['_DOUBLELISTS']._serialized_start=336
  _globals['_DOUBLELISTS']._serialized_end=394
  _globals['_INT64LISTS']._serialized_start=396
  _globals['_INT64LISTS']._serialized_end=452
  _globals['_BYTESLISTS']._serialized_start=454
  _globals['_BYTESLISTS']._serialized_end=510
  _globals['_FEATURE']._serialized_start=513
  _globals['_FEATURE']._serialized_end=1259
  _globals['_RAWFEATURE']._serialized_start=1261
  _globals['_RAWFEATURE']._serialized_end=1318
  _globals['_NAMEDFEATURELIST']._serialized_start=1321
  _globals['_NAMEDFEATURELIST']._serialized_end=1460
  _globals['_NAMEDRAWFEATURELIST']._serialized_start=1463
  _globals['_NAMEDRAWFEATURELIST']._serialized_end=1612
  _globals['_EXAMPLEBATCH']._serialized_start=1615
  _globals['_EXAMPLEBATCH']._serialized_end=1811
  _globals['_NAMEDFEATURE']._serialized_start=1813
  _globals['_NAMEDFEATURE']._serialized_end=1917
  _globals['_NAMEDRAWFEATURE']._serialized_start=1919
  _globals['_NAMEDRAWFEATURE']._serialized_end=2014
  _globals['_EXAMPLE']._serialized_start=2017
  _globals['_EXAMPLE']._serialized_end=2253
# @@protoc_insertion_point(module_scope)
