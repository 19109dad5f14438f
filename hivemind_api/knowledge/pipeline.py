"""The slow half of ingestion, run by RQ workers (docs/architecture.md, "The trust pipeline").

The request path has already scrubbed, screened, hashed and titled the text (``ingest``) and
stored it as ``processing``; the worker first runs the screens too slow for the request path over
it (the name model, the injection screen's second opinion), then works on the text as the
commons will store it. The work is then found in
Postgres, not carried by jobs: a
``drain`` job claims the oldest waiting contributions in batches of ``BATCH``
(``FOR UPDATE SKIP LOCKED``, so concurrent workers never share one), embeds each batch
(``embed_many``: single-thread model runs side by side), and finishes each contribution:
nearest items, exact and near duplicates, burst flags, pre-screen, then ``pending`` (with
``contribution.created``), ``duplicate``, or approval by an auto-approve rule, one transaction
per batch, in a handful of set-based statements. The next batch is embedded while the previous
one's statements run. It stops when nothing waits.

Jobs are coalesced: a contribution queues a drain only if none is already waiting in the queue
(``request_drain``), so a burst of contributions costs a few jobs, not one each. Nothing can be
lost between the two: a crash rolls the batch back, its rows stay ``processing``, and
``stuck_contributions`` lets the backend re-request a drain for rows that waited too long.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

import sqlalchemy as sa
from redis.asyncio import Redis as AsyncRedis
from rq import Queue, Retry, get_current_job
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import AutoApproveRule, Contribution
from hivemind_api.events.log import NewEvent, append_events, contribution_summary
from hivemind_api.infra import embeddings
from hivemind_api.infra.jobs import CoalescedJob, enqueue_coalesced, enqueue_coalesced_async
from hivemind_api.knowledge import review, rules
from hivemind_api.knowledge.ingest import INJECTION_SUSPECTED, worker_screens
from hivemind_api.knowledge.text import content_hash, make_title
from hivemind_api.knowledge.visibility import current_sql, visible_sql
from hivemind_api.trust import minhash
from hivemind_api.trust.injection import with_match
from hivemind_api.trust.prescreen import AgentHistory, PrescreenInput, prescreen
from hivemind_api.vocab import ContributionStatus, EventType
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.pipeline")
NEAR_DUPLICATE_SIMILARITY = 0.92
SIMILAR_ITEMS = 10


def _sig_bands(sig: list[int]) -> tuple[list[int], list[int]]:
    pairs = minhash.bands(sig)
    return [b for b, _ in pairs], [h for _, h in pairs]


def _vector_array(vectors: list[list[float]]) -> str:
    """A ``vector[]`` literal: one parameter for a whole batch's embeddings."""
    return "{" + ",".join(f'"[{",".join(map(repr, v))}]"' for v in vectors) + "}"


# The batch is worked in set-based statements, a handful per batch rather than a handful per
# contribution: each round trip costs Python and Postgres CPU that the model would otherwise get.

# The SIMILAR_ITEMS nearest live items each contribution's org may see. The ANN stays inside a
# LATERAL per contribution (ORDER BY distance LIMIT k, so the HNSW index serves it).
_SIMILAR_SQL = sa.text(
    f"""
    SELECT q.n, k.id, k.title, k.org_id, k.is_public, k.similarity, c.minhash
    FROM unnest(CAST(CAST(:vecs AS text) AS vector[]), CAST(:orgs AS uuid[])) WITH ORDINALITY AS q(v, org, n)
    CROSS JOIN LATERAL (
        SELECT id, title, org_id, is_public, contribution_id, 1 - (embedding <=> q.v) AS similarity
        FROM knowledge_items i
        WHERE {visible_sql("i", "q.org")} AND {current_sql("i")} AND embedding IS NOT NULL
        ORDER BY embedding <=> q.v
        LIMIT :k) k
    LEFT JOIN contributions c ON c.id = k.contribution_id
    """
)

