"""The pre-screen score (0–100) a curator sees beside each contribution, with its reasons.

It orders the review queue and can gate auto-approval; it never decides alone. Every factor is
visible as a reason with its points, so a curator can see why something scored low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypedDict

BASE = 50
_CODE = re.compile(r"```|~~~|`[^`\n]+`|^(?: {4}|\t)\S", re.M)
# Blank space before a heading or a list item on its own line only: "\s*" ran into the next lines
# from every line's start, which made a text of 20,000 newlines cost seconds.
_STRUCTURE = re.compile(r"^[^\S\n]*(?:#{1,6}\s|\d+[.)]\s|[-*+]\s)", re.M)


@dataclass(frozen=True)
class AgentHistory:
    approved: int = 0
    rejected: int = 0  # rejected, duplicate or blocked

    @property
    def decided(self) -> int:
        return self.approved + self.rejected


@dataclass(frozen=True)
class PrescreenInput:
    content: str
    redaction_total: int = 0
    placeholder_share: float = 0.0
    max_similarity: float = 0.0
    near_duplicate: bool = False
    history: AgentHistory = field(default_factory=AgentHistory)
    flags: tuple[str, ...] = ()
    injection_flags: int = 0


class Reason(TypedDict):
    """One factor of the score, as stored in a contribution's ``prescreen_reasons`` (JSON)."""

    factor: str
    points: int
    detail: str


@dataclass(frozen=True)
class Prescreen:
    score: int
    reasons: list[Reason]


def prescreen(x: PrescreenInput) -> Prescreen:
    reasons: list[Reason] = []

    def add(factor: str, points: int, detail: str) -> None:
        reasons.append(Reason(factor=factor, points=points, detail=detail))

    length = len(x.content)
    if length < 80:
        add("length", -15, f"very short ({length} characters)")
    elif length >= 300:
        add("length", 10 if length <= 8000 else 0, f"{length} characters")
    if _STRUCTURE.search(x.content):
        add("structure", 5, "headings, lists or numbered steps")
    if _CODE.search(x.content):
        add("code", 10, "contains code")
    if x.near_duplicate:
        add("near_duplicate", -30, f"near-duplicate of an existing item (similarity {x.max_similarity:.2f})")
    elif x.max_similarity >= 0.8:
        add("similar", -10, f"close to an existing item (similarity {x.max_similarity:.2f})")
    if x.placeholder_share > 0.2:
        add("redaction", -15, f"{x.placeholder_share:.0%} of the words were redacted")
    elif x.redaction_total:
        add("redaction", -5, f"{x.redaction_total} value(s) redacted")
    h = x.history
    if h.decided >= 5:
        rate = h.approved / h.decided
        if rate >= 0.8:
            add(
                "agent_history",
                15,
                f"{h.approved} of the agent's last {h.decided} contributions were approved",
            )
        elif rate < 0.3:
            add(
                "agent_history",
                -15,
                f"only {h.approved} of the agent's last {h.decided} contributions were approved",
            )
    else:
        add("agent_history", 0, f"little history ({h.decided} decided contributions)")
    if "burst" in x.flags:
        add("burst", -20, "near-identical contributions from several agents within minutes")
    if x.injection_flags:
        add("injection_flags", -10, f"{x.injection_flags} suspicious pattern(s) below the blocking threshold")
    score = max(0, min(100, BASE + sum(r["points"] for r in reasons)))
    return Prescreen(score, reasons)
