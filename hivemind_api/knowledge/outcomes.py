"""Agents report whether an item solved their problem; outcomes drive its quality score."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts.caller import Caller
from hivemind_api.errors import InvalidInput, NotFound
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.quality import usefulness_sql
from hivemind_api.knowledge.validation import MAX_RUN_ID_LENGTH
from hivemind_api.knowledge.visibility import present_sql, visible_sql

OUTCOMES = {"solved": "outcome_solved", "did_not_help": "outcome_not_helpful"}


@dataclass(frozen=True)
class OutcomeResult:
    status: str  # "recorded" | "already_recorded"
    item_id: uuid.UUID
    outcome: str
    signal_id: int
    counted: bool  # False for the item's own contributing agent: self-votes do not count
    quality_score: float


async def report_outcome(
    session: AsyncSession, principal: Caller, item_id: str, outcome: str, run_id: str | None = None
) -> OutcomeResult:
    if outcome not in OUTCOMES:
        raise InvalidInput(f"invalid outcome {outcome!r}: use 'solved' or 'did_not_help'")
    if run_id is not None and len(run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidInput(f"run_id must be at most {MAX_RUN_ID_LENGTH} characters")
    target = parse_uuid(item_id, "item_id")
    item = (
        await session.execute(
            sa.text(
                "SELECT k.id, k.org_id, k.source_agent_id, k.quality_score FROM knowledge_items k "
                f"WHERE k.id = :id AND {present_sql('k')} AND {visible_sql('k')} FOR UPDATE"
            ),
            params={"id": target, "org": principal.org_id},
        )
    ).first()
    if item is None:
        raise NotFound(f"knowledge item '{item_id}' not found")
    existing = (
        await session.execute(
            sa.text(
                "SELECT id, kind FROM signals WHERE knowledge_item_id = :id AND org_id = :org AND agent_id = :agent "
                "AND coalesce(run_id, '') = coalesce(:run, '') AND kind IN ('outcome_solved', 'outcome_not_helpful')"
            ),
            params={"id": target, "org": principal.org_id, "agent": principal.agent_id, "run": run_id},
        )
    ).first()
    if existing is not None:
        previous = "solved" if existing.kind == "outcome_solved" else "did_not_help"
        return OutcomeResult(
            "already_recorded", target, previous, existing.id, False, float(item.quality_score)
        )
    self_vote = item.org_id == principal.org_id and item.source_agent_id == principal.agent_id
    signal_id = (
        await session.execute(
            sa.text(
                "INSERT INTO signals (knowledge_item_id, kind, org_id, agent_id, run_id, by_own_org) "
                "VALUES (:id, :kind, :org, :agent, :run, :own) RETURNING id"
            ),
            params={
                "id": target,
                "kind": OUTCOMES[outcome],
                "org": principal.org_id,
                "agent": principal.agent_id,
                "run": run_id,
                "own": item.org_id == principal.org_id,
            },
        )
    ).scalar_one()
    quality = float(item.quality_score)
    if not self_vote:
        helpful = "helpful_count + 1" if outcome == "solved" else "helpful_count"
        not_helpful = "not_helpful_count" if outcome == "solved" else "not_helpful_count + 1"
        quality = (
            await session.execute(
                sa.text(
                    f"UPDATE knowledge_items SET helpful_count = {helpful}, not_helpful_count = {not_helpful}, "
                    f"quality_score = {usefulness_sql(helpful, not_helpful)}, updated_at = now() "
                    f"WHERE id = :id RETURNING quality_score"
                ),
                params={"id": target},
            )
        ).scalar_one()
    return OutcomeResult("recorded", target, outcome, signal_id, not self_vote, round(float(quality), 4))