# Contributions sharing at least one LSH band with each one (whose bands are already inserted):
# live items the caller may see (for near-duplicates the ANN did not rank) and recent
# contributions of any org (for bursts). Contributions of the same batch see each other.
_BAND_CANDIDATES_SQL = sa.text(
    f"""
    SELECT m.me, x.*
    FROM unnest(CAST(:mes AS uuid[])) AS m(me)
    CROSS JOIN LATERAL (
        SELECT DISTINCT c.id, c.minhash, c.org_id, c.source_agent_id, c.status,
               c.created_at > now() - make_interval(mins => :burst_minutes) AS recent,
               k.id AS item_id, k.title AS item_title, k.org_id AS item_org, k.is_public
        FROM minhash_bands mine
        JOIN minhash_bands b ON b.band = mine.band AND b.hash = mine.hash AND b.contribution_id <> m.me
        JOIN contributions c ON c.id = b.contribution_id
        LEFT JOIN knowledge_items k ON k.id = c.knowledge_item_id AND {current_sql("k")}
        WHERE mine.contribution_id = m.me
        LIMIT 200) x
    """
)

BURST_MINUTES = 10
BURST_OTHER_AGENTS = 2


class SimilarItem(TypedDict):
    """One entry of a contribution's ``similar_items`` (JSON), as the review queue shows it."""

    id: str
    title: str
    similarity: float | None  # cosine of the embeddings; None when only MinHash found it
    jaccard: float
    own_org: bool
    is_public: bool
    near_duplicate: bool


def _similar(
    item_id: uuid.UUID,
    title: str,
    org: uuid.UUID,
    public: bool,
    cosine: float | None,
    jaccard: float,
    own_org: uuid.UUID,
) -> SimilarItem:
    return SimilarItem(
        id=str(item_id),
        title=title,
        similarity=round(cosine, 4) if cosine is not None else None,
        jaccard=round(jaccard, 3),
        own_org=org == own_org,
        is_public=public,
        near_duplicate=(cosine or 0.0) >= NEAR_DUPLICATE_SIMILARITY
        or jaccard >= minhash.NEAR_DUPLICATE_JACCARD,
    )


@dataclass
class _Work:
    """One claimed contribution and what the batch's statements found for it."""

    row: Contribution
    embedding: list[float]
    minhash: list[int]
    similar: dict[str, SimilarItem] = field(default_factory=dict)
    burst_agents: set[tuple[uuid.UUID, str]] = field(default_factory=set)


async def _find_similar(session: AsyncSession, work: list[_Work]) -> None:
    """Nearest live items (ANN), LSH near-duplicates the ANN missed, and burst partners."""
    rows = (
        await session.execute(
            _SIMILAR_SQL,
            params={
                "vecs": _vector_array([w.embedding for w in work]),
                "orgs": [w.row.org_id for w in work],
                "k": SIMILAR_ITEMS,
            },
        )
    ).all()
    for r in rows:
        w = work[r.n - 1]
        w.similar[str(r.id)] = _similar(
            r.id,
            r.title,
            r.org_id,
            r.is_public,
            float(r.similarity),
            minhash.jaccard(w.minhash, list(r.minhash or [])),
            w.row.org_id,
        )
    by_id = {w.row.id: w for w in work}
    candidates = (
        await session.execute(
            _BAND_CANDIDATES_SQL, params={"mes": list(by_id), "burst_minutes": BURST_MINUTES}
        )
    ).all()
    for c in candidates:
        w = by_id[c.me]
        j = minhash.jaccard(w.minhash, list(c.minhash or []))
        if j < minhash.NEAR_DUPLICATE_JACCARD:
            continue
        visible = c.item_id is not None and (c.item_org == w.row.org_id or c.is_public)
        if visible and str(c.item_id) not in w.similar:
            w.similar[str(c.item_id)] = _similar(
                c.item_id, c.item_title, c.item_org, c.is_public, None, j, w.row.org_id
            )
        if (
            c.recent
            and c.status != ContributionStatus.BLOCKED
            and (c.org_id, c.source_agent_id) != (w.row.org_id, w.row.source_agent_id)
        ):
            w.burst_agents.add((c.org_id, c.source_agent_id))


