"""Header-layout and record-type detection of data files (``monogen.io.detect``).

Files are framed by hand from docs/formats.md §5 around payloads serialized by the
protobuf classes, so detection is checked against the format's definition, not
against monogen's writer.
"""

from __future__ import annotations

import gzip
import io
import struct

import pytest
from conftest import PipeReader

from monogen.gen.generator import Variant
from monogen.io import detect
from monogen.io.datafile import HeaderOptions
from monogen.io.detect import DetectionError
from monogen.proto import example_pb2, proto_parser_pb2


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def instance(i: int) -> bytes:
    message = proto_parser_pb2.Instance()
    message.fid.extend([(1 << 54) + i, (2 << 54) + 7 * i])
    message.label.append(float(i % 2))
    message.line_id.uid = 1000 + i
    return message.SerializeToString()


def example(i: int) -> bytes:
    message = example_pb2.Example()
    named = message.named_feature.add()
    named.name = "slot_1"
    named.feature.fid_v2_list.value.extend([(1 << 48) + i])
    message.label.append(1.0)
    return message.SerializeToString()


def example_batch(i: int) -> bytes:
    message = example_pb2.ExampleBatch(batch_size=2)
    named = message.named_feature_list.add()
    named.name = "slot_1"
    for row in range(2):
        named.feature.add().fid_v2_list.value.append((1 << 48) + i + row)
    return message.SerializeToString()


PAYLOADS = {
    Variant.INSTANCE: instance,
    Variant.EXAMPLE: example,
    Variant.EXAMPLE_BATCH: example_batch,
}
# The header bytes a generator writes before each length (docs/formats.md §5's table).
HEADERS = {
    HeaderOptions(): bytes(8),
    HeaderOptions(kafka_dump=True): bytes(16),
    HeaderOptions(kafka_dump_prefix=True): bytes(24),
    HeaderOptions(lagrangex=True): bytes.fromhex("0062780100000000"),  # javahash("abc")
    HeaderOptions(sort_id=False): b"",
}


def framed(payloads: list[bytes], header: bytes) -> bytes:
    return b"".join(header + u64(len(p)) + p for p in payloads)


def sort_id_framed(payloads: list[bytes], sort_ids: list[bytes]) -> bytes:
    return b"".join(
        u64(len(s)) + s + u64(len(p)) + p for s, p in zip(sort_ids, payloads, strict=True)
    )


@pytest.mark.parametrize("variant", list(PAYLOADS))
@pytest.mark.parametrize("header", list(HEADERS))
def test_every_layout_and_type_is_found(header: HeaderOptions, variant: Variant) -> None:
    payloads = [PAYLOADS[variant](i) for i in range(7)]  # odd: a whole count either way
    data = framed(payloads, HEADERS[header])
    found = detect.detect(data, complete=True)
    assert (found.header, found.record_type) == (header, variant)
    assert (found.records, found.examined, found.whole) == (7, len(data), True)
    # what it reads is what was framed
    detected = detect.read(io.BytesIO(data))
    assert [r.payload for r in detected.records] == payloads


def test_headerless_is_not_read_as_sort_ids_hiding_records() -> None:
    payloads = [instance(i) for i in range(10)]
    found = detect.detect(framed(payloads, b""), complete=True)
    assert found.header == HeaderOptions(sort_id=False)
    assert found.records == 10
    # the sort-id readings fit too (every other record hidden in a sort id): ambiguous
    assert found.other_headers == (HeaderOptions(), HeaderOptions(kafka_dump_prefix=True))
    assert [r.records for r in found.others] == [5, 5]
    assert "ambiguous: it also reads as header sort_id (5 Instance records)" in found.describe()


def test_all_zero_eight_byte_header_is_ambiguous_and_the_first_layout_wins() -> None:
    found = detect.detect(framed([example(i) for i in range(3)], bytes(8)), complete=True)
    assert found.header == HeaderOptions()
    assert found.record_type is Variant.EXAMPLE
    assert found.ambiguous
    assert found.other_headers == (HeaderOptions(lagrangex=True),)
    assert found.describe() == (
        "header sort_id and Example records, detected on the whole input (3 records);"
        " ambiguous: it also reads as header lagrangex (3 Example records)"
    )


