"""The facts about Monolith's formats that several layers rely on, each stated once.

Record types, the serving input each one feeds, how many rows a record holds, the
names of ExampleBatch's reserved feature lists, TF Serving's defaults and limits:
the generator, the encoders, warmup planning, inspection and the CLI all import
them from here instead of restating them (``docs/architecture.md``).

The CLI imports this module while ``monogen --help`` loads, so it must stay cheap:
no numpy, and the protobuf modules only when a message class or a dtype name is
asked for.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from monogen.errors import SchemaError

if TYPE_CHECKING:
    from google.protobuf.message import Message

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_MODEL_NAME",
    "DEFAULT_SIGNATURE",
    "ENTRY_SERVABLE",
    "HASH_BITS_V1",
    "HASH_BITS_V2",
    "LABEL_LIST",
    "LINE_ID_LIST",
    "MAX_WARMUP_LOGS",
    "PARSER_ARGS_DROP_RATE",
    "RECORD_TYPE_CHOICES",
    "VARIANTS",
    "VARIANT_CHOICES",
    "RecordType",
    "Variant",
    "dtype_name",
]

# A fid is slot << HASH_BITS | hash: 10 slot bits in v1, 16 in v2 (docs/formats.md §2).
HASH_BITS_V1 = 54
HASH_BITS_V2 = 48

# ExampleBatch's feature lists that carry each row's LineId and labels
# (docs/generation.md, "Records").
LINE_ID_LIST = "__LINE_ID__"
LABEL_LIST = "__LABEL__"

# The signature TF Serving uses when a request names none.
DEFAULT_SIGNATURE = "serving_default"
# TF Serving's loader fails a model whose warmup file holds more records than this
# (docs/formats.md §4).
MAX_WARMUP_LOGS = 1000
# The servable of a Monolith export that answers requests (its directory and model
# name); the other servables are its parameter servers.
ENTRY_SERVABLE = "entry"

# Defaults shared by the library's entry points and shown by the CLI's --help.
DEFAULT_BATCH_SIZE = 64
DEFAULT_MAX_RECORDS = MAX_WARMUP_LOGS
DEFAULT_MODEL_NAME = ENTRY_SERVABLE
# Monolith's ParserArgs default, which its warmup and data-file generators pass on.
PARSER_ARGS_DROP_RATE = 0.5

# Spellings accepted for a record type besides its value (any case, ``-`` for ``_``).
_ALIASES = {
    "examplebatch": "example_batch",
    "batch": "example_batch",
    "predictionlog": "prediction_log",
    "warmup": "prediction_log",
}


class RecordType(str, Enum):
    """What one serialized record is.

    EXAMPLE, INSTANCE and EXAMPLE_BATCH are the *variants*: what monogen generates
    and what a warmup request's input carries. PREDICTION_LOG is a record of a TF
    Serving warmup file, which wraps one request of variant records.
    """

    EXAMPLE = "example"
    INSTANCE = "instance"
    EXAMPLE_BATCH = "example_batch"
    PREDICTION_LOG = "prediction_log"

    @classmethod
    def parse(cls, text: str | RecordType) -> RecordType:
        """``text`` as a variant; aliases ``examplebatch`` and ``batch`` name EXAMPLE_BATCH.

        Case and ``-`` for ``_`` do not matter. Anything else, PREDICTION_LOG included,
        is a ``SchemaError`` listing the variants.
        """
        return cls._parse(text, VARIANTS, "variant")

    @classmethod
    def parse_any(cls, text: str | RecordType) -> RecordType:
        """``text`` as any record type; ``predictionlog`` and ``warmup`` name PREDICTION_LOG."""
        return cls._parse(text, tuple(cls), "record type")

    @classmethod
    def _parse(
        cls, text: str | RecordType, allowed: tuple[RecordType, ...], kind: str
    ) -> RecordType:
        name = text.value if isinstance(text, RecordType) else text
        key = name.strip().lower().replace("-", "_")
        key = _ALIASES.get(key, key)
        found = next((t for t in allowed if t.value == key), None)
        if found is None:
            valid = ", ".join(t.value for t in allowed)
            raise SchemaError(f"unknown {kind} {name!r} (expected one of: {valid})")
        return found

    @property
    def input_name(self) -> str:
        """The serving signature input a warmup request feeds these records through."""
        try:
            return _INPUT_NAMES[self]
        except KeyError:
            raise SchemaError(f"{self.value} records are not a serving input") from None

    @classmethod
    def for_input(cls, name: str) -> RecordType | None:
        """The variant a serving input named ``name`` takes, None for another name."""
        return next((t for t, n in _INPUT_NAMES.items() if n == name), None)

    @property
    def message_class(self) -> type[Message]:
        """The generated protobuf class (imported on first use, see the module docstring)."""
        from monogen.proto import example_pb2, prediction_log_pb2, proto_parser_pb2

        classes: dict[RecordType, type[Message]] = {
            RecordType.EXAMPLE: example_pb2.Example,
            RecordType.INSTANCE: proto_parser_pb2.Instance,
            RecordType.EXAMPLE_BATCH: example_pb2.ExampleBatch,
            RecordType.PREDICTION_LOG: prediction_log_pb2.PredictionLog,
        }
        return classes[self]

    @property
    def record_name(self) -> str:
        """The record's message name (``Example``, ``Instance``, ``ExampleBatch``...)."""
        return str(self.message_class.DESCRIPTOR.name)

    def rows_per_record(self, batch_size: int) -> int:
        """Rows one record holds: a whole batch for an ExampleBatch, else one."""
        return batch_size if self is RecordType.EXAMPLE_BATCH else 1

    def records_per_batch(self, batch_size: int) -> int:
        """Records one batch (one warmup request) holds: one ExampleBatch, else the batch."""
        return 1 if self is RecordType.EXAMPLE_BATCH else batch_size


# The record types monogen generates and serving inputs carry, in display order.
VARIANTS = (RecordType.EXAMPLE, RecordType.INSTANCE, RecordType.EXAMPLE_BATCH)
# What a ``--variant`` option accepts (case-insensitive): the values and one alias.
VARIANT_CHOICES = (*(v.value for v in VARIANTS), "examplebatch")
# What a record-type option accepts: the variants, their alias, and PREDICTION_LOG.
RECORD_TYPE_CHOICES = (*VARIANT_CHOICES, RecordType.PREDICTION_LOG.value)
#: The name the generation API has always used for the record type.
Variant = RecordType

_INPUT_NAMES = {
    RecordType.EXAMPLE: "examples",
    RecordType.INSTANCE: "instances",
    RecordType.EXAMPLE_BATCH: "example_batch",
}


def dtype_name(value: int) -> str:
    """A TensorFlow DataType's enum name; monogen's enum is a subset, others keep their number."""
    from monogen.proto import types_pb2

    try:
        return str(types_pb2.DataType.Name(value))
    except ValueError:
        return f"DT_UNKNOWN_{value}"