_CLAIM_SQL = sa.text(
    """
    SELECT id FROM contributions
    WHERE status = 'processing' AND (id = :first OR id IN (
        SELECT id FROM contributions WHERE status = 'processing' AND id IS DISTINCT FROM :first
        ORDER BY created_at LIMIT :n FOR UPDATE SKIP LOCKED))
    ORDER BY created_at
    FOR UPDATE SKIP LOCKED
    """
)  # SKIP LOCKED inside too: the oldest rows may belong to a batch still running (another worker's,
# or this drain's previous one), and the next batch must take the ones after them
# Everything else each decision needs: the agent's record before this batch, and the same
# content already live or queued in the org.
_CONTEXT_SQL = sa.text(
    """
    SELECT m.me, h.approved, h.rejected, live.id AS live_item, queued.id AS queued
    FROM unnest(CAST(:mes AS uuid[]), CAST(:orgs AS uuid[]), CAST(:agents AS text[]), CAST(:hashes AS text[]))
         AS m(me, org, agent, h)
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE status = 'approved') AS approved,
               count(*) FILTER (WHERE status IN ('rejected', 'duplicate', 'blocked')) AS rejected
        FROM (SELECT status FROM contributions
              WHERE org_id = m.org AND source_agent_id = m.agent AND id <> m.me
                AND status NOT IN ('processing', 'pending')
              ORDER BY created_at DESC LIMIT 50) recent) h
    LEFT JOIN LATERAL (SELECT id FROM knowledge_items WHERE org_id = m.org AND content_hash = m.h
                         AND deleted_at IS NULL AND expired_at IS NULL LIMIT 1) live ON true
    LEFT JOIN LATERAL (SELECT id FROM contributions WHERE org_id = m.org AND content_hash = m.h
                         AND status = 'pending' AND id <> m.me LIMIT 1) queued ON true
    """
)
_INSERT_BANDS_SQL = sa.text(
    "INSERT INTO minhash_bands (contribution_id, band, hash) "
    "SELECT * FROM unnest(CAST(:mes AS uuid[]), CAST(:bands AS smallint[]), CAST(:hashes AS bigint[]))"
)
BATCH = 16


