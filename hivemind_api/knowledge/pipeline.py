"""The slow half of ingestion, run by RQ workers (SPEC §5).

The request path has already scrubbed, screened, hashed and titled the text (``ingest``) and
stored it as ``processing``. The work is then found in Postgres, not carried by jobs: a
``drain`` job claims the oldest waiting contributions in batches of ``BATCH``
(``FOR UPDATE SKIP LOCKED``, so concurrent workers never share one), embeds each batch in one
model call, and finishes each contribution: nearest items, exact and near duplicates, burst
flags, pre-screen, then ``pending`` (with ``contribution.created``), ``duplicate``, or approval
by an auto-approve rule, one transaction per batch. It stops when nothing waits.

Jobs are coalesced: a contribution queues a drain only if none is already waiting in the queue
(``request_drain``), so a burst of contributions costs a few jobs, not one each. Nothing can be
lost between the two: a crash rolls the batch back, its rows stay ``processing``, and
``stuck_contributions`` lets the backend re-request a drain for rows that waited too long.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rq import Queue, Retry, get_current_job
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import embeddings
from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import Contribution
from hivemind_api.events import append_event, contribution_summary
from hivemind_api.jobs import enqueue_coalesced
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
    content: str
    embedding: list[float] | None = None
    embedding_model: str | None = None
    minhash: list[int] = field(default_factory=list)


def sign(ctx: PipelineContext) -> None:
    ctx.minhash = minhash.signature(ctx.content)


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

BURST_MINUTES = 10
BURST_OTHER_AGENTS = 2


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


_CLAIM_SQL = sa.text(
    """
    SELECT id FROM contributions
    WHERE status = 'processing' AND (id = :first OR id IN (
        SELECT id FROM contributions WHERE status = 'processing' AND id IS DISTINCT FROM :first
        ORDER BY created_at LIMIT :n))
    ORDER BY created_at
    FOR UPDATE SKIP LOCKED
    """
)
# Everything else the decision needs, in one round trip: the agent's recent record and the same
# content live or queued in the org.
_CONTEXT_SQL = sa.text(
    """
    SELECT h.approved, h.rejected,
      (SELECT id FROM knowledge_items WHERE org_id = :org AND content_hash = :h
         AND deleted_at IS NULL AND expired_at IS NULL) AS live_item,
      (SELECT id FROM contributions WHERE org_id = :org AND content_hash = :h AND status = 'pending'
         AND id <> :me LIMIT 1) AS queued
    FROM (SELECT count(*) FILTER (WHERE status = 'approved') AS approved,
                 count(*) FILTER (WHERE status IN ('rejected', 'duplicate', 'blocked')) AS rejected
          FROM (SELECT status FROM contributions
                WHERE org_id = :org AND source_agent_id = :agent AND id <> :me
                  AND status NOT IN ('processing', 'pending')
                ORDER BY created_at DESC LIMIT 50) recent) h
    """
)
_INSERT_BANDS_SQL = sa.text(
    "INSERT INTO minhash_bands (contribution_id, band, hash) "
    "SELECT :me, b, h FROM unnest(CAST(:bands AS smallint[]), CAST(:hashes AS bigint[])) AS t(b, h)"
)
BATCH = 16


async def _finish(session: AsyncSession, row: Contribution, ctx: PipelineContext) -> str:
    row.embedding, row.embedding_model, row.minhash = ctx.embedding, ctx.embedding_model, ctx.minhash
    row.similar_items, flags = await _similar_items(session, ctx)
    row.flags = sorted(set(row.flags or []) | set(flags))
    bands = minhash.bands(ctx.minhash)
    await session.exec(_INSERT_BANDS_SQL, params={
        "me": row.id, "bands": [b for b, _ in bands], "hashes": [h for _, h in bands]})
    facts = (await session.exec(_CONTEXT_SQL, params={
        "org": row.org_id, "agent": row.source_agent_id, "me": row.id, "h": row.content_hash})).one()
    report, verdict = row.redaction_report or {}, row.injection_verdict or {}
    screen_result = prescreen(PrescreenInput(
        content=row.content, redaction_total=int(report.get("total", 0)),
        placeholder_share=float(report.get("placeholder_share", 0.0)),
        max_similarity=max((s["similarity"] or 0.0 for s in row.similar_items), default=0.0),
        near_duplicate=any(s["near_duplicate"] for s in row.similar_items),
        history=AgentHistory(facts.approved, facts.rejected), flags=tuple(row.flags),
        injection_flags=sum(1 for m in verdict.get("matches", []) if m.get("severity") == "flag"),
    ))
    row.prescreen_score, row.prescreen_reasons = screen_result.score, screen_result.reasons
    row.updated_at = sa.func.now()
    if facts.live_item is not None or facts.queued is not None:
        row.status, row.duplicate_of, row.duplicate_of_contribution = "duplicate", facts.live_item, facts.queued
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
        summary=contribution_summary(row), extra={"source_agent_id": row.source_agent_id,
                                                     "prescreen_score": row.prescreen_score},
    )
    return row.status


async def _process_batch(first: uuid.UUID | None = None) -> dict[str, str]:
    async with session_scope() as session:
        ids = (await session.exec(_CLAIM_SQL, params={"first": first, "n": BATCH - (first is not None)})).scalars().all()
        if not ids:
            return {}  # withdrawn meanwhile, or already done by another job's batch
        rows = (await session.exec(
            select(Contribution).where(Contribution.id.in_(ids)).order_by(Contribution.created_at)
        )).all()  # the rows are already locked by the claim
        model_id = embeddings.model_identity().model_id
        # The worker's loop runs nothing else: the model call may block it.
        vectors = embeddings.embed([r.content for r in rows], batch_size=BATCH)
        statuses = {}
        for row, vector in zip(rows, vectors, strict=True):
            ctx = PipelineContext(row.id, row.org_id, row.source_agent_id, row.content,
                                  embedding=vector, embedding_model=model_id)
            sign(ctx)
            statuses[str(row.id)] = await _finish(session, row, ctx)
        return statuses


def process_contribution(contribution_id: str, _legacy_content: str | None = None) -> str:
    """Process this contribution (and others waiting, as one batch). Returns its status.

    Kept for jobs queued by earlier versions (which also carried the text: it is ignored).
    """
    statuses = run_async(_process_batch(uuid.UUID(contribution_id)))
    for cid, status in statuses.items():
        log.info("contribution %s -> %s", cid, status)
    return statuses.get(contribution_id, "skipped")


def drain_flag(queue_name: str) -> str:
    return f"hivemind:pipeline:drain-queued:{queue_name}"


DRAIN_FLAG_TTL = 30  # s; a drain still queued after this no longer blocks new ones
MAX_BATCHES_PER_DRAIN = 64


def request_drain(queue: Queue) -> bool:
    """Queue a drain unless one is already waiting to start. Returns whether one was queued."""
    return enqueue_coalesced(queue, drain_flag(queue.name), "hivemind_api.knowledge.pipeline.drain",
                             flag_ttl_s=DRAIN_FLAG_TTL, job_timeout=600, retry=Retry(max=3, interval=[5, 30, 120]))


def drain() -> int:
    """RQ job: process waiting contributions, batch after batch, until none waits."""
    job = get_current_job()
    if job is not None:
        job.connection.delete(drain_flag(job.origin))  # from now on a new contribution queues a new drain
    done = 0
    for _ in range(MAX_BATCHES_PER_DRAIN):
        statuses = run_async(_process_batch())
        if not statuses:
            return done
        for cid, status in statuses.items():
            log.info("contribution %s -> %s", cid, status)
        done += len(statuses)
    if job is not None:  # more keeps arriving: let other jobs run, then continue
        request_drain(Queue(job.origin, connection=job.connection))
    return done


STUCK_AFTER_S = 60


async def stuck_contributions(session: AsyncSession, older_than_s: int = STUCK_AFTER_S) -> int:
    """How many contributions have waited in ``processing`` longer than a drain should take."""
    return (await session.exec(sa.text(
        "SELECT count(*) FROM contributions WHERE status = 'processing' "
        "AND created_at < now() - make_interval(secs => :s)"
    ), params={"s": older_than_s})).scalar_one()
