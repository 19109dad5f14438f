"""The API-keys settings handlers, called as browser events would call them."""

from __future__ import annotations

import uuid

import pytest

from hivemind_api.accounts import keys
from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_app.pages.keys import KeysState
from tests.integration.dashboard import signed_in


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "ks-" + uuid.uuid4().hex[:8])


async def test_admin_creates_sees_once_and_revokes(org) -> None:
    admin = await signed_in(KeysState, org, "admin")
    admin.set_new_agent("ci-runner")
    admin.set_new_role("reader")
    admin.set_new_name("CI")
    await admin.create()
    raw = admin.created_key
    assert raw.startswith("hm_") and admin.error == ""
    row = next(r for r in admin.rows if r["agent"] == "ci-runner")
    assert (
        row["role"] == "reader"
        and row["name"] == "CI"
        and row["status"] == "active"
        and raw not in str(admin.rows)
    )
    async with session_scope() as s:
        assert await keys.authenticate_key(s, raw) is not None
    await admin.load()
    assert admin.created_key == ""  # shown once
    await admin.revoke(row["prefix"])
    async with session_scope() as s:
        assert await keys.authenticate_key(s, raw) is None  # refused at once
    admin.set_new_agent("bad agent id")
    await admin.create()
    assert "invalid agent id" in admin.error


async def test_curators_and_viewers_cannot_create_or_revoke(org) -> None:
    async with session_scope() as s:
        info, raw = await keys.create_api_key(s, org.slug, "kept-agent")
    for role in ("curator", "viewer"):
        state = await signed_in(KeysState, org, role)
        assert [r["agent"] for r in state.rows] == ["kept-agent"]
        state.set_new_agent("sneaky")
        assert "Only admins" in str(await state.create())
        assert "Only admins" in str(await state.revoke(info.key_prefix))
    async with session_scope() as s:
        assert await keys.authenticate_key(s, raw) is not None
        assert [k.agent_id for k in await keys.list_api_keys(s, org.slug)] == ["kept-agent"]


async def test_an_admin_cannot_revoke_another_orgs_key(org) -> None:
    async with session_scope() as s:
        other = await create_org(s, org.slug + "-o")
        info, raw = await keys.create_api_key(s, other.slug, "theirs")
    admin = await signed_in(KeysState, org, "admin")
    assert "no key with prefix" in str(await admin.revoke(info.key_prefix))
    async with session_scope() as s:
        assert await keys.authenticate_key(s, raw) is not None
