"""The ingestion pipeline, run by an RQ worker for each contribution (SPEC §5).

It is an ordered list of stages over one context. Text stages are pure functions (scrubbing and
injection screening slot in before hashing); then the content is embedded, compared with what
the commons already holds, and the contribution moves from ``processing`` to ``pending`` (or
``duplicate``) in one transaction that also appends the ``contribution.created`` event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import embeddings
from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import Contribution
from hivemind_api.events import append_event
from hivemind_api.knowledge.text import content_hash, make_title
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.pipeline")
NEAR_DUPLICATE_SIMILARITY = 0.92
SIMILAR_ITEMS = 10


@dataclass
class PipelineContext:
    contribution_id: uuid.UUID
    content: str
    title: str = ""
    content_hash: str = ""
    embedding: list[float] | None = None
    embedding_model: str | None = None
    redaction_report: dict[str, Any] = field(default_factory=dict)
    injection_verdict: dict[str, Any] = field(default_factory=dict)


TextStage = Callable[[PipelineContext], None]


def normalize(ctx: PipelineContext) -> None:
    """Unify line endings and strip trailing whitespace; content stays otherwise byte-identical."""
    ctx.content = "\n".join(line.rstrip() for line in ctx.content.replace("\r\n", "\n").split("\n")).strip()


def hash_content(ctx: PipelineContext) -> None:
    ctx.content_hash = content_hash(ctx.content)


def title(ctx: PipelineContext) -> None:
    ctx.title = make_title(ctx.content)


def embed(ctx: PipelineContext) -> None:
    ctx.embedding = embeddings.embed([ctx.content])[0]
    ctx.embedding_model = embeddings.model_identity().model_id


# Scrubbing and injection screening (issue 4) go between normalize and hash_content: the hash,
# title and embedding must describe the content exactly as it will be stored.
TEXT_STAGES: list[TextStage] = [normalize, hash_content, title, embed]


_SIMILAR_SQL = sa.text(
    """
    SELECT id, title, org_id, is_public, 1 - (embedding <=> CAST(:q AS vector)) AS similarity
    FROM knowledge_items
    WHERE (org_id = :org OR is_public) AND deleted_at IS NULL AND expired_at IS NULL
      AND embedding IS NOT NULL
    ORDER BY embedding <=> CAST(:q AS vector)
    LIMIT :k
    """
)


# The same content already live in the org's knowledge, or already waiting in its queue.
_DUPLICATES_SQL = sa.text(
    """
    SELECT
      (SELECT id FROM knowledge_items WHERE org_id = :org AND content_hash = :h
         AND deleted_at IS NULL AND expired_at IS NULL),
      (SELECT id FROM contributions WHERE org_id = :org AND content_hash = :h AND status = 'pending')
    """
)


async def _similar_items(session: AsyncSession, org_id: uuid.UUID, vector: list[float]) -> list[dict[str, Any]]:
    rows = (await session.exec(_SIMILAR_SQL, params={"q": str(vector), "org": org_id, "k": SIMILAR_ITEMS})).all()
    similar = [
        {
            "id": str(r.id), "title": r.title, "similarity": round(float(r.similarity), 4),
            "own_org": r.org_id == org_id, "is_public": r.is_public,
            "near_duplicate": float(r.similarity) >= NEAR_DUPLICATE_SIMILARITY,
        }
        for r in rows
    ]
    return sorted(similar, key=lambda s: -s["similarity"])


async def _finish(ctx: PipelineContext) -> str:
    async with session_scope() as session:
        row = await session.get(Contribution, ctx.contribution_id, with_for_update=True)
        if row is None or row.status != "processing":
            return row.status if row else "missing"  # withdrawn meanwhile, or a retried job already done
        row.content, row.title, row.content_hash = ctx.content, ctx.title, ctx.content_hash
        row.embedding, row.embedding_model = ctx.embedding, ctx.embedding_model
        row.redaction_report, row.injection_verdict = ctx.redaction_report, ctx.injection_verdict
        row.similar_items = await _similar_items(session, row.org_id, ctx.embedding)
        row.updated_at = sa.func.now()
        live_item, queued = (await session.exec(_DUPLICATES_SQL, params={"org": row.org_id, "h": ctx.content_hash})).one()
        if live_item is not None or queued is not None:
            row.status, row.duplicate_of, row.duplicate_of_contribution = "duplicate", live_item, queued
        else:
            row.status = "pending"
        session.add(row)
        await session.flush()
        if row.status == "pending":
            await append_event(
                session, "contribution.created", org_id=row.org_id, contribution_id=row.id,
                summary={"id": str(row.id), "title": row.title, "category": row.category,
                         "source_agent_id": row.source_agent_id},
            )
        return row.status


def process_contribution(contribution_id: str, content: str) -> str:
    """RQ job: run every stage, then store the result. Returns the contribution's new status."""
    ctx = PipelineContext(uuid.UUID(contribution_id), content)
    for stage in TEXT_STAGES:
        stage(ctx)
    status = run_async(_finish(ctx))
    log.info("contribution %s -> %s", contribution_id, status)
    return status
