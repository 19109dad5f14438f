"""Outcomes, the curator queue over REST, and key self-inspection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.deps import curator, principal
from hivemind_api.api.schemas import (
    ApproveIn,
    ApproveOut,
    KeyOut,
    OutcomeIn,
    PendingListOut,
    RejectIn,
    RejectOut,
)
from hivemind_api.db.engine import session_scope
from hivemind_api.knowledge import outcomes, purge, review
from hivemind_api.knowledge.outcomes import OutcomeResult
from hivemind_api.knowledge.purge import PurgeResult

router = APIRouter(prefix="/api/v1")
Principal = Annotated[Caller, Depends(principal)]


@router.post(
    "/outcomes",
    status_code=202,
    response_model=OutcomeResult,
    tags=["outcomes"],
    operation_id="report_outcome",
)
async def report_outcome(body: OutcomeIn, who: Principal) -> OutcomeResult:
    """Tell HiveMind what an item did for you: solved, did_not_help, outdated (with the
    ``version`` or ``environment`` where it failed) or incorrect. One vote per agent per item: a
    new report replaces your earlier one (status ``updated``), the same report again is
    ``already_recorded``; the item's own contributing agent is heard but not counted."""
    async with session_scope() as session:
        return await outcomes.report_outcome(
            session,
            who,
            body.item_id,
            body.outcome,
            body.run_id,
            version=body.version,
            environment=body.environment,
        )


@router.get(
    "/contributions",
    response_model=PendingListOut,
    tags=["review"],
    operation_id="list_pending_contributions",
)
async def list_pending_contributions(
    who: Principal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: str = "pending",
    category: str | None = None,
    flagged: bool | None = None,
    sort: str = "newest",
    agent: str | None = None,
) -> PendingListOut:
    """Your org's review queue (curator keys): ``status`` pending (default), blocked, duplicate,
    rejected or approved; ``flagged`` for burst-flagged ones; ``sort`` newest, oldest or
    prescreen. Each entry carries its pre-screen score and reasons, flags, redaction report
    and injection verdict."""
    reviewer = curator(who)
    async with session_scope() as session:
        page = await review.list_pending(
            session,
            reviewer.org_id,
            limit=limit,
            offset=offset,
            status=status,
            category=category,
            flagged=flagged,
            sort=sort,
            agent=agent,
        )
    return PendingListOut(items=page.items, total=page.total, limit=page.limit, offset=page.offset)


@router.post(
    "/contributions/{contribution_id}/approve",
    response_model=ApproveOut,
    tags=["review"],
    operation_id="approve_contribution",
)
async def approve_contribution(
    contribution_id: str, who: Principal, body: ApproveIn | None = None
) -> ApproveOut:
    """Approve: the contribution becomes a knowledge item (private unless is_public). With
    ``supersedes``, that live item of your org is retired (expired, superseded_by the new one) in
    the same transaction; with ``fork_of``, that item stays valid for the versions below where this
    one's range starts (a version fork); with ``category`` or ``version_range``, the item is filed
    under the curator's instead of the agent's; with ``content``, your edit of the text is scrubbed,
    screened and approved instead (the item's history keeps both); with ``sensitive``, the
    contribution is purged instead of approved."""
    reviewer = curator(who)
    body = body or ApproveIn()
    if body.sensitive:
        async with session_scope() as session:
            await purge.purge_contribution(session, reviewer, contribution_id)
        return ApproveOut(status="purged", item_id=None)
    async with session_scope() as session:
        item = await review.approve(
            session,
            reviewer,
            contribution_id,
            is_public=body.is_public,
            supersedes=body.supersedes,
            category=body.category,
            version_range=body.version_range,
            fork_of=body.fork_of,
            content=body.content,
        )
    return ApproveOut(status="approved", item_id=item.id)


@router.post(
    "/contributions/{contribution_id}/reject",
    response_model=RejectOut,
    tags=["review"],
    operation_id="reject_contribution",
)
async def reject_contribution(
    contribution_id: str, who: Principal, body: RejectIn | None = None
) -> RejectOut:
    """Reject, with an optional reason the contributing agent can read."""
    reviewer = curator(who)
    async with session_scope() as session:
        c = await review.reject(session, reviewer, contribution_id, reason=(body or RejectIn()).reason)
    return RejectOut(status="rejected", contribution_id=c.id)


@router.post(
    "/contributions/{contribution_id}/purge",
    response_model=PurgeResult,
    tags=["review"],
    operation_id="purge_contribution",
)
async def purge_contribution(contribution_id: str, who: Principal) -> PurgeResult:
    """Erase a contribution (any status) of your org, and the item approved from it, from every
    table (curator keys). Subscribers get ``knowledge.purged``; the audit log keeps who and when."""
    reviewer = curator(who)
    async with session_scope() as session:
        return await purge.purge_contribution(session, reviewer, contribution_id)


@router.get("/keys/me", response_model=KeyOut, tags=["keys"], operation_id="get_my_key")
async def keys_me(who: Principal) -> KeyOut:
    """The calling key's org, agent, role and usage in the current billing period."""
    return KeyOut(
        org_id=who.org_id,
        org=who.org_slug,
        agent_id=who.agent_id,
        role=who.role,
        tier=who.tier,
        request_count=who.request_count,
    )
