"""Version ranges: which versions of its framework an item applies to.

A range is a PEP 440 specifier set such as ``>=4.2,<5`` (parsed by ``packaging``, the library pip
uses). PostgreSQL cannot evaluate specifiers, so each range is also stored as what it means on the
version line: one interval (``numrange``) and the holes ``!=`` cuts into it (``numrange[]``), over
**version keys**, numbers that order exactly as PEP 440 orders versions::

    epoch, release padded to 4 parts (8 digits each), phase (dev < a < b < rc < final < post), n

so a search for ``version=5.0`` is ``key(5.0) <@ span AND NOT key(5.0) <@ ANY(holes)``, an
index-friendly test in the same statement as the rest of the search.

What the interval model keeps of PEP 440: every operator but ``===`` (refused), zero padding
(``==4.2`` is ``4.2.0``), ``~=`` and ``.*`` prefixes, and "``<5`` excludes 5.0's pre-releases".
What it simplifies: pre-releases of other versions are inside a range when their order says so
(``>=4.2,<5`` contains ``4.3rc1``; PEP 440 would need ``prereleases=True``), release parts
beyond the fourth are ignored, and local labels (``+ubuntu1``) are dropped from a searched version
and refused in ranges. A unit test checks the interval model against ``packaging`` itself on
every final release of a grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from hivemind_api.errors import InvalidInput, UnstorableText

MAX_RANGE = 200
_PARTS = 4
_PART_DIGITS = 8
_N_DIGITS = 6
_PART_MAX = 10**_PART_DIGITS - 1
_N_MAX = 10**_N_DIGITS - 1
_DEV, _FINAL, _POST = 0, 4, 5
_PRE = {"a": 1, "b": 2, "rc": 3}

Bound = tuple[Decimal, bool]  # (key, inclusive)


def _key(epoch: int, release: tuple[int, ...], phase: int, n: int) -> Decimal:
    parts = (release + (0,) * _PARTS)[:_PARTS]
    if any(p > _PART_MAX for p in (epoch, *parts)):
        raise InvalidInput(f"version parts must be below {_PART_MAX + 1}")
    digits = f"{epoch:0{_PART_DIGITS}d}" + "".join(f"{p:0{_PART_DIGITS}d}" for p in parts)
    return Decimal(f"{digits}{phase}{min(n, _N_MAX):0{_N_DIGITS}d}")


def version_key(version: Version) -> Decimal:
    """The number that orders as ``version`` does among PEP 440 versions."""
    if version.post is not None:
        phase, n = _POST, version.post
    elif version.pre is not None:
        phase, n = _PRE[version.pre[0]], version.pre[1]
    elif version.dev is not None:
        phase, n = _DEV, version.dev
    else:
        phase, n = _FINAL, 0
    return _key(version.epoch, version.release, phase, n)


def parse_version(text: str, field: str = "version") -> Version:
    UnstorableText.check(field, text)
    try:
        version = Version(text.strip())
    except InvalidVersion:
        raise InvalidInput(f"{field} {text!r} is not a PEP 440 version (for example 5.0 or 4.2.1)") from None
    return Version(version.public)  # a local label (+ubuntu1) does not change where it falls


def search_key(text: str) -> Decimal:
    """The key of a searched version, or ``InvalidInput``."""
    return version_key(parse_version(text))


def _lowest(epoch: int, release: tuple[int, ...]) -> Decimal:
    """Below every version of ``release`` (its first dev release)."""
    return _key(epoch, release, _DEV, 0)


def _highest(epoch: int, release: tuple[int, ...]) -> Decimal:
    """Above every version of ``release`` (its last post release)."""
    return _key(epoch, release, _POST, _N_MAX)


def _bump(release: tuple[int, ...]) -> tuple[int, ...]:
    return (*release[:-1], release[-1] + 1)


@dataclass(frozen=True)
class VersionRange:
    """A parsed range: its canonical text, interval and holes (as SQL literals)."""

    text: str
    lower: Bound | None
    upper: Bound | None
    holes: tuple[tuple[Decimal, Decimal], ...]  # closed intervals excluded

    def contains(self, version: Version) -> bool:
        """The same test as the SQL one, for code and tests."""
        key = version_key(version)
        if self.lower is not None and (key < self.lower[0] or (key == self.lower[0] and not self.lower[1])):
            return False
        if self.upper is not None and (key > self.upper[0] or (key == self.upper[0] and not self.upper[1])):
            return False
        return not any(lo <= key <= hi for lo, hi in self.holes)

    @property
    def span_sql(self) -> str:
        """The interval as a ``numrange`` literal."""
        lo = "[" if self.lower is None or self.lower[1] else "("
        hi = "]" if self.upper is not None and self.upper[1] else ")"
        left = "" if self.lower is None else str(self.lower[0])
        right = "" if self.upper is None else str(self.upper[0])
        return f"{lo}{left},{right}{hi}"

    @property
    def holes_sql(self) -> str:
        """The holes as a ``numrange[]`` literal."""
        return "{" + ",".join(f'"[{lo},{hi}]"' for lo, hi in self.holes) + "}"

    @property
    def lower_version_key(self) -> Decimal | None:
        return None if self.lower is None else self.lower[0]


def _tighter_lower(a: Bound | None, b: Bound) -> Bound:
    if a is None or b[0] > a[0] or (b[0] == a[0] and not b[1]):
        return b
    return a


def _tighter_upper(a: Bound | None, b: Bound) -> Bound:
    if a is None or b[0] < a[0] or (b[0] == a[0] and not b[1]):
        return b
    return a


def parse_range(text: str | None, field: str = "version_range") -> VersionRange | None:
    """Parse a PEP 440 specifier set; ``None`` or blank means every version."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_RANGE:
        raise InvalidInput(f"{field} must be at most {MAX_RANGE} characters")
    UnstorableText.check(field, text)
    try:
        specifiers = SpecifierSet(text.strip())
    except InvalidSpecifier:
        raise InvalidInput(
            f"{field} {text!r} is not a PEP 440 specifier set (for example '>=4.2,<5' or '~=3.1')"
        ) from None
    lower: Bound | None = None
    upper: Bound | None = None
    holes: list[tuple[Decimal, Decimal]] = []
    for spec in sorted(specifiers, key=str):
        lo, hi, hole = _interval(spec, field)
        if lo is not None:
            lower = _tighter_lower(lower, lo)
        if hi is not None:
            upper = _tighter_upper(upper, hi)
        if hole is not None:
            holes.append(hole)
    if _empty(lower, upper):
        raise InvalidInput(f"{field} {text!r} matches no version")
    return VersionRange(_canonical(specifiers), lower, upper, tuple(sorted(holes)))