async def _finish_batch(session: AsyncSession, work: list[_Work], model_id: str) -> dict[str, str]:
    """Decide every contribution of the batch: ``pending`` (with ``contribution.created``),
    ``duplicate``, or ``approved`` by an auto-approve rule."""
    mes, bands, hashes = [], [], []
    for w in work:
        b, h = _sig_bands(w.minhash)
        mes += [w.row.id] * len(b)
        bands += b
        hashes += h
    await session.execute(_INSERT_BANDS_SQL, params={"mes": mes, "bands": bands, "hashes": hashes})
    await _find_similar(session, work)
    facts = {
        f.me: f
        for f in (
            await session.execute(
                _CONTEXT_SQL,
                params={
                    "mes": [w.row.id for w in work],
                    "orgs": [w.row.org_id for w in work],
                    "agents": [w.row.source_agent_id for w in work],
                    "hashes": [w.row.content_hash or "" for w in work],
                },
            )
        ).all()
    }
    first_with_hash: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    now = datetime.now(UTC)
    for w in work:  # oldest first
        row, fact = w.row, facts[w.row.id]
        row.embedding, row.embedding_model, row.minhash = w.embedding, model_id, w.minhash
        row.similar_items = sorted(w.similar.values(), key=lambda s: (-(s["similarity"] or 0), -s["jaccard"]))
        burst = ["burst"] if len(w.burst_agents) >= BURST_OTHER_AGENTS else []
        row.flags = sorted(set(row.flags or []) | set(burst))
        report, verdict = row.redaction_report or {}, row.injection_verdict or {}
        screen_result = prescreen(
            PrescreenInput(
                content=row.content or "",
                redaction_total=int(report.get("total", 0)),
                placeholder_share=float(report.get("placeholder_share", 0.0)),
                max_similarity=max((s["similarity"] or 0.0 for s in row.similar_items), default=0.0),
                near_duplicate=any(s["near_duplicate"] for s in row.similar_items),
                history=AgentHistory(fact.approved, fact.rejected),
                flags=tuple(row.flags),
                injection_flags=sum(1 for m in verdict.get("matches", []) if m.get("severity") == "flag"),
            )
        )
        row.prescreen_score, row.prescreen_reasons = screen_result.score, screen_result.reasons
        row.updated_at = now
        # The same text earlier in this very batch counts as queued: it is about to be pending.
        earlier = (
            first_with_hash.setdefault((row.org_id, row.content_hash), row.id) if row.content_hash else row.id
        )
        queued = fact.queued if fact.queued is not None else (earlier if earlier != row.id else None)
        if fact.live_item is not None or queued is not None:
            row.status, row.duplicate_of, row.duplicate_of_contribution = (
                ContributionStatus.DUPLICATE,
                fact.live_item,
                queued,
            )
        else:
            row.status = ContributionStatus.PENDING
    await session.flush()  # the claimed rows are in the session: one executemany for the batch
    statuses: dict[str, str] = {}
    created: list[NewEvent] = []
    rule_cache: dict[tuple[uuid.UUID, str], AutoApproveRule | None] = {}
    for w in work:
        row = w.row
        statuses[str(row.id)] = row.status
        if row.status != ContributionStatus.PENDING:
            continue
        key = (row.org_id, row.category)
        if key not in rule_cache:
            rule_cache[key] = await rules.matching_rule(session, row.org_id, row.category)
        rule = rule_cache[key]
        if rule is not None and rules.allows(rule, row.prescreen_score, row.flags, row.similar_items):
            await review.approve(session, rules.reviewer_for(rule), str(row.id), is_public=False)
            statuses[str(row.id)] = ContributionStatus.APPROVED
            continue
        created.append(
            NewEvent(
                EventType.CONTRIBUTION_CREATED,
                row.org_id,
                contribution_id=row.id,
                summary=contribution_summary(row),
                extra={"source_agent_id": row.source_agent_id, "prescreen_score": row.prescreen_score},
            )
        )
    await append_events(session, created)
    return statuses


def _worker_screens(row: Contribution) -> None:
    """The screens too slow for the request path, over its output, before the contribution is
    embedded, titled for the queue or seen by anyone but its contributor: the name model
    (``trust/name_model.py``), then the injection screen's second opinion (``trust/semantic.py``),
    which can only flag."""
    verdict = dict(row.injection_verdict or {})
    content, report, match = worker_screens(  # no second opinion when a curator looks at it anyway
        row.content or "",
        dict(row.redaction_report or {}),
        bool(verdict.get("flagged") or verdict.get("blocked")),
    )
    if content != row.content:
        row.content, row.redaction_report = content, report
        row.content_hash, row.title = content_hash(content), make_title(content)
    if match is not None:
        row.injection_verdict = with_match(verdict, match)
        row.injection_score = row.injection_verdict["score"]
        row.flags = sorted(set(row.flags or []) | {INJECTION_SUSPECTED})


def _screen_and_embed(rows: Sequence[Contribution]) -> list[list[float]]:
    for row in rows:
        _worker_screens(row)
    return embeddings.embed_many([r.content or "" for r in rows])


