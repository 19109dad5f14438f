"""Statistics: the public commons, an org's reciprocity ledger, and per agent (the earlier API's
stats routes, same fields). Every figure is counted in SQL, scoped so nothing about another org's private items leaks:
commons figures read public items only, org and agent figures read the caller's own org only.

Definitions (also in the REST docs):
- *live* item: not deleted, not quarantined, not expired (superseded), not invalidated, already valid;
- an item *enters* the commons when it is approved as public or published (``published_at``);
- *by others*: signals (retrievals, outcomes) from agents of another org than the item's;
- an agent's own outcomes on its own items are recorded but never counted (as for quality).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.knowledge.visibility import live_sql

DAYS = 30
TOP_ITEMS = 5
LIVE = live_sql("k")


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int


@dataclass(frozen=True)
class DailyPoint:
    date: date
    added: int  # live public items that entered the commons that day (UTC)
    total: int  # live public items that had entered by the end of that day


@dataclass(frozen=True)
class CommonsStats:
    """The earlier API's fields keep their meaning (``growth_rate_*`` are counts of new items,
    ``domains_covered`` distinct categories, ``total_pending`` the caller's own queue); the
    figures this version added sit beside them."""

    total_items: int
    total_pending: int  # the caller's org's contributions waiting for review (never another org's)
    added_24h: int
    added_7d: int
    growth_rate_24h: int  # as the earlier API: items that entered the commons in the last 24 h
    growth_rate_7d: int
    growth_ratio_24h: float  # added_24h / the commons' size 24 h ago (0 when it was empty)
    growth_ratio_7d: float
    retrieval_volume_24h: int  # retrievals of public items in the last 24 h, by any org
    domains_covered: int  # as the earlier API: distinct categories of live public items
    frameworks_covered: int  # distinct frameworks (or languages, where no framework is set)
    contributing_orgs: int
    categories: list[CategoryCount]
    daily: list[DailyPoint]


def _rate(added: int, total: int) -> float:
    before = total - added
    return round(added / before, 4) if before > 0 else 0.0


async def commons_stats(session: AsyncSession, org_id: uuid.UUID) -> CommonsStats:
    """The public commons' figures, and ``total_pending`` for ``org_id`` (the caller's org)."""
    row = (
        await session.execute(
            sa.text(f"""
        SELECT count(*) AS total,
               count(*) FILTER (WHERE k.published_at > now() - interval '24 hours') AS added_24h,
               count(*) FILTER (WHERE k.published_at > now() - interval '7 days') AS added_7d,
               count(DISTINCT lower(coalesce(k.framework, k.language))) AS domains,
               count(DISTINCT k.org_id) AS orgs
        FROM knowledge_items k WHERE k.is_public AND {LIVE}
    """)
        )
    ).one()
    retrievals = (
        await session.execute(
            sa.text(
                "SELECT count(*) FROM signals s JOIN knowledge_items k ON k.id = s.knowledge_item_id "
                "WHERE s.kind = 'retrieval' AND k.is_public AND s.created_at > now() - interval '24 hours'"
            )
        )
    ).scalar_one()
    pending = (
        await session.execute(
            sa.text("SELECT count(*) FROM contributions WHERE org_id = :org AND status = 'pending'"),
            params={"org": org_id},
        )
    ).scalar_one()
    categories = (
        await session.execute(
            sa.text(
                f"SELECT k.category, count(*) AS n FROM knowledge_items k WHERE k.is_public AND {LIVE} "
                "GROUP BY k.category ORDER BY n DESC, k.category"
            )
        )
    ).all()
    daily = (
        await session.execute(
            sa.text(f"""
        WITH days AS (
          SELECT generate_series((now() AT TIME ZONE 'UTC')::date - {DAYS - 1},
                                 (now() AT TIME ZONE 'UTC')::date, interval '1 day')::date AS day
        ), live AS (
          SELECT (k.published_at AT TIME ZONE 'UTC')::date AS day FROM knowledge_items k
          WHERE k.is_public AND {LIVE}
        )
        SELECT d.day, (SELECT count(*) FROM live WHERE live.day = d.day) AS added,
               (SELECT count(*) FROM live WHERE live.day <= d.day) AS total
        FROM days d ORDER BY d.day
    """)
        )
    ).all()
    return CommonsStats(
        total_items=row.total,
        total_pending=pending,
        added_24h=row.added_24h,
        added_7d=row.added_7d,
        growth_rate_24h=row.added_24h,
        growth_rate_7d=row.added_7d,
        growth_ratio_24h=_rate(row.added_24h, row.total),
        growth_ratio_7d=_rate(row.added_7d, row.total),
        retrieval_volume_24h=retrievals,
        domains_covered=len(categories),
        frameworks_covered=row.domains,
        contributing_orgs=row.orgs,
        categories=[CategoryCount(c.category, c.n) for c in categories],
        daily=[DailyPoint(d.day, d.added, d.total) for d in daily],
    )


@dataclass(frozen=True)
class TopItem:
    id: uuid.UUID
    title: str
    category: str
    is_public: bool
    retrievals_by_others: int
    helpful_by_others: int
    retrieval_count: int  # every retrieval, own org included


@dataclass(frozen=True)
class OrgStats:
    contributions_total: int
    contributions_pending: int
    contributions_approved_24h: int
    items_live: int
    items_public: int
    retrievals_by_others: int  # what we gave: our items retrieved by other orgs' agents
    retrievals_by_own: int
    retrievals_from_others: int  # what we took: other orgs' items retrieved by our agents
    helpful_count: int  # "solved" outcomes on our items from other orgs' agents
    not_helpful_count: int  # "did not help" outcomes on our items from other orgs' agents
    helpful_by_own: int  # from our own agents (self-votes excluded)
    not_helpful_by_own: int
    top_items: list[TopItem]


_SIGNALS_ON_OUR_ITEMS = """
    SELECT
      count(*) FILTER (WHERE s.kind = 'retrieval' AND NOT s.by_own_org) AS retrievals_by_others,
      count(*) FILTER (WHERE s.kind = 'retrieval' AND s.by_own_org) AS retrievals_by_own,
      count(*) FILTER (WHERE s.kind = 'outcome_solved' AND NOT s.by_own_org) AS helpful,
      count(*) FILTER (WHERE s.kind = 'outcome_not_helpful' AND NOT s.by_own_org) AS not_helpful,
      count(*) FILTER (WHERE s.kind = 'outcome_solved' AND s.by_own_org AND s.agent_id <> k.source_agent_id)
        AS helpful_own,
      count(*) FILTER (WHERE s.kind = 'outcome_not_helpful' AND s.by_own_org AND s.agent_id <> k.source_agent_id)
        AS not_helpful_own
    FROM signals s JOIN knowledge_items k ON k.id = s.knowledge_item_id
    WHERE k.org_id = :org
