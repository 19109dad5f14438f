"""Statistics over REST: the public commons, the caller's org (reciprocity ledger), one agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hivemind_api import stats
from hivemind_api.accounts.caller import Caller
from hivemind_api.api.deps import principal
from hivemind_api.db.engine import session_scope

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
Principal = Annotated[Caller, Depends(principal)]


@router.get("/commons", response_model=stats.CommonsStats, operation_id="get_commons_stats")
async def get_commons_stats(who: Principal) -> stats.CommonsStats:
    """The public commons (no org's private items are counted): live public items, how many
    entered in the last 24 h and 7 days (``growth_rate_24h``/``_7d``, as the earlier API counted
    them, and ``growth_ratio_*`` relative to the commons' size before), public retrievals in the
    last 24 h, ``domains_covered`` (distinct categories), ``frameworks_covered`` (distinct
    frameworks, else languages), categories, a daily series for the last 30 days (UTC), and
    ``total_pending``: your own org's contributions waiting for review."""
    async with session_scope() as session:
        return await stats.commons_stats(session, who.org_id)


@router.get("/org", response_model=stats.OrgStats, operation_id="get_org_stats")
async def get_org_stats(who: Principal) -> stats.OrgStats:
    """Your org's reciprocity ledger: contributions, what other orgs' agents got from your items
    (retrievals, helpful and not-helpful outcomes) against what your agents retrieved from
    theirs, and your top items by use from other orgs."""
    async with session_scope() as session:
        return await stats.org_stats(session, who.org_id)


@router.get("/user", response_model=stats.AgentStats, operation_id="get_user_stats")
async def get_user_stats(
    who: Principal,
    agent_id: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="An agent of your org; default: the calling key's"),
    ] = None,
) -> stats.AgentStats:
    """One agent of your org: contributions, live items, retrievals and outcomes its items received
    (its own outcomes on its own items are not counted)."""
    async with session_scope() as session:
        return await stats.user_stats(session, who.org_id, agent_id or who.agent_id)
