"""Orgs, curator accounts, first-run bootstrap and dashboard sessions, against real Postgres."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hivemind_api.accounts import orgs, sessions, users
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import Conflict, InvalidInput, NotFound


def _slug() -> str:
    return "org-" + uuid.uuid4().hex[:8]


async def test_create_org_and_duplicate(db) -> None:
    slug = _slug()
    async with session_scope() as s:
        org = await orgs.create_org(s, slug, "Acme Research")
    assert (org.slug, org.name) == (slug, "Acme Research")
    with pytest.raises(Conflict, match="already exists"):
        async with session_scope() as s:
            await orgs.create_org(s, slug)
    with pytest.raises(InvalidInput):
        async with session_scope() as s:
            await orgs.create_org(s, "Not A Slug")
    with pytest.raises(NotFound):
        async with session_scope() as s:
            await orgs.get_org(s, "missing-" + slug)


async def test_user_passwords_are_hashed_with_argon2(db) -> None:
    slug = _slug()
    async with session_scope() as s:
        await orgs.create_org(s, slug)
        m = await users.create_user(s, "Carol@Example.COM", "correct horse", slug, "curator")
    assert m.user.email == "carol@example.com" and m.role == "curator"
    async with session_scope() as s:
        stored = (
            await s.exec(sa.text("SELECT password_hash FROM users WHERE id = :i"), params={"i": m.user.id})
        ).scalar()
        assert stored.startswith("$argon2id$") and "correct horse" not in stored
        assert await users.authenticate(s, "carol@example.com", "correct horse") is not None
        assert await users.authenticate(s, "carol@example.com", "wrong horse!") is None
        assert await users.authenticate(s, "nobody@example.com", "correct horse") is None


@pytest.mark.parametrize(
    ("email", "password", "role", "error"),
    [
        ("not-an-email", "longenough", "viewer", InvalidInput),
        ("dave@example.com", "short", "viewer", InvalidInput),
        ("dave@example.com", "longenough", "owner", InvalidInput),
    ],
)
async def test_create_user_rejects_bad_input(db, email, password, role, error) -> None:
    slug = _slug()
    async with session_scope() as s:
        await orgs.create_org(s, slug)
    with pytest.raises(error):
        async with session_scope() as s:
            await users.create_user(s, email, password, slug, role)


async def test_existing_user_joins_second_org_once(db) -> None:
    a, b = _slug(), _slug()
    email = f"erin-{a}@example.com"
    async with session_scope() as s:
        await orgs.create_org(s, a)
        await orgs.create_org(s, b)
        await users.create_user(s, email, "password-1", a, "admin")
    async with session_scope() as s:
        await users.create_user(s, email, "password-1", b, "viewer")
    with pytest.raises(Conflict, match="already a member"):
        async with session_scope() as s:
            await users.create_user(s, email, "password-1", b, "viewer")
    with pytest.raises(Conflict, match="another password"):
        async with session_scope() as s:
            await users.create_user(s, email, "password-2", a, "viewer")


async def test_sessions_resolve_expire_and_end(db) -> None:
    slug = _slug()
    async with session_scope() as s:
        await orgs.create_org(s, slug, "Sessions Inc")
        m = await users.create_user(s, f"frank-{slug}@example.com", "password-1", slug, "viewer")
        token, principal = await sessions.start_session(s, m.user, ttl_hours=1)
    assert principal.role == "viewer" and not principal.can_curate
    async with session_scope() as s:
        resolved = await sessions.resolve_session(s, token)
        assert resolved is not None and resolved.org.name == "Sessions Inc"
        assert await sessions.resolve_session(s, token + "x") is None
        assert await sessions.resolve_session(s, "") is None
        stored = (
            await s.exec(
                sa.text("SELECT token_hash FROM user_sessions WHERE id = :i"),
                params={"i": principal.session_id},
            )
        ).scalar()
        assert stored != token and len(stored) == 64
    async with session_scope() as s:  # expiry is enforced
        await s.exec(
            sa.text("UPDATE user_sessions SET created_at = :c, expires_at = :e WHERE id = :i"),
            params={
                "c": datetime.now(UTC) - timedelta(hours=3),
                "e": datetime.now(UTC) - timedelta(seconds=1),
                "i": principal.session_id,
            },
        )
    async with session_scope() as s:
        assert await sessions.resolve_session(s, token) is None
    async with session_scope() as s:
        token2, _ = await sessions.start_session(s, m.user, ttl_hours=1)
        await sessions.end_session(s, token2)
    async with session_scope() as s:
        assert await sessions.resolve_session(s, token2) is None


async def test_removed_membership_ends_session_at_once(db) -> None:
    slug = _slug()
    async with session_scope() as s:
        await orgs.create_org(s, slug)
        m = await users.create_user(s, f"gina-{slug}@example.com", "password-1", slug, "curator")
        token, _ = await sessions.start_session(s, m.user, ttl_hours=1)
        await s.exec(sa.text("DELETE FROM memberships WHERE user_id = :u"), params={"u": m.user.id})
    async with session_scope() as s:
        assert await sessions.resolve_session(s, token) is None


async def test_first_admin_bootstrap_happens_once_even_when_racing(database_url, target) -> None:
    """Two concurrent first-run submissions: exactly one creates the admin."""
    from hivemind_api.db.engine import configure_database, dispose_database
    from hivemind_api.db.migrate import migrate

    url = target.create_database()  # a database with no users at all
    migrate(url)
    configure_database(url)
    try:

        async def attempt(n: int):
            async with session_scope() as s:
                return await users.bootstrap_first_admin(
                    s,
                    email=f"admin{n}@example.com",
                    password="password-1",
                    org_slug=f"first{n}",
                    org_name=None,
                )

        results = await asyncio.gather(attempt(1), attempt(2), return_exceptions=True)
        created = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(created) == 1 and len(refused) == 1
        assert created[0].role == "admin"
        async with session_scope() as s:
            assert await users.count_users(s) == 1
    finally:
        await dispose_database()
