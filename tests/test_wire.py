"""The wire encoder against protobuf: same bytes for every schema, variant and seed.

The reference is the straightforward path (``encoder="protobuf"``: protobuf
messages built from the same draws and serialized by upb), an independent
implementation of the encoding. Hypothesis builds
random schemas; explicit cases pin the edges (everything dropped, varint length
boundaries, empty parts) and two records worked out by hand.
"""

from __future__ import annotations

import logging
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from monogen import formats
from monogen.encode import reference as messages
from monogen.encode import wire
from monogen.errors import SchemaError
from monogen.gen.generator import RecordGenerator
from monogen.gen.sampling import BatchDraw, RowFids, SparseBlock
from monogen.gen.schema import DenseSpec, DType, ExtraSpec, Schema
from monogen.gen.spec import DenseGen, GenSpec, IdSpec, LengthSpec, SparseGen
from monogen.proto import example_pb2, line_id_pb2, proto_parser_pb2

VARIANTS = [v.value for v in formats.VARIANTS]
REQ_TIME = 1_700_000_000
# Every field of the LineId proto, with the shapes the strategy may give it.
LINE_ID_FIELDS = {
    "uid": False,
    "req_time": False,
    "item_id": False,
    "actions": True,
    "chnid": False,
    "pre_actions": True,
    "sample_rate": False,
    "special_strategies": True,  # repeated, not packed
    "device_type": False,
    "cid": False,
    "user_id": False,
    "is_draw": False,
    "rank": False,
    "data_source_name": False,
}


@pytest.fixture(autouse=True)
def _quiet_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)  # unfilled dense dtypes warn once per generator


def both(schema: Schema, variant: str, **kwargs: object) -> tuple[RecordGenerator, ...]:
    return tuple(
        RecordGenerator(schema, variant, encoder=encoder, **kwargs)  # type: ignore[arg-type]
        for encoder in ("wire", "protobuf")
    )


def assert_same_batches(schema: Schema, variant: str, batches: int = 2, **kwargs: object) -> None:
    fast, reference = both(schema, variant, **kwargs)
    fast_batches, reference_batches = fast.batches(), reference.batches()
    for index in range(batches):
        ours, theirs = next(fast_batches), next(reference_batches)
        assert len(ours) == len(theirs)
        for row, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert a == b, f"batch {index} record {row} differs ({variant})"


def reference_bytes(variant: str, schema: Schema, draw: BatchDraw) -> list[bytes]:
    build = {
        "example": messages.build_examples,
        "instance": messages.build_instances,
        "example_batch": messages.build_example_batch,
    }[variant]
    return messages.serialize(build(schema, draw))


ENCODERS = {
    "example": wire.ExampleEncoder,
    "instance": wire.InstanceEncoder,
    "example_batch": wire.ExampleBatchEncoder,
}


# --------------------------------------------------------------------------- strategies

NAME_CHARS = string.ascii_lowercase + string.digits + "_"
plain_names = st.text(NAME_CHARS, min_size=1, max_size=12).filter(lambda s: s != "label")
special_names = st.one_of(
    st.sampled_from(["slot_1", "slot_200", "slot_65535", "slot_1023", "fc_slot_7"]),
    st.integers(1, 65535).map(lambda n: f"slot_{n}"),
    plain_names.map(lambda s: f"{s}_recent"),
    plain_names.map(lambda s: f"user_cp_{s}"),
    st.tuples(plain_names, plain_names).map(lambda ab: f"{ab[0]}-{ab[1]}"),
    st.integers(120, 135).map(lambda n: "n" * n),  # the name's length varint: 1 or 2 bytes
)
sparse_names = st.lists(st.one_of(plain_names, special_names), max_size=8, unique=True)
dense_specs = st.lists(
    st.tuples(
        plain_names.map(lambda s: f"d_{s}"),
        st.one_of(st.integers(1, 40), st.sampled_from([31, 32, 33, 127, 128, 600])),
        st.sampled_from(["float32", "float64", "int64", "bool", "int32", "string"]),
    ),
    max_size=4,
    unique_by=lambda spec: spec[0],
)
extras = st.lists(
    st.sampled_from(sorted(LINE_ID_FIELDS)).flatmap(
        lambda name: (
            st.integers(1, 5).map(lambda k: f"{name}:{k}")
            if LINE_ID_FIELDS[name]
            else st.just(name)
        )
    ),
    max_size=6,
    unique_by=lambda text: text.partition(":")[0],
)
drop_rates = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0, 1))
actions = st.one_of(
    st.none(), st.lists(st.sampled_from([0, 1, 7, -1, 2**31 - 1, -(2**31)]), min_size=1)
)


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    sparse = draw(sparse_names)
    dense = [
        DenseSpec(name, shape, DType(dtype))
        for name, shape, dtype in draw(dense_specs)
        if name not in sparse
    ]
    if draw(st.booleans()):
        dense.append(DenseSpec("label", draw(st.integers(1, 4))))
    try:
        schema = Schema.build(
            sparse=sparse,
            fidv1_slots=draw(st.lists(st.integers(1, 1023), max_size=6, unique=True)),
            fidv2=draw(st.lists(st.one_of(plain_names, special_names), max_size=4, unique=True)),
            dense=dense,
            extra=[ExtraSpec.parse(e) for e in draw(extras)],
        )
    except SchemaError:  # e.g. slot_7 beside fc_slot_7, or slot_0: refused input, no schema
        reject()
    return (
        schema.with_spec(draw(gen_specs(schema)), source="test") if draw(st.booleans()) else schema
    )


