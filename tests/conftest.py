"""Helpers the test modules share: fixtures and stream shims, each defined once.

Test modules import the plain helpers (``from conftest import PipeReader``); pytest
puts this directory on ``sys.path`` because the tests are not a package.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st


class PipeReader:
    """A non-seekable stream that hands out at most ``chunk`` bytes per read, like a pipe."""

    def __init__(self, data: bytes, chunk: int = 5) -> None:
        self._data = data
        self._pos = 0
        self._chunk = chunk

    def read(self, size: int = -1, /) -> bytes:
        size = len(self._data) if size < 0 else size
        out = self._data[self._pos : self._pos + min(size, self._chunk)]
        self._pos += len(out)
        return out

    def seekable(self) -> bool:
        return False

    def seek(self, *args: object) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")


def read_everything(stream: Any, size: int = 1000) -> bytes:
    """All of ``stream``, read ``size`` bytes at a time until a read returns nothing."""
    parts = []
    while chunk := stream.read(size):
        parts.append(chunk)
    return b"".join(parts)


def write_in_pieces(writer: Any, data: bytes, piece: int) -> None:
    """Feed ``data`` to a codec writer ``piece`` bytes at a time, then finish it."""
    for start in range(0, len(data), piece):
        writer.write(data[start : start + piece])
    writer.finish()


def read_decompressed(data: bytes, compression: Any, *, pipe: bool = False) -> bytes:
    """``data`` decoded by monogen's reader for ``compression``, from a file or a pipe."""
    from monogen.io.compression import open_compressed_reader

    fo = PipeReader(data, chunk=777) if pipe else io.BytesIO(data)
    return read_everything(open_compressed_reader(fo, compression))


def damage(data: st.DataObject, packed: bytes) -> bytes:
    """``packed`` with one to four bytes overwritten, then cut at a drawn length."""
    damaged = bytearray(packed)
    for _ in range(data.draw(st.integers(1, 4))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    return bytes(damaged[: data.draw(st.integers(0, len(damaged)))])


def warmup_logs(data: bytes) -> list[Any]:
    """The PredictionLogs of a warmup file's bytes."""
    from monogen.io.tfrecord import read_records
    from monogen.proto import prediction_log_pb2

    return [prediction_log_pb2.PredictionLog.FromString(r) for r in read_records(io.BytesIO(data))]


def routing(logs: Iterable[Any]) -> list[tuple[str, list[str]]]:
    """(signature, output_filter) of each warmup log, in file order."""
    return [
        (
            log.predict_log.request.model_spec.signature_name,
            list(log.predict_log.request.output_filter),
        )
        for log in logs
    ]


@pytest.fixture
def no_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """TensorFlow as if not installed: a None entry in sys.modules makes its import fail."""
    monkeypatch.setitem(sys.modules, "tensorflow", None)


@pytest.fixture(scope="session")
def tf() -> Any:
    """TensorFlow, quiet; the test is skipped where it is not installed."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ranker_model(tf: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF Serving base directory holding version 1 of a tiny two-head SavedModel.

    serving_default takes the DT_STRING input 'instances' and answers 'ctr' (each
    string's length) and 'cvr' (the length plus one). One per test module, so a
    module may write into it.
    """

    class Ranker(tf.Module):  # type: ignore[name-defined]
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="instances")])
        def serve(self, instances: Any) -> dict[str, Any]:
            length = tf.cast(tf.strings.length(instances), tf.float32)
            return {"ctr": length, "cvr": length + 1.0}

    ranker = Ranker()
    base: Path = tmp_path_factory.mktemp("ranker")
    tf.saved_model.save(ranker, str(base / "1"), signatures={"serving_default": ranker.serve})
    return base
