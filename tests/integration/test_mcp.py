"""The MCP tools through the official ``mcp`` Python client over Streamable HTTP at /mcp."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.integration.agent_stack import AgentStack

TOOLS = {
    "add_knowledge",
    "search_knowledge",
    "list_knowledge",
    "delete_knowledge",
    "publish_knowledge",
    "report_outcome",
}


async def _call(stack: AgentStack, who: str | None, tool: str, args: dict[str, Any], *, bearer: bool = False):
    headers = {}
    if who is not None:
        key = stack.keys.get(who, who)
        headers = {"Authorization": f"Bearer {key}"} if bearer else {"X-API-Key": key}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(f"{stack.base_url}/mcp", http_client=http)) as client,
    ):
        return await client.call_tool(tool, args)


def call(stack: AgentStack, who: str | None, tool: str, args: dict[str, Any], **kw: Any):
    return asyncio.run(_call(stack, who, tool, args, **kw))


def ok(result) -> dict[str, Any]:
    assert not result.is_error, result.content
    return (
        result.structured_content
        if result.structured_content is not None
        else json.loads(result.content[0].text)
    )


def error_text(result) -> str:
    assert result.is_error, result
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_tools_are_listed_with_the_reference_argument_names(stack: AgentStack) -> None:
    async def list_tools():
        async with (
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(f"{stack.base_url}/mcp", http_client=http)) as client,
        ):
            return (await client.list_tools()).tools

    tools = {t.name: t for t in asyncio.run(list_tools())}
    assert set(tools) == TOOLS
    assert {"content", "category", "confidence", "framework", "language", "version", "tags", "run_id"} <= set(
        tools["add_knowledge"].input_schema["properties"]
    )
    assert {"query", "id", "category", "limit", "cursor", "at_time", "version"} <= set(
        tools["search_knowledge"].input_schema["properties"]
    )
    assert set(tools["report_outcome"].input_schema["properties"]) >= {"item_id", "outcome", "run_id"}
    assert "ctx" not in tools["add_knowledge"].input_schema["properties"]


def test_server_card_describes_the_tools(stack: AgentStack) -> None:
    card = httpx.get(f"{stack.base_url}/.well-known/mcp/server-card.json").json()
    assert card["serverInfo"]["name"] == "hivemind" and card["transport"]["url"] == "/mcp"
    assert {t["name"] for t in card["tools"]} == TOOLS and card["authentication"]["name"] == "X-API-Key"


@pytest.mark.parametrize("who", [None, "hm_wrong"])
def test_calls_without_a_valid_key_are_tool_errors(stack: AgentStack, who: str | None) -> None:
    for tool, args in [
        ("search_knowledge", {"query": "x"}),
        ("add_knowledge", {"content": "x" * 20, "category": "bug_fix"}),
        ("list_knowledge", {}),
    ]:
        assert "API key" in error_text(call(stack, who, tool, args))


def test_add_then_list_then_fetch_and_report(stack: AgentStack) -> None:
    content = (
        "MCP: uvicorn behind nginx drops streamable HTTP responses unless proxy_buffering is off for /mcp."
    )
    added = ok(
        call(
            stack,
            "a",
            "add_knowledge",
            {
                "content": content,
                "category": "config",
                "framework": "nginx",
                "tags": ["mcp"],
                "run_id": "mcp-run",
            },
            bearer=True,
        )
    )
    assert added["status"] == "queued" and added["category"] == "config"
    assert stack.wait_processed(added["contribution_id"]) == "pending"
    listed = ok(call(stack, "a", "list_knowledge", {"status": "pending", "limit": 100}))
    assert added["contribution_id"] in {c["id"] for c in listed["contributions"]}
    with stack.client("a_curator") as c:
        item_id = c.post(
            f"/api/v1/contributions/{added['contribution_id']}/approve", json={"is_public": True}
        ).json()["item_id"]

    found = ok(
        call(stack, "b", "search_knowledge", {"query": "streaming responses cut off behind a reverse proxy"})
    )
    top = found["results"][0]
    assert top["id"] == item_id and "content" not in top and len(top["title"]) <= 81  # the summary tier
    full = ok(call(stack, "b", "search_knowledge", {"id": item_id}))
    assert (
        full["content"] == content
        and full["integrity_verified"] is True
        and full["org_attribution"] == "acme"
    )

    first = ok(
        call(stack, "b", "report_outcome", {"item_id": item_id, "outcome": "solved", "run_id": "b-run"})
    )
    again = ok(
        call(stack, "b", "report_outcome", {"item_id": item_id, "outcome": "solved", "run_id": "b-run"})
    )
    assert (first["status"], again["status"]) == ("recorded", "already_recorded")


def test_tool_errors_carry_a_clear_message(stack: AgentStack) -> None:
    assert "invalid category" in error_text(
        call(stack, "a", "add_knowledge", {"content": "x" * 30, "category": "architecture"})
    )
    assert "too long" in error_text(
        call(stack, "a", "add_knowledge", {"content": "x" * 20_001, "category": "bug_fix"})
    )
    assert "Provide either" in error_text(call(stack, "a", "search_knowledge", {}))
    assert "not a UUID" in error_text(call(stack, "a", "search_knowledge", {"id": "nope"}))
    assert "invalid outcome" in error_text(
        call(stack, "a", "report_outcome", {"item_id": str(uuid.uuid4()), "outcome": "meh"})
    )
    assert "invalid status" in error_text(call(stack, "a", "list_knowledge", {"status": "bogus"}))
    assert "read-only" in error_text(
        call(stack, "a_reader", "add_knowledge", {"content": "x" * 30, "category": "bug_fix"})
    )


def test_cross_org_private_item_is_not_found(stack: AgentStack) -> None:
    private = stack.add_item(
        "a",
        "MCP private: our staging database lives behind the bastion host; tunnel with ssh -L.",
        category="config",
    )
    for tool, args in [
        ("search_knowledge", {"id": private}),
        ("delete_knowledge", {"id": private}),
        ("report_outcome", {"item_id": private, "outcome": "solved"}),
    ]:
        assert "not found" in error_text(call(stack, "b", tool, args)), tool
    assert "not found" in error_text(
        call(stack, "b_curator", "publish_knowledge", {"id": private, "is_public": True})
    )


def test_publish_needs_curator_and_delete_removes(stack: AgentStack) -> None:
    item = stack.add_item(
        "a", "MCP publish: set PYTHONUNBUFFERED=1 so container logs appear immediately.", category="config"
    )
    assert "curator" in error_text(call(stack, "a", "publish_knowledge", {"id": item, "is_public": True}))
    published = ok(call(stack, "a_curator", "publish_knowledge", {"id": item, "is_public": True}))
    assert published["is_public"] is True
    assert ok(call(stack, "b", "search_knowledge", {"id": item}))["id"] == item
    deleted = ok(call(stack, "a", "delete_knowledge", {"id": item}))
    assert deleted["status"] == "deleted"
    assert "not found" in error_text(call(stack, "b", "search_knowledge", {"id": item}))
