"""Drop-in replacement for Monolith's ``model_export/warmup_data_gen`` (its file mode).

The original read a Monolith data file with its own ``PBReader`` and turned each
batch of records into a TF Serving warmup ``PredictionLog``. Here the same public
names sit on monogen's data-file reader and warmup planner, without TensorFlow::

    from monogen import warmup_data_gen
    for log in warmup_data_gen.gen_prediction_log_from_file("train.bin", batch_size=64):
        ...

Differences, each because the original could write a warmup file TF Serving
rejects or lose data without a word:

* ``max_records`` counts records, as its name says: ``max_records // batch_size``
  requests (the original allowed ``max_records`` requests of ``batch_size`` records
  each for Examples and Instances), and never more than TF Serving's 1000 logs;
* a record that does not parse as ``variant_type``'s message, a truncated record and
  an empty file raise (the original stopped silently at the first problem);
* a short last batch is kept (the original dropped it);
* ``model_name`` and ``signature_names`` are parameters (the original read them
  from command-line flags, with the same defaults: ``default``, ``serving_default``);
* ``example_batch`` does not require the lagrangex header (the original asserted it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import BinaryIO

from monogen.errors import WarmupError
from monogen.formats import DEFAULT_SIGNATURE, Variant
from monogen.gen.schema import DType
from monogen.io import datafile
from monogen.io.datafile import HeaderOptions
from monogen.proto import prediction_log_pb2, tensor_pb2
from monogen.serving.warmup import (
    DEFAULT_MAX_RECORDS,
    datafile_batches,
    plan_requests,
    prediction_logs,
    string_tensor,
)

__all__ = ["PBReader", "gen_prediction_log_from_file", "tf_dtype"]

DEFAULT_MODEL_NAME = "default"  # the original's --model_name default
DEFAULT_SIGNATURES = DEFAULT_SIGNATURE


class PBReader:
    """Batches of a data file's records as DT_STRING tensors (``tf.make_tensor_proto``'s bytes).

    ``file_name`` None or empty reads stdin. Each item is ``batch_size`` records, or
    one ExampleBatch for ``variant_type="example_batch"``; ``set_max_iter`` caps the
    count. The header options are the original's reader flags. The file is closed
    when the records run out, on ``close()``, or when a ``with`` block ends.
    """

    def __init__(
        self,
        file_name: str | os.PathLike[str] | None,
        batch_size: int,
        lagrangex_header: bool = False,
        has_sort_id: bool = False,
        kafka_dump_prefix: bool = False,
        kafka_dump: bool = False,
        variant_type: str = "instance",
    ) -> None:
        if batch_size < 1:
            raise WarmupError(f"batch_size must be at least 1, not {batch_size}")
        self.file_name = file_name
        self.batch_size = batch_size
        self.variant = Variant.parse(variant_type)
        header = HeaderOptions(
            sort_id=has_sort_id and not lagrangex_header,
            kafka_dump=kafka_dump,
            kafka_dump_prefix=kafka_dump_prefix,
            lagrangex=lagrangex_header,
        )
        self._owned = bool(file_name)
        self._stream: BinaryIO = open(file_name, "rb") if file_name else sys.stdin.buffer  # noqa: SIM115
        records = datafile.read(self._stream, header=header)
        self._batches = datafile_batches(records, variant=self.variant, batch_size=batch_size)
        self._max_iter: int | None = None
        self._count = 0

    def set_max_iter(self, max_records: int) -> None:
        """Stop after ``max_records // batch_size`` batches (``batch_size < max_records``)."""
        if self.batch_size >= max_records:
            raise WarmupError(
                f"batch_size {self.batch_size} must be less than max_records {max_records}"
            )
        self._max_iter = max_records // self.batch_size

    def batches(self) -> Iterator[list[bytes]]:
        """The batches as lists of serialized records, up to the cap."""
        try:
            while self._max_iter is None or self._count < self._max_iter:
                batch = next(self._batches, None)
                if batch is None:
                    return
                self._count += 1
                yield batch
        finally:
            self.close()

    def __iter__(self) -> Iterator[tensor_pb2.TensorProto]:
        return (string_tensor(batch) for batch in self.batches())

    def close(self) -> None:
        if self._owned and not self._stream.closed:
            self._stream.close()

    def __enter__(self) -> PBReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def gen_prediction_log_from_file(
    file_name: str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    lagrangex_header: bool = False,
    kafka_dump_prefix: bool = False,
    has_sort_id: bool = True,
    kafka_dump: bool = False,
    max_records: int = DEFAULT_MAX_RECORDS,
    variant_type: str = "instance",
    *,
    model_name: str = DEFAULT_MODEL_NAME,
    signature_names: str | Sequence[str] = DEFAULT_SIGNATURES,
) -> Iterator[prediction_log_pb2.PredictionLog]:
    """Warmup PredictionLogs from a data file: one request per batch, signatures cycled.

    ``signature_names`` is a comma-separated string (the original's flag) or a list;
    ``serving_default`` is appended when missing. Raises ``WarmupError`` for a plan
    TF Serving would reject.
    """
    names = signature_names.split(",") if isinstance(signature_names, str) else signature_names
    plan = plan_requests(
        variant=variant_type,
        signatures=names,
        batch_size=batch_size,
        max_records=max_records,
        model_name=model_name,
    )
    with PBReader(
        file_name,
        batch_size,
        lagrangex_header,
        has_sort_id,
        kafka_dump_prefix,
        kafka_dump,
        variant_type,
    ) as reader:
        yield from prediction_logs(plan, reader.batches())


# The original's tf_dtype table: names and TensorFlow enum numbers -> dtype.
_DTYPE_NAMES = {
    DType.INT32: {"int", "int32", "short", "uint", "uint32", "3", "22"},
    DType.INT64: {"int64", "long", "uint64", "9", "23"},
    DType.FLOAT32: {"float", "float32", "1"},
    DType.FLOAT64: {"float64", "double", "2"},
    DType.BOOL: {"bool", "boolean", "10"},
    DType.STRING: {"str", "string", "char", "7"},
}


def tf_dtype(dtype: str) -> DType:
    """The dtype a name or TensorFlow enum number stands for, as the original's table
    (which returned TensorFlow dtypes, and mistyped int64)."""
    for resolved, names in _DTYPE_NAMES.items():
        if dtype in names:
            return resolved
    raise ValueError(f"dtype {dtype!r} is not one tf_dtype knows")
