"""Helpers for calling dashboard event handlers as a signed-in member would."""

from __future__ import annotations

from hivemind_api.accounts.sessions import start_session
from hivemind_api.accounts.users import create_user
from hivemind_api.db.engine import session_scope


async def member_session(email: str, org_slug: str, role: str) -> str:
    """Create a member of ``org_slug`` and a dashboard session for them; returns the token."""
    async with session_scope() as db:
        m = await create_user(db, email, "a-long-password-1", org_slug, role)
        token, _ = await start_session(db, m.user, ttl_hours=1)
    return token


async def signed_in(state_cls: type, org, role: str, name: str | None = None):
    """A page state of ``state_cls`` for a new ``role`` member of ``org``, after its on_load."""
    state = state_cls()
    state.session_token = await member_session(f"{name or role}-{org.slug}@example.com", org.slug, role)
    await state.load()
    return state
