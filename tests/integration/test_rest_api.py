"""Every REST route of the agents' API, through the real server, success and failure."""

from __future__ import annotations

import uuid

import pytest

from hivemind_api.knowledge import quality
from tests.integration.agent_stack import AgentStack
from tests.integration.test_mcp import call

SNIPPET = (
    "psycopg 3 prepares a statement automatically after five executions; a prepared plan keeps "
    "using the HNSW index even after SET enable_indexscan = off. Use prepare_threshold=None. {n}"
)


def _text(n: object) -> str:
    return SNIPPET.format(n=n)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "hm_not-a-key"},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic aG06eA=="},
    ],
)
def test_missing_or_invalid_key_is_401(stack: AgentStack, headers: dict) -> None:
    with stack.client(None) as c:
        for method, path in [
            ("GET", "/api/v1/keys/me"),
            ("GET", "/api/v1/knowledge/search?query=x"),
            ("POST", "/api/v1/knowledge"),
            ("GET", "/api/v1/contributions"),
        ]:
            r = c.request(method, path, headers=headers, json={} if method == "POST" else None)
            assert r.status_code == 401, (method, path, r.text)
            assert "API key" in r.json()["detail"]


def test_bearer_and_header_keys_and_keys_me(stack: AgentStack) -> None:
    with stack.client("a") as c:
        first = c.get("/api/v1/keys/me").json()
    with stack.client("a", bearer=True) as c:
        second = c.get("/api/v1/keys/me").json()
    assert first["org"] == "acme" and first["agent_id"] == "agent-a" and first["role"] == "contributor"
    assert second["request_count"] == first["request_count"] + 1


def test_revoked_key_is_refused_at_once(stack: AgentStack) -> None:
    key = stack.add_key("acme", "short-lived", "contributor")
    with stack.client(key) as c:
        assert c.get("/api/v1/keys/me").status_code == 200
        stack.sql("UPDATE api_keys SET revoked_at = now() WHERE key_prefix = %s", (key[:12],))
        assert c.get("/api/v1/keys/me").status_code == 401


def test_revoked_key_is_refused_at_once_by_search(stack: AgentStack) -> None:
    """A key that has just searched gets its next query embedded while the key is checked; a
    revocation in between must still refuse that search, and every one after it."""
    key = stack.add_key("acme", "searcher", "contributor")
    with stack.client(key) as c:
        for _ in range(2):
            assert (
                c.get("/api/v1/knowledge/search", params={"query": "prepared statements"}).status_code == 200
            )
        stack.sql("UPDATE api_keys SET revoked_at = now() WHERE key_prefix = %s", (key[:12],))
        for _ in range(2):
            refused = c.get("/api/v1/knowledge/search", params={"query": "prepared statements"})
            assert refused.status_code == 401 and "results" not in refused.json()


def test_revoked_key_is_refused_at_once_by_mcp_search(stack: AgentStack) -> None:
    key = stack.add_key("acme", "mcp-searcher", "contributor")
    for _ in range(2):
        assert not call(stack, key, "search_knowledge", {"query": "prepared statements"}).is_error
    stack.sql("UPDATE api_keys SET revoked_at = now() WHERE key_prefix = %s", (key[:12],))
    for _ in range(2):
        refused = call(stack, key, "search_knowledge", {"query": "prepared statements"})
        assert refused.is_error and "API key" in refused.content[0].text


# --- contributing -----------------------------------------------------------------------------


def test_contribute_is_queued_then_processed_to_pending(stack: AgentStack) -> None:
    with stack.client("a") as c:
        r = c.post(
            "/api/v1/knowledge",
            json={
                "content": _text("queued"),
                "category": "bug_fix",
                "framework": "psycopg",
                "language": "python",
                "version": "3.3",
                "tags": ["postgres", "pgvector"],
                "run_id": "run-1",
                "confidence": 0.9,
            },
        )
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued" and body["category"] == "bug_fix" and body["message"]
    cid = body["contribution_id"]
    assert stack.wait_processed(cid) == "pending"
    title, content_hash, model, similar, tags = stack.sql(
        "SELECT title, content_hash, embedding_model, similar_items, tags FROM contributions WHERE id = %s",
        (cid,),
    )[0]
    assert title.startswith("psycopg 3 prepares a statement") and len(content_hash) == 64
    assert model.startswith("sentence-transformers/all-MiniLM-L6-v2@") and isinstance(similar, list)
    assert tags == ["postgres", "pgvector"]
    assert (
        stack.sql(
            "SELECT count(*) FROM events WHERE type = 'contribution.created' AND contribution_id = %s", (cid,)
        )[0][0]
        == 1
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"content": "too short", "category": "bug_fix"}, 400, "too short"),
        ({"content": "x" * 20_001, "category": "bug_fix"}, 400, "too long"),
        ({"content": _text(1), "category": "configuration"}, 400, "invalid category"),
        ({"content": _text(1), "category": "bug_fix", "confidence": 1.5}, 400, "confidence"),
        ({"content": _text(1), "category": "bug_fix", "tags": [f"t{i}" for i in range(21)]}, 400, "tags"),
        ({"category": "bug_fix"}, 422, None),
        ({"content": _text(1), "category": "bug_fix", "confidence": "high"}, 422, None),
    ],
)
def test_bad_contributions_are_refused_and_store_nothing(
    stack: AgentStack, body: dict, status: int, message: str | None
) -> None:
    before = stack.sql("SELECT count(*) FROM contributions")[0][0]
    with stack.client("a") as c:
        r = c.post("/api/v1/knowledge", json=body)
    assert r.status_code == status, r.text
    if message:
        assert message in r.json()["detail"]
    assert stack.sql("SELECT count(*) FROM contributions")[0][0] == before


