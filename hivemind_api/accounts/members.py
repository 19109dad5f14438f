"""An org's members and their roles: viewer reads, curator reviews, admin manages keys, members
and rules. An org always keeps at least one admin.

Admins add people by email: an existing account (a member of another org) joins with its own
password; a new account gets a generated one-time password that the admin passes on and the new
member replaces (``users.change_password``). Removing a member ends their access at once:
``resolve_session`` requires a live membership on every request.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller, require_admin
from hivemind_api.accounts.passwords import hash_password
from hivemind_api.accounts.users import join_org, normalize_email, validate_member_role
from hivemind_api.db.models import Membership, User
from hivemind_api.errors import Conflict, NotFound
from hivemind_api.inputs import parse_uuid


@dataclass(frozen=True)
class MemberInfo:
    user_id: uuid.UUID
    email: str
    role: str
    since: datetime


async def list_members(session: AsyncSession, org_id: uuid.UUID) -> list[MemberInfo]:
    rows = (
        await session.exec(
            select(Membership, User)
            .join(User, col(User.id) == Membership.user_id)
            .where(Membership.org_id == org_id)
            .order_by(User.email)
        )
    ).all()
    return [MemberInfo(u.id, u.email, m.role, m.created_at) for m, u in rows]


async def add_member(
    session: AsyncSession, by: Caller, email: str, role: str
) -> tuple[MemberInfo, str | None]:
    """Add ``email`` to the caller's org with ``role`` (admins only). Returns the member and, for a
    new account only, its one-time password (shown once; only its Argon2 hash is stored)."""
    require_admin(by, "manage its members")
    email = normalize_email(email)
    validate_member_role(role)
    user = (await session.exec(select(User).where(User.email == email))).first()
    one_time: str | None = None
    if user is None:
        one_time = secrets.token_urlsafe(12)
        user = User(email=email, password_hash=hash_password(one_time))
        session.add(user)
        await session.flush()
    member = await join_org(
        session,
        user,
        by.org_id,
        role,
        org_label="this org",
        by=by,
        details={"new_account": one_time is not None},
    )
    return MemberInfo(user.id, email, role, member.created_at), one_time


async def remove_member(session: AsyncSession, by: Caller, user_id: str) -> MemberInfo:
    """Take a member out of the caller's org (admins only; their account stays, for their other
    orgs)."""
    require_admin(by, "manage its members")
    org_id = by.org_id
    member = await _locked_member(session, org_id, user_id)
    if member.role == "admin":
        await _keep_an_admin(session, org_id)
    user = await session.get(User, member.user_id)
    info = MemberInfo(member.user_id, user.email if user else "", member.role, member.created_at)
    await session.delete(member)
    await session.flush()
    await audit.record(
        session,
        by=by,
        action="member.removed",
        org_id=org_id,
        target_type="user",
        target_id=str(member.user_id),
        details={"email": info.email, "role": info.role},
    )
    return info


async def _locked_member(session: AsyncSession, org_id: uuid.UUID, user_id: str) -> Membership:
    member = (
        await session.exec(
            select(Membership)
            .where(Membership.org_id == org_id, Membership.user_id == parse_uuid(user_id, "user id"))
            .with_for_update()
        )
    ).first()
    if member is None:
        raise NotFound(f"no member {user_id} in this org")
    return member


async def _keep_an_admin(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Refuse a change that would take away the org's last admin."""
    admins = (
        await session.exec(
            select(func.count())
            .select_from(Membership)
            .where(Membership.org_id == org_id, Membership.role == "admin")
        )
    ).one()
    if admins <= 1:
        raise Conflict("the org needs at least one admin: make someone else admin first")


async def set_role(session: AsyncSession, by: Caller, user_id: str, role: str) -> MemberInfo:
    """Change a member's role in the caller's org (admins only); refuses to leave the org without
    an admin."""
    require_admin(by, "manage its members")
    org_id = by.org_id
    validate_member_role(role)
    member = await _locked_member(session, org_id, user_id)
    if member.role == "admin" and role != "admin":
        await _keep_an_admin(session, org_id)
    before, member.role = member.role, role
    session.add(member)
    await session.flush()
    user = await session.get(User, member.user_id)
    await audit.record(
        session,
        by=by,
        action="member.role_changed",
        org_id=org_id,
        target_type="user",
        target_id=str(member.user_id),
        details={"from": before, "to": role},
    )
    return MemberInfo(member.user_id, user.email if user else "", member.role, member.created_at)
