"""Curator accounts (users), their org memberships and the first-run bootstrap."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.orgs import OrgInfo, create_org, get_org
from hivemind_api.accounts.passwords import hash_password, validate_password, verify_password
from hivemind_api.db.models import Membership, Org, User, db_now
from hivemind_api.errors import Conflict, InvalidInput
from hivemind_api.vocab import MEMBER_ROLES

_BOOTSTRAP_LOCK = 0x46_49_52_53  # "FIRS": serialises concurrent first-run attempts


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    email: str


@dataclass(frozen=True)
class MembershipInfo:
    user: UserInfo
    org: OrgInfo
    role: str


def normalize_email(email: str) -> str:
    try:
        # check_deliverability would need DNS, which a self-hosted box may not have.
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as err:
        raise InvalidInput(f"invalid email {email!r}: {err}") from None


def validate_member_role(role: str) -> str:
    if role not in MEMBER_ROLES:
        raise InvalidInput(f"invalid role {role!r}: use one of {', '.join(MEMBER_ROLES)}")
    return role


async def create_user(
    session: AsyncSession, email: str, password: str, org_slug: str, role: str, *, actor: str = "cli"
) -> MembershipInfo:
    """Create a curator account in ``org_slug``, or add an existing account to that org.

    An existing account keeps its password; giving a different one is refused rather than
    silently ignored.
    """
    email = normalize_email(email)
    validate_member_role(role)
    validate_password(password)
    org = await get_org(session, org_slug)
    user = (await session.exec(select(User).where(User.email == email))).first()
    if user is None:
        user = User(email=email, password_hash=hash_password(password))
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:  # created concurrently by someone else
            raise Conflict(f"user {email} already exists") from None
    elif not verify_password(user.password_hash, password):
        raise Conflict(f"user {email} already exists with another password")
    by = Caller.system(org_id=org.id, org_slug=org.slug, name=actor)
    await join_org(session, user, org.id, role, org_label=org_slug, by=by)
    return MembershipInfo(user=UserInfo(id=user.id, email=email), org=org, role=role)


async def join_org(
    session: AsyncSession,
    user: User,
    org_id: uuid.UUID,
    role: str,
    *,
    org_label: str,
    by: Caller | None = None,
    details: dict[str, Any] | None = None,
) -> Membership:
    """Make ``user`` a member of the org with ``role`` (refused if already one), audited."""
    existing = await session.get(Membership, (user.id, org_id))
    if existing is not None:
        raise Conflict(f"user {user.email} is already a member of {org_label} (role {existing.role})")
    member = Membership(user_id=user.id, org_id=org_id, role=role)
    session.add(member)
    await session.flush()
    await audit.record(
        session,
        by=by,
        actor="cli",
        action="member.added",
        org_id=org_id,
        target_type="user",
        target_id=str(user.id),
        details={"email": user.email, "role": role, **(details or {})},
    )
    return member


async def change_password(session: AsyncSession, user_id: uuid.UUID, current: str, new: str) -> None:
    """Replace a password after checking the current one (how a one-time password is retired)."""
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or not verify_password(user.password_hash, current):
        raise InvalidInput("the current password is wrong")
    if new == current:
        raise InvalidInput("the new password must differ from the current one")
    user.password_hash = hash_password(new)
    session.add(user)
    await audit.record(
        session,
        actor=user.email,
        actor_user_id=user.id,
        action="user.password_changed",
        target_type="user",
        target_id=str(user.id),
        details={},
    )


async def count_users(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(User))).one()


async def bootstrap_first_admin(
    session: AsyncSession, *, email: str, password: str, org_slug: str, org_name: str | None
) -> MembershipInfo:
    """First run: create the first org and its admin, only while no user exists at all."""
    email = normalize_email(email)
    validate_password(password)
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), params={"k": _BOOTSTRAP_LOCK})
    if await count_users(session) > 0:
        raise Conflict("HiveMind is already set up; sign in instead")
    try:
        org = await create_org(session, org_slug, org_name)
    except Conflict:
        org = await get_org(session, org_slug)
    return await create_user(session, email, password, org.slug, "admin", actor="first-run")


async def authenticate(session: AsyncSession, email: str, password: str) -> UserInfo | None:
    """The user for these credentials, or None (same answer and cost for every failure)."""
    try:
        email = normalize_email(email)
    except InvalidInput:
        verify_password(None, password)
        return None
    user = (await session.exec(select(User).where(User.email == email))).first()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    user.last_login_at = db_now()
    session.add(user)
    return UserInfo(id=user.id, email=user.email)


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[MembershipInfo]:
    rows = (
        await session.exec(
            select(Membership, Org, User)
            .join(Org, col(Org.id) == Membership.org_id)
            .join(User, col(User.id) == Membership.user_id)
            .where(Membership.user_id == user_id)
            .order_by(Org.slug)
        )
    ).all()
    return [
        MembershipInfo(user=UserInfo(id=u.id, email=u.email), org=OrgInfo.of(o), role=m.role)
        for m, o, u in rows
    ]
