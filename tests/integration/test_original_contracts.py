"""The earlier implementation's payloads, pinned: clients and receivers written for it keep working.

Each field its SSE events, webhook bodies, commons statistics and REST answers had keeps its
name and meaning here; this version's additions sit beside them. The field lists are the
earlier implementation's, written down from its interface inventory, not read from this code.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from tests.integration.agent_stack import AgentStack
from tests.integration.sse_client import StreamReader
from tests.integration.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def stack(webhook_stack: AgentStack) -> AgentStack:
    return webhook_stack


def _tip(topic: str) -> str:
    return (
        f"Contract check {uuid.uuid4().hex[:8]}: {topic}. Set the pool's pre-ping option so a "
        "connection closed by the server's idle timeout is replaced before the query runs."
    )


def test_sse_data_carries_the_item_at_the_top_level(stack: AgentStack) -> None:
    reader = StreamReader(stack.base_url, stack.keys["b"])
    try:
        item = stack.add_item("a", _tip("public sse contract"), category="config", public=True)
        while True:
            sse = reader.next(timeout=60)
            if sse.payload["type"] == "knowledge.approved" and sse.payload["id"] == item:
                break
    finally:
        reader.close()
    data = sse.payload
    assert sse.event == "public"
    # the original's five fields, with their meaning: the item's id, not the event's
    assert data["id"] == item and data["is_public"] is True
    assert data["org_id"] == str(stack.org_ids["acme"]) and data["category"] == "config"
    assert data["title"].startswith("Contract check")
    # the event id stays in the SSE id line, and beside the original's fields as event_id
    assert sse.id == str(data["event_id"]) and isinstance(data["event_id"], int)


def test_webhook_body_has_the_original_fields(stack: AgentStack, receiver: Receiver) -> None:
    with stack.client("a_curator") as c:
        r = c.post(
            "/api/v1/webhooks",
            json={
                "url": receiver.base_url + "/contract",
                "event_types": ["knowledge.approved", "knowledge.rejected"],
            },
        )
    assert r.status_code == 201, r.text
    item = stack.add_item("a", _tip("webhook contract"), category="bug_fix")
    rejected = stack.contribute("a", _tip("webhook contract, rejected"), category="tooling")
    assert stack.wait_processed(rejected) == "pending"
    with stack.client("a_curator") as c:
        assert c.post(f"/api/v1/contributions/{rejected}/reject", json={"reason": "dup"}).status_code == 200
    bodies = [json.loads(got.body) for got in receiver.wait_for("/contract", 2)]
    by_event = {b["event"]: b for b in bodies}
    approved, reject = by_event["knowledge.approved"], by_event["knowledge.rejected"]
    for body in (approved, reject):
        assert {"event", "knowledge_item_id", "org_id", "category", "timestamp"} <= set(body)
        assert body["org_id"] == str(stack.org_ids["acme"])
        assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert approved["knowledge_item_id"] == item and approved["category"] == "bug_fix"
    # the original's rejected event named the contribution in knowledge_item_id
    assert reject["knowledge_item_id"] == rejected and reject["category"] == "tooling"


def test_commons_stats_keep_the_original_meanings(stack: AgentStack) -> None:
    def commons(who: str) -> dict:
        with stack.client(who) as c:
            r = c.get("/api/v1/stats/commons")
        assert r.status_code == 200, r.text
        return r.json()

    before = commons("b")
    stack.add_item("b", _tip("commons contract one"), category="workaround", public=True)
    stack.add_item("b", _tip("commons contract two"), category="workaround", public=True)
    waiting = stack.contribute("b", _tip("commons contract pending"))
    assert stack.wait_processed(waiting) == "pending"
    after, acme = commons("b"), commons("a")
    expected = {"total_items", "total_pending", "growth_rate_24h", "growth_rate_7d"}
    assert expected | {"retrieval_volume_24h", "domains_covered", "categories"} <= set(after)
    # growth rates are counts of new items, as the original had them
    assert after["growth_rate_24h"] == before["growth_rate_24h"] + 2 == after["added_24h"]
    assert after["growth_rate_7d"] == before["growth_rate_7d"] + 2
    # domains_covered: distinct categories of the commons
    assert (
        after["domains_covered"]
        == len(after["categories"])
        == len({c["category"] for c in after["categories"]})
    )
    assert {"category", "count"} <= set(after["categories"][0])
    # total_pending is the caller's own org's queue, never another org's
    assert after["total_pending"] == before["total_pending"] + 1
    with stack.client("b_curator") as c:
        queue = c.get("/api/v1/contributions", params={"limit": 200}).json()
    assert after["total_pending"] == queue["total"]
    with stack.client("a_curator") as c:
        assert acme["total_pending"] == c.get("/api/v1/contributions").json()["total"]


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/api/docs", "/api/openapi.json"])
def test_api_docs_answer_on_the_backend(stack: AgentStack, path: str) -> None:
    with stack.client(None) as c:
        r = c.get(path)
    assert r.status_code == 200, (path, r.status_code)
    if path.endswith(".json"):
        assert "/api/v1/knowledge/search" in r.json()["paths"]
    else:
        assert "openapi.json" in r.text


def test_rest_answers_keep_the_original_fields(stack: AgentStack) -> None:
    item = stack.add_item("a", _tip("rest contract"), public=True)
    with stack.client("b") as c:
        found = c.get("/api/v1/knowledge/search", params={"query": "pool pre-ping idle timeout"}).json()
        assert {"results", "total_found", "next_cursor"} <= set(found)
        hit = next(h for h in found["results"] if h["id"] == item)
        assert {"id", "title", "category", "confidence", "org_attribution", "relevance_score"} <= set(hit)
        fetched = c.get(f"/api/v1/knowledge/{item}").json()
        original = {"id", "content", "category", "confidence", "framework", "language", "version", "tags"}
        assert original | {"org_attribution", "contributed_at", "integrity_verified"} <= set(fetched)
        outcome = c.post("/api/v1/outcomes", json={"item_id": item, "outcome": "solved", "run_id": "r1"})
        assert outcome.status_code == 202
        assert {"status", "item_id", "outcome", "signal_id"} <= set(outcome.json())
        assert outcome.json()["status"] == "recorded"
        org = c.get("/api/v1/stats/org").json()
        assert {"contributions_total", "contributions_pending", "contributions_approved_24h"} <= set(org)
        assert {"retrievals_by_others", "helpful_count", "not_helpful_count", "top_items"} <= set(org)
        user = c.get("/api/v1/stats/user").json()
        assert {"agent_id", "agent_contributions", "agent_retrievals_received", "agent_helpful_ratio"} <= set(
            user
        )
    cid = stack.contribute("a", _tip("rest contract queue"))
    assert stack.wait_processed(cid) == "pending"
    with stack.client("a_curator") as c:
        queue = c.get("/api/v1/contributions").json()
        assert {"items", "total", "limit", "offset"} <= set(queue)
        row = next(r for r in queue["items"] if r["id"] == cid)
        fields = {
            "id",
            "title",
            "content_preview",
            "category",
            "source_agent_id",
            "created_at",
            "content_hash",
        }
        assert fields <= set(row)
        approved = c.post(f"/api/v1/contributions/{cid}/approve").json()
        assert approved["status"] == "approved" and "item_id" in approved
    with stack.client(None) as c:
        card = c.get("/.well-known/mcp/server-card.json").json()
    assert card["serverInfo"]["name"] == "hivemind"
    assert card["authentication"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"} or (
        card["authentication"]["name"] == "X-API-Key" and card["authentication"]["in"] == "header"
    )
    assert all({"name", "description"} <= set(t) for t in card["tools"])
