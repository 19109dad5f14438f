"""Curator review: the queue, approval (which creates the knowledge item) and rejection.

Approval copies the contribution's provenance and its pipeline embedding into a new knowledge
item, marks the contribution approved and appends ``knowledge.approved``, all in one transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.db.models import Contribution, ItemRevision, KnowledgeItem, db_now
from hivemind_api.errors import Conflict, InvalidInput, NotFound
from hivemind_api.events.log import append_event, contribution_summary
from hivemind_api.infra import embeddings
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.access import require_curator
from hivemind_api.knowledge.ingest import PreparedText, normalize, prepare_edit
from hivemind_api.knowledge.quality import rescore
from hivemind_api.knowledge.text import preview
from hivemind_api.knowledge.validation import validate_category
from hivemind_api.knowledge.validity import set_range
from hivemind_api.knowledge.versions import forked_range, parse_range
from hivemind_api.knowledge.visibility import item_present, own_item_for_update
from hivemind_api.vocab import ContributionStatus, EventType

MAX_REASON = 1000


@dataclass(frozen=True)
class PendingContribution:
    id: uuid.UUID
    title: str
    content_preview: str
    category: str
    source_agent_id: str
    created_at: datetime
    content_hash: str
    confidence: float
    similar_items: list[Any]
    status: str = "pending"
    prescreen_score: int | None = None
    prescreen_reasons: list[Any] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    redaction_report: dict[str, Any] = field(default_factory=dict)
    injection_verdict: dict[str, Any] = field(default_factory=dict)
    duplicate_of: uuid.UUID | None = None


@dataclass(frozen=True)
class PendingPage:
    items: list[PendingContribution]
    total: int
    limit: int
    offset: int


QUEUE_STATUSES = ("pending", "blocked", "duplicate", "rejected", "approved")
QUEUE_SORTS = ("newest", "oldest", "prescreen")


async def list_pending(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    limit: int = 50,
    offset: int = 0,
    status: str = "pending",
    category: str | None = None,
    flagged: bool | None = None,
    sort: str = "newest",
    agent: str | None = None,
) -> PendingPage:
    """The org's review queue (or its blocked, duplicate, … contributions), paged in SQL."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more")
    if status not in QUEUE_STATUSES:
        raise InvalidInput(f"invalid status {status!r}: use one of {', '.join(QUEUE_STATUSES)}")
    if sort not in QUEUE_SORTS:
        raise InvalidInput(f"invalid sort {sort!r}: use one of {', '.join(QUEUE_SORTS)}")
    validate_category(category)
    where = [Contribution.org_id == org_id, Contribution.status == status]
    if category is not None:
        where.append(Contribution.category == category)
    if flagged is not None:
        where.append(Contribution.flags != [] if flagged else Contribution.flags == [])
    if agent:
        where.append(Contribution.source_agent_id == agent.strip())
    order: tuple[Any, ...] = {
        "newest": (col(Contribution.created_at).desc(), col(Contribution.id).desc()),
        "oldest": (col(Contribution.created_at).asc(), col(Contribution.id).asc()),
        "prescreen": (
            col(Contribution.prescreen_score).desc().nulls_last(),
            col(Contribution.created_at).asc(),
        ),
    }[sort]
    total = (await session.exec(select(func.count()).select_from(Contribution).where(*where))).one()
    rows = (
        await session.exec(select(Contribution).where(*where).order_by(*order).offset(offset).limit(limit))
    ).all()
    items = [
        PendingContribution(
            id=c.id,
            title=c.title or "",
            content_preview=preview(c.content or "", 500),
            category=c.category,
            source_agent_id=c.source_agent_id,
            created_at=c.created_at,
            content_hash=c.content_hash or "",
            confidence=c.confidence,
            similar_items=list(c.similar_items or []),
            status=c.status,
            prescreen_score=c.prescreen_score,
            prescreen_reasons=list(c.prescreen_reasons or []),
            flags=list(c.flags or []),
            redaction_report=dict(c.redaction_report or {}),
            injection_verdict=dict(c.injection_verdict or {}),
            duplicate_of=c.duplicate_of,
        )
        for c in rows
    ]
    return PendingPage(items, total, limit, offset)


