"""Members and roles: admins change roles, the org keeps an admin, nobody else can."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_app.pages.members import MembersState
from tests.integration.dashboard import signed_in


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "ms-" + uuid.uuid4().hex[:8])


def _role(url: str, email: str) -> str:
    with psycopg.connect(url) as c:
        return c.execute(
            "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = %s", (email,)
        ).fetchone()[0]


async def test_admin_changes_roles_but_never_removes_the_last_admin(org, database_url) -> None:
    viewer = await signed_in(MembersState, org, "viewer")
    admin = await signed_in(MembersState, org, "admin")
    viewer_row = next(r for r in admin.rows if r["email"].startswith("viewer-"))
    assert "is now curator" in str(await admin.change_role(viewer_row["id"], "curator"))
    assert _role(database_url, viewer_row["email"]) == "curator"
    me = next(r for r in admin.rows if r["email"].startswith("admin-"))
    assert "at least one admin" in str(await admin.change_role(me["id"], "viewer"))
    assert _role(database_url, me["email"]) == "admin"
    assert "invalid" in str(await admin.change_role(viewer_row["id"], "owner")).lower()
    await admin.change_role(viewer_row["id"], "admin")
    assert "is now viewer" in str(await admin.change_role(me["id"], "viewer"))  # another admin exists now
    assert admin.role == "viewer" and not admin.is_admin
    assert viewer.rows  # a viewer sees the members


async def test_non_admins_cannot_change_roles(org, database_url) -> None:
    await signed_in(MembersState, org, "admin")
    for role in ("curator", "viewer"):
        state = await signed_in(MembersState, org, role)
        target = next(r for r in state.rows if r["email"].startswith("admin-"))
        assert "Only admins" in str(await state.change_role(target["id"], "viewer"))
        assert _role(database_url, target["email"]) == "admin"
    async with session_scope() as s:
        other = await create_org(s, org.slug + "-o")
    outsider = await signed_in(MembersState, other, "admin", "outsider")
    victim = next(
        r
        for r in (await signed_in(MembersState, org, "viewer", "v2")).rows
        if r["email"].startswith("admin-")
    )
    assert "no member" in str(await outsider.change_role(victim["id"], "viewer"))


async def test_admin_adds_a_new_account_with_a_one_time_password_that_signs_in(org, database_url) -> None:
    from hivemind_api.accounts.users import authenticate

    admin = await signed_in(MembersState, org, "admin")
    admin.set_new_email(f"New.Person-{org.slug}@Example.com")
    admin.set_new_role("curator")
    assert "joined as curator" in str(await admin.add())
    email = f"new.person-{org.slug}@example.com"
    assert _role(database_url, email) == "curator"
    one_time = admin.one_time_password
    assert len(one_time) >= 12 and admin.one_time_email == email
    with psycopg.connect(database_url) as c:  # only the hash is stored
        stored = c.execute("SELECT password_hash FROM users WHERE email = %s", (email,)).fetchone()[0]
    assert one_time not in stored and stored.startswith("$argon2id$")
    async with session_scope() as s:
        assert await authenticate(s, email, one_time) is not None
    admin.dismiss_password()
    assert admin.one_time_password == ""
    # the same person again: refused, nothing changes
    admin.set_new_email(email)
    assert await admin.add() is None and "already a member" in admin.error
    # bad input: a clear message, nothing stored
    admin.set_new_email("not-an-email")
    assert await admin.add() is None and "invalid email" in admin.error
    admin.set_new_email(f"x-{org.slug}@example.com")
    admin.set_new_role("owner")
    assert await admin.add() is None and "invalid role" in admin.error
    with psycopg.connect(database_url) as c:
        assert (
            c.execute(
                "SELECT count(*) FROM users WHERE email = %s", (f"x-{org.slug}@example.com",)
            ).fetchone()[0]
            == 0
        )


async def test_an_existing_account_joins_with_its_own_password(org, database_url) -> None:
    async with session_scope() as s:
        other = await create_org(s, org.slug + "-b")
    elsewhere = await signed_in(MembersState, other, "viewer", "wanderer")
    admin = await signed_in(MembersState, org, "admin")
    admin.set_new_email(elsewhere.user_email)
    await admin.add()
    assert admin.one_time_password == "" and admin.error == ""
    assert any(r["email"] == elsewhere.user_email and r["role"] == "viewer" for r in admin.rows)


async def test_removal_ends_access_at_once_and_keeps_an_admin(org, database_url) -> None:
    admin = await signed_in(MembersState, org, "admin")
    curator = await signed_in(MembersState, org, "curator")
    await admin.load()
    row = next(r for r in admin.rows if r["email"] == curator.user_email)
    assert "Only admins" in str(
        await curator.remove(next(r for r in curator.rows if r["email"] == admin.user_email)["id"])
    )
    assert "was removed" in str(await admin.remove(row["id"]))
    assert all(r["email"] != curator.user_email for r in admin.rows)
    assert await curator._principal() is None  # the session no longer resolves
    me = next(r for r in admin.rows if r["email"] == admin.user_email)
    assert "at least one admin" in str(await admin.remove(me["id"]))
    assert _role(database_url, admin.user_email) == "admin"
    assert "no member" in str(await admin.remove(str(uuid.uuid4())))
    assert "user id" in str(await admin.remove("not-a-uuid"))


async def test_a_member_changes_their_password(org) -> None:
    from hivemind_api.accounts.users import authenticate

    viewer = await signed_in(MembersState, org, "viewer")
    await viewer.change_password(
        {
            "current_password": "wrong-password",
            "new_password": "n3w-password!",
            "new_password_confirm": "n3w-password!",
        }
    )
    assert "current password is wrong" in viewer.password_message
    await viewer.change_password(
        {
            "current_password": "a-long-password-1",
            "new_password": "n3w-password!",
            "new_password_confirm": "typo",
        }
    )
    assert "differ" in viewer.password_message
    await viewer.change_password(
        {"current_password": "a-long-password-1", "new_password": "short", "new_password_confirm": "short"}
    )
    assert "at least 8" in viewer.password_message
    assert "Password changed" in str(
        await viewer.change_password(
            {
                "current_password": "a-long-password-1",
                "new_password": "n3w-password!",
                "new_password_confirm": "n3w-password!",
            }
        )
    )
    async with session_scope() as s:
        assert await authenticate(s, viewer.user_email, "a-long-password-1") is None
        assert await authenticate(s, viewer.user_email, "n3w-password!") is not None
