"""Generation specs: parsing, the default path unchanged, and the distributions drawn.

Statistical checks use fixed seeds and stated bounds: goodness of fit by
chi-square or Kolmogorov-Smirnov at p > 1e-4, rates within 5 standard errors.
Records are read back through the protobuf classes, not through the sampler.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from monogen.errors import SchemaError
from monogen.gen.distributions import feature_key, rank_hashes, zipf_ranks
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import Schema, default_schema
from monogen.gen.spec import GenSpec, parse_spec
from monogen.proto import example_pb2, proto_parser_pb2

P_MIN = 1e-4
MASK_V2 = (1 << 48) - 1


def spec_of(text: str, schema: Schema) -> GenSpec:
    import tomllib

    return parse_spec(tomllib.loads(text), source="spec.toml", dense_names=schema.dense_names)


def examples(schema: Schema, n: int, *, seed: int = 3, drop_rate: float = 0.0) -> list:
    gen = RecordGenerator(
        schema, "example", seed=seed, batch_size=64, drop_rate=drop_rate, req_time=1
    )
    return [example_pb2.Example.FromString(b) for b in gen.serialized_records(n)]


def fids_of(record: example_pb2.Example, name: str) -> list[int] | None:
    """The feature's fids, None when the record leaves it unset."""
    feature = next(nf for nf in record.named_feature if nf.name == name)
    if not feature.HasField("feature"):
        return None
    return list(feature.feature.fid_v2_list.value)


# --------------------------------------------------------------------------- default path


def test_an_empty_spec_changes_nothing() -> None:
    schema = default_schema()
    same = schema.with_spec(GenSpec(), source="none")
    assert same == schema
    assert [r.SerializeToString() for r in examples(same, 70)] == [
        r.SerializeToString() for r in examples(schema, 70)
    ]


# --------------------------------------------------------------------------- parsing

