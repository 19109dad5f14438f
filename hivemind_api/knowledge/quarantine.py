"""Re-screening the stored commons, quarantine, and release.

The screens improve; what they passed before must be checked again. Every item records the
``screen_version`` that passed it. ``rescreen_batch`` takes items whose version is not the
current one, scrubs and screens their stored text again, and either stamps the current version
or **quarantines** the item at once: ``quarantined_at`` is set with the new evidence (kinds and
counts of what the scrubber would now remove, the injection matches with scrubbed excerpts;
never a value). A quarantined item is gone from search, fetch, outcomes, feeds, SSE, webhooks
and statistics for everyone (each of those reads only items with ``quarantined_at IS NULL``),
and its org's curators see it with the evidence until they **release** it or purge it
(``knowledge/purge.py``).

``rescreen_all`` runs batches until none is left: the worker queues it at start (``request``),
and ``hivemind rescreen`` runs it by hand with a progress bar.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import KnowledgeItem, db_now
from hivemind_api.errors import Conflict, NotFound
from hivemind_api.events.log import append_event, item_summary
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.access import require_curator
from hivemind_api.knowledge.visibility import item_present, own_item_for_update, present_sql
from hivemind_api.trust.injection import screen_stored
from hivemind_api.trust.scrubber import scrub, scrub_stored
from hivemind_api.trust.version import screen_version
from hivemind_api.vocab import EventType

BATCH = 200
RESCREEN_ACTOR = "re-screen"

if TYPE_CHECKING:
    from rq import Queue


@dataclass(frozen=True)
class Finding:
    """Why the current screens fail a stored text (kinds and rules, never the values)."""

    redactions: dict[str, int]
    injection: dict[str, Any]

    @property
    def fails(self) -> bool:
        return bool(self.redactions) or bool(self.injection.get("blocked") or self.injection.get("flagged"))

    def as_evidence(self, version: str) -> dict[str, Any]:
        reasons = [f"would now redact {n} × {kind}" for kind, n in sorted(self.redactions.items())]
        if self.injection.get("blocked") or self.injection.get("flagged"):
            rules = sorted({m["rule"] for m in self.injection.get("matches", [])})
            reasons.append(
                ("blocked" if self.injection.get("blocked") else "flagged")
                + f" as possible prompt injection: {', '.join(rules)}"
            )
        return {
            "screen_version": version,
            "reasons": reasons,
            "redactions": self.redactions,
            "injection": self.injection,
        }


def check(text: str) -> Finding:
    """Scrub and screen a stored (already scrubbed once) text again."""
    scrubbed = scrub_stored(text)
    report = screen_stored(text).as_report()
    for match in report["matches"]:
        match["excerpt"] = scrub(match["excerpt"]).text
    return Finding(dict(scrubbed.entities), dict(report))


@dataclass(frozen=True)
class RescreenReport:
    checked: int
    quarantined: int
    remaining: int


async def outdated_count(session: AsyncSession, version: str | None = None) -> int:
    return int(
        (
            await session.execute(
                sa.text(
                    f"SELECT count(*) FROM knowledge_items k WHERE {present_sql('k')} "
                    "AND k.screen_version IS DISTINCT FROM :v"
                ),
                params={"v": version or screen_version()},
            )
        ).scalar_one()
    )


async def rescreen_batch(session: AsyncSession, limit: int = BATCH) -> tuple[int, int]:
    """Re-screen up to ``limit`` items passed by another version; returns (checked, quarantined).
    Rows are locked and skipped by a concurrent batch, so several workers can share the work."""
    version = screen_version()
    rows = (
        await session.exec(
            select(KnowledgeItem)
            .where(
                item_present(),
                col(KnowledgeItem.screen_version).is_distinct_from(version),
            )
            .order_by(col(KnowledgeItem.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    findings = await asyncio.to_thread(lambda: [check(item.content) for item in rows])
    quarantined = 0
    for item, finding in zip(rows, findings, strict=True):
        item.screen_version = version
        if finding.fails:
            await _quarantine(session, item, finding.as_evidence(version))
            quarantined += 1
        session.add(item)
    await session.flush()
    return len(rows), quarantined


async def _quarantine(session: AsyncSession, item: KnowledgeItem, evidence: dict[str, Any]) -> None:
    item.quarantined_at, item.quarantine_evidence, item.updated_at = db_now(), evidence, db_now()
    session.add(item)
    await session.flush()
    # Public subscribers learn that a public item left; no title (it may hold what failed).
    await append_event(
        session,
        EventType.KNOWLEDGE_QUARANTINED,
        org_id=item.org_id,
        is_public=item.is_public,
        item=item,
        summary={
            "id": str(item.id),
            "category": item.category,
            "title": "(quarantined)",
            "quality": None,
            "created_at": None,
        },
    )
    await audit.record(
        session,
        actor=RESCREEN_ACTOR,
        action="knowledge.quarantined",
        org_id=item.org_id,
        target_type="knowledge_item",
        target_id=str(item.id),
        details={"screen_version": evidence["screen_version"], "reasons": evidence["reasons"]},
    )


async def rescreen_all(
    progress: Callable[[int, int], None] | None = None, batch: int = BATCH
) -> RescreenReport:
    """Batches until every live item carries the current version; ``progress(done, total)``."""
    async with session_scope() as session:
        total = await outdated_count(session)
    checked = quarantined = 0
    while True:
        async with session_scope() as session:
            n, q = await rescreen_batch(session, batch)
        if n == 0:
            break
        checked, quarantined = checked + n, quarantined + q
        if progress is not None:
            progress(checked, max(total, checked))
    async with session_scope() as session:
        remaining = await outdated_count(session)
    return RescreenReport(checked, quarantined, remaining)


_RESCREEN_FLAG = "hivemind:rescreen-queued:{}"


def rescreen_job() -> dict[str, int]:
    """RQ job: re-screen the commons (queued by a worker at start when items are outdated)."""
    from rq import get_current_job

    from hivemind_api.worker.loop import run_async

    job = get_current_job()
    if job is not None:
        job.connection.delete(_RESCREEN_FLAG.format(job.origin))
    report = run_async(rescreen_all())
    return {"checked": report.checked, "quarantined": report.quarantined, "remaining": report.remaining}


def request_rescreen(queue: Queue) -> bool:
    """Queue one re-screen unless one is already waiting (several workers start at once)."""
    from rq import Retry

    from hivemind_api.infra.jobs import enqueue_coalesced

    return enqueue_coalesced(
        queue,
        _RESCREEN_FLAG.format(queue.name),
        "hivemind_api.knowledge.quarantine.rescreen_job",
        flag_ttl_s=3600,
        job_timeout=6 * 3600,
        retry=Retry(max=3, interval=[30, 120, 600]),
    )


async def _outdated() -> int:
    async with session_scope() as session:
        return await outdated_count(session)


def request_if_outdated(queue: Queue) -> bool:
    """At a worker's start: queue a re-screen when any live item was passed by other screens."""
    from hivemind_api.worker.loop import run_async

    return run_async(_outdated()) > 0 and request_rescreen(queue)