@dataclass(frozen=True)
class ContributionDetail:
    """Everything a curator needs to decide on one contribution (content is already scrubbed)."""

    id: uuid.UUID
    status: str
    title: str
    content: str
    category: str
    confidence: float
    framework: str | None
    language: str | None
    version: str | None
    tags: list[str]
    source_agent_id: str
    run_id: str | None
    created_at: datetime
    prescreen_score: int | None
    prescreen_reasons: list[Any]
    flags: list[str]
    redaction_report: dict[str, Any]
    injection_verdict: dict[str, Any]
    similar_items: list[Any]
    rejection_reason: str | None
    knowledge_item_id: uuid.UUID | None
    version_range: str | None = None  # the agent's PEP 440 range; None: every version

    # The evidence as one line per fact, worded once for every review surface (dashboard, terminal).

    def meta_line(self) -> str:
        meta = [self.category, f"agent {self.source_agent_id}", f"confidence {self.confidence:.2f}"]
        return " · ".join(meta + [x for x in (self.framework, self.language, self.version) if x])

    def reason_lines(self) -> list[str]:
        return [f"{r['points']:+d} {r['detail']}" for r in self.prescreen_reasons]

    def redaction_lines(self) -> list[str]:
        return [f"{kind}: {n}" for kind, n in sorted(self.redaction_report.get("entities", {}).items())]

    def rule_lines(self) -> list[str]:
        return [
            f"{m['rule']} ({m['family']}, in {m['where']})" for m in self.injection_verdict.get("matches", [])
        ]

    def similar(self) -> list[SimilarView]:
        return [
            SimilarView(
                id=str(s["id"]),
                title=str(s["title"]),
                score=f"cosine {s['similarity']}"
                if s.get("similarity") is not None
                else f"jaccard {s['jaccard']}",
                near_duplicate=bool(s.get("near_duplicate")),
                own_org=bool(s.get("own_org")),
            )
            for s in self.similar_items
        ]


@dataclass(frozen=True)
class SimilarView:
    """A similar item as a reviewer reads it: its score already worded."""

    id: str
    title: str
    score: str
    near_duplicate: bool
    own_org: bool