SCHEMA = Schema.build(
    sparse=["slot_1", "slot_200", "user_tags", "item_recent"], dense=["price:1", "emb:4"]
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[features.user_tags]\nids = 'pareto'\nvocabulary = 9", "ids must be one of"),
        ("[features.user_tags]\nids = 'zipf'", "needs a vocabulary size"),
        ("[features.user_tags]\nids = 'uniform'\nvocabulary = 9\nalpha = 1.0", "alpha applies"),
        ("[features.user_tags]\nid = 'zipf'", "unknown key(s) ['id']"),
        ("[features.user_tags]\nids_per_row = '3..1'", "MIN above MAX"),
        ("[features.user_tags]\nids_per_row = 'poisson:-1'", "positive mean"),
        ("[features.user_tags]\nids_per_row = 'lots'", "ids_per_row must be"),
        ("[features.user_tags]\nfill = 1.5", "fill must be within [0, 1]"),
        ("[features.user_tags]\nvocabulary = 0", "whole number >= 1"),
        ("[features.price]\nvalues = 'normal'\nlo = 1.0", "do not apply to normal"),
        ("[features.price]\nclip = [2.0, 1.0]", "LOW above HIGH"),
        ("[features.price]\nvalues = 'normal'\nstd = 0", "std must be > 0"),
        ("[labels]\npositive_rate = 2", "within [0, 1]"),
        ("[labels]\nrate = 0.1", "unknown key(s) ['rate']"),
        ("features = 3", "features must be a table"),
    ],
)
def test_a_bad_spec_is_an_error_naming_the_table(text: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        spec_of(text, SCHEMA)
    assert message in str(caught.value)
    assert "spec.toml" in str(caught.value)


def test_a_table_naming_no_feature_of_the_schema_is_an_error() -> None:
    spec = spec_of("[features.user_tagz]\nfill = 0.5", SCHEMA)
    with pytest.raises(SchemaError, match=r"name no feature of the schema: \['user_tagz'\]"):
        SCHEMA.with_spec(spec, source="spec.toml")


def test_observations_in_a_table_are_for_people_and_ignored() -> None:
    spec = spec_of("[features.user_tags]\nfill = 0.5\nobserved = {distinct_ids = 3}", SCHEMA)
    assert spec.sparse["user_tags"].fill == 0.5


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize("alpha", [0.6, 1.0, 1.1, 2.0])
def test_zipf_ranks_follow_the_bounded_zipf_law(alpha: float) -> None:
    vocabulary, n = 40, 200_000
    ranks = zipf_ranks(np.random.default_rng(11), alpha, vocabulary, (n,))
    expected = np.arange(1, vocabulary + 1, dtype=float) ** -alpha
    expected *= n / expected.sum()
    assert ranks.min() >= 0 and ranks.max() < vocabulary
    assert stats.chisquare(np.bincount(ranks, minlength=vocabulary), expected).pvalue > P_MIN


def test_zipf_ranks_reach_the_tail_of_a_large_vocabulary() -> None:
    ranks = zipf_ranks(np.random.default_rng(2), 1.1, 10_000_000, (100_000,))
    assert ranks.max() < 10_000_000
    # P(rank 0) = 1 / H(10^7, 1.1) ~ 0.1006; within 5 standard errors.
    h = float(np.sum(np.arange(1, 10_000_001, dtype=float) ** -1.1))
    p0 = 1 / h
    assert abs(np.mean(ranks == 0) - p0) < 5 * math.sqrt(p0 * (1 - p0) / len(ranks))


def test_rank_hashes_are_fixed_and_distinct() -> None:
    key = feature_key("user_tags")
    first = rank_hashes(key, np.arange(100_000))
    assert len(np.unique(first)) == 100_000
    assert np.array_equal(first, rank_hashes(key, np.arange(100_000)))
    assert not np.array_equal(first, rank_hashes(feature_key("item_tags"), np.arange(100_000)))
    # FNV-1a's published vector for "a".
    assert feature_key("a") == 0xAF63DC4C8601EC8C


def test_a_vocabulary_bounds_distinct_fids_and_keeps_them_across_seeds() -> None:
    schema = SCHEMA.with_spec(
        spec_of("[features.user_tags]\nids = 'uniform'\nvocabulary = 7\nfill = 1.0", SCHEMA),
        source="spec",
    )
    seen = [
        {f for r in examples(schema, 300, seed=seed) for f in fids_of(r, "user_tags") or []}
        for seed in (1, 2)
    ]
    assert len(seen[0]) == 7
    assert seen[0] == seen[1]  # rank r is the same fid in every run
    slot = schema.sparse[2].slot
    assert all(f >> 48 == slot for f in seen[0])


def test_fill_rate_and_ids_per_row() -> None:
    text = """
    [features.user_tags]
    fill = 0.3
    ids_per_row = "2..4"
    [features.item_recent]
    fill = 1.0
    ids_per_row = "poisson:2.5"
    max_ids_per_row = 40
    """
    schema = SCHEMA.with_spec(spec_of(text, SCHEMA), source="spec")
    records = examples(schema, 6400, drop_rate=0.9)
    tags = [fids_of(r, "user_tags") for r in records]
    filled = [t for t in tags if t is not None]
    n = len(records)
    assert abs(len(filled) / n - 0.3) < 5 * math.sqrt(0.3 * 0.7 / n)
    lengths = np.bincount([len(t) for t in filled], minlength=5)
    assert lengths[:2].sum() == 0
    assert stats.chisquare(lengths[2:]).pvalue > P_MIN
    recent = np.array([len(fids_of(r, "item_recent") or []) for r in records])
    assert all(fids_of(r, "item_recent") is not None for r in records)
    assert abs(recent.mean() - 2.5) < 5 * math.sqrt(2.5 / n)
    observed = np.bincount(recent, minlength=12)[:12]
    expected = stats.poisson.pmf(np.arange(12), 2.5) * n
    expected[-1] += n - expected.sum()
    observed[-1] += n - observed.sum()
    assert stats.chisquare(observed, expected).pvalue > P_MIN


def test_zipf_ids_in_records_follow_the_law() -> None:
    text = "[features.user_tags]\nids = 'zipf'\nalpha = 1.2\nvocabulary = 20\nfill = 1.0"
    schema = SCHEMA.with_spec(spec_of(text, SCHEMA), source="spec")
    key = feature_key("user_tags")
    rank_of = {int(h) & MASK_V2: r for r, h in enumerate(rank_hashes(key, np.arange(20)))}
    ranks = [
        rank_of[f & MASK_V2] for r in examples(schema, 12_800) for f in fids_of(r, "user_tags")
    ]
    expected = np.arange(1, 21, dtype=float) ** -1.2
    expected *= len(ranks) / expected.sum()
    assert stats.chisquare(np.bincount(ranks, minlength=20), expected).pvalue > P_MIN


def test_dense_values_follow_their_distribution_and_clip() -> None:
    text = """
    [features.price]
    values = "lognormal"
    mean = 1.0
    std = 0.5
    [features.emb]
    values = "normal"
    mean = 0.0
    std = 2.0
    clip = [-1.0, 1.0]
    """
    schema = SCHEMA.with_spec(spec_of(text, SCHEMA), source="spec")
    records = examples(schema, 5000)

    def values(r: example_pb2.Example, name: str) -> list[float]:
        return list(next(nf for nf in r.named_feature if nf.name == name).feature.float_list.value)

    price = np.array([values(r, "price")[0] for r in records])
    assert stats.kstest(np.log(price), "norm", args=(1.0, 0.5)).pvalue > P_MIN
    emb = np.concatenate([values(r, "emb") for r in records])
    assert emb.min() >= -1.0 and emb.max() <= 1.0
    inside = emb[(emb > -1.0) & (emb < 1.0)]
    clipped_share = 1 - len(inside) / len(emb)
    p_out = 2 * stats.norm.sf(1.0, scale=2.0)
    assert abs(clipped_share - p_out) < 5 * math.sqrt(p_out * (1 - p_out) / len(emb))


@pytest.mark.parametrize("variant", ["example", "instance"])
def test_label_positive_rate_per_head(variant: str) -> None:
    schema = Schema.build(sparse=["slot_1"], dense=["label:2"])
    schema = schema.with_spec(spec_of("[labels]\npositive_rate = [0.02, 0.5]", schema), source="s")
    gen = RecordGenerator(schema, variant, seed=4, batch_size=64, req_time=1)
    cls = example_pb2.Example if variant == "example" else proto_parser_pb2.Instance
    labels = np.array([list(cls.FromString(b).label) for b in gen.serialized_records(20_000)])
    n = len(labels)
    for head, rate in enumerate((0.02, 0.5)):
        assert set(np.unique(labels[:, head])) <= {0.0, 1.0}
        assert abs(labels[:, head].mean() - rate) < 5 * math.sqrt(rate * (1 - rate) / n)


def test_line_id_uid_and_item_id_agree_with_the_ranked_user_and_item_fids() -> None:
    text = """
    [features.slot_1]
    ids = "zipf"
    vocabulary = 1000
    [features.slot_200]
    ids = "uniform"
    vocabulary = 50
    """
    schema = SCHEMA.with_spec(spec_of(text, SCHEMA), source="spec")
    for r in examples(schema, 200):
        assert r.line_id.uid == fids_of(r, "slot_1")[0]
        assert r.line_id.item_id == fids_of(r, "slot_200")[0]


def test_instance_fid_v1_slots_take_slot_tables() -> None:
    schema = Schema.build(fidv1_slots=[1, 5])
    text = "[features.slot_5]\nids = 'uniform'\nvocabulary = 3\nids_per_row = 2"
    schema = schema.with_spec(spec_of(text, schema), source="spec")
    gen = RecordGenerator(schema, "instance", seed=9, batch_size=64, req_time=1)
    slot5: set[int] = set()
    for raw in gen.serialized_records(500):
        fids = [f for f in proto_parser_pb2.Instance.FromString(raw).fid if f >> 54 == 5]
        assert len(fids) == 2
        slot5.update(fids)
    assert len(slot5) == 3
