"""Every route × every key role (and no key) × (own org, another org, another org's public item):
the answer is what the access rules say, and a refused request changes nothing.

The operations come from the served OpenAPI schema: a route nobody classified here fails the
test, so a new route cannot ship without its access rule. The rules, as the README states them:
no key is 401; a reader may read, a contributor may also write (and delete its own agent's
items), a curator may also curate its org's queue, items and webhooks (403 for a role that may
not); anything of another org that is not public is 404, exactly like a missing one; another
org's public item may be read and rated, never changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.integration.agent_stack import AgentStack
from tests.utils.factories import insert_item

ROLES = ("a", "a_reader", "a_curator", None)  # contributor, reader, curator of acme; no key
ANY, WRITER, CURATOR = "any", "writer", "curator"
PUBLIC_PATHS = {"/health", "/.well-known/mcp/server-card.json", "/.well-known/mcp/instructions.md"}


@dataclass(frozen=True)
class Scoped:
    """An operation on one resource (``kind``) named in its path or body."""

    needs: str
    ok: int
    kind: str  # item | contribution | webhook
    state: str = ""  # the state the resource must be in for the operation to succeed
    public_ok: bool = False  # whether another org's public item is fair game
    body: Callable[[str], dict] | None = None


@dataclass(frozen=True)
class Unscoped:
    needs: str
    ok: int
    params: dict | None = None
    body: dict | None = None


SCOPED: dict[tuple[str, str], Scoped] = {
    ("GET", "/api/v1/knowledge/{item_id}"): Scoped(ANY, 200, "item", public_ok=True),
    ("GET", "/api/v1/knowledge/{item_id}/history"): Scoped(ANY, 200, "item", public_ok=True),
    ("DELETE", "/api/v1/knowledge/{item_id}"): Scoped(WRITER, 200, "item"),
    ("POST", "/api/v1/knowledge/{item_id}/mark"): Scoped(
        CURATOR, 200, "item", body=lambda _: {"mark": "outdated", "reason": "matrix check"}
    ),
    ("POST", "/api/v1/knowledge/{item_id}/publish"): Scoped(CURATOR, 200, "item"),
    ("POST", "/api/v1/knowledge/{item_id}/unpublish"): Scoped(CURATOR, 200, "item", state="public"),
    ("POST", "/api/v1/knowledge/{item_id}/release"): Scoped(CURATOR, 200, "item", state="quarantined"),
    ("POST", "/api/v1/knowledge/{item_id}/purge"): Scoped(CURATOR, 200, "item"),
    ("POST", "/api/v1/outcomes"): Scoped(
        ANY, 202, "item", public_ok=True, body=lambda i: {"item_id": i, "outcome": "solved", "run_id": "m"}
    ),
    ("POST", "/api/v1/contributions/{contribution_id}/approve"): Scoped(
        CURATOR, 200, "contribution", body=lambda _: {"is_public": False}
    ),
    ("POST", "/api/v1/contributions/{contribution_id}/reject"): Scoped(
        CURATOR, 200, "contribution", body=lambda _: {"reason": "not reusable"}
    ),
    ("POST", "/api/v1/contributions/{contribution_id}/purge"): Scoped(CURATOR, 200, "contribution"),
    ("GET", "/api/v1/webhooks/{webhook_id}"): Scoped(CURATOR, 200, "webhook"),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): Scoped(
        CURATOR, 200, "webhook", body=lambda _: {"active": False}
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Scoped(CURATOR, 204, "webhook"),
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): Scoped(CURATOR, 200, "webhook"),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Scoped(CURATOR, 200, "webhook"),
}

TIP = "Matrix check: set the pool's pre-ping so connections closed by the server are replaced."
UNSCOPED: dict[tuple[str, str], Unscoped] = {
    ("GET", "/api/v1/knowledge/search"): Unscoped(ANY, 200, params={"query": "pool"}),
    ("POST", "/api/v1/knowledge"): Unscoped(WRITER, 202, body={"content": TIP, "category": "tooling"}),
    ("GET", "/api/v1/knowledge"): Unscoped(ANY, 200),
    ("GET", "/api/v1/knowledge/quarantined"): Unscoped(CURATOR, 200),
    ("GET", "/api/v1/contributions"): Unscoped(CURATOR, 200),
    ("GET", "/api/v1/keys/me"): Unscoped(ANY, 200),
    ("GET", "/api/v1/stream/feed"): Unscoped(ANY, 200),
    ("GET", "/api/v1/stats/commons"): Unscoped(ANY, 200),
    ("GET", "/api/v1/stats/org"): Unscoped(ANY, 200),
    ("GET", "/api/v1/stats/user"): Unscoped(ANY, 200),
    ("GET", "/api/v1/webhooks"): Unscoped(CURATOR, 200),
    ("POST", "/api/v1/webhooks"): Unscoped(
        CURATOR, 201, body={"url": "https://93.184.216.34/hook", "event_types": []}
    ),
    ("GET", "/api/v1/audit"): Unscoped(CURATOR, 200),
}


def allowed(needs: str, role: str | None) -> int | None:
    """The refusal a role gets before any lookup (None: the role may try)."""
    if role is None:
        return 401
    if needs == CURATOR and role != "a_curator":
        return 403
    if needs == WRITER and role == "a_reader":
        return 403
    return None


class Resources:
    """Resources of a given kind, scope and state, made fresh for each request that may change them."""

    def __init__(self, stack: AgentStack) -> None:
        self.stack = stack

    def make(self, kind: str, scope: str, state: str) -> str:
        org = "acme" if scope == "own" else "beta"
        if kind == "item":
            item = insert_item(
                self.stack.database_url,
                self.stack.org_ids[org],
                content=f"{TIP} ({uuid.uuid4().hex[:8]})",
                agent="agent-a" if org == "acme" else "agent-b",  # the contributor key's own agent
                public=scope == "public" or state == "public",
            )
            if state == "quarantined":
                self.stack.sql("UPDATE knowledge_items SET quarantined_at = now() WHERE id = %s", (item,))
            return item
        if kind == "contribution":
            cid = self.stack.contribute("a" if org == "acme" else "b", f"{TIP} ({uuid.uuid4().hex[:8]})")
            assert self.stack.wait_processed(cid) == "pending"
            return cid
        with self.stack.client("a_curator" if org == "acme" else "b_curator") as c:
            r = c.post("/api/v1/webhooks", json={"url": "https://93.184.216.34/hook", "event_types": []})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def snapshot(self, kind: str, ident: str) -> list[tuple]:
        table = {"item": "knowledge_items", "contribution": "contributions", "webhook": "webhook_endpoints"}[
            kind
        ]
        return self.stack.sql(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", (ident,))


def _request(stack: AgentStack, role: str | None, method: str, path: str, **kw: object) -> int:
    with stack.client(role) as c:
        if path.endswith("/stream/feed"):
            with c.stream(method, path, **kw) as r:  # type: ignore[arg-type]
                return r.status_code
        return c.request(method, path, **kw).status_code  # type: ignore[arg-type]


def test_every_route_has_an_access_rule(stack: AgentStack) -> None:
    with stack.client(None) as c:
        paths = c.get("/openapi.json").json()["paths"]
    served = {(m.upper(), p) for p, ops in paths.items() for m in ops if p not in PUBLIC_PATHS}
    assert served == set(SCOPED) | set(UNSCOPED)
    with stack.client(None) as c:
        for path in PUBLIC_PATHS:
            assert c.get(path).status_code in (200, 503)


@pytest.mark.parametrize("op", list(UNSCOPED), ids=lambda op: f"{op[0]} {op[1]}")
def test_unscoped_routes_answer_each_role_as_the_rules_say(stack: AgentStack, op: tuple[str, str]) -> None:
    rule = UNSCOPED[op]
    for role in ROLES:
        expected = allowed(rule.needs, role) or rule.ok
        got = _request(stack, role, op[0], op[1], params=rule.params, json=rule.body)
        assert got == expected, f"{op} as {role}: {got}, expected {expected}"


@pytest.mark.parametrize("op", list(SCOPED), ids=lambda op: f"{op[0]} {op[1]}")
def test_scoped_routes_answer_each_role_and_org_as_the_rules_say(
    stack: AgentStack, op: tuple[str, str]
) -> None:
    rule = SCOPED[op]
    resources = Resources(stack)
    scopes = ("own", "other", "public") if rule.kind == "item" else ("own", "other")
    kept: dict[str, str] = {}  # one resource per scope for the requests that must change nothing
    for scope in scopes:
        for role in ROLES:
            expected = allowed(rule.needs, role)
            if expected is None:
                expected = rule.ok if scope == "own" or (scope == "public" and rule.public_ok) else 404
            changes = 200 <= expected < 300 and op[0] != "GET"
            ident = (
                resources.make(rule.kind, scope, rule.state) if changes or scope not in kept else kept[scope]
            )
            if not changes:
                kept[scope] = ident
            before = resources.snapshot(rule.kind, ident)
            path = op[1].replace("{item_id}", ident).replace("{contribution_id}", ident)
            path = path.replace("{webhook_id}", ident)
            body = rule.body(ident) if rule.body else None
            got = _request(stack, role, op[0], path, json=body)
            assert got == expected, f"{op} as {role} on {scope}: {got}, expected {expected}"
            if not 200 <= got < 300:
                assert resources.snapshot(rule.kind, ident) == before, f"{op} as {role} on {scope} changed it"
