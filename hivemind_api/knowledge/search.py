"""Hybrid search over what the caller may see: its org's items and the public commons.

* Vector: ``ORDER BY embedding <=> q LIMIT k`` so the HNSW index is used; the connection's
  ``hnsw.iterative_scan = relaxed_order`` (``db.engine.ANN_SERVER_SETTINGS``) keeps scanning when
  the org/public filter discards candidates (pgvector >= 0.8), so no result goes silently missing.
* Full text: ``websearch_to_tsquery`` against the generated ``search_tsv`` (GIN index).
* Fusion: reciprocal rank fusion (k = 60), multiplied by ``0.7 + 0.3 * quality``.
* ``relevance_score`` is the cosine similarity of query and item, clamped to [0, 1]: 1 is the same
  meaning, below ~0.3 unrelated. Ordering uses the fused score.
* ``version``: items whose version range contains it (PEP 440 order; ``knowledge.versions``),
  and every item without a range; with ``at_time``, the range the item had at that time.
* Private and public copies of one content (same hash) collapse to one result, the caller's own
  copy first, before paging. Expired, invalidated, deleted and not-yet-valid items are excluded
  unless ``at_time`` asks for a point in time.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts.caller import Caller
from hivemind_api.errors import InvalidInput, UnstorableText
from hivemind_api.infra.embeddings import embed_query
from hivemind_api.knowledge.text import content_hash
from hivemind_api.knowledge.validation import validate_category
from hivemind_api.knowledge.validity import version_sql
from hivemind_api.knowledge.versions import search_key
from hivemind_api.knowledge.visibility import live_sql, valid_at_sql, visible_sql

# Each of the two rankings contributes its top 50 to the fusion: a page holds at most 50 results,
# and the HNSW scan's cost grows with this number (at 100k items: ~4.6 ms for 40, ~7.4 ms for 100,
# with the same recall@10, since ef_search does not change).
CANDIDATES = 50
RRF_K = 60
MAX_QUERY = 1000


@dataclass(frozen=True)
class SearchFilters:
    category: str | None = None
    framework: str | None = None
    language: str | None = None
    version: str | None = None
    at_time: datetime | None = None


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    title: str
    category: str
    confidence: float
    org_attribution: str
    relevance_score: float
    quality_score: float
    is_public: bool
    rank_score: float
    content: str | None
    # With the content: whether it still matches the hash taken at approval (None without it).
    integrity_verified: bool | None = None


@dataclass(frozen=True)
class SearchResult:
    results: list[SearchHit]
    total_found: int
    next_cursor: str | None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("invalid cursor") from None
    if offset < 0:
        raise InvalidInput("invalid cursor")
    return offset


def _filter_sql(f: SearchFilters) -> tuple[str, dict[str, object]]:
    clauses = [visible_sql("k")]
    params: dict[str, object] = {}
    if f.at_time is None:
        clauses.append(live_sql("k"))
    else:  # what was believed at that time: known by then, not yet superseded, valid then
        clauses.append(valid_at_sql("k", ":at"))
        params["at"] = f.at_time
    for column in ("category", "framework", "language"):
        value = getattr(f, column)
        if value is not None:
            clauses.append(f"k.{column} = :{column}")
            params[column] = value
    if f.version is not None and f.version.strip():  # in the item's range (then, with at_time)
        clauses.append(version_sql("k", ":vkey", None if f.at_time is None else ":at"))
        params["vkey"] = str(search_key(f.version))
    return " AND ".join(clauses), params


# The one definition of recording what was served: data-modifying CTEs over a relation ``page``
# with an ``id`` column. Searches append it to their own statement (one round trip; it commits
# with the search); ``record_retrievals`` runs it alone for a list of ids. The rows are locked
# in id order first: two searches serving overlapping pages would otherwise lock them in
# whatever order their plans visit them, and deadlock (`make load` met it 4 times in 13k
# searches from 50 agents).
_RECORD_CTES = """,
        locked AS (
            SELECT id FROM knowledge_items WHERE id IN (SELECT id FROM page) ORDER BY id FOR UPDATE
        ),
        served AS (
            UPDATE knowledge_items SET retrieval_count = retrieval_count + 1
            WHERE id IN (SELECT id FROM locked) RETURNING id, org_id
        ),
        recorded AS (
            INSERT INTO signals (knowledge_item_id, kind, org_id, agent_id, run_id, by_own_org)
            SELECT id, 'retrieval', :org, :agent, :run, org_id = :org FROM served
        )"""
_RECORD_IDS_SQL = sa.text(f"WITH page AS (SELECT unnest(CAST(:ids AS uuid[])) AS id){_RECORD_CTES} SELECT 1")


@lru_cache(maxsize=256)  # parsing the statement's bind parameters costs ~0.15 ms per search
def _search_sql(where: str, with_content: bool, record: bool = True) -> sa.TextClause:
    """The whole search as one statement; with ``record``, it also records the served page."""
    return sa.text(
        f"""
        WITH ann AS (
            SELECT id, row_number() OVER (ORDER BY dist) AS rank
            FROM (
                SELECT k.id, k.embedding <=> CAST(:q AS vector) AS dist
                FROM knowledge_items k
                WHERE {where} AND k.embedding IS NOT NULL
                ORDER BY k.embedding <=> CAST(:q AS vector)
                LIMIT :candidates
            ) nearest
        ),
        fts AS (
            SELECT k.id, row_number() OVER (ORDER BY ts_rank_cd(k.search_tsv, tsq) DESC, k.id) AS rank
            FROM knowledge_items k, websearch_to_tsquery('english', :text) tsq
            WHERE {where} AND k.search_tsv @@ tsq
            ORDER BY ts_rank_cd(k.search_tsv, tsq) DESC, k.id
            LIMIT :candidates
        ),
        fused AS (
            SELECT id, sum(1.0 / ({RRF_K} + rank)) AS rrf
            FROM (SELECT id, rank FROM ann UNION ALL SELECT id, rank FROM fts) ranked
            GROUP BY id
        ),
        scored AS (
            SELECT DISTINCT ON (k.content_hash)
                   k.id, k.title, k.category, k.confidence, o.slug AS org_attribution,
                   greatest(0.0, least(1.0, 1 - (k.embedding <=> CAST(:q AS vector)))) AS relevance,
                   k.quality_score, k.is_public, k.org_id,
                   f.rrf * (0.7 + 0.3 * k.quality_score) AS rank_score
                   {", k.content, k.content_hash" if with_content else ""}
            FROM fused f
            JOIN knowledge_items k ON k.id = f.id
            JOIN orgs o ON o.id = k.org_id
            ORDER BY k.content_hash, (k.org_id = :org) DESC, f.rrf DESC
        ),
        page AS (
            SELECT *, count(*) OVER () AS total
            FROM scored
            ORDER BY rank_score DESC, relevance DESC, id
            LIMIT :limit OFFSET :offset
        ){_RECORD_CTES if record else ""}
        SELECT * FROM page ORDER BY rank_score DESC, relevance DESC, id
        """
    )


def search_text(query: str | None) -> str:
    """The query as it is searched (trimmed), or ``InvalidInput`` for an empty or oversize one."""
    query = (query or "").strip()
    if not query:
        raise InvalidInput("query must not be empty")
    UnstorableText.check("query", query)
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"query must be at most {MAX_QUERY} characters")
    return query


async def embed_search_text(query: str | None) -> list[float]:
    """The vector ``search`` would compute for ``query``, for callers that start it earlier."""
    return await embed_query(search_text(query))


async def search(
    session: AsyncSession,
    principal: Caller,
    query: str,
    query_vector: list[float] | None = None,
    *,
    filters: SearchFilters = SearchFilters(),
    limit: int = 10,
    cursor: str | None = None,
    include_content: bool = False,
    run_id: str | None = None,
    record: bool = True,
) -> SearchResult:
    """Search as ``principal`` sees the commons; records a retrieval signal per served result.

    The search and its recording are one statement, so callers may pass an autocommit session.
    Without ``query_vector`` the query is embedded here, in a thread, while the session checks
    out its connection: the two overlap instead of adding up.
    """
    record = record and principal.records_reads  # a member browsing is not an agent retrieving
    query = search_text(query)
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and 50")
    validate_category(filters.category)
    offset = decode_cursor(cursor)
    where, params = _filter_sql(filters)
    embedding = asyncio.ensure_future(embed_query(query)) if query_vector is None else None
    try:
        await session.connection()
        if embedding is not None:
            query_vector = await embedding
    finally:
        if embedding is not None and not embedding.done():
            embedding.cancel()
    rows = (
        await session.execute(
            _search_sql(where, include_content, record),
            params={
                **params,
                "q": str(query_vector),
                "text": query,
                "org": principal.org_id,
                "agent": principal.agent_id,
                "run": run_id,
                "candidates": CANDIDATES,
                "limit": limit,
                "offset": offset,
            },
        )
    ).all()
    total = int(rows[0].total) if rows else 0
    hits = [
        SearchHit(
            id=r.id,
            title=r.title,
            category=r.category,
            confidence=float(r.confidence),
            org_attribution=r.org_attribution,
            relevance_score=round(float(r.relevance), 4),
            quality_score=round(float(r.quality_score), 4),
            is_public=r.is_public,
            rank_score=round(float(r.rank_score), 6),
            content=r.content if include_content else None,
            integrity_verified=content_hash(r.content) == r.content_hash if include_content else None,
        )
        for r in rows
    ]
    next_cursor = encode_cursor(offset + limit) if offset + limit < total else None
    return SearchResult(hits, total, next_cursor)


async def record_retrievals(
    session: AsyncSession, principal: Caller, item_ids: list[uuid.UUID], *, run_id: str | None = None
) -> None:
    """One retrieval signal per served item, marking whether the caller is the item's own org."""
    if not item_ids:
        return
    await session.execute(
        _RECORD_IDS_SQL,
        params={"ids": item_ids, "org": principal.org_id, "agent": principal.agent_id, "run": run_id},
    )