async def _process_batch(
    first: uuid.UUID | None = None,
    *,
    previous: asyncio.Task[dict[str, str]] | None = None,
    embedded: asyncio.Event | None = None,
) -> dict[str, str]:
    """Claim up to ``BATCH`` waiting contributions (``first`` among them), embed them, finish them.

    In a drain, ``embedded`` is set once this batch no longer needs the model (so the next batch
    can be claimed and embedded meanwhile), and the statements wait for the ``previous`` batch
    to commit: batches are decided strictly one after another, each seeing the last one's rows.
    """
    try:
        async with session_scope() as session:
            ids = (
                (await session.execute(_CLAIM_SQL, params={"first": first, "n": BATCH - (first is not None)}))
                .scalars()
                .all()
            )
            if not ids:
                return {}  # withdrawn meanwhile, or already done by another job's batch
            rows = (
                await session.exec(
                    select(Contribution)
                    .where(col(Contribution.id).in_(ids))
                    .order_by(col(Contribution.created_at))
                )
            ).all()  # the rows are already locked by the claim
            model_id = embeddings.model_identity().model_id
            # In a thread: the models release the GIL, so the previous batch's statements run meanwhile.
            vectors = await asyncio.to_thread(_screen_and_embed, rows)
            if embedded is not None:
                embedded.set()
            work = [
                _Work(row, vector, minhash.signature(row.content or ""))
                for row, vector in zip(rows, vectors, strict=True)
            ]
            if previous is not None:
                await previous
            return await _finish_batch(session, work, model_id)
    finally:
        if embedded is not None:
            embedded.set()


async def _drain(max_batches: int) -> tuple[dict[str, str], bool]:
    """Batches back to back until none waits; returns the statuses and whether it stopped at
    ``max_batches``. While one batch's statements run, the next batch is already being embedded:
    the model keeps both cores busy instead of waiting for Postgres."""
    tasks: list[asyncio.Task[dict[str, str]]] = []
    previous: asyncio.Task[dict[str, str]] | None = None
    try:
        for _ in range(max_batches):
            embedded = asyncio.Event()
            current = asyncio.create_task(_process_batch(previous=previous, embedded=embedded))
            tasks.append(current)
            await embedded.wait()
            if current.done() and current.exception() is None and not current.result():
                break  # nothing was waiting
            previous = current
        results = await asyncio.gather(*tasks)
    finally:
        for t in tasks:  # after a failure, stop the batches still running (their transactions roll back)
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    statuses = {cid: st for r in results for cid, st in r.items()}
    return statuses, len(tasks) == max_batches and bool(results[-1])


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


_DRAIN_JOB: CoalescedJob = {
    "func": "hivemind_api.knowledge.pipeline.drain",
    "flag_ttl_s": DRAIN_FLAG_TTL,
    "job_timeout": 600,
    "retry": Retry(max=3, interval=[5, 30, 120]),
}


def request_drain(queue: Queue) -> bool:
    """Queue a drain unless one is already waiting to start. Returns whether one was queued."""
    return enqueue_coalesced(queue, drain_flag(queue.name), **_DRAIN_JOB)


async def request_drain_async(redis: AsyncRedis, queue: Queue) -> bool:
    """``request_drain`` on the event loop's connection (``redis``, to the queue's server)."""
    return await enqueue_coalesced_async(redis, queue, drain_flag(queue.name), **_DRAIN_JOB)


def drain() -> int:
    """RQ job: process waiting contributions, batch after batch, until none waits."""
    job = get_current_job()
    if job is not None:
        job.connection.delete(drain_flag(job.origin))  # from now on a new contribution queues a new drain
    statuses, more = run_async(_drain(MAX_BATCHES_PER_DRAIN))
    for cid, status in statuses.items():
        log.info("contribution %s -> %s", cid, status)
    if more and job is not None:  # more keeps arriving: let other jobs run, then continue
        request_drain(Queue(job.origin, connection=job.connection))
    return len(statuses)


async def stuck_contributions(session: AsyncSession, older_than_s: int) -> int:
    """How many contributions have waited in ``processing`` longer than a drain should take."""
    return int(
        (
            await session.execute(
                sa.text(
                    "SELECT count(*) FROM contributions WHERE status = 'processing' "
                    "AND created_at < now() - make_interval(secs => :s)"
                ),
                params={"s": older_than_s},
            )
        ).scalar_one()
    )
