"""Dashboard login sessions: the browser holds a random token, the database only its hash.

A session is bound to one org (the one the user is working in); every dashboard handler resolves
the token again on the server, so a revoked or expired session stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.orgs import OrgInfo
from hivemind_api.accounts.users import UserInfo, memberships_of
from hivemind_api.db.models import Membership, Org, User, UserSession
from hivemind_api.errors import Forbidden


@dataclass(frozen=True)
class SessionPrincipal:
    """Who is behind a dashboard session, re-read from the database on every check."""

    session_id: uuid.UUID
    user: UserInfo
    org: OrgInfo
    role: str

    @property
    def caller(self) -> Caller:
        """The member as the domain layer sees them, acting in the session's org."""
        return Caller.member(
            user_id=self.user.id,
            email=self.user.email,
            org_id=self.org.id,
            org_slug=self.org.slug,
            role=self.role,
        )

    @property
    def can_curate(self) -> bool:
        return self.role in ("curator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    session: AsyncSession, user: UserInfo, *, ttl_hours: int, org_id: uuid.UUID | None = None
) -> tuple[str, SessionPrincipal]:
    """Open a session in ``org_id`` (default: the user's first org). Returns (raw token, principal)."""
    memberships = await memberships_of(session, user.id)
    if org_id is not None:
        memberships = [m for m in memberships if m.org.id == org_id]
    if not memberships:
        raise Forbidden("this account is not a member of any organisation")
    chosen = memberships[0]
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = UserSession(
        user_id=user.id,
        org_id=chosen.org.id,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=ttl_hours),
    )
    session.add(row)
    await session.flush()
    return token, SessionPrincipal(row.id, chosen.user, chosen.org, chosen.role)


async def resolve_session(session: AsyncSession, token: str | None) -> SessionPrincipal | None:
    """The live principal for ``token``, or None if unknown, expired, revoked or no longer a member."""
    if not token:
        return None
    row = (
        await session.exec(
            select(UserSession, User, Org, Membership)
            .join(User, col(User.id) == UserSession.user_id)
            .join(Org, col(Org.id) == UserSession.org_id)
            .join(
                Membership,
                (col(Membership.user_id) == UserSession.user_id)
                & (col(Membership.org_id) == UserSession.org_id),
            )
            .where(UserSession.token_hash == _hash(token))
            .where(col(UserSession.revoked_at).is_(None))
            .where(UserSession.expires_at > datetime.now(UTC))
            .where(col(User.is_active).is_(True))
        )
    ).first()
    if row is None:
        return None
    s, user, org, membership = row
    return SessionPrincipal(s.id, UserInfo(id=user.id, email=user.email), OrgInfo.of(org), membership.role)


async def end_session(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    row = (await session.exec(select(UserSession).where(UserSession.token_hash == _hash(token)))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
