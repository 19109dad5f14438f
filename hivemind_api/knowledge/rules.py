"""Auto-approve rules: an org trusts its agents' contributions of one category enough to skip
review, optionally only above a pre-screen score.

A rule never approves what screening flagged: blocked content never reaches it, and a
near-duplicate or a burst-flagged contribution still waits for a curator. Auto-approval goes
through the same ``review.approve`` as a curator's (item, event, audit record in one
transaction), with the rule as the reviewer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller, require_admin
from hivemind_api.accounts.orgs import get_org
from hivemind_api.db.models import AutoApproveRule
from hivemind_api.errors import Conflict, InvalidInput, NotFound
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.validation import validate_category


@dataclass(frozen=True)
class RuleInfo:
    id: uuid.UUID
    org_id: uuid.UUID
    category: str
    min_prescreen_score: int | None
    created_at: datetime


def _info(rule: AutoApproveRule) -> RuleInfo:
    return RuleInfo(rule.id, rule.org_id, rule.category, rule.min_prescreen_score, rule.created_at)


async def add_rule(
    session: AsyncSession,
    org_slug: str,
    category: str,
    *,
    min_prescreen_score: int | None = None,
    by: Caller | None = None,
) -> RuleInfo:
    require_admin(by, "change auto-approve rules")
    org = await get_org(session, org_slug)
    if category is None or validate_category(category) is None:
        raise InvalidInput("category is required")
    if min_prescreen_score is not None and not 0 <= min_prescreen_score <= 100:
        raise InvalidInput("min pre-screen score must be between 0 and 100")
    exists = (
        await session.exec(
            select(AutoApproveRule).where(
                AutoApproveRule.org_id == org.id, AutoApproveRule.category == category
            )
        )
    ).first()
    if exists is not None:
        raise Conflict(f"org {org_slug} already auto-approves {category}; remove that rule first")
    rule = AutoApproveRule(
        org_id=org.id,
        category=category,
        min_prescreen_score=min_prescreen_score,
        created_by=by.user_id if by else None,
    )
    session.add(rule)
    await session.flush()
    await session.refresh(rule)
    await audit.record(
        session,
        by=by,
        actor="cli",
        action="rule.added",
        org_id=org.id,
        target_type="auto_approve_rule",
        target_id=str(rule.id),
        details={"category": category, "min_prescreen_score": min_prescreen_score},
    )
    return _info(rule)


async def list_rules(session: AsyncSession, org_slug: str) -> list[RuleInfo]:
    org = await get_org(session, org_slug)
    rows = (
        await session.exec(
            select(AutoApproveRule).where(AutoApproveRule.org_id == org.id).order_by(AutoApproveRule.category)
        )
    ).all()
    return [_info(r) for r in rows]


async def remove_rule(
    session: AsyncSession,
    rule_id: str,
    *,
    org_slug: str | None = None,
    by: Caller | None = None,
) -> RuleInfo:
    require_admin(by, "change auto-approve rules")
    query = select(AutoApproveRule).where(AutoApproveRule.id == parse_uuid(rule_id, "rule id"))
    if org_slug is not None:
        query = query.where(AutoApproveRule.org_id == (await get_org(session, org_slug)).id)
    rule = (await session.exec(query)).first()
    if rule is None:
        raise NotFound(f"no auto-approve rule {rule_id}")
    info = _info(rule)
    await session.delete(rule)
    await audit.record(
        session,
        by=by,
        actor="cli",
        action="rule.removed",
        org_id=rule.org_id,
        target_type="auto_approve_rule",
        target_id=str(rule.id),
        details={"category": rule.category},
    )
    return info


async def matching_rule(session: AsyncSession, org_id: uuid.UUID, category: str) -> AutoApproveRule | None:
    return (
        await session.exec(
            select(AutoApproveRule).where(
                AutoApproveRule.org_id == org_id, AutoApproveRule.category == category
            )
        )
    ).first()


def allows(
    rule: AutoApproveRule, prescreen_score: int | None, flags: list[str], similar: list[dict[str, Any]]
) -> bool:
    if flags or any(s.get("near_duplicate") for s in similar):
        return False
    return rule.min_prescreen_score is None or (prescreen_score or 0) >= rule.min_prescreen_score


def reviewer_for(rule: AutoApproveRule) -> Caller:
    minimum = f", pre-screen >= {rule.min_prescreen_score}" if rule.min_prescreen_score is not None else ""
    return Caller.system(org_id=rule.org_id, name=f"auto-approve rule {rule.category}{minimum}")
