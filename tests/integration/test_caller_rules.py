"""The rules about who may act live in the use cases, whichever adapter calls them: a caller
without the role is refused by the domain function itself (adapters check first only to word
their own message)."""

from __future__ import annotations

import uuid

import pytest

from hivemind_api import audit
from hivemind_api.accounts import keys, members
from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import Forbidden
from hivemind_api.knowledge import purge, quarantine, review, rules


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "cr-" + uuid.uuid4().hex[:8])


def _member(org, role: str) -> Caller:
    return Caller.member(
        user_id=uuid.uuid4(), email=f"{role}@example.com", org_id=org.id, org_slug=org.slug, role=role
    )


def _agent(org, role: str) -> Caller:
    return Caller.agent(
        key_id=uuid.uuid4(), org_id=org.id, org_slug=org.slug, agent_id=f"{role}-bot", role=role
    )


async def test_only_admins_and_the_cli_manage_keys_rules_and_members(org) -> None:
    for who in (_member(org, "viewer"), _member(org, "curator"), _agent(org, "curator")):
        async with session_scope() as s:
            with pytest.raises(Forbidden, match="manage its API keys"):
                await keys.create_api_key(s, org.slug, "bot-1", by=who)
            with pytest.raises(Forbidden, match="auto-approve rules"):
                await rules.add_rule(s, org.slug, "tooling", by=who)
            with pytest.raises(Forbidden, match="manage its members"):
                await members.add_member(s, who, "new@example.com", "viewer")
    async with session_scope() as s:  # the operator's CLI (no caller) and a system caller may
        await keys.create_api_key(s, org.slug, "bot-1")
        await rules.add_rule(s, org.slug, "tooling", by=Caller.system(org_id=org.id, name="cli"))
        assert [r.category for r in await rules.list_rules(s, org.slug)] == ["tooling"]


async def test_only_curators_review_purge_release_and_read_the_audit_log(org) -> None:
    missing = str(uuid.uuid4())
    for who in (_member(org, "viewer"), _agent(org, "contributor"), _agent(org, "reader")):
        async with session_scope() as s:
            for action in (
                review.approve(s, who, missing),
                review.reject(s, who, missing),
                purge.purge_item(s, who, missing),
                purge.purge_contribution(s, who, missing),
                quarantine.release(s, who, missing),
                audit.list_entries(s, who),
            ):
                with pytest.raises(Forbidden):
                    await action
