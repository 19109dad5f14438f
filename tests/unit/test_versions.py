"""Version ranges (knowledge.versions) against ``packaging`` itself, the PEP 440 implementation
pip uses: on every final release of a grid, the interval model must agree with
``SpecifierSet.contains`` for every generated specifier set."""

from __future__ import annotations

import itertools
import random

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from hivemind_api.errors import InvalidInput
from hivemind_api.knowledge.quality import freshness, penalty, popularity, score, usefulness
from hivemind_api.knowledge.versions import (
    forked_range,
    narrowed_below,
    parse_range,
    search_key,
    version_key,
)

GRID = [f"{a}.{b}.{c}" for a in range(0, 4) for b in range(0, 4) for c in range(0, 3)] + [
    "1",
    "2",
    "3.1",
    "10.0",
]
BOUNDS = ["0.1", "1", "1.2", "1.2.1", "2", "2.0.0", "2.3", "3"]
OPS = [">=", ">", "<=", "<", "==", "!=", "~="]


def _specs() -> list[str]:
    single = [f"{op}{v}" for op in OPS for v in BOUNDS if not (op == "~=" and "." not in v)]
    single += [f"{op}{v}.*" for op in ("==", "!=") for v in ("1", "1.2", "2")]
    rng = random.Random(19)
    pairs = [",".join(rng.sample(single, 2)) for _ in range(300)]
    triples = [",".join(rng.sample(single, 3)) for _ in range(200)]
    return single + pairs + triples


@pytest.mark.parametrize("spec", _specs())
def test_interval_model_agrees_with_packaging_on_final_releases(spec: str) -> None:
    oracle = SpecifierSet(spec)
    try:
        parsed = parse_range(spec)
    except InvalidInput as err:  # only a set no version satisfies may be refused
        assert "matches no version" in str(err)
        assert not any(oracle.contains(v) for v in GRID)
        return
    assert parsed is not None
    wrong = [v for v in GRID if parsed.contains(Version(v)) != oracle.contains(v)]
    assert wrong == [], (spec, parsed)


def test_keys_order_as_pep_440_does() -> None:
    versions = ["1.0.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.1", "2!0.1"]
    assert [version_key(Version(v)) for v in versions] == sorted(version_key(Version(v)) for v in versions)
    for a, b in itertools.combinations(versions, 2):
        assert (version_key(Version(a)) < version_key(Version(b))) == (Version(a) < Version(b))


def test_less_than_a_final_excludes_its_pre_releases() -> None:
    below5 = parse_range("<5")
    assert below5 is not None and not below5.contains(Version("5.0rc1")) and below5.contains(Version("4.9"))


@pytest.mark.parametrize(
    "bad", ["latest", "===5.0", ">=5,<4", "==1.0+local", ">=" + "1" * 300, ">=123456789"]
)
def test_bad_ranges_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_range(bad)


def test_blank_is_every_version_and_search_versions_drop_local_labels() -> None:
    assert parse_range(None) is None and parse_range("  ") is None
    assert search_key("5.0+ubuntu1") == search_key("5.0.0")
    with pytest.raises(InvalidInput):
        search_key("five")


def test_fork_and_narrowing_cut_where_the_new_range_starts() -> None:
    assert forked_range(parse_range(">=4.2"), parse_range(">=5")).text == ">=4.2,<5"
    assert forked_range(None, parse_range(">5")).text == "<=5"
    assert forked_range(parse_range(">=4.2"), parse_range("~=5.1")).text == ">=4.2,<5.1"
    with pytest.raises(InvalidInput):
        forked_range(parse_range(">=4.2"), parse_range("<6"))  # starts nowhere
    with pytest.raises(InvalidInput):
        forked_range(parse_range(">=5"), parse_range(">=4"))  # would leave the old item nothing
    assert narrowed_below(parse_range(">=3.2"), Version("5.1")).text == ">=3.2,<5.1"
    assert narrowed_below(parse_range(">=5.1"), Version("5.1")) is None


def test_the_readme_worked_example() -> None:
    parts = usefulness(3, 1), popularity(12), freshness(45, 90), penalty(1, 0, None)
    assert [round(p, 3) for p in parts] == [0.583, 0.699, 0.707, 0.1]
    assert round(score(*parts), 3) == 0.532
    assert usefulness(1, 0) == pytest.approx(5 / 9)  # one vote: 0.5 -> 0.556, not 0.7
    assert penalty(5, 5, "incorrect") == 0.8 and score(0.5, 0, 0, 0.8) == 0.0