def test_a_single_reading_is_not_ambiguous() -> None:
    found = detect.detect(framed([instance(i) for i in range(3)], bytes(16)), complete=True)
    assert found.header == HeaderOptions(kafka_dump=True)
    assert not found.ambiguous
    assert found.describe() == (
        "header sort_id+kafka_dump and Instance records, detected on the whole input (3 records)"
    )


def test_real_sort_ids_are_read() -> None:
    payloads = [instance(i) for i in range(4)]
    data = sort_id_framed(payloads, [b"key-%d" % i for i in range(4)])
    found = detect.detect(data, complete=True)
    assert (found.header, found.records) == (HeaderOptions(), 4)


def test_nothing_fits_names_the_offset_of_the_furthest_reading() -> None:
    good = framed([instance(i) for i in range(3)], b"")
    data = good + u64(5) + b"\x0f" * 5  # a fourth record that parses as nothing
    with pytest.raises(DetectionError) as caught:
        detect.detect(data, complete=True, label="x.bin")
    message = str(caught.value)
    assert message.startswith(
        "x.bin: no header layout and record type reads the input as a data file;"
        f" the reading that got furthest fails at offset {len(good)}: x.bin: record 3 at offset"
        f" {len(good)}: does not parse as Instance (reading with header none)"
    )


def test_given_header_and_type_read_nothing() -> None:
    found = detect.detect(b"garbage", complete=True, header=HeaderOptions(), record_type="example")
    assert (found.header_given, found.type_given, found.examined) == (True, True, 0)
    assert found.describe() == "header sort_id (given) and Example records (given)"


def test_given_header_narrows_the_readings() -> None:
    data = framed([instance(i) for i in range(3)], bytes(8))
    found = detect.detect(data, complete=True, header=HeaderOptions(lagrangex=True))
    assert found.header == HeaderOptions(lagrangex=True) and not found.ambiguous
    with pytest.raises(DetectionError, match="reading with header sort_id\\+kafka_dump"):
        detect.detect(data, complete=True, header=HeaderOptions(kafka_dump=True))


def test_given_type_is_the_only_one_tried() -> None:
    data = framed([instance(i) for i in range(3)], bytes(8))
    with pytest.raises(DetectionError, match=r"does not parse as Example|not an Example"):
        detect.detect(data, complete=True, record_type=Variant.EXAMPLE)


def test_a_large_file_is_judged_on_its_first_bytes() -> None:
    payloads = [instance(i) for i in range(40_000)]
    data = framed(payloads, b"")
    assert len(data) > detect.DETECT_BYTES
    found, stream = detect.detect_stream(io.BytesIO(data))
    assert found.header == HeaderOptions(sort_id=False)
    assert (found.examined, found.whole) == (detect.DETECT_BYTES, False)
    assert 0 < found.records < len(payloads)
    assert stream.read() == data  # nothing lost to the look ahead


def test_a_first_record_larger_than_the_bound_grows_it() -> None:
    big = example_pb2.Example()
    big.named_feature.add(name="blob").feature.bytes_value = b"x" * (2 * detect.DETECT_BYTES)
    payloads = [big.SerializeToString(), example(1)]
    data = framed(payloads, bytes(24))
    found, _ = detect.detect_stream(PipeReader(data, chunk=4096))
    assert (found.header, found.record_type) == (
        HeaderOptions(kafka_dump_prefix=True),
        Variant.EXAMPLE,
    )
    assert found.whole


def test_the_bound_on_memory_is_kept() -> None:
    # 8 zero bytes and a claimed length of 64 MiB (under max_record_size, over what
    # detection looks at), then zeros: never a whole record
    data = bytes(8) + u64(64 << 20) + bytes(detect.DETECT_MAX_BYTES)
    with pytest.raises(DetectionError, match=f"in the first {detect.DETECT_MAX_BYTES} bytes"):
        detect.detect_stream(PipeReader(data, chunk=4096))


def test_compressed_input_is_detected_after_inflating() -> None:
    payloads = [example_batch(i) for i in range(5)]
    data = gzip.compress(framed(payloads, b""), mtime=0)
    found, records = detect.read(PipeReader(data, chunk=4096))
    assert (found.header, found.record_type) == (
        HeaderOptions(sort_id=False),
        Variant.EXAMPLE_BATCH,
    )
    assert [r.payload for r in records] == payloads


def test_empty_input_has_nothing_to_detect() -> None:
    found, records = detect.read(io.BytesIO(b""))
    assert found.records == 0 and list(records) == []