_READING_ORDER = {"~=": 0, ">=": 1, ">": 1, "==": 2, "===": 2, "!=": 3, "<=": 4, "<": 4}


def _canonical(specifiers: SpecifierSet) -> str:
    """The stored text: each specifier once, in reading order (where it starts, what it skips,
    where it ends: ``>=4.2,!=4.3,<5``) rather than ``packaging``'s alphabetical ``<5,>=4.2``."""
    return ",".join(
        str(s)
        for s in sorted(
            set(specifiers),
            key=lambda s: (_READING_ORDER.get(s.operator, 5), Version(s.version.rstrip(".*"))),
        )
    )


def _empty(lower: Bound | None, upper: Bound | None) -> bool:
    if lower is None or upper is None:
        return False
    return lower[0] > upper[0] or (lower[0] == upper[0] and not (lower[1] and upper[1]))


def _interval(
    spec: Specifier, field: str
) -> tuple[Bound | None, Bound | None, tuple[Decimal, Decimal] | None]:
    """One specifier as (lower bound, upper bound, hole)."""
    op, raw = spec.operator, spec.version
    if op == "===":
        raise InvalidInput(f"{field}: arbitrary equality (===) cannot be compared; use ==")
    if "+" in raw:
        raise InvalidInput(f"{field}: local versions (+label) are not allowed in a range")
    prefix = raw.endswith(".*")
    v = parse_version(raw[:-2] if prefix else raw, field)
    if prefix:  # ==4.2.* and !=4.2.*: every version whose release starts with 4.2
        lo, hi = _lowest(v.epoch, v.release), _lowest(v.epoch, _bump(v.release))
        if op == "==":
            return (lo, True), (hi, False), None
        return None, None, (lo, hi - 1)  # keys are integers: hi - 1 is the last key below hi
    key = version_key(v)
    final = v.pre is None and v.dev is None and v.post is None
    if op == "==":
        return (key, True), (key, True), None
    if op == "!=":
        return None, None, (key, key)
    if op == ">=":
        return (key, True), None, None
    if op == "<=":
        return None, (key, True), None
    if op == ">":  # > V excludes V's post releases unless V is one
        return ((_highest(v.epoch, v.release) if final else key), False), None, None
    if op == "<":  # < V excludes V's pre releases unless V is one
        return None, ((_lowest(v.epoch, v.release) if final else key), False), None
    if op == "~=":  # ~=4.2 is >=4.2,==4.*
        return (key, True), (_lowest(v.epoch, _bump(v.release[:-1])), False), None
    raise InvalidInput(f"{field}: unsupported operator {op!r}")  # pragma: no cover - packaging's set


def narrowed_below(current: VersionRange | None, version: Version) -> VersionRange | None:
    """``current`` cut so that ``version`` and everything above it fall outside, or ``None`` when
    that would leave no version (the caller then only tells the curators)."""
    cut = f"<{version.public}"
    combined = cut if current is None else f"{current.text},{cut}"
    try:
        return parse_range(combined)
    except InvalidInput:
        return None


def forked_range(old: VersionRange | None, new: VersionRange | None) -> VersionRange:
    """The old item's range after a version fork: it keeps the versions below where the new
    item's range starts (``>=5`` or ``~=5.0`` leaves it ``<5``; ``>5`` leaves it ``<=5``)."""
    starts = [] if new is None else [s for s in SpecifierSet(new.text) if s.operator in (">=", ">", "~=")]
    if not starts:
        raise InvalidInput(
            "a version fork needs the new item's version_range to start somewhere (>=, > or ~=, "
            "for example '>=5'); the old item keeps the versions below"
        )
    start = max(starts, key=lambda s: version_key(parse_version(s.version)))
    cut = f"<={start.version}" if start.operator == ">" else f"<{start.version}"
    try:
        result = parse_range(cut if old is None else f"{old.text},{cut}")
    except InvalidInput:
        raise InvalidInput("the fork leaves the old item no version: supersede it instead") from None
    assert result is not None  # a non-blank specifier set
    return result
