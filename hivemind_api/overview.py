"""Headline numbers for an org's home page, counted in SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class OrgOverview:
    pending_contributions: int
    org_items: int
    public_items: int
    commons_items: int
    active_keys: int
    members: int


_SQL = sa.text(
    """
    SELECT
      (SELECT count(*) FROM contributions WHERE org_id = :org AND status = 'pending'),
      (SELECT count(*) FROM knowledge_items
        WHERE org_id = :org AND deleted_at IS NULL AND quarantined_at IS NULL AND expired_at IS NULL),
      (SELECT count(*) FROM knowledge_items
        WHERE org_id = :org AND is_public AND deleted_at IS NULL AND quarantined_at IS NULL AND expired_at IS NULL),
      (SELECT count(*) FROM knowledge_items
        WHERE is_public AND deleted_at IS NULL AND quarantined_at IS NULL AND expired_at IS NULL),
      (SELECT count(*) FROM api_keys WHERE org_id = :org AND revoked_at IS NULL),
      (SELECT count(*) FROM memberships WHERE org_id = :org)
    """
)


async def org_overview(session: AsyncSession, org_id: uuid.UUID) -> OrgOverview:
    row = (await session.exec(_SQL, params={"org": org_id})).one()
    return OrgOverview(*row)
