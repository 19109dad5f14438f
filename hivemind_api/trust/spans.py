"""Detected sensitive spans, how overlapping detections are resolved, and placeholder rewriting.

Every detector reports ``Span(start, end, kind)`` over the same text; the scrubber resolves
overlaps (the more severe kind wins, then the longer span) and replaces each span by its typed
placeholder. Only the sensitive token is replaced, so code keeps its shape.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# Placeholder per kind; the order is the severity used when detections overlap.
PLACEHOLDERS: dict[str, str] = {
    "SECRET": "[SECRET]",
    "IBAN": "[IBAN]",  # before cards: an IBAN's digits can pass Luhn, and the whole IBAN must go
    "CREDIT_CARD": "[CREDIT_CARD]",
    "ID_NUMBER": "[ID_NUMBER]",
    "EMAIL": "[EMAIL]",
    "PHONE": "[PHONE]",
    "ADDRESS": "[ADDRESS]",  # before names: an address holds a street named after someone
    "NAME": "[NAME]",
    "BIRTH_DATE": "[BIRTH_DATE]",
    "PATH": "[PATH]",
    "IP": "[IP]",
    "HOST": "[HOST]",
}
_SEVERITY = {kind: rank for rank, kind in enumerate(PLACEHOLDERS)}
PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(PLACEHOLDERS) + r")\]")


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in PLACEHOLDERS or not 0 <= self.start < self.end:
            raise ValueError(f"bad span {self}")


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans; on overlap the more severe kind wins, then the longer span."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (_SEVERITY[s.kind], -(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def apply(text: str, spans: list[Span]) -> str:
    """Replace resolved spans by their placeholders."""
    out, last = [], 0
    for span in spans:
        out.append(text[last : span.start])
        out.append(PLACEHOLDERS[span.kind])
        last = span.end
    out.append(text[last:])
    return "".join(out)


def count_kinds(spans: list[Span]) -> dict[str, int]:
    return dict(Counter(s.kind for s in spans))


def placeholder_share(text: str) -> float:
    """Share of whitespace-separated tokens that are (or contain) a placeholder."""
    tokens = text.split()
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if PLACEHOLDER_RE.search(t)) / len(tokens)


_TOKEN_LEFT = re.compile(r"[A-Za-z0-9_\-+/]")
_TOKEN_RIGHT = re.compile(r"[A-Za-z0-9_\-+/=.]")


def extend_token(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a match to the whole token it is part of (libraries sometimes match a prefix only).

    Leftwards it stops at ``=`` and ``:`` so ``GH_TOKEN=ghp_…`` keeps its variable name;
    rightwards it takes base64 padding and JWT dots, but not a sentence's final full stop.
    """
    while start > 0 and _TOKEN_LEFT.match(text[start - 1]):
        start -= 1
    while end < len(text) and _TOKEN_RIGHT.match(text[end]):
        end += 1
    while end - 1 > start and text[end - 1] == ".":
        end -= 1
    return start, end
