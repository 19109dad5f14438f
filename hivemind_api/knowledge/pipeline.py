"""The slow half of ingestion, run by an RQ worker for each contribution (SPEC §5).

The request path has already scrubbed, screened, hashed and titled the text (``ingest``) and
stored it; the job carries only the contribution's id. Here the stored text is embedded,
compared with what the commons already holds, and the contribution moves from ``processing`` to
``pending`` (or ``duplicate``) in one transaction that also appends the ``contribution.created``
event. A retried or duplicated job finds the row no longer ``processing`` and does nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import embeddings
from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import Contribution, MinhashBand
from hivemind_api.events import append_event
from hivemind_api.knowledge import review, rules
from hivemind_api.trust import minhash
from hivemind_api.trust.prescreen import AgentHistory, PrescreenInput, prescreen
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.pipeline")
NEAR_DUPLICATE_SIMILARITY = 0.92
SIMILAR_ITEMS = 10


@dataclass
class PipelineContext:
    contribution_id: uuid.UUID
    org_id: uuid.UUID
    agent_id: str
    category: str
    content: str
    content_hash: str
    embedding: list[float] | None = None
    embedding_model: str | None = None
    minhash: list[int] = field(default_factory=list)


def embed(ctx: PipelineContext) -> None:
    ctx.embedding = embeddings.embed([ctx.content])[0]
    ctx.embedding_model = embeddings.model_identity().model_id


def sign(ctx: PipelineContext) -> None:
    ctx.minhash = minhash.signature(ctx.content)


# CPU stages of the job, in order; the database stages follow in ``_finish``.
STAGES = [embed, sign]


_SIMILAR_SQL = sa.text(
    """
    SELECT k.id, k.title, k.org_id, k.is_public, 1 - (k.embedding <=> CAST(:q AS vector)) AS similarity, c.minhash
    FROM knowledge_items k LEFT JOIN contributions c ON c.id = k.contribution_id
    WHERE (k.org_id = :org OR k.is_public) AND k.deleted_at IS NULL AND k.expired_at IS NULL
      AND k.embedding IS NOT NULL
    ORDER BY k.embedding <=> CAST(:q AS vector)
    LIMIT :k
    """
)

# Contributions sharing at least one LSH band with this one: live items the caller may see (for
# near-duplicates the ANN did not rank) and recent contributions of any org (for bursts).
_BAND_CANDIDATES_SQL = sa.text(
    """
    SELECT DISTINCT c.id, c.minhash, c.org_id, c.source_agent_id, c.status,
           c.created_at > now() - make_interval(mins => :burst_minutes) AS recent,
           k.id AS item_id, k.title AS item_title, k.org_id AS item_org, k.is_public
    FROM minhash_bands b
    JOIN contributions c ON c.id = b.contribution_id
    LEFT JOIN knowledge_items k ON k.id = c.knowledge_item_id AND k.deleted_at IS NULL AND k.expired_at IS NULL
    WHERE (b.band, b.hash) IN (SELECT * FROM unnest(CAST(:bands AS smallint[]), CAST(:hashes AS bigint[])))
      AND c.id <> :me
    LIMIT 200
    """
)

_HISTORY_SQL = sa.text(
    """
    SELECT count(*) FILTER (WHERE status = 'approved'),
           count(*) FILTER (WHERE status IN ('rejected', 'duplicate', 'blocked'))
    FROM (SELECT status FROM contributions
          WHERE org_id = :org AND source_agent_id = :agent AND id <> :me
            AND status NOT IN ('processing', 'pending')
          ORDER BY created_at DESC LIMIT 50) recent
    """
)
BURST_MINUTES = 10
BURST_OTHER_AGENTS = 2


# The same content already live in the org's knowledge, or already waiting in its queue.
_DUPLICATES_SQL = sa.text(
    """
    SELECT
      (SELECT id FROM knowledge_items WHERE org_id = :org AND content_hash = :h
         AND deleted_at IS NULL AND expired_at IS NULL),
      (SELECT id FROM contributions WHERE org_id = :org AND content_hash = :h AND status = 'pending')
    """
)


def _similar(item_id: uuid.UUID, title: str, org: uuid.UUID, public: bool, cosine: float | None,
             jaccard: float, own_org: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(item_id), "title": title, "similarity": round(cosine, 4) if cosine is not None else None,
        "jaccard": round(jaccard, 3), "own_org": org == own_org, "is_public": public,
        "near_duplicate": (cosine or 0.0) >= NEAR_DUPLICATE_SIMILARITY or jaccard >= minhash.NEAR_DUPLICATE_JACCARD,
    }


async def _similar_items(session: AsyncSession, ctx: PipelineContext) -> tuple[list[dict[str, Any]], list[str]]:
    """The nearest live items (ANN) plus LSH near-duplicates the ANN missed; and curator flags."""
    rows = (await session.exec(_SIMILAR_SQL, params={"q": str(ctx.embedding), "org": ctx.org_id, "k": SIMILAR_ITEMS})).all()
    similar = {
        str(r.id): _similar(r.id, r.title, r.org_id, r.is_public, float(r.similarity),
                            minhash.jaccard(ctx.minhash, list(r.minhash or [])), ctx.org_id)
        for r in rows
    }
    bands = minhash.bands(ctx.minhash)
    candidates = (await session.exec(_BAND_CANDIDATES_SQL, params={
        "bands": [b for b, _ in bands], "hashes": [h for _, h in bands], "me": ctx.contribution_id,
        "burst_minutes": BURST_MINUTES,
    })).all()
    burst_agents: set[tuple[uuid.UUID, str]] = set()
    for c in candidates:
        j = minhash.jaccard(ctx.minhash, list(c.minhash or []))
        if j < minhash.NEAR_DUPLICATE_JACCARD:
            continue
        visible = c.item_id is not None and (c.item_org == ctx.org_id or c.is_public)
        if visible and str(c.item_id) not in similar:
            similar[str(c.item_id)] = _similar(c.item_id, c.item_title, c.item_org, c.is_public, None, j, ctx.org_id)
        if c.recent and c.status != "blocked" and (c.org_id, c.source_agent_id) != (ctx.org_id, ctx.agent_id):
            burst_agents.add((c.org_id, c.source_agent_id))
    flags = ["burst"] if len(burst_agents) >= BURST_OTHER_AGENTS else []
    ordered = sorted(similar.values(), key=lambda s: (-(s["similarity"] or 0), -s["jaccard"]))
    return ordered, flags


async def _load(contribution_id: uuid.UUID) -> PipelineContext | None:
    async with session_scope() as session:
        row = await session.get(Contribution, contribution_id)
        if row is None or row.status != "processing":
            return None  # withdrawn meanwhile, or a retried job already done
        return PipelineContext(row.id, row.org_id, row.source_agent_id, row.category, row.content, row.content_hash)


async def _finish(ctx: PipelineContext) -> str:
    async with session_scope() as session:
        row = await session.get(Contribution, ctx.contribution_id, with_for_update=True)
        if row is None or row.status != "processing":
            return row.status if row else "missing"  # withdrawn meanwhile, or a retried job already done
        row.embedding, row.embedding_model, row.minhash = ctx.embedding, ctx.embedding_model, ctx.minhash
        row.similar_items, flags = await _similar_items(session, ctx)
        row.flags = sorted(set(row.flags or []) | set(flags))
        session.add_all(MinhashBand(contribution_id=row.id, band=b, hash=h) for b, h in minhash.bands(ctx.minhash))
        approved, rejected = (await session.exec(_HISTORY_SQL, params={
            "org": row.org_id, "agent": row.source_agent_id, "me": row.id})).one()
        report = row.redaction_report or {}
        verdict = row.injection_verdict or {}
        screen_result = prescreen(PrescreenInput(
            content=row.content, redaction_total=int(report.get("total", 0)),
            placeholder_share=float(report.get("placeholder_share", 0.0)),
            max_similarity=max((s["similarity"] or 0.0 for s in row.similar_items), default=0.0),
            near_duplicate=any(s["near_duplicate"] for s in row.similar_items),
            history=AgentHistory(approved, rejected), flags=tuple(row.flags),
            injection_flags=sum(1 for m in verdict.get("matches", []) if m.get("severity") == "flag"),
        ))
        row.prescreen_score, row.prescreen_reasons = screen_result.score, screen_result.reasons
        row.updated_at = sa.func.now()
        live_item, queued = (await session.exec(_DUPLICATES_SQL, params={"org": row.org_id, "h": row.content_hash})).one()
        if live_item is not None or queued is not None:
            row.status, row.duplicate_of, row.duplicate_of_contribution = "duplicate", live_item, queued
        else:
            row.status = "pending"
        session.add(row)
        await session.flush()
        if row.status != "pending":
            return row.status
        rule = await rules.matching_rule(session, row.org_id, row.category)
        if rule is not None and rules.allows(rule, row.prescreen_score, row.flags, row.similar_items):
            await review.approve(session, rules.reviewer_for(rule), str(row.id), is_public=False)
            return "approved"
        await append_event(
            session, "contribution.created", org_id=row.org_id, contribution_id=row.id,
            summary={"id": str(row.id), "title": row.title, "category": row.category,
                     "source_agent_id": row.source_agent_id, "prescreen_score": row.prescreen_score},
        )
        return row.status


def process_contribution(contribution_id: str, _legacy_content: str | None = None) -> str:
    """RQ job: embed the stored, scrubbed text and queue it for review. Returns the new status.

    ``_legacy_content`` is ignored: jobs queued by an older version carried the text itself.
    """
    ctx = run_async(_load(uuid.UUID(contribution_id)))
    if ctx is None:
        return "skipped"
    for stage in STAGES:
        stage(ctx)
    status = run_async(_finish(ctx))
    log.info("contribution %s -> %s", contribution_id, status)
    return status
