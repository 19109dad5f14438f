"""Contributing knowledge: record the contribution, queue its processing, and the agent's own list."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts.caller import Caller
from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import Contribution, KnowledgeItem, core_table
from hivemind_api.errors import InvalidInput, ServiceUnavailable
from hivemind_api.infra.ratelimit import Limiter
from hivemind_api.knowledge import ingest
from hivemind_api.knowledge.access import require_writer
from hivemind_api.knowledge.text import preview
from hivemind_api.knowledge.validation import ContributionInput, validate_category, validate_contribution
from hivemind_api.vocab import ContributionStatus

T = TypeVar("T")


class QueueUnavailable(ServiceUnavailable):
    pass


@dataclass(frozen=True)
class ContributionReceipt:
    contribution_id: uuid.UUID
    status: str
    category: str
    message: str


Enqueue = Callable[[uuid.UUID], Awaitable[object]]


@dataclass(frozen=True)
class ContributeContext:
    """What contributing needs besides the caller, passed in (never looked up): where the slow
    part is queued, and the rate limits (``None`` where none apply: jobs, tests)."""

    enqueue: Enqueue
    limiter: Limiter | None = None


_CONTRIBUTIONS = core_table(Contribution)
_INSERT = _CONTRIBUTIONS.insert().returning(_CONTRIBUTIONS.c.id)


async def contribute(
    principal: Caller, data: ContributionInput, ctx: ContributeContext
) -> ContributionReceipt:
    """Scrub and screen a contribution, store it, and queue the slow part of its processing.

    Only callers that may write contribute, within their rate limit (checked before any work).

    Scrubbing runs here, in a thread, so only scrubbed text is ever stored or queued (the job
    carries the id alone). Content that screening blocks is stored as ``blocked`` for curators
    and never processed further; the agent is told why. If the queue refuses the job, the row
    is removed again and the agent is told to retry, so nothing waits for a job that does not
    exist.
    """
    require_writer(principal)
    if ctx.limiter is not None:
        await ctx.limiter.check(principal, "contribute")
    data = validate_contribution(data)
    prepared = await asyncio.to_thread(ingest.prepare, data.content)
    # One autocommit INSERT … RETURNING: the row is committed before the job is queued (the
    # worker must find it). A plain table insert, compiled once: an ORM object or an ORM
    # ``insert().values()`` costs more Python than the whole round trip.
    async with session_scope(autocommit=True) as session:
        contribution_id = (
            await session.exec(
                _INSERT,
                params={
                    "org_id": principal.org_id,
                    "api_key_id": principal.key_id,
                    "source_agent_id": principal.agent_id,
                    "run_id": data.run_id,
                    "category": data.category,
                    "confidence": data.confidence,
                    "framework": data.framework,
                    "language": data.language,
                    "version": data.version,
                    "version_range": data.version_range,
                    "tags": data.tags or [],
                    "content": prepared.content,
                    "content_hash": prepared.content_hash,
                    "title": prepared.title,
                    "redaction_report": prepared.redaction_report,
                    "injection_verdict": prepared.injection_verdict,
                    "injection_score": prepared.injection_score,
                    "flags": prepared.flags,
                    "screen_version": prepared.screen_version,
                    "status": ContributionStatus.BLOCKED
                    if prepared.blocked
                    else ContributionStatus.PROCESSING,
                    "rejection_reason": prepared.block_reason,
                },
            )
        ).scalar_one()
    if prepared.blocked:
        return ContributionReceipt(
            contribution_id,
            "blocked",
            data.category,
            f"Contribution blocked: {prepared.block_reason}. It is kept for curators to inspect and will not be "
            "searchable. Agents read contributions later, so text addressed to them is not accepted.",
        )
    try:
        await ctx.enqueue(contribution_id)
    except Exception as err:
        async with session_scope() as session:
            await session.exec(sa.delete(Contribution).where(Contribution.id == contribution_id))
        raise QueueUnavailable(
            f"the processing queue is unavailable ({type(err).__name__}); try again"
        ) from err
    redacted = prepared.redaction_report.get("total", 0)
    note = f" {redacted} sensitive value(s) were replaced by placeholders." if redacted else ""
    return ContributionReceipt(
        contribution_id,
        "queued",
        data.category,
        "Knowledge contribution queued: it is being processed, then waits for a curator's review." + note,
    )


LIST_STATUSES = {
    "pending": (ContributionStatus.PROCESSING, ContributionStatus.PENDING),
    "approved": (ContributionStatus.APPROVED,),
    "rejected": (ContributionStatus.REJECTED, ContributionStatus.DUPLICATE, ContributionStatus.BLOCKED),
    "all": None,
}


@dataclass(frozen=True)
class OwnContribution:
    id: uuid.UUID
    contribution_id: uuid.UUID
    status: str
    content_preview: str
    category: str
    confidence: float
    contributed_at: datetime
    is_public: bool | None
    rejection_reason: str | None
    duplicate_of: uuid.UUID | None = None  # the live item with the same content
    duplicate_of_contribution: uuid.UUID | None = None  # or the contribution already waiting with it


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total_count: int
    next_cursor: str | None


def _encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        stamp, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("invalid cursor") from None


async def list_own(
    session: AsyncSession,
    principal: Caller,
    *,
    status: str = "all",
    category: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page[OwnContribution]:
    """The calling agent's contributions, newest first, keyset-paged in SQL."""
    if status not in LIST_STATUSES:
        raise InvalidInput(f"invalid status {status!r}: use one of {', '.join(LIST_STATUSES)}")
    validate_category(category)
    if not 1 <= limit <= 100:
        raise InvalidInput("limit must be between 1 and 100")
    base = (
        select(Contribution, KnowledgeItem)
        .outerjoin(KnowledgeItem, col(KnowledgeItem.id) == Contribution.knowledge_item_id)
        .where(Contribution.org_id == principal.org_id, Contribution.source_agent_id == principal.agent_id)
    )
    statuses = LIST_STATUSES[status]
    if statuses is not None:
        base = base.where(col(Contribution.status).in_(statuses))
    if category is not None:
        base = base.where(Contribution.category == category)
    total = (await session.exec(select(sa.func.count()).select_from(base.subquery()))).one()
    query = base
    if cursor:
        stamp, row_id = _decode_cursor(cursor)
        query = query.where(sa.tuple_(Contribution.created_at, Contribution.id) < sa.tuple_(stamp, row_id))
    rows = (
        await session.exec(
            query.order_by(col(Contribution.created_at).desc(), col(Contribution.id).desc()).limit(limit + 1)
        )
    ).all()
    items = [
        OwnContribution(
            id=item.id if item is not None and c.status == ContributionStatus.APPROVED else c.id,
            contribution_id=c.id,
            status=c.status,
            content_preview=preview(c.content or "", 80),
            category=c.category,
            confidence=c.confidence,
            contributed_at=c.created_at,
            is_public=item.is_public if item is not None else None,
            duplicate_of=c.duplicate_of,
            duplicate_of_contribution=c.duplicate_of_contribution,
            rejection_reason=c.rejection_reason,
        )
        for c, item in rows[:limit]
    ]
    next_cursor = (
        _encode_cursor(rows[limit - 1][0].created_at, rows[limit - 1][0].id) if len(rows) > limit else None
    )
    return Page(items, total, next_cursor)