def test_reader_keys_cannot_write(stack: AgentStack) -> None:
    with stack.client("a_reader") as c:
        r = c.post("/api/v1/knowledge", json={"content": _text("reader"), "category": "bug_fix"})
    assert r.status_code == 403 and "read-only" in r.json()["detail"]


def test_exact_resubmission_is_a_duplicate(stack: AgentStack) -> None:
    first = stack.contribute("a", _text("dup"))
    assert stack.wait_processed(first) == "pending"
    second = stack.contribute("a2", _text("dup"))
    assert stack.wait_processed(second) == "duplicate"
    assert stack.sql("SELECT duplicate_of_contribution FROM contributions WHERE id = %s", (second,))[0][
        0
    ] == uuid.UUID(first)


# --- the agent's own list -----------------------------------------------------------------------


def test_list_own_filters_and_pages_exactly(stack: AgentStack) -> None:
    key = stack.add_key("acme", "lister", "contributor")
    ids = [
        stack.contribute(key, _text(f"list-{i}"), category="config" if i % 2 else "tooling") for i in range(5)
    ]
    for cid in ids:
        stack.wait_processed(cid)
    with stack.client(key) as c:
        seen, cursor = [], None
        while True:
            page = c.get(
                "/api/v1/knowledge", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            ).json()
            assert page["total_count"] == 5
            seen += [row["id"] for row in page["contributions"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(ids))  # newest first, no gaps, no repeats
        config = c.get("/api/v1/knowledge", params={"category": "config"}).json()
        assert config["total_count"] == 2 and {r["category"] for r in config["contributions"]} == {"config"}
        assert c.get("/api/v1/knowledge", params={"status": "approved"}).json()["total_count"] == 0
        assert c.get("/api/v1/knowledge", params={"status": "pending"}).json()["total_count"] == 5
        assert c.get("/api/v1/knowledge", params={"status": "bogus"}).status_code == 400
        assert c.get("/api/v1/knowledge", params={"cursor": "!!!"}).status_code == 400
    with stack.client("a2") as c:  # another agent never sees them
        assert not set(ids) & {
            r["id"] for r in c.get("/api/v1/knowledge", params={"limit": 100}).json()["contributions"]
        }


# --- curator review -----------------------------------------------------------------------------


def test_review_needs_a_curator_key(stack: AgentStack) -> None:
    cid = stack.contribute("a", _text("needs-curator"))
    stack.wait_processed(cid)
    with stack.client("a") as c:
        assert c.get("/api/v1/contributions").status_code == 403
        assert c.post(f"/api/v1/contributions/{cid}/approve").status_code == 403
        assert c.post(f"/api/v1/contributions/{cid}/reject").status_code == 403


def test_approve_creates_item_and_event_in_one_go(stack: AgentStack) -> None:
    cid = stack.contribute("a", _text("approve-me"), framework="psycopg")
    stack.wait_processed(cid)
    with stack.client("a_curator") as c:
        queue = c.get("/api/v1/contributions", params={"limit": 200}).json()
        assert cid in {i["id"] for i in queue["items"]} and queue["total"] >= 1
        r = c.post(f"/api/v1/contributions/{cid}/approve", json={"is_public": False})
        assert r.status_code == 200 and r.json()["status"] == "approved"
        item_id = r.json()["item_id"]
        again = c.post(f"/api/v1/contributions/{cid}/approve")
        assert again.status_code == 409
    item = stack.sql(
        "SELECT contribution_id, framework, is_public, embedding IS NOT NULL, source_agent_id "
        "FROM knowledge_items WHERE id = %s",
        (item_id,),
    )[0]
    assert item == (uuid.UUID(cid), "psycopg", False, True, "agent-a")
    events = stack.sql(
        "SELECT type, is_public, summary->>'title' FROM events WHERE knowledge_item_id = %s", (item_id,)
    )
    assert [(t, public) for t, public, _ in events] == [("knowledge.approved", False)]
    assert events[0][2].startswith("psycopg 3")
    assert stack.sql("SELECT status, knowledge_item_id FROM contributions WHERE id = %s", (cid,))[0] == (
        "approved",
        uuid.UUID(item_id),
    )


def test_reject_with_reason_is_visible_to_the_agent(stack: AgentStack) -> None:
    cid = stack.contribute("a", _text("reject-me"))
    stack.wait_processed(cid)
    with stack.client("a_curator") as c:
        r = c.post(f"/api/v1/contributions/{cid}/reject", json={"reason": "too specific to one laptop"})
    assert r.json() == {"status": "rejected", "contribution_id": cid}
    with stack.client("a") as c:
        rows = c.get("/api/v1/knowledge", params={"status": "rejected", "limit": 100}).json()["contributions"]
    assert {"id": cid, "reason": "too specific to one laptop"} in [
        {"id": x["id"], "reason": x["rejection_reason"]} for x in rows
    ]
    assert (
        stack.sql(
            "SELECT count(*) FROM events WHERE type = 'knowledge.rejected' AND contribution_id = %s", (cid,)
        )[0][0]
        == 1
    )


def test_review_across_orgs_and_bad_ids(stack: AgentStack) -> None:
    cid = stack.contribute("b", _text("beta-only"))
    stack.wait_processed(cid)
    with stack.client("a_curator") as c:
        assert c.post(f"/api/v1/contributions/{cid}/approve").status_code == 404
        assert c.post(f"/api/v1/contributions/{uuid.uuid4()}/reject").status_code == 404
        assert c.post("/api/v1/contributions/not-a-uuid/approve").status_code == 400
        assert c.get("/api/v1/contributions", params={"limit": 500}).status_code == 422
        assert cid not in {
            i["id"] for i in c.get("/api/v1/contributions", params={"limit": 200}).json()["items"]
        }


# --- items: fetch, delete, publish -------------------------------------------------------------


def test_fetch_item_with_provenance_and_integrity(stack: AgentStack) -> None:
    item_id = stack.add_item("a", _text("fetch"), run_id="run-fetch", framework="psycopg")
    with stack.client("a2") as c:  # same org, other agent
        r = c.get(f"/api/v1/knowledge/{item_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["integrity_verified"] is True and body["integrity_warning"] is None
    assert (
        body["org_attribution"] == "acme"
        and body["source_agent_id"] == "agent-a"
        and body["run_id"] == "run-fetch"
    )
    assert body["tags"] == {"tags": []} and body["content"] == _text("fetch") and body["is_public"] is False
    stack.sql("UPDATE knowledge_items SET content = content || ' (edited)' WHERE id = %s", (item_id,))
    with stack.client("a") as c:
        tampered = c.get(f"/api/v1/knowledge/{item_id}").json()
    assert tampered["integrity_verified"] is None and "hash mismatch" in tampered["integrity_warning"]


def test_other_orgs_private_item_is_404_like_a_missing_one(stack: AgentStack) -> None:
    item_id = stack.add_item("a", _text("private-to-acme"))
    with stack.client("b") as c:
        hidden = c.get(f"/api/v1/knowledge/{item_id}")
        missing = c.get(f"/api/v1/knowledge/{uuid.uuid4()}")
        bad = c.get("/api/v1/knowledge/not-a-uuid")
    other = missing.request.url.path.rsplit("/", 1)[1]
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(item_id, "ID") == missing.json()["detail"].replace(other, "ID")
    assert bad.status_code == 400


def test_publish_and_unpublish(stack: AgentStack) -> None:
    item_id = stack.add_item("a", _text("publish-me"))
    with stack.client("a") as c:
        assert c.post(f"/api/v1/knowledge/{item_id}/publish").status_code == 403  # contributor key
    with stack.client("b_curator") as c:
        assert c.post(f"/api/v1/knowledge/{item_id}/publish").status_code == 404  # not their org's
    with stack.client("a_curator") as c:
        r = c.post(f"/api/v1/knowledge/{item_id}/publish")
        assert r.status_code == 200 and r.json()["is_public"] is True
        assert c.post(f"/api/v1/knowledge/{item_id}/publish").status_code == 409
    with stack.client("b") as c:
        assert c.get(f"/api/v1/knowledge/{item_id}").status_code == 200  # public now
    with stack.client("a_curator") as c:
        assert c.post(f"/api/v1/knowledge/{item_id}/unpublish").json()["is_public"] is False
    with stack.client("b") as c:
        assert c.get(f"/api/v1/knowledge/{item_id}").status_code == 404
    types = [
        t
        for (t,) in stack.sql("SELECT type FROM events WHERE knowledge_item_id = %s ORDER BY id", (item_id,))
    ]
    assert types == ["knowledge.approved", "knowledge.published", "knowledge.unpublished"]


def test_delete_own_item_and_withdraw_pending(stack: AgentStack) -> None:
    item_id = stack.add_item("a", _text("delete-me unique-marker-zebra"))
    with stack.client("a2") as c:
        assert c.delete(f"/api/v1/knowledge/{item_id}").status_code == 404  # not their item
    with stack.client("a") as c:
        assert (
            c.get("/api/v1/knowledge/search", params={"query": "unique-marker-zebra"}).json()["total_found"]
            >= 1
        )
        r = c.delete(f"/api/v1/knowledge/{item_id}")
        assert r.status_code == 200 and r.json()["status"] == "deleted"
        assert c.get(f"/api/v1/knowledge/{item_id}").status_code == 404
        hits = c.get("/api/v1/knowledge/search", params={"query": "unique-marker-zebra"}).json()["results"]
        assert item_id not in {h["id"] for h in hits}
        assert c.delete(f"/api/v1/knowledge/{item_id}").status_code == 404
    cid = stack.contribute("a", _text("withdraw-me"))
    stack.wait_processed(cid)
    with stack.client("a") as c:
        w = c.delete(f"/api/v1/knowledge/{cid}")
        assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    assert stack.sql("SELECT status FROM contributions WHERE id = %s", (cid,))[0][0] == "rejected"
    with stack.client("a_reader") as c:
        assert c.delete(f"/api/v1/knowledge/{uuid.uuid4()}").status_code == 403


# --- outcomes ------------------------------------------------------------------------------------


def test_outcomes_one_vote_per_agent_item_and_no_self_votes(stack: AgentStack) -> None:
    item_id = stack.add_item("a", _text("outcome"), public=True)
    with stack.client("b") as c:
        first = c.post("/api/v1/outcomes", json={"item_id": item_id, "outcome": "solved", "run_id": "r1"})
        assert first.status_code == 202 and first.json()["status"] == "recorded" and first.json()["counted"]
        # smoothed: one vote moves usefulness from 0.5 to 5/9, not to 0.7
        assert first.json()["quality_score"] == pytest.approx(quality.score(5 / 9, 0, 1, 0), abs=2e-3)
        again = c.post("/api/v1/outcomes", json={"item_id": item_id, "outcome": "solved", "run_id": "r2"})
        assert again.status_code == 202 and again.json()["status"] == "already_recorded"
        changed = c.post(
            "/api/v1/outcomes", json={"item_id": item_id, "outcome": "did_not_help", "run_id": "r2"}
        )
        assert changed.json()["status"] == "updated"
        assert c.post("/api/v1/outcomes", json={"item_id": item_id, "outcome": "meh"}).status_code == 400
        assert c.post("/api/v1/outcomes", json={"item_id": "nope", "outcome": "solved"}).status_code == 400
        assert (
            c.post("/api/v1/outcomes", json={"item_id": str(uuid.uuid4()), "outcome": "solved"}).status_code
            == 404
        )
    with stack.client("a") as c:  # the contributing agent itself
        self_vote = c.post(
            "/api/v1/outcomes", json={"item_id": item_id, "outcome": "solved", "run_id": "r9"}
        ).json()
    assert self_vote["status"] == "recorded" and self_vote["counted"] is False
    assert stack.sql(
        "SELECT helpful_count, not_helpful_count FROM knowledge_items WHERE id = %s", (item_id,)
    )[0] == (0, 1)
    private = stack.add_item("a", _text("outcome-private"))
    with stack.client("b") as c:
        assert c.post("/api/v1/outcomes", json={"item_id": private, "outcome": "solved"}).status_code == 404


def test_openapi_docs_are_served(stack: AgentStack) -> None:
    with stack.client(None) as c:
        spec = c.get("/api/openapi.json").json()
        assert c.get("/api/docs").status_code == 200
    assert {"/api/v1/knowledge", "/api/v1/knowledge/search", "/api/v1/outcomes", "/api/v1/keys/me"} <= set(
        spec["paths"]
    )
