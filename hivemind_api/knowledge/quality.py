"""Quality: how much an item can be trusted to work now, from four stored parts.

    quality = clamp(0.60 × usefulness + 0.15 × popularity + 0.25 × freshness − penalty, 0, 1)

* **usefulness**: counted "solved" (H) and "did_not_help" (N) votes, Bayesian-smoothed with a
  Beta(4, 4) prior, ``(H + 4) / (H + N + 8)``: a new item is 0.5 and one vote moves it to 0.556.
  Each agent has one vote per item (a re-report replaces it); the item's own contributing agent's
  vote is not counted; a vote from the item's own org weighs half; and the agents of one org move
  another org's item by at most ``quality_org_vote_cap`` votes (3) in each direction, so an org
  cannot stuff a rival's or its own items by minting agents.
* **popularity**: distinct agents who retrieved it, ``1 − exp(−R / 10)``: each other org adds at
  most 5 agents, each agent of the item's own org counts a quarter, its contributing agent nothing.
* **freshness**: ``0.5 ** (days / half_life)`` since it was approved or last confirmed (a counted
  "solved"), half-life ``quality_half_life_days`` (90).
* **penalty**: 0.10 per org reporting it outdated, 0.20 per org reporting it incorrect (each org
  counts at most once), plus 0.30 when a curator marked it outdated or 0.60 incorrect; at most 0.8.

Worked example (the README has it too): an item approved 45 days ago, 3 "solved" from other orgs'
agents, 1 "did_not_help", 12 retrieving agents elsewhere, one org reporting it outdated:
usefulness (3 + 4) / (4 + 8) = 0.583, popularity 1 − e^−1.2 = 0.699, freshness 0.5^0.5 = 0.707,
penalty 0.1; quality 0.6 × 0.583 + 0.15 × 0.699 + 0.25 × 0.707 − 0.1 = 0.532.

The parts are computed by one SQL statement (``rescore``), for one item when a signal arrives and
for every item on a schedule (freshness decays with no signal at all); ``score`` is the same
formula in Python for the breakdown's explanation and for tests.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.config import get_settings

PRIOR_HELPFUL = 4.0
PRIOR_NOT_HELPFUL = 4.0
W_USEFULNESS = 0.60
W_POPULARITY = 0.15
W_FRESHNESS = 0.25
POPULARITY_SCALE = 10.0
OWN_ORG_VOTE_WEIGHT = 0.5
OWN_ORG_RETRIEVER_WEIGHT = 0.25
RETRIEVERS_PER_ORG = 5
PENALTY_OUTDATED = 0.10
PENALTY_INCORRECT = 0.20
MARK_PENALTY = {"outdated": 0.30, "incorrect": 0.60}
MAX_PENALTY = 0.80
NEW_ITEM_SCORE = W_USEFULNESS * 0.5 + W_FRESHNESS * 1.0  # no votes, no retrievals, just approved


def usefulness(helpful: float, not_helpful: float) -> float:
    return (helpful + PRIOR_HELPFUL) / (helpful + not_helpful + PRIOR_HELPFUL + PRIOR_NOT_HELPFUL)


def popularity(retrievers: float) -> float:
    return 1.0 - math.exp(-retrievers / POPULARITY_SCALE)


def freshness(age_days: float, half_life_days: float) -> float:
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


def penalty(outdated_orgs: float, incorrect_orgs: float, mark: str | None) -> float:
    raw = (
        PENALTY_OUTDATED * outdated_orgs
        + PENALTY_INCORRECT * incorrect_orgs
        + MARK_PENALTY.get(mark or "", 0)
    )
    return min(MAX_PENALTY, raw)


def score(usefulness_: float, popularity_: float, freshness_: float, penalty_: float) -> float:
    raw = W_USEFULNESS * usefulness_ + W_POPULARITY * popularity_ + W_FRESHNESS * freshness_ - penalty_
    return max(0.0, min(1.0, raw))


@dataclass(frozen=True)
class VoteTally:
    solved: int = 0
    did_not_help: int = 0
    outdated: int = 0
    incorrect: int = 0


@dataclass(frozen=True)
class QualityBreakdown:
    """What an item's quality is made of, as every surface shows it."""

    score: float
    usefulness: float
    popularity: float
    freshness: float
    penalty: float
    own_org_votes: VoteTally  # counted votes from the item's own org (weighing half)
    other_org_votes: VoteTally
    curator_mark: str | None
    curator_mark_reason: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 4),
            "usefulness": round(self.usefulness, 4),
            "popularity": round(self.popularity, 4),
            "freshness": round(self.freshness, 4),
            "penalty": round(self.penalty, 4),
            "votes_own_org": self.own_org_votes.__dict__,
            "votes_other_orgs": self.other_org_votes.__dict__,
            "curator_mark": self.curator_mark,
            "curator_mark_reason": self.curator_mark_reason,
        }


