"""Agents report what an item did for them; the reports drive its quality and validity.

Each agent has **one vote per item** (``outcome_votes``): reporting again with another verdict,
version or environment updates that vote, the same report again changes nothing
(``already_recorded``); a new ``run_id`` does not make a second vote. Every report that changed
something is also kept as a signal (history). The item's own contributing agent may report, but
its vote is not counted; how much one org's votes count is capped in ``knowledge.quality``.

``outdated`` says the item worked once but not in the reporter's version or environment: with a
``version``, enough distinct orgs reporting one version cut the item's range below it
(``knowledge.validity``). ``incorrect`` says it is wrong. The item is rescored in the same
transaction, so the answer carries its new quality.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts.caller import Caller
from hivemind_api.db.models import KnowledgeItem
from hivemind_api.errors import InvalidInput, NotFound, UnstorableText
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.quality import rescore
from hivemind_api.knowledge.validation import MAX_RUN_ID_LENGTH
from hivemind_api.knowledge.validity import narrow_on_outdated_reports
from hivemind_api.knowledge.versions import parse_version
from hivemind_api.knowledge.visibility import present_sql, visible_sql
from hivemind_api.trust.scrubber import scrub
from hivemind_api.vocab import Outcome

SIGNAL_KIND = {
    Outcome.SOLVED: "outcome_solved",
    Outcome.DID_NOT_HELP: "outcome_not_helpful",
    Outcome.OUTDATED: "outcome_outdated",
    Outcome.INCORRECT: "outcome_incorrect",
}
OUTCOME_NAMES = ", ".join(f"'{o.value}'" for o in Outcome)
MAX_ENVIRONMENT = 500


@dataclass(frozen=True)
class OutcomeResult:
    status: str  # "recorded" (a new vote) | "updated" (the agent's vote changed) | "already_recorded"
    item_id: uuid.UUID
    outcome: str
    signal_id: int
    counted: bool  # False for the item's own contributing agent: self-votes do not count
    quality_score: float
    version_range: str | None = None  # the item's range after this report (it may have narrowed)
    narrowed: bool = False


def _clean_version(version: str | None) -> str | None:
    if version is None or not version.strip():
        return None
    UnstorableText.check("version", version)
    return str(parse_version(version))


def _clean_environment(environment: str | None) -> str | None:
    """Free text from an agent, shown to curators: scrubbed like a contribution."""
    if environment is None or not environment.strip():
        return None
    UnstorableText.check("environment", environment)
    if len(environment) > MAX_ENVIRONMENT:
        raise InvalidInput(f"environment must be at most {MAX_ENVIRONMENT} characters")
    return scrub(environment.strip()).text


async def report_outcome(
    session: AsyncSession,
    principal: Caller,
    item_id: str,
    outcome: str,
    run_id: str | None = None,
    *,
    version: str | None = None,
    environment: str | None = None,
) -> OutcomeResult:
    try:
        verdict = Outcome(outcome)
    except ValueError:
        raise InvalidInput(f"invalid outcome {outcome!r}: use one of {OUTCOME_NAMES}") from None
    if run_id is not None and len(run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidInput(f"run_id must be at most {MAX_RUN_ID_LENGTH} characters")
    clean_version, clean_env = _clean_version(version), _clean_environment(environment)
    target = parse_uuid(item_id, "item_id")
    found = (
        await session.execute(
            sa.text(
                f"SELECT k.id FROM knowledge_items k WHERE k.id = :id AND {present_sql('k')} "
                f"AND {visible_sql('k')} FOR UPDATE"
            ),
            params={"id": target, "org": principal.org_id},
        )
    ).first()
    if found is None:
        raise NotFound(f"knowledge item '{item_id}' not found")
    item = await session.get(KnowledgeItem, target)
    assert item is not None  # locked above
    own_org = item.org_id == principal.org_id
    counted = not (own_org and item.source_agent_id == principal.agent_id)
    previous = (
        await session.execute(
            sa.text(
                "SELECT outcome, version, environment FROM outcome_votes "
                "WHERE knowledge_item_id = :id AND org_id = :org AND agent_id = :agent"
            ),
            params={"id": target, "org": principal.org_id, "agent": principal.agent_id},
        )
    ).first()
    if previous is not None and (previous.outcome, previous.version, previous.environment) == (
        verdict.value,
        clean_version,
        clean_env,
    ):
        last = (
            await session.execute(
                sa.text(
                    "SELECT max(id) FROM signals WHERE knowledge_item_id = :id AND org_id = :org "
                    "AND agent_id = :agent AND kind LIKE 'outcome_%'"
                ),
                params={"id": target, "org": principal.org_id, "agent": principal.agent_id},
            )
        ).scalar_one()
        return OutcomeResult(
            "already_recorded",
            target,
            verdict.value,
            int(last or 0),
            counted,
            round(item.quality_score, 4),
            item.version_range,
        )
    await session.execute(
        sa.text(
            "INSERT INTO outcome_votes (knowledge_item_id, org_id, agent_id, outcome, version, environment, "
            "by_own_org, counted, run_id) VALUES (:id, :org, :agent, :outcome, :version, :env, :own, :counted, :run) "
            "ON CONFLICT (knowledge_item_id, org_id, agent_id) DO UPDATE SET outcome = EXCLUDED.outcome, "
            "version = EXCLUDED.version, environment = EXCLUDED.environment, run_id = EXCLUDED.run_id, "
            "updated_at = now()"
        ),
        params={
            "id": target,
            "org": principal.org_id,
            "agent": principal.agent_id,
            "outcome": verdict.value,
            "version": clean_version,
            "env": clean_env,
            "own": own_org,
            "counted": counted,
            "run": run_id,
        },
    )
    signal_id = (
        await session.execute(
            sa.text(
                "INSERT INTO signals (knowledge_item_id, kind, org_id, agent_id, run_id, by_own_org) "
                "VALUES (:id, :kind, :org, :agent, :run, :own) RETURNING id"
            ),
            params={
                "id": target,
                "kind": SIGNAL_KIND[verdict],
                "org": principal.org_id,
                "agent": principal.agent_id,
                "run": run_id,
                "own": own_org,
            },
        )
    ).scalar_one()
    if counted and verdict is Outcome.SOLVED:  # confirmed to work now: fresh again
        await session.execute(
            sa.text("UPDATE knowledge_items SET confirmed_at = now() WHERE id = :id"), params={"id": target}
        )
    narrowed = None
    if counted and verdict is Outcome.OUTDATED and clean_version is not None:
        narrowed = await narrow_on_outdated_reports(session, item)
    scores = await rescore(session, [target])
    return OutcomeResult(
        "updated" if previous is not None else "recorded",
        target,
        verdict.value,
        int(signal_id),
        counted,
        round(scores[target], 4),
        narrowed if narrowed is not None else item.version_range,
        narrowed is not None,
    )