"""


async def org_stats(session: AsyncSession, org_id: uuid.UUID) -> OrgStats:
    c = (
        await session.execute(
            sa.text("""
        SELECT count(*) AS total, count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'approved' AND reviewed_at > now() - interval '24 hours') AS approved_24h
        FROM contributions WHERE org_id = :org
    """),
            params={"org": org_id},
        )
    ).one()
    items = (
        await session.execute(
            sa.text(
                f"SELECT count(*) AS live, count(*) FILTER (WHERE k.is_public) AS public FROM knowledge_items k "
                f"WHERE k.org_id = :org AND {LIVE}"
            ),
            params={"org": org_id},
        )
    ).one()
    s = (await session.execute(sa.text(_SIGNALS_ON_OUR_ITEMS), params={"org": org_id})).one()
    taken = (
        await session.execute(
            sa.text(
                "SELECT count(*) FROM signals WHERE org_id = :org AND kind = 'retrieval' AND NOT by_own_org"
            ),
            params={"org": org_id},
        )
    ).scalar_one()
    top = (
        await session.execute(
            sa.text(f"""
        SELECT k.id, k.title, k.category, k.is_public, k.retrieval_count,
               count(s.id) FILTER (WHERE s.kind = 'retrieval') AS by_others,
               count(s.id) FILTER (WHERE s.kind = 'outcome_solved') AS helpful
        FROM knowledge_items k LEFT JOIN signals s ON s.knowledge_item_id = k.id AND NOT s.by_own_org
        WHERE k.org_id = :org AND {LIVE}
        GROUP BY k.id ORDER BY by_others DESC, k.retrieval_count DESC, k.approved_at DESC LIMIT :n
    """),
            params={"org": org_id, "n": TOP_ITEMS},
        )
    ).all()
    return OrgStats(
        contributions_total=c.total,
        contributions_pending=c.pending,
        contributions_approved_24h=c.approved_24h,
        items_live=items.live,
        items_public=items.public,
        retrievals_by_others=s.retrievals_by_others,
        retrievals_by_own=s.retrievals_by_own,
        retrievals_from_others=taken,
        helpful_count=s.helpful,
        not_helpful_count=s.not_helpful,
        helpful_by_own=s.helpful_own,
        not_helpful_by_own=s.not_helpful_own,
        top_items=[
            TopItem(t.id, t.title, t.category, t.is_public, t.by_others, t.helpful, t.retrieval_count)
            for t in top
        ],
    )


@dataclass(frozen=True)
class AgentStats:
    agent_id: str
    agent_contributions: int
    agent_pending: int
    agent_approved: int
    agent_items_live: int
    agent_retrievals_received: int  # retrievals of this agent's items by any other agent
    agent_retrievals_by_others: int  # … of which by other orgs' agents
    agent_helpful: int  # counted outcomes on this agent's items (self-votes excluded)
    agent_not_helpful: int
    agent_helpful_ratio: float | None  # helpful / (helpful + not helpful); None without outcomes


# ``:agent`` NULL: every agent; otherwise only that one, filtered inside each part so one
# agent's figures do not aggregate the whole org first.
_ONE = "(CAST(:agent AS text) IS NULL OR {column} = :agent)"
_AGENTS_SQL = f"""
    WITH c AS (
      SELECT source_agent_id AS agent, count(*) AS total, count(*) FILTER (WHERE status = 'pending') AS pending,
             count(*) FILTER (WHERE status = 'approved') AS approved
      FROM contributions WHERE org_id = :org AND {_ONE.format(column="source_agent_id")} GROUP BY source_agent_id
    ), k AS (
      SELECT k.source_agent_id AS agent, count(*) AS live FROM knowledge_items k
      WHERE k.org_id = :org AND {_ONE.format(column="k.source_agent_id")} AND {LIVE} GROUP BY k.source_agent_id
    ), s AS (
      SELECT k.source_agent_id AS agent,
             count(*) FILTER (WHERE s.kind = 'retrieval' AND NOT (s.by_own_org AND s.agent_id = k.source_agent_id))
               AS received,
             count(*) FILTER (WHERE s.kind = 'retrieval' AND NOT s.by_own_org) AS by_others,
             count(*) FILTER (WHERE s.kind = 'outcome_solved' AND NOT (s.by_own_org AND s.agent_id = k.source_agent_id))
               AS helpful,
             count(*) FILTER (WHERE s.kind = 'outcome_not_helpful'
                              AND NOT (s.by_own_org AND s.agent_id = k.source_agent_id)) AS not_helpful
      FROM signals s JOIN knowledge_items k ON k.id = s.knowledge_item_id
      WHERE k.org_id = :org AND {_ONE.format(column="k.source_agent_id")} GROUP BY k.source_agent_id
    ), agents AS (SELECT agent FROM c UNION SELECT agent FROM k UNION SELECT agent FROM s)
    SELECT a.agent, coalesce(c.total, 0) AS total, coalesce(c.pending, 0) AS pending,
           coalesce(c.approved, 0) AS approved, coalesce(k.live, 0) AS live, coalesce(s.received, 0) AS received,
           coalesce(s.by_others, 0) AS by_others, coalesce(s.helpful, 0) AS helpful,
           coalesce(s.not_helpful, 0) AS not_helpful
    FROM agents a LEFT JOIN c ON c.agent = a.agent LEFT JOIN k ON k.agent = a.agent LEFT JOIN s ON s.agent = a.agent
"""


def _agent(r: sa.Row[Any]) -> AgentStats:
    rated = r.helpful + r.not_helpful
    return AgentStats(
        r.agent,
        r.total,
        r.pending,
        r.approved,
        r.live,
        r.received,
        r.by_others,
        r.helpful,
        r.not_helpful,
        round(r.helpful / rated, 4) if rated else None,
    )


async def agent_table(session: AsyncSession, org_id: uuid.UUID) -> list[AgentStats]:
    """Every agent of the org that contributed or whose items were used, busiest first."""
    rows = (
        await session.execute(
            sa.text(_AGENTS_SQL + " ORDER BY total DESC, received DESC, a.agent"),
            params={"org": org_id, "agent": None},
        )
    ).all()
    return [_agent(r) for r in rows]


async def user_stats(session: AsyncSession, org_id: uuid.UUID, agent_id: str) -> AgentStats:
    """One agent of the caller's org (all zero for an agent the org has never seen)."""
    row = (await session.execute(sa.text(_AGENTS_SQL), params={"org": org_id, "agent": agent_id})).first()
    return _agent(row) if row is not None else AgentStats(agent_id, 0, 0, 0, 0, 0, 0, 0, 0, None)
