"""Reading, deleting and publishing knowledge items. Another org's private item is answered
exactly like a missing one: NotFound("... not found")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.db.models import Contribution, KnowledgeItem, Org, db_now
from hivemind_api.errors import Conflict, InvalidInput, NotFound, UnstorableText
from hivemind_api.events.log import append_event
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.access import require_curator, require_writer
from hivemind_api.knowledge.quality import breakdown, rescore
from hivemind_api.knowledge.search import record_retrievals
from hivemind_api.knowledge.text import content_hash
from hivemind_api.knowledge.validity import range_history
from hivemind_api.knowledge.visibility import (
    item_present,
    item_visible_to,
    own_item_for_update,
    present_sql,
    visible_sql,
)
from hivemind_api.vocab import ContributionStatus, CuratorMark, EventType

INTEGRITY_WARNING = "Content hash mismatch detected: this item may have been altered since it was approved."


@dataclass(frozen=True)
class ItemDetail:
    id: uuid.UUID
    title: str
    content: str
    category: str
    confidence: float
    framework: str | None
    language: str | None
    version: str | None
    tags: list[str]
    org_attribution: str
    source_agent_id: str
    run_id: str | None
    contributed_at: datetime
    approved_at: datetime
    content_hash: str
    is_public: bool
    quality_score: float
    retrieval_count: int
    helpful_count: int
    not_helpful_count: int
    valid_at: datetime | None
    invalid_at: datetime | None
    expired_at: datetime | None
    superseded_by: uuid.UUID | None
    integrity_verified: bool | None  # True, or None with integrity_warning set
    integrity_warning: str | None
    screen_version: str | None  # the version of the trust screens that last passed it
    version_range: str | None = None  # the framework versions it holds for (PEP 440); None: all
    forked_from: uuid.UUID | None = None  # the item it was forked from (valid below this one's range)
    # What quality_score is made of (knowledge.quality): usefulness, popularity, freshness,
    # penalty, counted votes of its own org and of others, a curator's mark.
    quality: dict[str, Any] = field(default_factory=dict)


def _not_found(item_id: object) -> NotFound:
    return NotFound(f"knowledge item '{item_id}' not found")


async def _visible_item(
    session: AsyncSession, principal: Caller, item_id: uuid.UUID
) -> tuple[KnowledgeItem, Org]:
    row = (
        await session.exec(
            select(KnowledgeItem, Org)
            .join(Org, col(Org.id) == KnowledgeItem.org_id)
            .where(
                KnowledgeItem.id == item_id,
                item_present(),
                item_visible_to(principal.org_id),
            )
        )
    ).first()
    if row is None:
        raise _not_found(item_id)
    return row


async def get_item(
    session: AsyncSession, principal: Caller, item_id: str, *, run_id: str | None = None
) -> ItemDetail:
    """The full item; an agent's read is recorded as a retrieval, a dashboard member's is not."""
    item, org = await _visible_item(session, principal, parse_uuid(item_id, "item id"))
    intact = content_hash(item.content) == item.content_hash
    recorded = principal.records_reads
    if recorded:
        await record_retrievals(session, principal, [item.id], run_id=run_id)
    return ItemDetail(
        id=item.id,
        title=item.title,
        content=item.content,
        category=item.category,
        confidence=item.confidence,
        framework=item.framework,
        language=item.language,
        version=item.version,
        tags=list(item.tags or []),
        org_attribution=org.slug,
        source_agent_id=item.source_agent_id,
        run_id=item.run_id,
        contributed_at=item.contributed_at,
        approved_at=item.approved_at,
        content_hash=item.content_hash,
        is_public=item.is_public,
        quality_score=item.quality_score,
        retrieval_count=item.retrieval_count + recorded,
        helpful_count=item.helpful_count,
        not_helpful_count=item.not_helpful_count,
        valid_at=item.valid_at,
        invalid_at=item.invalid_at,
        expired_at=item.expired_at,
        superseded_by=item.superseded_by,
        integrity_verified=True if intact else None,
        integrity_warning=None if intact else INTEGRITY_WARNING,
        screen_version=item.screen_version,
        version_range=item.version_range,
        forked_from=item.forked_from,
        quality=(await breakdown(session, item.id)).as_dict(),
    )


@dataclass(frozen=True)
class ItemActivity:
    """How an item is used: retrievals by its own org vs others, outcomes, and its history."""

    retrievals_own: int
    retrievals_others: int
    solved: int
    not_helpful: int
    events: list[tuple[str, datetime]]


async def item_activity(session: AsyncSession, principal: Caller, item_id: str) -> ItemActivity:
    item, _ = await _visible_item(session, principal, parse_uuid(item_id, "item id"))
    counts = (
        await session.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE kind = 'retrieval' AND by_own_org) AS own, "
                "count(*) FILTER (WHERE kind = 'retrieval' AND NOT by_own_org) AS others, "
                "count(*) FILTER (WHERE kind = 'outcome_solved') AS solved, "
                "count(*) FILTER (WHERE kind = 'outcome_not_helpful') AS not_helpful "
                "FROM signals WHERE knowledge_item_id = :id"
            ),
            params={"id": item.id},
        )
    ).one()
    events = (
        await session.execute(
            sa.text(
                "SELECT type, created_at FROM events WHERE knowledge_item_id = :id AND (org_id = :org OR is_public) "
                "ORDER BY id DESC LIMIT 20"
            ),
            params={"id": item.id, "org": principal.org_id},
        )
    ).all()
    return ItemActivity(
        int(counts.own),
        int(counts.others),
        int(counts.solved),
        int(counts.not_helpful),
        [(e.type, e.created_at) for e in events],
    )


@dataclass(frozen=True)
class Revision:
    kind: str  # "agent" (as contributed, scrubbed) | "curator_edit"
    actor: str
    at: datetime
    title: str
    content: str


@dataclass(frozen=True)
class RangeSpan:
    version_range: str | None  # None: every version
    valid_from: datetime
    valid_to: datetime | None  # None: the current range
    reason: str


@dataclass(frozen=True)
class Fork:
    id: uuid.UUID
    title: str
    version_range: str | None
    direction: str  # "forked from" (this item came from it) | "forked to"


@dataclass(frozen=True)
class ItemHistory:
    """How an item came to be what it is: its texts, its version ranges over time, its forks."""

    revisions: list[Revision]
    ranges: list[RangeSpan]
    forks: list[Fork]


async def item_history(session: AsyncSession, principal: Caller, item_id: str) -> ItemHistory:
    """Readable by whoever can read the item; the texts are the scrubbed ones that were stored."""
    item, _ = await _visible_item(session, principal, parse_uuid(item_id, "item id"))
    revisions = (
        await session.execute(
            sa.text(
                "SELECT kind, actor_label, created_at, title, content FROM item_revisions "
                "WHERE knowledge_item_id = :id ORDER BY id"
            ),
            params={"id": item.id},
        )
    ).all()
    forks = (
        await session.execute(
            sa.text(
                "SELECT k.id, k.title, k.version_range, CASE WHEN k.id = :from THEN 'forked from' "
                "ELSE 'forked to' END AS direction FROM knowledge_items k "
                f"WHERE (k.id = :from OR k.forked_from = :id) AND {present_sql('k')} AND {visible_sql('k')} "
                "ORDER BY k.approved_at"
            ),
            params={"id": item.id, "from": item.forked_from, "org": principal.org_id},
        )
    ).all()
    return ItemHistory(
        revisions=[Revision(r.kind, r.actor_label, r.created_at, r.title, r.content) for r in revisions],
        ranges=[RangeSpan(*r) for r in await range_history(session, item.id)],
        forks=[Fork(f.id, f.title, f.version_range, f.direction) for f in forks],
    )


@dataclass(frozen=True)
class DeleteResult:
    id: uuid.UUID
    status: str  # "deleted" (an approved item) or "withdrawn" (a contribution not yet approved)
    message: str


async def delete_own(session: AsyncSession, principal: Caller, target_id: str) -> DeleteResult:
    """Soft-delete the agent's own item (curator keys: any item of their org), or withdraw a
    contribution still in the queue. Either way it is gone from search at once."""
    require_writer(principal)
    target = parse_uuid(target_id)
    owner_clause = (
        sa.true() if principal.can_curate else col(KnowledgeItem.source_agent_id) == principal.agent_id
    )
    item = await own_item_for_update(
        session, principal.org_id, target, col(KnowledgeItem.deleted_at).is_(None), owner_clause
    )
    if item is not None:
        item.deleted_at = db_now()
        session.add(item)
        await session.flush()
        await session.refresh(item)
        await append_event(
            session, EventType.KNOWLEDGE_DELETED, org_id=item.org_id, is_public=item.is_public, item=item
        )
        await audit.record(
            session,
            by=principal,
            action="knowledge.deleted",
            org_id=item.org_id,
            target_type="knowledge_item",
            target_id=str(item.id),
        )
        return DeleteResult(
            item.id, "deleted", "Knowledge item deleted. It no longer appears in search results."
        )
    contribution = (
        await session.exec(
            select(Contribution)
            .where(
                Contribution.id == target,
                Contribution.org_id == principal.org_id,
                col(Contribution.status).in_((ContributionStatus.PROCESSING, ContributionStatus.PENDING)),
                sa.true() if principal.can_curate else Contribution.source_agent_id == principal.agent_id,
            )
            .with_for_update()
        )
    ).first()
    if contribution is None:
        raise _not_found(target)
    contribution.status = ContributionStatus.REJECTED
    contribution.rejection_reason = "withdrawn by the contributing agent"
    contribution.reviewed_at = db_now()
    session.add(contribution)
    return DeleteResult(contribution.id, "withdrawn", "Contribution withdrawn before review.")


@dataclass(frozen=True)
class PublishResult:
    id: uuid.UUID
    is_public: bool
    message: str


async def set_public(
    session: AsyncSession, principal: Caller, item_id: str, is_public: bool
) -> PublishResult:
    """Publish to (or withdraw from) the public commons: curator keys of the owning org only."""
    require_curator(principal)
    target = parse_uuid(item_id, "item id")
    item = await own_item_for_update(session, principal.org_id, target, item_present())
    if item is None:
        raise _not_found(item_id)
    if item.is_public == is_public:
        raise Conflict(f"knowledge item '{item_id}' is already {'public' if is_public else 'private'}")
    item.is_public = is_public
    item.published_at = db_now() if is_public else None
    item.updated_at = db_now()
    session.add(item)
    await session.flush()
    await session.refresh(item)
    # The unpublish event is public too: public subscribers must learn the item is gone.
    await append_event(
        session,
        EventType.KNOWLEDGE_PUBLISHED if is_public else EventType.KNOWLEDGE_UNPUBLISHED,
        org_id=item.org_id,
        is_public=True,
        item=item,
    )
    await audit.record(
        session,
        by=principal,
        action="knowledge.published" if is_public else "knowledge.unpublished",
        org_id=item.org_id,
        target_type="knowledge_item",
        target_id=str(item.id),
    )
    message = (
        "Knowledge published to the public commons."
        if is_public
        else "Knowledge unpublished from the public commons."
    )
    return PublishResult(item.id, is_public, message)


async def invalidate(session: AsyncSession, principal: Caller, item_id: str) -> None:
    """Mark one of the org's items no longer valid from now (curators): search stops returning it,
    but it stays readable for what was believed before (``at_time``)."""
    require_curator(principal)
    item = await own_item_for_update(
        session, principal.org_id, parse_uuid(item_id, "item id"), item_present()
    )
    if item is None:
        raise _not_found(item_id)
    if item.invalid_at is not None:
        raise Conflict(f"knowledge item '{item_id}' is already invalidated")
    item.invalid_at, item.updated_at = db_now(), db_now()
    session.add(item)
    await session.flush()
    await audit.record(
        session,
        by=principal,
        action="knowledge.invalidated",
        org_id=item.org_id,
        target_type="knowledge_item",
        target_id=str(item.id),
    )


MAX_MARK_REASON = 1000


@dataclass(frozen=True)
class MarkResult:
    id: uuid.UUID
    curator_mark: str | None
    reason: str | None
    quality_score: float
    invalid_at: datetime | None  # set while marked incorrect: search no longer returns it


async def mark_item(
    session: AsyncSession, principal: Caller, item_id: str, mark: str | None, reason: str | None = None
) -> MarkResult:
    """A curator of the owning org marks an item ``outdated`` (a penalty on its quality) or
    ``incorrect`` (a larger penalty, and no longer valid from now: search stops returning it,
    ``at_time`` before now still does), or clears the mark (``None``)."""
    require_curator(principal)
    try:
        new = CuratorMark(mark) if mark else None
    except ValueError:
        raise InvalidInput(
            f"invalid mark {mark!r}: use 'outdated', 'incorrect' or none to clear it"
        ) from None
    reason = (reason or "").strip() or None
    UnstorableText.check("reason", reason)
    if reason is not None and len(reason) > MAX_MARK_REASON:
        raise InvalidInput(f"reason must be at most {MAX_MARK_REASON} characters")
    if new is not None and reason is None:
        raise InvalidInput("say why: a reason is required to mark an item")
    item = await own_item_for_update(
        session, principal.org_id, parse_uuid(item_id, "item id"), item_present()
    )
    if item is None:
        raise _not_found(item_id)
    was_incorrect = item.curator_mark == CuratorMark.INCORRECT
    if new is CuratorMark.INCORRECT and not was_incorrect and item.invalid_at is None:
        item.invalid_at = db_now()
    elif new is not CuratorMark.INCORRECT and was_incorrect:
        item.invalid_at = None  # the mark had invalidated it
    item.curator_mark, item.curator_mark_reason, item.updated_at = new, reason, db_now()
    session.add(item)
    await session.flush()
    score = (await rescore(session, [item.id]))[item.id]
    await session.refresh(item)
    await append_event(
        session,
        EventType.KNOWLEDGE_MARKED,
        org_id=item.org_id,
        is_public=item.is_public,
        item=item,
        extra={"mark": new, "reason": reason},
    )
    await audit.record(
        session,
        by=principal,
        action="knowledge.marked",
        org_id=item.org_id,
        target_type="knowledge_item",
        target_id=str(item.id),
        details={"mark": new, "reason": reason},
    )
    return MarkResult(item.id, new, reason, round(score, 4), item.invalid_at)
