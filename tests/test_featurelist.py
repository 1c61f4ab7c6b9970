"""feature_list.conf read as Monolith's ``FeatureList.parse`` reads it (docs/generation.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from monolith_lists import monolith_feature_list, write_monolith_feature_list

from monogen.errors import FeatureListError, UnknownFeatureError
from monogen.gen.featurelist import (
    Feature,
    FeatureList,
    load_feature_list,
    parse_feature_list,
    parse_pairs,
)

SAMPLE = """\
# Monolith feature list
column_name : user_id, item_id, req_time

cache_column: user_cache
feed_name=user_id; shared=true; feature_id=368190
feed_name=item_id shared=no feature_id=368191
cache_name=item_cache; capacity=100; timeout=60; cache_type=lru
feature_name=f_user_id depend=user_id method=Identity slot=1
feature_name=f_item_id; depend=item_id; method=Identity; slot=200; shared=true;
feature_name=fc_x_recent; depend=x_recent; method=VectorTopString; feature_version=2; args=50; slot=2071; shared=true; feature_id=369011
feature_name=fc_user_age-fc_item_cat depend=user_age,item_cat method=Cross slot=400 input_optional=true,false
feature_name=f_a-f_b depend=a,b method=Cross slot=401
feature_name=f_title depend="title", 'lang' method=VectorTopString slot=1 unknown_key=whatever need_raw=Y
"""


@pytest.fixture
def sample() -> FeatureList:
    return parse_feature_list(SAMPLE.splitlines(), path="fl.conf")


def test_monolith_style_list_of_1000_features(tmp_path: Path) -> None:
    path = tmp_path / "feature_list.conf"
    expected = write_monolith_feature_list(path)
    fl = load_feature_list(path)
    assert len(fl) == 1000
    assert [f.feature_name for f in fl] == [e.name for e in expected]
    for e in expected:
        assert (fl[e.name].slot, fl[e.name].fid_version) == (e.slot, e.version)
    assert len(fl.feeds) == 50 and fl.feeds["feed_7"].feature_id == 368007
    assert fl.feeds["feed_7"].shared is True
    assert fl.column_name == {"user_id", "item_id", "req_time", "click_list", "title"}
    crossed = fl["a2-b2"]  # looked up by its terms, each prefixed fc_
    assert crossed.feature_name == "fc_a2-fc_b2" and crossed.input_optional == [True, False]
    quoted = fl["item_attr_3"]
    assert quoted.depend == ["item_3", "cat_3"]
    assert quoted.args == ["max len 5", "pad 0", ""]  # as Monolith splits 'max len 5, pad 0,'


def test_line_forms(sample: FeatureList) -> None:
    assert sample.column_name == {"user_id", "item_id", "req_time"}
    assert sample.caches["cache_column"].cache_column == "user_cache"
    cache = sample.caches["item_cache"]
    assert (cache.capacity, cache.timeout, cache.cache_type) == (100, 60, "lru")
    assert sample.feeds["user_id"].shared is True and sample.feeds["user_id"].feature_id == 368190
    assert sample.feeds["item_id"].shared is False
    assert list(sample.features) == [
        "f_user_id", "f_item_id", "fc_x_recent", "fc_user_age-fc_item_cat", "f_a-f_b", "f_title",
    ]  # fmt: skip


def test_typed_keys(sample: FeatureList) -> None:
    recent = sample["fc_x_recent"]
    assert recent.depend == ["x_recent"] and recent.method == "VectorTopString"
    assert (recent.feature_version, recent.slot, recent.feature_id) == (2, 2071, 369011)
    assert recent.args == ["50"] and recent.shared is True
    assert sample["f_item_id"].shared is True  # trailing ';' stripped before the bool
    title = sample["f_title"]
    assert title.depend == ["title", "lang"]  # quotes removed
    assert title.need_raw is True  # 'Y': any case
    assert title.unknown_keys == {"unknown_key": "whatever"}
    assert sample["f_user_id"].shared is False and sample["f_user_id"].feature_version is None


@pytest.mark.parametrize("word", ["true", "YES", "t", "Y", "1", "True"])
def test_true_words(word: str) -> None:
    assert parse_feature_list([f"feature_name=f_a shared={word}"])["f_a"].shared is True


@pytest.mark.parametrize("word", ["false", "no", "F", "n", "0"])
def test_false_words(word: str) -> None:
    assert parse_feature_list([f"feature_name=f_a need_raw={word}"])["f_a"].need_raw is False


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        # the key is the last space-separated token before '='; the value runs to the
        # last space before the next key
        ("feature_name=f_a method=Some Method Name slot=3", "method", "Some Method Name"),
        ("feature_name=f_a; method=M;  slot=3", "method", "M"),
        ("feature_name=f_a args=a b, c d; slot=3", "args", ["a b", "c d"]),
        ("feature_name=f_a slot=3 args=x,y,", "args", ["x", "y"]),  # trailing ',' stripped
        ("feature_name=f_a slot=3 args=x,y,;", "args", ["x", "y", ""]),  # ';' after ','
        ("feature_name=f_a slot=3 method=M ;", "method", "M"),
        ("  feature_name=f_a   slot=3  ", "slot", 3),
    ],
)
def test_key_value_rule(line: str, key: str, value: object) -> None:
    feature = parse_feature_list([line])["f_a"]
    assert getattr(feature, key) == value


def test_use_old_name_false_keys_by_stripped_name(tmp_path: Path) -> None:
    path = tmp_path / "fl.conf"
    path.write_text(SAMPLE)
    fl = FeatureList.parse(str(path), use_old_name=False)
    assert "user_id" in fl.features and "user_age-item_cat" in fl.features


def test_lookups(sample: FeatureList) -> None:
    user = sample.features["f_user_id"]
    assert sample["user_id"] is user and sample[" f_user_id "] is user
    assert sample.get("user_id") is user and sample.get("nope") is None
    assert sample.get("nope", 5) == 5
    assert sample["x_recent"] is sample.features["fc_x_recent"]  # fc_ + name
    assert sample["user_age-item_cat"] is sample.features["fc_user_age-fc_item_cat"]
    assert sample["a-b"] is sample.features["f_a-f_b"]  # f_ per term
    assert sample[1] is user  # by slot: the first feature with it
    assert sample.get_with_slot(1) == [user, sample.features["f_title"]]
    assert sample.get_with_slot(999) == []
    assert "user_id" in sample and "f_user_id" in sample and 2071 in sample
    assert "x_recent" in sample and "nope" not in sample and 5 not in sample
    assert "a-b" not in sample  # Monolith's 'in' does not try per-term prefixes
    assert [f.feature_name for f in sample][:2] == ["f_user_id", "f_item_id"]
    with pytest.raises(UnknownFeatureError, match=r"there is no feature 'nope' in fl\.conf"):
        sample["nope"]
    with pytest.raises(KeyError):
        sample[999]


def test_feature_name_property_strips_prefixes(sample: FeatureList) -> None:
    assert sample["fc_user_age-fc_item_cat"].name == "user_age-item_cat"
    assert sample["f_a-f_b"].name == "a-b"
    assert sample["f_user_id"].name == "user_id"
    assert sample["f_a-f_b"].depend_strip_prefix == ["a", "b"]


def test_fid_version_from_feature_version_or_slot() -> None:
    fl = parse_feature_list(
        [
            "feature_name=f_a slot=5",
            "feature_name=f_b slot=5 feature_version=2",
            "feature_name=f_c slot=1024",
            "feature_name=f_d slot=1023 feature_version=1",
        ]
    )
    assert [f.fid_version for f in fl] == [1, 2, 2, 1]


def test_later_definition_replaces_earlier_as_in_monolith() -> None:
    fl = parse_feature_list(["feature_name=f_a slot=1", "feature_name=f_a slot=2"])
    assert len(fl) == 1 and fl["f_a"].slot == 2


def test_feature_built_from_strings_like_monolith() -> None:
    feature = Feature(feature_name="f_a", slot="7", shared="yes", depend="a, 'b'")  # type: ignore[arg-type]
    assert (feature.slot, feature.shared, feature.depend) == (7, True, ["a", "b"])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("just some words", "expected key=value pairs"),
        (
            "feature_name=f_a;slot=1",
            "cannot tell where the value of 'feature_name' ends and the next key starts in "
            "'f_a;slot': separate pairs with a space",
        ),
        ("feature_name=f_a args=max_len=50 slot=1", "where the value of 'args' ends"),
        ("feature_name=f_a slot=one", "slot: 'one' is not an integer"),
        ("depend=a slot=1", "feature line has no feature_name"),
        ("feature_name=f_a shared=maybe", "shared: 'maybe' is not a boolean"),
        ("feature_name=f_a input_optional=true,maybe", "input_optional: 'maybe' is not true/false"),
        ("feature_name=f_a slot=2000 feature_version=1", "slot 2000 is above 1023"),
        ("feature_name=f_a slot=70000", "slot 70000 is out of range for fid v2 (1..65535)"),
        ("feature_name=f_a slot=3 feature_version=3", "feature_version must be 1 or 2, not 3"),
        ("feed_name=u feature_id=x", "feature_id: 'x' is not an integer"),
        ("cache_name=c capacity=big", "capacity: 'big' is not an integer"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "feature_list.conf"
    path.write_text("# header\nfeature_name=f_ok slot=2\n\n" + line + "\n")
    with pytest.raises(FeatureListError) as info:
        load_feature_list(path)
    assert str(info.value).startswith(f"{path}:4: ")
    assert reason in str(info.value)


def test_empty_and_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.conf"
    empty.write_text("# nothing\nfeed_name=a\n")
    assert len(load_feature_list(empty)) == 0  # as in Monolith; generating from it fails
    with pytest.raises(FeatureListError, match=r"cannot read feature list .*missing\.conf"):
        load_feature_list(tmp_path / "missing.conf")
    binary = tmp_path / "bin.conf"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FeatureListError, match="not UTF-8"):
        load_feature_list(binary)


def test_helper_list_is_1000_features() -> None:
    text, expected = monolith_feature_list()
    assert len(expected) == 1000 and "column_name : " in text
    assert {e.version for e in expected} == {1, 2}


# --------------------------------------------------------------------------- property

_KEYS = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
_VALUES = st.text(alphabet="ab 09,;'\"", min_size=1, max_size=12).map(str.strip).filter(bool)
_SEPARATORS = st.sampled_from([" ", "; ", "  ", " ; ", ", "])


def _cleaned(value: str) -> str:
    """The value rule: stripped, then a trailing ',' and then ';' removed."""
    return value.strip().rstrip(",").rstrip(";").rstrip()


@given(
    st.lists(
        st.tuples(_KEYS, _VALUES, _SEPARATORS), min_size=1, max_size=6, unique_by=lambda t: t[0]
    )
)
def test_pairs_are_split_at_the_last_word_before_each_equals(
    pairs: list[tuple[str, str, str]],
) -> None:
    line = "".join(
        f"{key}={value}{sep if i < len(pairs) - 1 else ''}"
        for i, (key, value, sep) in enumerate(pairs)
    )
    expected = {
        key: _cleaned(value + (sep.rstrip() if i < len(pairs) - 1 else ""))
        for i, (key, value, sep) in enumerate(pairs)
    }
    assert parse_pairs(line) == expected