id_specs = st.one_of(
    st.none(),
    st.builds(IdSpec, st.just("uniform"), st.none()),
    st.builds(
        IdSpec,
        st.sampled_from(["uniform", "zipf", "lognormal"]),
        st.integers(1, 10**7),
        st.floats(0.3, 2.5),
        st.floats(0.1, 3.0),
    ),
)
length_specs = st.one_of(
    st.none(),
    st.integers(0, 6).map(lambda n: LengthSpec(n, n)),
    st.tuples(st.integers(0, 3), st.integers(0, 5)).map(lambda t: LengthSpec(t[0], t[0] + t[1])),
    st.tuples(st.floats(0.1, 4.0), st.integers(1, 12)).map(lambda t: LengthSpec(0, t[1], t[0])),
)
sparse_gens = st.builds(SparseGen, id_specs, length_specs, st.one_of(st.none(), st.floats(0, 1)))
dense_gens = st.one_of(
    st.builds(DenseGen, st.just("uniform"), st.just(-2.0), st.just(3.0)),
    st.builds(
        DenseGen,
        st.sampled_from(["normal", "lognormal"]),
        mean=st.floats(-1, 1),
        std=st.floats(0.1, 2),
        clip=st.one_of(st.none(), st.just((-0.5, 1.5))),
    ),
)


@st.composite
def gen_specs(draw: st.DrawFn, schema: Schema) -> GenSpec:
    """Specs for some of ``schema``'s features, a default table, and label rates."""
    sparse_names = sorted({m.name for m in (*schema.sparse, *schema.fidv2)})
    sparse_names += [f"slot_{slot}" for slot in schema.fidv1_slots]
    chosen = draw(st.lists(st.sampled_from(sparse_names), unique=True)) if sparse_names else []
    dense_names = sorted(schema.dense_names)
    dense = draw(st.lists(st.sampled_from(dense_names), unique=True)) if dense_names else []
    heads = schema.label_shape or 1
    return GenSpec(
        sparse={name: draw(sparse_gens) for name in chosen},
        dense={name: draw(dense_gens) for name in dense},
        default_sparse=draw(st.one_of(st.none(), sparse_gens)),
        positive_rate=draw(
            st.one_of(st.none(), st.lists(st.floats(0, 1), min_size=heads, max_size=heads))
        ),
    )


# --------------------------------------------------------------------------- properties

PROPERTY_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("variant", VARIANTS)
@PROPERTY_SETTINGS
@given(
    schema=schemas(),
    seed=st.integers(0, 2**63 - 1),
    batch_size=st.one_of(st.integers(1, 20), st.sampled_from([1, 63, 64, 127, 128, 129, 200])),
    drop_rate=drop_rates,
    req_time=st.one_of(st.just(0), st.integers(0, 2**40)),
    action_choices=actions,
)
def test_wire_bytes_equal_protobuf_bytes(
    variant: str,
    schema: Schema,
    seed: int,
    batch_size: int,
    drop_rate: float,
    req_time: int,
    action_choices: list[int] | None,
) -> None:
    assert_same_batches(
        schema,
        variant,
        seed=seed,
        batch_size=batch_size,
        drop_rate=drop_rate,
        req_time=req_time,
        actions=action_choices,
    )


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=25, deadline=None)
@given(schema=schemas(), seed=st.integers(0, 2**32), count=st.integers(0, 50))
def test_serialized_records_equal_across_encoders(
    variant: str, schema: Schema, seed: int, count: int
) -> None:
    """Short last batches too: ``count`` need not be a multiple of the batch size."""
    fast, reference = both(schema, variant, seed=seed, batch_size=7, req_time=REQ_TIME)
    assert list(fast.serialized_records(count)) == list(reference.serialized_records(count))


