"""Records laid out straight as protobuf wire bytes, a batch at a time, without messages.

The reference encoder (``monogen.encode.reference``) builds a protobuf message per
record and a Python object per value; for 100 features that is where a batch's time
goes. Here a batch's records are assembled with numpy: everything that is the same
in every record (tags, feature names, length prefixes that do not depend on the
draw) is encoded once per schema, and only the random parts are spliced in. The
bytes are identical to the reference's (proved by tests/test_wire.py over random
schemas), because protobuf's encoding of a message is fully determined: fields are
written in field-number order, proto3 omits zero scalars and empty strings, a set
proto2 optional is always written.

One job per module:

- ``primitives``: tags, varints, length-delimited fields, field numbers from descriptors
- ``rows``: the row assembler (a batch as rows of a byte matrix) and sparse cell templates
- ``line_id``: LineId fields from the descriptor
- ``records``: the Example, Instance and ExampleBatch encoders
"""

from monogen.encode.wire.line_id import LineIdEncoder, line_id_rows
from monogen.encode.wire.primitives import varint, varints
from monogen.encode.wire.records import (
    ExampleBatchEncoder,
    ExampleEncoder,
    InstanceEncoder,
    WireEncoder,
)
from monogen.encode.wire.rows import CellTable, Rows

__all__ = [
    "CellTable",
    "ExampleBatchEncoder",
    "ExampleEncoder",
    "InstanceEncoder",
    "LineIdEncoder",
    "Rows",
    "WireEncoder",
    "line_id_rows",
    "varint",
    "varints",
]