def _rescore_sql(where: str) -> str:
    """One statement computing every part for the items ``where`` selects (alias ``k``)."""
    marks = " ".join(f"WHEN '{m}' THEN {p}" for m, p in MARK_PENALTY.items())
    return f"""
    WITH target AS (
        SELECT k.id, k.org_id, k.source_agent_id,
               coalesce(k.confirmed_at, k.valid_at, k.approved_at) AS since,
               CASE k.curator_mark {marks} ELSE 0 END AS mark_penalty
        FROM knowledge_items k WHERE {where}
    ),
    per_org AS (
        SELECT v.knowledge_item_id AS id,
               least(:cap, coalesce(sum(CASE WHEN v.by_own_org THEN {OWN_ORG_VOTE_WEIGHT} ELSE 1 END)
                     FILTER (WHERE v.outcome = 'solved'), 0)) AS helpful,
               least(:cap, coalesce(sum(CASE WHEN v.by_own_org THEN {OWN_ORG_VOTE_WEIGHT} ELSE 1 END)
                     FILTER (WHERE v.outcome = 'did_not_help'), 0)) AS not_helpful,
               least(1, count(*) FILTER (WHERE v.outcome = 'outdated')) AS outdated,
               least(1, count(*) FILTER (WHERE v.outcome = 'incorrect')) AS incorrect,
               count(*) FILTER (WHERE v.outcome = 'solved') AS solved_n,
               count(*) FILTER (WHERE v.outcome = 'did_not_help') AS not_helpful_n
        FROM outcome_votes v JOIN target t ON t.id = v.knowledge_item_id
        WHERE v.counted
        GROUP BY v.knowledge_item_id, v.org_id
    ),
    votes AS (
        SELECT id, coalesce(sum(helpful), 0) AS helpful, coalesce(sum(not_helpful), 0) AS not_helpful,
               sum(outdated) AS outdated, sum(incorrect) AS incorrect,
               sum(solved_n) AS solved_n, sum(not_helpful_n) AS not_helpful_n
        FROM per_org GROUP BY id
    ),
    retrievers AS (
        SELECT id, sum(weight) AS r FROM (
            SELECT t.id,
                   CASE WHEN s.org_id = t.org_id THEN {OWN_ORG_RETRIEVER_WEIGHT} * count(DISTINCT s.agent_id)
                        ELSE least({RETRIEVERS_PER_ORG}, count(DISTINCT s.agent_id)) END AS weight
            FROM target t JOIN signals s ON s.knowledge_item_id = t.id AND s.kind = 'retrieval'
            WHERE NOT (s.org_id = t.org_id AND s.agent_id = t.source_agent_id)
            GROUP BY t.id, t.org_id, s.org_id
        ) by_org GROUP BY id
    ),
    parts AS (
        SELECT t.id,
               (coalesce(v.helpful, 0) + {PRIOR_HELPFUL})
                 / (coalesce(v.helpful, 0) + coalesce(v.not_helpful, 0) + {PRIOR_HELPFUL + PRIOR_NOT_HELPFUL})
                 AS usefulness,
               1 - exp(-coalesce(r.r, 0) / {POPULARITY_SCALE}) AS popularity,
               power(0.5, greatest(0, extract(epoch FROM now() - t.since)) / 86400.0 / :half_life)
                 AS freshness,
               least({MAX_PENALTY}, {PENALTY_OUTDATED} * coalesce(v.outdated, 0)
                     + {PENALTY_INCORRECT} * coalesce(v.incorrect, 0) + t.mark_penalty) AS penalty,
               coalesce(v.solved_n, 0) AS solved_n, coalesce(v.not_helpful_n, 0) AS not_helpful_n
        FROM target t LEFT JOIN votes v ON v.id = t.id LEFT JOIN retrievers r ON r.id = t.id
    )
    UPDATE knowledge_items k SET
        quality_usefulness = p.usefulness, quality_popularity = p.popularity,
        quality_freshness = p.freshness, quality_penalty = p.penalty,
        quality_score = greatest(0, least(1, {W_USEFULNESS} * p.usefulness + {W_POPULARITY} * p.popularity
                                              + {W_FRESHNESS} * p.freshness - p.penalty)),
        helpful_count = p.solved_n, not_helpful_count = p.not_helpful_n, rescored_at = now()
    FROM parts p WHERE k.id = p.id
    RETURNING k.id, k.quality_score
    """