@pytest.mark.parametrize("variant", VARIANTS)
def test_records_are_the_same_messages_with_either_encoder(variant: str) -> None:
    schema = Schema.build(
        sparse=["slot_1", "a_recent", "slot_9"], fidv1_slots=[1, 2], dense=["x:3"]
    )
    fast, reference = both(schema, variant, seed=5, batch_size=9, drop_rate=0.5, req_time=1)
    assert list(fast.records(20)) == list(reference.records(20))


# --------------------------------------------------------------------------- edges


BENCH_LIKE = Schema.build(
    sparse=[f"slot_{i}" for i in range(1, 101)],
    fidv1_slots=range(1, 101),
    dense=[f"d{i}:16:float32" for i in range(5)],
)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("drop_rate", [0.0, 0.5, 1.0])
def test_many_features(variant: str, drop_rate: float) -> None:
    assert_same_batches(
        BENCH_LIKE, variant, batches=3, seed=11, batch_size=64, drop_rate=drop_rate, req_time=0
    )


@pytest.mark.parametrize(
    "lengths",
    [
        LengthSpec(0, 1),  # three templates: dropped, no fids, one fid
        LengthSpec(0, 6),  # more templates than one pass each is worth
        LengthSpec(14, 18),  # 8 * 16 fid bytes: cells of odd lengths, no dropped-row fill
    ],
)
@pytest.mark.parametrize("drop_rate", [0.0, 0.5, 1.0])
def test_example_batch_cells_of_many_templates(lengths: LengthSpec, drop_rate: float) -> None:
    schema = Schema.build(sparse=["slot_1", "slot_2", "u_recent", "slot_300"], dense=["e:2"])
    spec = GenSpec(sparse={}, dense={}, default_sparse=SparseGen(None, lengths, 0.7))
    assert_same_batches(
        schema.with_spec(spec, source="test"), "example_batch", seed=3, batch_size=50,
        drop_rate=drop_rate,
    )  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
def test_everything_dropped(variant: str) -> None:
    schema = Schema.build(sparse=["slot_3", "x_recent", "slot_4"], fidv2=["y_cp"], dense=["z:2"])
    assert_same_batches(schema, variant, seed=1, batch_size=5, drop_rate=1.0, req_time=REQ_TIME)
    ours = RecordGenerator(schema, variant, seed=1, batch_size=5, drop_rate=1.0, req_time=1)
    if variant == "example":  # dropped: name and id, no feature
        example = example_pb2.Example.FromString(next(ours.batches())[0])
        assert not example.named_feature[0].HasField("feature")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", [29, 30, 31, 32, 33, 34, 4094, 4095, 4096, 4097])
def test_length_varints_across_127_128_and_16383_16384(variant: str, shape: int) -> None:
    """4 * shape float bytes push each enclosing length across a varint boundary."""
    schema = Schema.build(
        sparse=["slot_2"], dense=[f"f:{shape}:float32", f"i:{shape % 40 + 1}:int64"]
    )
    assert_same_batches(schema, variant, batches=1, seed=2, batch_size=3, drop_rate=0.5, req_time=1)


@pytest.mark.parametrize(
    "name_length", [117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128]
)
def test_name_lengths_across_127_128(name_length: int) -> None:
    schema = Schema.build(sparse=["s" * name_length], fidv2=["t" * name_length], fidv1_slots=[3])
    for variant in VARIANTS:
        assert_same_batches(schema, variant, batches=1, seed=4, batch_size=4, drop_rate=0.5)


