"""Which of many Python regexes could match a text: one pass of RE2 instead of one pass each.

The trust screens run about a hundred Python regexes over every contribution. Python's engine
tries each of them at every position, which made scrubbing and screening ~3 ms of CPU for a
200-word text, about half of a contribution's request. Almost none of them match ordinary
text. RE2's ``Set`` scans the text once, as one automaton, and reports which patterns matched.

Each Python pattern goes into the set as an RE2 pattern that matches a *superset* of what the
Python one matches, so a pattern the set does not report cannot match, and the Python pattern
still decides every match that is reported (its spans, groups and semantics are unchanged):

* lookarounds, anchors and word boundaries are dropped (fewer conditions, more matches);
  a backreference becomes "any text";
* every character test is spelled out as the exact set of code points Python's ``re`` accepts
  for it: ``\\w``, ``\\s`` and ``\\d`` as Python's Unicode classes, and under ``IGNORECASE`` each
  letter with every character Python equates to it (``i`` also matches ``İ`` and ``ı``, which
  RE2's own case folding does not), so no spelling slips past the set;
* a pattern that cannot be translated, or that RE2 refuses, is always run.

RE2's automaton can give up on pathological input (its memory budget is spent). A sentinel
pattern that matches only at the very end of the text proves every scan finished; without it,
and for text RE2 cannot take (lone surrogates), every pattern runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache, lru_cache
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import re2

MAX_CODE_POINT = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)
RE2_MAX_REPEAT = 1000  # RE2 refuses larger counted repetitions
MAX_COUNTED_GAP = 8  # longer upper bounds become unbounded
# RE2 builds its DFA lazily and keeps the states in this budget; when a scan needs more, it
# throws the cache away and starts again, and a set that thrashes so costs 50 times more (3 ms
# instead of 0.05 ms per 2 KB, measured on the evaluation's texts). Of what the screens' sets saw
# there, the two large sets (injection rules, secret formats) kept about 57 MB of states and
# thrashed at 48 MB; the small sets fit in 48 MB. The budgets bound the worst case at 336 MB.
RE2_MEMORY = 48 << 20
LARGE_SET_MEMORY = 96 << 20

Ranges = list[tuple[int, int]]


class Untranslatable(ValueError):
    """A construct with no RE2 superset written here: the pattern is then always run."""


def _ranges(code_points: Iterable[int]) -> Ranges:
    out: Ranges = []
    for cp in sorted(set(code_points)):
        if out and cp == out[-1][1] + 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _union(*parts: Ranges) -> Ranges:
    merged: Ranges = []
    for lo, hi in sorted(r for part in parts for r in part):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    start = 0
    for lo, hi in _union(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return out


@cache
def _category(category: Any, ascii_only: bool) -> tuple[tuple[int, int], ...]:
    """The code points ``re`` puts in a class escape (``\\w``, ``\\s``, ``\\d`` and negations).

    ``re`` defines them by the same predicates as ``str.isalnum``, ``str.isspace`` and
    ``str.isdecimal`` (``_sre``'s ``SRE_UNI_IS_*``); a test checks the two agree everywhere."""
    limit = 0x7F if ascii_only else MAX_CODE_POINT
    tests: dict[object, Callable[[str], bool]] = {
        sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
        sre.CATEGORY_SPACE: lambda c: c.isspace(),
        sre.CATEGORY_DIGIT: lambda c: c.isdecimal(),
    }
    negated = {
        sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD,
        sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE,
        sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT,
    }
    if category in negated:
        return tuple(_complement(list(_category(negated[category], ascii_only))))
    if category not in tests:
        raise Untranslatable(f"class escape {category}")
    test = tests[category]
    return tuple(_ranges(cp for cp in range(limit + 1) if test(chr(cp))))


@lru_cache(maxsize=1)
def _cased() -> tuple[int, ...]:
    """Every code point with a case mapping: the only ones ``IGNORECASE`` can equate to others.

    (A character without one is its own lower case, so it matches a letter only by being it.)"""
    out = []
    for cp in range(MAX_CODE_POINT + 1):
        c = chr(cp)
        if c.lower() != c or c.upper() != c or c.casefold() != c:
            out.append(cp)
    return tuple(out)


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@lru_cache(maxsize=4096)
def _char_set(op: Any, av: Any, flags: int) -> tuple[tuple[int, int], ...]:
    """The code points one character test (``LITERAL``, ``NOT_LITERAL``, ``ANY``, ``IN``) accepts
    under ``flags``, or a superset of them."""
    ascii_only = bool(flags & re.ASCII)
    if op is sre.LITERAL:
        plain = [(av, av)]
    elif op is sre.NOT_LITERAL:
        plain = _complement([(av, av)])
    elif op is sre.ANY:
        plain = [(0, MAX_CODE_POINT)] if flags & re.DOTALL else _complement([(0x0A, 0x0A)])
    elif op is sre.IN:
        members: Ranges = []
        negate = False
        for item_op, item_av in av:
            if item_op is sre.NEGATE:
                negate = True
            elif item_op is sre.LITERAL:
                members.append((item_av, item_av))
            elif item_op is sre.RANGE:
                members.append(tuple(item_av))
            elif item_op is sre.CATEGORY:
                members.extend(_category(item_av, ascii_only))
            else:
                raise Untranslatable(f"class item {item_op}")
        plain = _complement(members) if negate else _union(members)
    else:
        raise Untranslatable(f"character test {op}")
    if not flags & re.IGNORECASE:
        return tuple(plain)
    # Case-insensitive: add every cased character Python's own engine accepts for this test.
    state = sre_parse.State()
    state.flags = flags
    probe = sre_parse.SubPattern(state, [(op, av if op is not sre.IN else list(av))])
    accepts = sre_compile.compile(probe, flags).fullmatch
    return tuple(_union(plain, _ranges(cp for cp in _cased() if accepts(chr(cp)))))


def _re2_class(ranges: Sequence[tuple[int, int]]) -> str:
    parts = []
    for lo, hi in ranges:
        # UTF-8 has no surrogates: they cannot occur in the text RE2 sees.
        for a, b in ((lo, min(hi, SURROGATES[0] - 1)), (max(lo, SURROGATES[1] + 1), hi)):
            if a <= b:
                parts.append(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}")
    return "[" + "".join(parts) + "]" if parts else "[^\\x{0}-\\x{10FFFF}]"


def _translate(items: Iterable[tuple[Any, Any]], flags: int) -> str:
    out = []
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            out.append(_re2_class(_char_set(op, _freeze(av), flags)))
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            out.append("(?:" + _translate(body, (flags | add_flags) & ~del_flags) + ")")
        elif op is sre.BRANCH:
            out.append("(?:" + "|".join(_translate(alt, flags) for alt in av[1]) + ")")
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, body = av
            low = min(low, RE2_MAX_REPEAT)  # fewer required repetitions: still a superset
            # A long bounded gap (``.{0,80}``) makes the automaton count: one state per count,
            # per pattern, per overlapping start. Unbounded, it is one state (and a superset).
            bound = str(high) if high is not sre.MAXREPEAT and high <= MAX_COUNTED_GAP else ""
            out.append("(?:" + _translate(body, flags) + f"){{{low},{bound}}}")
        elif op is sre.ATOMIC_GROUP:
            out.append("(?:" + _translate(av, flags) + ")")
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # a zero-width condition: without it, more matches
        elif op is sre.GROUPREF:
            out.append("[\\x{0}-\\x{10FFFF}]*")  # the group's text, whatever it was
        elif op is sre.GROUPREF_EXISTS:
            _group, yes, no = av
            out.append("(?:" + _translate(yes, flags) + "|" + (_translate(no, flags) if no else "") + ")")
        else:
            raise Untranslatable(f"construct {op}")
    return "".join(out)


def superset_pattern(pattern: re.Pattern[str]) -> str:
    """An RE2 pattern matching wherever ``pattern`` matches (and possibly elsewhere)."""
    if not isinstance(pattern.pattern, str):
        raise Untranslatable("bytes pattern")
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    return _translate(tree.data, tree.state.flags | pattern.flags)


class Prefilter:
    """``candidates(text)``: the patterns (in their given order) that may match ``text``."""

    def __init__(self, patterns: Sequence[re.Pattern[str]], *, memory: int = RE2_MEMORY) -> None:
        self.patterns = list(patterns)
        options = re2.Options()
        options.max_mem = memory
        options.log_errors = False
        self._set: re2.Set | None = re2.Set.SearchSet(options)
        self._always: list[int] = []  # patterns the set cannot speak for
        self._slot_of: dict[int, int] = {}  # set slot -> pattern index
        for index, pattern in enumerate(self.patterns):
            try:
                self._slot_of[self._set.Add(superset_pattern(pattern))] = index
            except (Untranslatable, re2.error, re.error, RecursionError):
                self._always.append(index)
        self._sentinel = self._set.Add("\\z")
        try:
            self._set.Compile()
        except re2.error:  # too big for the memory budget: every pattern always runs
            self._set = None

    def candidates(self, text: str) -> list[re.Pattern[str]]:
        if self._set is None:
            return self.patterns
        try:
            hits = self._set.Match(text.encode("utf-8"))
        except UnicodeEncodeError:  # lone surrogates: RE2 only reads UTF-8
            hits = None
        if not hits or self._sentinel not in hits:  # the scan did not reach the end
            return self.patterns
        chosen = sorted([self._slot_of[h] for h in hits if h != self._sentinel] + self._always)
        return [self.patterns[i] for i in chosen]

    def scan(self, text: str) -> Scan:
        """``text``'s candidates, to ask about one pattern at a time."""
        return Scan(text, self.candidates(text))

    @property
    def always_run(self) -> list[re.Pattern[str]]:
        """Patterns that could not be translated (expected empty; a test says so)."""
        return [self.patterns[i] for i in self._always]


class Scan:
    """One text's candidates: a pattern that is not among them is not run, since it cannot match."""

    def __init__(self, text: str, candidates: Iterable[re.Pattern[str]]) -> None:
        self.text = text
        self._may = set(candidates)

    def __contains__(self, pattern: re.Pattern[str]) -> bool:
        return pattern in self._may

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        return pattern.finditer(self.text) if pattern in self._may else iter(())

    def search(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return pattern.search(self.text) if pattern in self._may else None
