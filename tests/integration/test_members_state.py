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
        return c.execute("SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = %s",
                         (email,)).fetchone()[0]


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
    victim = next(r for r in (await signed_in(MembersState, org, "viewer", "v2")).rows if r["email"].startswith("admin-"))
    assert "no member" in str(await outsider.change_role(victim["id"], "viewer"))
