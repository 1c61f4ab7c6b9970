"""feature_list.conf parsing: realistic lines, values with spaces and commas, errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monogen.errors import FeatureListError
from monogen.gen.featurelist import load_feature_list, parse_feature_line, parse_feature_list

SAMPLE = """\
# Monolith feature list
column_name: user_id, item_id, req_time

cache_column: user_cache
feed user_feed
cache item_cache
feature_name=f_user_id depend=user_id method=Identity slot=1 feature_version=2
feature_name=f_item_id depend=item_id method=Identity slot=200 feature_version=2 shared=true;
feature_name=f_user_recent_click depend=user_id,click_list method=Combine slot=301 args=max_len=50, pad 0,
feature_name=fc_user_age-fc_item_cat depend=user_age,item_cat method=Cross slot=400 input_optional=true,false
feature_name=f_title depend=title method=VectorTopString slot=500 unknown_key=whatever need_raw=yes
"""


def test_parses_entries_and_keys() -> None:
    fl = parse_feature_list(SAMPLE.splitlines(), path="fl.conf")
    assert fl.column_names == ["user_id", "item_id", "req_time"]
    assert fl.cache_columns == ["user_cache"]
    assert fl.feeds == ["feed user_feed"]
    assert fl.caches == ["cache item_cache"]
    assert list(fl.features) == [
        "f_user_id", "f_item_id", "f_user_recent_click", "fc_user_age-fc_item_cat", "f_title",
    ]  # fmt: skip
    user = fl.features["f_user_id"]
    assert (user.depend, user.method, user.slot, user.feature_version) == (
        ("user_id",),
        "Identity",
        1,
        2,
    )
    assert fl.features["f_item_id"].shared is True  # trailing ';' stripped
    assert fl.features["f_title"].need_raw is True
    cross = fl.features["fc_user_age-fc_item_cat"]
    assert cross.input_optional == (True, False)


def test_value_with_spaces_and_commas_runs_to_the_next_key() -> None:
    # 'max_len=' directly follows 'args=', not white space, so it is part of the value.
    conf = parse_feature_line("feature_name=f_x method=Combine args=max_len=50, pad 0, slot=7")
    assert conf.args == ("max_len=50", "pad 0")
    assert conf.slot == 7
    assert conf.method == "Combine"


def test_args_value_keeps_spaces() -> None:
    conf = parse_feature_line("feature_name=f_x args=a b, c d slot=3")
    assert conf.args == ("a b", "c d")
    assert conf.slot == 3


def test_lookup_accepts_prefixed_and_crossed_names() -> None:
    fl = parse_feature_list(SAMPLE.splitlines())
    assert fl.get("user_id") is fl.features["f_user_id"]
    assert fl.get("f_user_id") is fl.features["f_user_id"]
    assert fl.get("user_age-item_cat") is fl.features["fc_user_age-fc_item_cat"]
    assert fl.get("nope") is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("just some words", "expected key=value pairs"),
        ("oops feature_name=f_a slot=1", "unexpected text 'oops' before the first key=value pair"),
        ("feature_name=f_a slot=one", "bad value for slot: invalid literal"),
        ("depend=a slot=1", "feature line has no feature_name"),
        ("feature_name=f_a shared=maybe", "bad value for shared: expected a boolean"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "feature_list.conf"
    path.write_text("# header\nfeature_name=f_ok slot=2\n\n" + line + "\n")
    with pytest.raises(FeatureListError) as info:
        load_feature_list(path)
    assert str(info.value).startswith(f"{path}:4: {reason}")


def test_duplicate_feature_is_an_error() -> None:
    with pytest.raises(FeatureListError, match=r"x.conf:2: feature 'f_a' is defined twice"):
        parse_feature_list(["feature_name=f_a slot=1", "feature_name=f_a slot=2"], path="x.conf")


def test_empty_and_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.conf"
    empty.write_text("# nothing\n\n")
    with pytest.raises(FeatureListError, match="defines no features"):
        load_feature_list(empty)
    with pytest.raises(FeatureListError, match=r"cannot read feature list .*missing\.conf"):
        load_feature_list(tmp_path / "missing.conf")
    binary = tmp_path / "bin.conf"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FeatureListError, match="not UTF-8"):
        load_feature_list(binary)
