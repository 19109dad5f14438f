"""The audit log as one use case (``hivemind_api.audit.list_entries``) behind three adapters:
REST through the real server, the dashboard page's handlers, and (in test_cli) the CLI."""

from __future__ import annotations

import uuid

import pytest

from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_api.knowledge import rules
from hivemind_app.pages.audit import AuditState
from tests.integration.agent_stack import AgentStack
from tests.integration.dashboard import signed_in

# --- REST ---------------------------------------------------------------------------------------


TEXTS = (
    "Set statement_timeout per role with ALTER ROLE reporting SET statement_timeout = '30s' in PostgreSQL.",
    "Redis 7 refuses CONFIG SET on protected configs; change enable-protected-configs in redis.conf instead.",
    "Bun 1.4 reads bunfig.toml from the project root; a stale global cache needs bun pm cache rm first.",
)


def _contribute(stack: AgentStack, who: str, n: int) -> str:
    text = TEXTS[n]
    with stack.client(who) as c:
        r = c.post("/api/v1/knowledge", json={"content": text, "category": "config"})
    assert r.status_code == 202, r.text
    cid = r.json()["contribution_id"]
    assert stack.wait_processed(cid) == "pending"
    return cid


def test_curator_keys_read_their_orgs_log_over_rest(stack: AgentStack) -> None:
    ids = [_contribute(stack, "a", n) for n in range(3)]
    with stack.client("a_curator") as c:
        assert c.post(f"/api/v1/contributions/{ids[0]}/approve", json={}).status_code == 200
        assert c.post(f"/api/v1/contributions/{ids[1]}/reject", json={"reason": "no"}).status_code == 200
        assert c.post(f"/api/v1/contributions/{ids[2]}/reject", json={}).status_code == 200
        everything = c.get("/api/v1/audit").json()
        mine = [e for e in everything["entries"] if e["target_id"] in ids]
        assert [(e["action"], e["target_id"]) for e in mine] == [
            ("contribution.rejected", ids[2]),
            ("contribution.rejected", ids[1]),
            ("contribution.approved", ids[0]),
        ]
        assert {e["actor"] for e in mine} == {"agent:curator-a"}
        assert all(e["actor_key_id"] and e["actor_user_id"] is None for e in mine)
        ordered = [e["id"] for e in everything["entries"]]
        assert ordered == sorted(ordered, reverse=True)

        rejected = c.get("/api/v1/audit", params={"action": "contribution.rejected"}).json()["entries"]
        assert {e["action"] for e in rejected} == {"contribution.rejected"}
        family = c.get("/api/v1/audit", params={"action": "contribution."}).json()["entries"]
        assert {e["action"] for e in family} == {"contribution.rejected", "contribution.approved"}
        by_actor = c.get("/api/v1/audit", params={"actor": "agent:curator-a"}).json()["entries"]
        assert by_actor and {e["actor"] for e in by_actor} == {"agent:curator-a"}
        assert c.get("/api/v1/audit", params={"actor": "agent:nobody"}).json()["entries"] == []

        seen: list[int] = []
        page = c.get("/api/v1/audit", params={"limit": 1, "action": "contribution."}).json()
        while True:
            seen += [e["id"] for e in page["entries"]]
            if page["next_cursor"] is None:
                break
            page = c.get(
                "/api/v1/audit", params={"limit": 1, "action": "contribution.", "cursor": page["next_cursor"]}
            ).json()
        assert seen == [e["id"] for e in family]

    with stack.client("b_curator") as c:  # another org's curator sees none of it
        other = c.get("/api/v1/audit").json()["entries"]
        assert not any(e["target_id"] in ids for e in other)


def test_audit_refuses_other_roles_and_bad_input(stack: AgentStack) -> None:
    with stack.client(None) as c:
        assert c.get("/api/v1/audit").status_code == 401
    for who in ("a", "a_reader"):
        with stack.client(who) as c:
            r = c.get("/api/v1/audit")
            assert r.status_code == 403 and "admins and curator keys" in r.json()["detail"]
    with stack.client("a_curator") as c:
        for params in (
            {"limit": 0},
            {"limit": 201},
            {"limit": "x"},
            {"action": "a" * 321},
            {"cursor": "1" * 21},
        ):
            assert c.get("/api/v1/audit", params=params).status_code == 422, params
        for cursor in ("abc", "-1", "12345678901234567890"):
            r = c.get("/api/v1/audit", params={"cursor": cursor})
            assert r.status_code == 400 and "invalid cursor" in r.json()["detail"], cursor


# --- the dashboard page's handlers --------------------------------------------------------------


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "au-" + uuid.uuid4().hex[:8])


async def test_admins_page_through_and_filter_the_log(org, monkeypatch: pytest.MonkeyPatch) -> None:
    import hivemind_app.pages.audit as page

    monkeypatch.setattr(page, "PAGE_SIZE", 2)
    ops = Caller.system(org_id=org.id, org_slug=org.slug, name="ops@example.com")
    async with session_scope() as s:
        for category in ("tooling", "config", "workaround"):
            await rules.add_rule(s, org.slug, category, by=ops)
        await rules.remove_rule(s, str((await rules.list_rules(s, org.slug))[0].id), org_slug=org.slug)
    admin = await signed_in(AuditState, org, "admin")
    assert admin.error == ""
    # signing the admin up added them to the org: the newest entry
    assert [r.action for r in admin.rows] == ["member.added", "rule.removed"]
    assert admin.next_cursor != ""
    await admin.older()
    await admin.older()
    assert [r.action for r in admin.rows] == ["member.added", "rule.removed", *["rule.added"] * 3]
    assert admin.next_cursor == ""
    assert admin.rows[1].actor == "cli" and admin.rows[2].actor == "ops@example.com"
    assert admin.rows[2].target.startswith("auto_approve_rule ") and '"category"' in admin.rows[2].details
    admin.set_action_filter("rule.removed")
    await admin.apply_filters()
    assert [r.action for r in admin.rows] == ["rule.removed"]
    admin.set_action_filter("")
    admin.set_actor_filter("ops@example.com")
    await admin.apply_filters()
    assert len(admin.rows) == 2 and admin.next_cursor != ""  # still two per page
    await admin.older()
    assert len(admin.rows) == 3 and {r.actor for r in admin.rows} == {"ops@example.com"}


async def test_curators_and_viewers_see_no_log_and_other_orgs_see_none_of_it(org) -> None:
    async with session_scope() as s:
        await rules.add_rule(s, org.slug, "tooling")
    for role in ("curator", "viewer"):
        state = await signed_in(AuditState, org, role)
        assert state.rows == [] and "Only admins" in state.error
    async with session_scope() as s:
        other = await create_org(s, org.slug + "-o")
    outsider = await signed_in(AuditState, other, "admin")
    assert [r.action for r in outsider.rows] == [
        "member.added"
    ] and outsider.error == ""  # its own sign-up only


async def test_the_use_case_refuses_a_member_curator_and_accepts_the_cli(org) -> None:
    from hivemind_api import audit
    from hivemind_api.errors import Forbidden

    async with session_scope() as s:
        await rules.add_rule(s, org.slug, "tooling")
        member = Caller.member(
            user_id=uuid.uuid4(), email="c@example.com", org_id=org.id, org_slug=org.slug, role="curator"
        )
        with pytest.raises(Forbidden):
            await audit.list_entries(s, member, limit=5)
        cli = Caller.system(org_id=org.id, org_slug=org.slug, name="cli")
        assert [e.action for e in (await audit.list_entries(s, cli)).entries] == ["rule.added"]
