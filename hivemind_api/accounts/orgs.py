"""Organisations: the unit of isolation. Everything private belongs to exactly one org."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.models import Org
from hivemind_api.errors import Conflict, InvalidInput, NotFound

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class OrgInfo:
    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, org: Org) -> OrgInfo:
        return cls(id=org.id, slug=org.slug, name=org.name, created_at=org.created_at)


def validate_slug(slug: str) -> str:
    if not SLUG_RE.match(slug or ""):
        raise InvalidInput(f"invalid org slug {slug!r}: use 1-63 lowercase letters, digits and inner hyphens")
    return slug


async def create_org(session: AsyncSession, slug: str, name: str | None = None) -> OrgInfo:
    validate_slug(slug)
    name = (name or slug).strip()
    if not name or len(name) > 200:
        raise InvalidInput("org name must be 1-200 characters")
    org = Org(slug=slug, name=name)
    session.add(org)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"org {slug!r} already exists") from None
    await session.refresh(org)
    return OrgInfo.of(org)


async def get_org(session: AsyncSession, slug: str) -> OrgInfo:
    org = (await session.exec(select(Org).where(Org.slug == slug))).first()
    if org is None:
        raise NotFound(f"unknown org {slug!r}")
    return OrgInfo.of(org)