_RESCORE_IDS = sa.text(_rescore_sql("k.id = ANY(CAST(:ids AS uuid[]))"))
_RESCORE_ALL = sa.text(_rescore_sql("k.deleted_at IS NULL"))


async def rescore(
    session: AsyncSession, item_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, float]:
    """Recompute the parts and the score of ``item_ids`` (every present item when ``None``)."""
    settings = get_settings()
    params: dict[str, object] = {
        "cap": settings.quality_org_vote_cap,
        "half_life": settings.quality_half_life_days,
    }
    if item_ids is None:
        statement = _RESCORE_ALL
    else:
        statement, params["ids"] = _RESCORE_IDS, list(item_ids)
    rows = (await session.execute(statement, params=params)).all()
    return {r.id: float(r.quality_score) for r in rows}


async def breakdown(session: AsyncSession, item_id: uuid.UUID) -> QualityBreakdown:
    """The stored parts of one item and its counted votes, own org apart from the others."""
    row = (
        await session.execute(
            sa.text(
                "SELECT quality_score, quality_usefulness, quality_popularity, quality_freshness, "
                "quality_penalty, curator_mark, curator_mark_reason FROM knowledge_items WHERE id = :id"
            ),
            params={"id": item_id},
        )
    ).one()
    tallies = {
        own: dict(rows)
        for own, rows in _group(
            (
                await session.execute(
                    sa.text(
                        "SELECT by_own_org, outcome, count(*) AS n FROM outcome_votes "
                        "WHERE knowledge_item_id = :id AND counted GROUP BY by_own_org, outcome"
                    ),
                    params={"id": item_id},
                )
            ).all()
        ).items()
    }
    return QualityBreakdown(
        score=float(row.quality_score),
        usefulness=float(row.quality_usefulness),
        popularity=float(row.quality_popularity),
        freshness=float(row.quality_freshness),
        penalty=float(row.quality_penalty),
        own_org_votes=VoteTally(**tallies.get(True, {})),
        other_org_votes=VoteTally(**tallies.get(False, {})),
        curator_mark=row.curator_mark,
        curator_mark_reason=row.curator_mark_reason,
    )


def _group(rows: Sequence[sa.Row[Any]]) -> dict[bool, list[tuple[str, int]]]:
    out: dict[bool, list[tuple[str, int]]] = {}
    for row in rows:
        out.setdefault(bool(row.by_own_org), []).append((str(row.outcome), int(row.n)))
    return out