# --- what curators see and do -------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantinedItem:
    id: uuid.UUID
    title: str
    content: str
    category: str
    is_public: bool
    quarantined_at: datetime
    screen_version: str | None
    reasons: list[str]
    evidence: dict[str, Any]
    status: str = "quarantined"


async def list_quarantined(
    session: AsyncSession, org_id: uuid.UUID, limit: int = 100
) -> list[QuarantinedItem]:
    rows = (
        await session.exec(
            select(KnowledgeItem)
            .where(
                KnowledgeItem.org_id == org_id,
                col(KnowledgeItem.deleted_at).is_(None),
                col(KnowledgeItem.quarantined_at).is_not(None),
            )
            .order_by(col(KnowledgeItem.quarantined_at).desc())
            .limit(limit)
        )
    ).all()
    return [
        QuarantinedItem(
            r.id,
            r.title,
            r.content,
            r.category,
            r.is_public,
            r.quarantined_at or r.updated_at,  # always set: the query asks for quarantined items
            r.screen_version,
            list((r.quarantine_evidence or {}).get("reasons", [])),
            dict(r.quarantine_evidence or {}),
        )
        for r in rows
    ]


async def release(session: AsyncSession, curator: Caller, item_id: str) -> KnowledgeItem:
    """A curator judged the finding harmless: the item is back everywhere, passed by this version."""
    require_curator(curator)
    item = await own_item_for_update(
        session, curator.org_id, parse_uuid(item_id, "item id"), col(KnowledgeItem.deleted_at).is_(None)
    )
    if item is None:
        raise NotFound(f"knowledge item '{item_id}' not found")
    if item.quarantined_at is None:
        raise Conflict(f"knowledge item '{item_id}' is not quarantined")
    evidence = dict(item.quarantine_evidence or {})
    item.quarantined_at, item.quarantine_evidence = None, {}
    item.screen_version, item.updated_at = screen_version(), db_now()
    session.add(item)
    await session.flush()
    await session.refresh(item)
    await append_event(
        session,
        EventType.KNOWLEDGE_RELEASED,
        org_id=item.org_id,
        is_public=item.is_public,
        item=item,
        summary=item_summary(item),
    )
    await audit.record(
        session,
        by=curator,
        action="knowledge.released",
        org_id=item.org_id,
        target_type="knowledge_item",
        target_id=str(item.id),
        details={"reasons": evidence.get("reasons", [])},
    )
    return item
