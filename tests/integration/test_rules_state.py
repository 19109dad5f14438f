"""The auto-approve rules settings handlers, called as browser events would call them."""

from __future__ import annotations

import uuid

import pytest

from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_api.knowledge import rules
from hivemind_app.pages.rules import RulesState
from tests.integration.dashboard import signed_in


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "rs-" + uuid.uuid4().hex[:8])


async def test_admin_adds_and_removes_rules(org) -> None:
    admin = await signed_in(RulesState, org, "admin")
    assert admin.rows == []
    admin.set_new_category("tooling")
    admin.set_new_min_score("70")
    await admin.add()
    assert [(r["category"], r["min_score"]) for r in admin.rows] == [("tooling", "70")]
    await admin.add()
    assert "already auto-approves tooling" in admin.error
    admin.set_new_category("config")
    admin.set_new_min_score("lots")
    await admin.add()
    assert "whole number" in admin.error
    admin.set_new_min_score("101")
    await admin.add()
    assert "between 0 and 100" in admin.error
    await admin.remove(admin.rows[0]["id"])
    async with session_scope() as s:
        assert await rules.list_rules(s, org.slug) == []


async def test_others_cannot_change_rules_even_with_forged_events(org) -> None:
    async with session_scope() as s:
        kept = await rules.add_rule(s, org.slug, "workaround")
    for role in ("curator", "viewer"):
        state = await signed_in(RulesState, org, role)
        assert [r["category"] for r in state.rows] == ["workaround"]
        state.set_new_category("general")
        assert "Only admins" in str(await state.add())
        assert "Only admins" in str(await state.remove(str(kept.id)))
    async with session_scope() as s:
        other = await create_org(s, org.slug + "-o")
    outsider = await signed_in(RulesState, other, "admin")
    assert "no auto-approve rule" in str(await outsider.remove(str(kept.id)))
    async with session_scope() as s:
        assert [r.category for r in await rules.list_rules(s, org.slug)] == ["workaround"]