async def get_contribution(
    session: AsyncSession, org_id: uuid.UUID, contribution_id: str
) -> ContributionDetail:
    """One of the org's contributions; another org's is 404 like a missing one."""
    row = (
        await session.exec(
            select(Contribution).where(
                Contribution.id == parse_uuid(contribution_id, "contribution id"),
                Contribution.org_id == org_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"contribution '{contribution_id}' not found")
    return ContributionDetail(
        id=row.id,
        status=row.status,
        title=row.title or "",
        content=row.content or "",
        category=row.category,
        confidence=row.confidence,
        framework=row.framework,
        language=row.language,
        version=row.version,
        tags=list(row.tags or []),
        source_agent_id=row.source_agent_id,
        run_id=row.run_id,
        created_at=row.created_at,
        prescreen_score=row.prescreen_score,
        prescreen_reasons=list(row.prescreen_reasons or []),
        flags=list(row.flags or []),
        redaction_report=dict(row.redaction_report or {}),
        injection_verdict=dict(row.injection_verdict or {}),
        similar_items=list(row.similar_items or []),
        rejection_reason=row.rejection_reason,
        knowledge_item_id=row.knowledge_item_id,
        version_range=row.version_range,
    )


async def _pending(session: AsyncSession, reviewer: Caller, contribution_id: str) -> Contribution:
    require_curator(reviewer)
    target = parse_uuid(contribution_id, "contribution id")
    row = (
        await session.exec(
            select(Contribution)
            .where(Contribution.id == target, Contribution.org_id == reviewer.org_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound(f"contribution '{contribution_id}' not found")
    if row.status != ContributionStatus.PENDING:
        raise Conflict(f"contribution '{contribution_id}' is {row.status}, not pending")
    return row


async def approve(
    session: AsyncSession,
    reviewer: Caller,
    contribution_id: str,
    *,
    is_public: bool = False,
    supersedes: str | None = None,
    category: str | None = None,
    version_range: str | None = None,
    fork_of: str | None = None,
    content: str | None = None,
) -> KnowledgeItem:
    """Approve into a new knowledge item, valid from now.

    ``supersedes``: one of the org's current items that the new one replaces; it gets
    ``expired_at`` and ``superseded_by`` in the same transaction, so it is retired only if the
    approval commits. ``fork_of``: one of the org's current items that stays valid for the
    versions below where the new item's range starts (a **version fork**: ``>=5`` leaves the old
    one ``<5``). ``category`` and ``version_range``: the curator's corrections of the agent's
    (the contribution keeps the agent's; the audit row records both). ``content``: the curator's
    edit of the text, scrubbed and screened again (``ingest.prepare_edit``) and embedded anew; the
    item's history keeps the agent's text and the edit."""
    new_category = validate_category(category.strip()) if category and category.strip() else None
    if supersedes and fork_of:
        raise InvalidInput("choose supersedes or fork_of, not both")
    curator_range = parse_range(version_range) if version_range and version_range.strip() else None
    c = await _pending(session, reviewer, contribution_id)
    if c.content is None or c.title is None or c.content_hash is None:  # pending rows always have them
        raise Conflict(f"contribution '{contribution_id}' has no text to approve")
    new_range = curator_range or parse_range(c.version_range)
    edit: PreparedText | None = None
    embedding, embedding_model = c.embedding, c.embedding_model
    if content is not None and normalize(content) and normalize(content) != c.content:
        edit = await asyncio.to_thread(prepare_edit, content)
        embedding = (await asyncio.to_thread(embeddings.embed_many, [edit.content]))[0]
        embedding_model = (await asyncio.to_thread(embeddings.model_identity)).model_id
    old: KnowledgeItem | None = None
    old_range = None
    target = supersedes or fork_of
    if target:
        label = "superseded" if supersedes else "forked"
        old = await own_item_for_update(
            session, reviewer.org_id, parse_uuid(target, f"{label} item id"), item_present()
        )
        if old is None:
            raise NotFound(f"knowledge item '{target}' not found")
        if old.expired_at is not None:
            raise Conflict(f"knowledge item '{target}' is already superseded or expired")
        if fork_of:
            old_range = forked_range(parse_range(old.version_range), new_range)
    item = KnowledgeItem(
        contribution_id=c.id,
        org_id=c.org_id,
        source_agent_id=c.source_agent_id,
        run_id=c.run_id,
        category=new_category or c.category,
        confidence=c.confidence,
        framework=c.framework,
        language=c.language,
        version=c.version,
        version_range=None if new_range is None else new_range.text,
        forked_from=old.id if old is not None and fork_of else None,
        valid_at=db_now(),
        tags=list(c.tags or []),
        content_hash=c.content_hash if edit is None else edit.content_hash,
        contributed_at=c.created_at,
        title=c.title if edit is None else edit.title,
        content=c.content if edit is None else edit.content,
        is_public=is_public,
        published_at=db_now() if is_public else None,
        embedding=embedding,
        embedding_model=embedding_model,
        approved_by=reviewer.user_id,
        screen_version=c.screen_version if edit is None else edit.screen_version,
    )
    try:
        async with session.begin_nested():
            session.add(item)
            await session.flush()
    except IntegrityError:
        raise Conflict("an identical live item already exists in this org") from None
    await session.refresh(item)
    await set_range(session, item.id, new_range, "approved", opening=True)
    session.add(
        ItemRevision(
            knowledge_item_id=item.id,
            kind="agent",
            title=c.title,
            content=c.content,
            actor_label=f"agent:{c.source_agent_id}",
        )
    )
    if edit is not None:
        session.add(
            ItemRevision(
                knowledge_item_id=item.id,
                kind="curator_edit",
                title=edit.title,
                content=edit.content,
                actor_label=reviewer.audit.actor,
            )
        )
    if old is not None and fork_of:
        assert old_range is not None  # computed with the fork above
        await set_range(session, old.id, old_range, f"forked: {item.id} holds from its range's start")
        await session.refresh(old)
        await append_event(
            session,
            EventType.KNOWLEDGE_NARROWED,
            org_id=old.org_id,
            is_public=old.is_public,
            item=old,
            extra={"forked_to": str(item.id), "new_range": old_range.text, "narrowed": True},
        )
    elif old is not None:
        old.expired_at, old.superseded_by = db_now(), item.id
        c.supersedes_id = old.id
        session.add(old)
        await session.flush()
        await session.refresh(old)
        await append_event(
            session,
            EventType.KNOWLEDGE_SUPERSEDED,
            org_id=old.org_id,
            is_public=old.is_public,
            item=old,
            extra={"superseded_by": str(item.id)},
        )
    c.status, c.knowledge_item_id = ContributionStatus.APPROVED, item.id
    c.reviewed_by, c.reviewed_at, c.updated_at = reviewer.user_id, db_now(), db_now()
    session.add(c)
    await session.flush()
    await append_event(
        session,
        EventType.KNOWLEDGE_APPROVED,
        org_id=item.org_id,
        is_public=item.is_public,
        item=item,
        contribution_id=c.id,
    )
    await audit.record(
        session,
        by=reviewer,
        action="contribution.approved",
        org_id=c.org_id,
        target_type="contribution",
        target_id=str(c.id),
        details={
            "knowledge_item_id": str(item.id),
            "is_public": is_public,
            **({"category": item.category, "agent_category": c.category} if new_category else {}),
            "supersedes": str(old.id) if old is not None and supersedes else None,
            **({"fork_of": fork_of, "old_range": old_range.text} if old_range is not None else {}),
            **(
                {"version_range": item.version_range, "agent_range": c.version_range} if curator_range else {}
            ),
        },
    )
    await rescore(session, [item.id])
    await session.refresh(item)
    return item


async def reject(
    session: AsyncSession, reviewer: Caller, contribution_id: str, *, reason: str | None = None
) -> Contribution:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be at most {MAX_REASON} characters")
    c = await _pending(session, reviewer, contribution_id)
    c.status, c.rejection_reason = ContributionStatus.REJECTED, reason
    c.reviewed_by, c.reviewed_at, c.updated_at = reviewer.user_id, db_now(), db_now()
    session.add(c)
    await session.flush()
    await append_event(
        session,
        EventType.KNOWLEDGE_REJECTED,
        org_id=c.org_id,
        contribution_id=c.id,
        summary=contribution_summary(c),
        extra={"reason": reason},
    )
    await audit.record(
        session,
        by=reviewer,
        action="contribution.rejected",
        org_id=c.org_id,
        target_type="contribution",
        target_id=str(c.id),
        details={"reason": reason},
    )
    return c
