"""Headline numbers for an org's home page, counted in SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.knowledge.visibility import live_sql


@dataclass(frozen=True)
class OrgOverview:
    pending_contributions: int
    org_items: int
    public_items: int
    commons_items: int
    active_keys: int
    members: int


# Items counted are live ones (``visibility``), as in search and the analytics ledger.
_SQL = sa.text(
    f"""
    SELECT
      (SELECT count(*) FROM contributions WHERE org_id = :org AND status = 'pending'),
      (SELECT count(*) FROM knowledge_items k WHERE k.org_id = :org AND {live_sql("k")}),
      (SELECT count(*) FROM knowledge_items k WHERE k.org_id = :org AND k.is_public AND {live_sql("k")}),
      (SELECT count(*) FROM knowledge_items k WHERE k.is_public AND {live_sql("k")}),
      (SELECT count(*) FROM api_keys WHERE org_id = :org AND revoked_at IS NULL),
      (SELECT count(*) FROM memberships WHERE org_id = :org)
    """
)


async def org_overview(session: AsyncSession, org_id: uuid.UUID) -> OrgOverview:
    row = (await session.execute(_SQL, params={"org": org_id})).one()
    return OrgOverview(*row)