def test_example_batch_dense_lists_of_one_layout_built_together() -> None:
    """Float dense features of one shape share a matrix; the lists stay in schema order
    around the ones of other shapes and dtypes, and the ones left empty."""
    dense = ["a:4", "b:4:int64", "c:4", "d:2:float64", "e:4", "f:3:bool", "g:2:float64", "h:5"]
    schema = Schema.build(sparse=["slot_1"], dense=dense)
    assert_same_batches(schema, "example_batch", seed=8, batch_size=9, drop_rate=0.5)


@pytest.mark.parametrize("batch_size", [1, 127, 128, 129, 200])
def test_example_batch_list_of_many_entries(batch_size: int) -> None:
    schema = Schema.build(sparse=["slot_1", "u_recent", "slot_7"], dense=["e:8", "p:1:float64"])
    assert_same_batches(
        schema, "example_batch", batches=1, seed=9, batch_size=batch_size, drop_rate=0.3
    )


@pytest.mark.parametrize(
    "parts",
    [
        {},  # nothing but labels and LineId
        {"dense": ["only:3"]},
        {"sparse": ["slot_8"]},
        {"fidv1_slots": [5]},
        {"fidv2": ["col"]},
        {"dense": ["b:2:bool", "s:1:string"]},  # dtypes left empty
    ],
)
@pytest.mark.parametrize("variant", VARIANTS)
def test_schemas_with_empty_parts(variant: str, parts: dict[str, list]) -> None:
    schema = Schema.build(**parts)  # type: ignore[arg-type]
    assert_same_batches(schema, variant, seed=3, batch_size=6, drop_rate=0.5, req_time=REQ_TIME)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_line_id_fields_and_no_fids(variant: str) -> None:
    """Cases the generator never draws: an empty LineId, fid-v1 slots with no fids."""
    schema = Schema.build(sparse=["slot_6"], fidv1_slots=[1, 2], dense=["v:2"])
    n = 3
    empty = RowFids(np.zeros(0, np.uint64), np.zeros(n + 1, np.int64))
    slots = np.zeros((1, n, 1), np.uint64)
    one = SparseBlock(n, np.zeros((1, n), bool), np.zeros((1, n), np.int64), slots)
    draw = BatchDraw(
        n,
        sparse=one,
        fidv1=empty,
        dense=(np.full((n, 2), 0.25, dtype=np.float32),),
        labels=np.zeros((n, 1), dtype=np.float32),
        line_ids={},
    )
    assert ENCODERS[variant](schema)(draw) == reference_bytes(variant, schema, draw)


def test_line_id_fields_one_by_one() -> None:
    """Each LineId field alone, with varied values (negative ints, strings, bools)."""
    n = 4
    columns = {
        "uid": np.array([0, 1, 2**64 - 1, 2**63], dtype=np.uint64),
        "req_time": np.array([0, -1, 2**40, 127], dtype=np.int64),
        "item_id": np.array([5, 6, 7, 8], dtype=np.uint64),
        "actions": np.array([[0, 1], [-1, 127], [128, 2**31 - 1], [-(2**31), 3]]),
        "chnid": np.array([0, 1, 300, -5]),
        "pre_actions": np.array([[1], [2], [3], [-4]]),
        "sample_rate": np.array([0.1, 1.0, 0.0, 3.5]),
        "special_strategies": np.array([[1, -1, 300], [0, 0, 0], [5, 6, 7], [2**31 - 1, 1, 1]]),
        "device_type": np.array(["a", "", "ü", "hello world"], dtype=object),
        "cid": np.full(n, "hello world", dtype=object),
        "is_draw": np.array([True, False, True, False]),
        "rank": np.array([0, 1, -1, 2**31 - 1]),
        "data_source_name": np.full(n, "", dtype=object),
    }
    for name, column in columns.items():
        ours = wire.line_id_rows({name: column}, n).to_list()
        theirs = []
        for i in range(n):
            line_id = line_id_pb2.LineId()
            messages.fill_line_id(line_id, {name: column}, i)
            theirs.append(line_id.SerializeToString())
        assert ours == theirs, name


def test_line_id_column_of_equal_values_but_not_equal_bytes() -> None:
    """0.0 and -0.0 compare equal but are other bytes on the wire: not one constant."""
    column = np.array([0.0, -0.0, 0.0], dtype=np.float32)
    ours = wire.line_id_rows({"sample_rate": column}, 3).to_list()
    theirs = []
    for i in range(3):
        line_id = line_id_pb2.LineId()
        messages.fill_line_id(line_id, {"sample_rate": column}, i)
        theirs.append(line_id.SerializeToString())
    assert ours == theirs
    assert ours[1] != ours[0]


