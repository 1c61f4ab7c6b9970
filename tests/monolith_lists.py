"""A large feature list written the way Monolith's production configs are.

Real ``feature_list.conf`` files mix every line form ``FeatureList.parse`` accepts:
hundreds of ``feed_name=`` lines, ``; ``-separated pairs, a ``column_name :`` line
with a space before the colon, fid-v1 features on slots 1..1023 (several sharing a
slot), fid-v2 features on slots above 1023 with ``feature_version=2``, crossed
features with ``-``-joined names, and the occasional trailing ``;``. The writer
returns what each feature should resolve to, so tests can check generated records
against the list without reading it back through the parser under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    """A feature of the written list: its name as written, slot and fid version."""

    name: str
    slot: int
    version: int


def monolith_feature_list(count: int = 1000) -> tuple[str, list[Expected]]:
    """The text of a ``count``-feature list and the features it defines, in order."""
    lines = [
        "# generated in the style of a production Monolith feature_list.conf",
        "column_name : user_id, item_id, req_time, click_list, title",
        "",
    ]
    lines += [f"feed_name=feed_{i}; shared=true; feature_id={368000 + i}" for i in range(50)]
    lines.append("cache_column: user_cache")
    expected: list[Expected] = []
    for i in range(count):
        kind = i % 5
        if kind == 0:  # v1 identity feature, '; '-separated, slots shared in pairs
            name, slot = f"f_user_attr_{i}", 1 + (i // 10) % 500
            line = f"feature_name={name}; depend=user_attr_{i}; method=Identity; slot={slot}"
            expected.append(Expected(name, slot, 1))
        elif kind == 1:  # v2 sequence feature above 1023, the exact style
            name, slot = f"fc_x{i}_recent", 1024 + i
            line = (
                f"feature_name={name}; depend=x{i}_recent; method=VectorTopString; "
                f"feature_version=2; args=50; slot={slot}; shared=true; feature_id={369000 + i}"
            )
            expected.append(Expected(name, slot, 2))
        elif kind == 2:  # crossed v2 feature with a '-'-joined name, space-separated pairs
            name, slot = f"fc_a{i}-fc_b{i}", 3000 + i
            line = (
                f"feature_name={name} depend=a{i},b{i} method=Cross slot={slot} "
                f"feature_version=2 input_optional=true,false"
            )
            expected.append(Expected(name, slot, 2))
        elif kind == 3:  # v1 with a value holding spaces and commas, trailing ';'
            name, slot = f"f_item_attr_{i}", 1 + i % 1000
            line = (
                f"feature_name={name}; depend='item_{i}', \"cat_{i}\"; method=Combine; "
                f"args=max len 5, pad 0,; slot={slot};"
            )
            expected.append(Expected(name, slot, 1))
        else:  # slot above 1023 without feature_version: v2 by its slot
            name, slot = f"f_ctx_{i}", 5000 + i
            line = f"feature_name={name}; depend=ctx_{i}; method=Identity; slot={slot}; shared=1"
            expected.append(Expected(name, slot, 2))
        lines.append(line)
    return "\n".join(lines) + "\n", expected


def write_monolith_feature_list(path: Path, count: int = 1000) -> list[Expected]:
    """Write the list to ``path``; returns its features in order."""
    text, expected = monolith_feature_list(count)
    path.write_text(text, encoding="utf-8")
    return expected
