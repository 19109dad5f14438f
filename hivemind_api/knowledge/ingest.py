"""The request-path half of ingestion: normalise, scrub, screen, hash and title (docs/architecture.md,
"The trust pipeline").

It runs before anything is stored or queued, so raw content never reaches Postgres, Redis or a
log: the database and the job only ever see the scrubbed text. It is pure CPU work (a few
milliseconds for 2 KB), run in a thread off the event loop. The slow half (embedding, similar
items, duplicates, pre-screen) runs in the worker job (``pipeline``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hivemind_api.errors import DomainError, InvalidInput
from hivemind_api.knowledge.text import content_hash, make_title
from hivemind_api.trust.injection import Match, screen, second_opinion
from hivemind_api.trust.scrubber import MAX_PLACEHOLDER_SHARE, add_model_names, scrub
from hivemind_api.trust.version import screen_version


class MostlyRedacted(DomainError):
    """Content that would be mostly placeholders once scrubbed carries no knowledge."""

    status_code = 422


@dataclass(frozen=True)
class PreparedText:
    content: str
    content_hash: str
    title: str
    redaction_report: dict[str, Any]
    injection_verdict: dict[str, Any]
    injection_score: float
    blocked: bool
    block_reason: str | None
    flags: list[str]
    screen_version: str


INJECTION_SUSPECTED = "injection_suspected"


def normalize(content: str) -> str:
    """Unify line endings and strip trailing whitespace; otherwise the text is kept as written."""
    return "\n".join(
        line.rstrip() for line in content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ).strip()


def prepare(content: str) -> PreparedText:
    """Scrub and screen one contribution. Raises ``MostlyRedacted`` (nothing is stored)."""
    text = normalize(content)
    scrubbed = scrub(text)
    if scrubbed.mostly_placeholders:
        kinds = ", ".join(sorted(scrubbed.entities))
        raise MostlyRedacted(
            f"more than {MAX_PLACEHOLDER_SHARE:.0%} of the content would be placeholders after removing personal "
            f"data and secrets ({kinds}); nothing was stored. Describe the fix without the sensitive values."
        )
    # Screened on the text as written (before scrubbing) so nothing hides behind a placeholder;
    # the verdict holds rule names and short excerpts of the scrubbed text only.
    verdict = screen(text)
    report = verdict.as_report()
    for match in report["matches"]:
        match["excerpt"] = scrub(str(match["excerpt"])).text
    return PreparedText(
        content=scrubbed.text,
        content_hash=content_hash(scrubbed.text),
        title=make_title(scrubbed.text),
        redaction_report=scrubbed.report,
        injection_verdict=dict(report),
        injection_score=verdict.score,
        blocked=verdict.blocked,
        block_reason=verdict.reason() if verdict.blocked else None,
        # Suspicious but below blocking: a curator decides, and no auto-approve rule may.
        flags=[INJECTION_SUSPECTED] if verdict.flagged else [],
        screen_version=screen_version(),
    )


def worker_screens(
    content: str, report: dict[str, Any], flagged: bool
) -> tuple[str, dict[str, Any], Match | None]:
    """The screens too slow for the request path, over its output: the name model, then (unless
    the text is already flagged or blocked) the injection screen's second opinion, which can only
    flag. Returns the text, its redaction report and the second opinion's match (or None)."""
    content, report = add_model_names(content, report)
    return content, report, None if flagged else second_opinion(content)


def prepare_edit(content: str) -> PreparedText:
    """A curator's edit of a contribution's text, screened like an agent's and more: the request
    path's scrub and rules, then the worker's name model and the injection screen's second
    opinion (loaded in this process on first use). Blocked text is refused (``InvalidInput``)."""
    prepared = prepare(content)
    if prepared.blocked:
        raise InvalidInput(f"the edited text is blocked by the injection screen: {prepared.block_reason}")
    text, report, match = worker_screens(
        prepared.content, dict(prepared.redaction_report), bool(prepared.flags)
    )
    flags = [*prepared.flags, INJECTION_SUSPECTED] if match is not None else list(prepared.flags)
    return replace(
        prepared,
        content=text,
        content_hash=content_hash(text),
        title=make_title(text),
        redaction_report=report,
        flags=flags,
    )