def test_line_id_columns_that_vary_then_hold_one_value() -> None:
    """The encoder stops looking for constants in a column once it varied: the bytes of
    later batches, constant or not, are still each row's own."""
    encoder = wire.LineIdEncoder()
    batches = [
        {"req_time": np.array([5, 6, 7]), "sample_rate": np.array([0.5, 0.5, 0.5])},
        {"req_time": np.array([9, 9, 9]), "sample_rate": np.array([0.25, 1.0, 0.25])},
        {"req_time": np.array([1, 2, 3]), "sample_rate": np.array([2.0, 2.0, 2.0])},
    ]
    for columns in batches:
        theirs = []
        for i in range(3):
            line_id = line_id_pb2.LineId()
            messages.fill_line_id(line_id, columns, i)
            theirs.append(line_id.SerializeToString())
        assert encoder(columns, 3).to_list() == theirs


# --------------------------------------------------------------------------- by hand


def test_example_known_bytes() -> None:
    """One Example worked out from the wire-format rules, not from protobuf."""
    schema = Schema.build(sparse=["slot_5"], extra=["uid"])
    fid = 0x0005_0000_0000_00AB  # slot 5 in the top 16 bits
    draw = BatchDraw(
        1,
        sparse=SparseBlock(1, np.array([[True]]), np.array([[1]]), np.array([[[fid]]], np.uint64)),
        fidv1=(),
        dense=(),
        labels=np.array([[1.0]], dtype=np.float32),
        line_ids={"uid": np.array([0x0102030405060708], dtype=np.uint64)},
    )
    expected = bytes.fromhex(
        "0a18"  # named_feature, 24 bytes
        "0a06"
        + b"slot_5".hex()  # name
        + "120c"
        "120a"
        "0a08"
        "ab00000000000500"  # feature > fid_v2_list > value (packed)
        "1805"  # id 5
        "a20609"
        "11"
        "0807060504030201"  # line_id (field 100): uid (field 2, fixed64)
        "aa0604"
        "0000803f"  # label (field 101): [1.0]
    )
    assert wire.ExampleEncoder(schema)(draw) == [expected]


def test_instance_known_bytes() -> None:
    schema = Schema.build(fidv1_slots=[1])
    fid = (1 << 54) | 7
    draw = BatchDraw(
        2,
        sparse=(),
        fidv1=RowFids(np.array([fid], np.uint64), np.array([0, 1, 1])),
        dense=(),
        labels=np.zeros((2, 1), dtype=np.float32),
        line_ids={},
    )
    with_fid = bytes.fromhex("0a0807000000000040001a0400000000")
    without = bytes.fromhex("1a0400000000")  # no fids: the packed field is absent
    assert wire.InstanceEncoder(schema)(draw) == [with_fid, without]
    assert proto_parser_pb2.Instance.FromString(with_fid).fid == [fid]


def test_varints_match_python_encoding() -> None:
    values = np.array([0, 1, 127, 128, 300, 16383, 16384, 2**63 - 1, -1, -(2**63)], dtype=np.int64)
    data, lengths = wire.varints(values)
    got = [bytes(row[:length]) for row, length in zip(data, lengths, strict=True)]
    assert got == [wire.varint(int(v)) for v in values]
    assert got[:5] == [b"\x00", b"\x01", b"\x7f", b"\x80\x01", b"\xac\x02"]
    assert len(got[-2]) == 10  # -1: ten bytes of two's complement


def test_unknown_encoder_is_refused() -> None:
    with pytest.raises(SchemaError, match="unknown encoder 'fast'"):
        RecordGenerator(Schema.build(sparse=["a"]), "example", seed=0, encoder="fast")


def test_the_reference_shares_no_code_with_the_wire_encoder() -> None:
    """The byte-equality tests prove something only while the two are independent:
    neither imports the other, so the LineId code is checked too."""
    import ast
    from pathlib import Path

    import monogen.encode.reference as reference_module

    package = Path(wire.__file__).parent

    def imported(path: Path) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        return names

    for path in package.glob("*.py"):
        assert not any(name.startswith("monogen.encode.reference") for name in imported(path))
    assert not any(
        name.startswith("monogen.encode.wire") for name in imported(Path(reference_module.__file__))
    )
