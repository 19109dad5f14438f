"""An org's members and their roles: viewer reads, curator reviews, admin manages keys, members
and rules. An org always keeps at least one admin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.users import validate_member_role
from hivemind_api.db.models import Membership, User
from hivemind_api.errors import Conflict, NotFound
from hivemind_api.knowledge.validation import parse_uuid


@dataclass(frozen=True)
class MemberInfo:
    user_id: uuid.UUID
    email: str
    role: str
    since: datetime


async def list_members(session: AsyncSession, org_id: uuid.UUID) -> list[MemberInfo]:
    rows = (await session.exec(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org_id).order_by(User.email)
    )).all()
    return [MemberInfo(u.id, u.email, m.role, m.created_at) for m, u in rows]


async def set_role(session: AsyncSession, org_id: uuid.UUID, user_id: str, role: str, *, actor: str,
                   actor_user_id: uuid.UUID | None = None) -> MemberInfo:
    """Change a member's role; refuses to leave the org without an admin."""
    validate_member_role(role)
    member = (await session.exec(select(Membership).where(
        Membership.org_id == org_id, Membership.user_id == parse_uuid(user_id, "user id")).with_for_update())).first()
    if member is None:
        raise NotFound(f"no member {user_id} in this org")
    if member.role == "admin" and role != "admin":
        admins = (await session.exec(select(func.count()).select_from(Membership).where(
            Membership.org_id == org_id, Membership.role == "admin"))).one()
        if admins <= 1:
            raise Conflict("the org needs at least one admin: make someone else admin first")
    before, member.role = member.role, role
    session.add(member)
    await session.flush()
    user = await session.get(User, member.user_id)
    await audit.record(session, actor=actor, actor_user_id=actor_user_id, action="member.role_changed", org_id=org_id,
                       target_type="user", target_id=str(member.user_id), details={"from": before, "to": role})
    return MemberInfo(member.user_id, user.email if user else "", member.role, member.created_at)
