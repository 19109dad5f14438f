"""Text no database column can hold: a NUL character or an unpaired surrogate, in every string a
request carries. Each gets a clear 4xx and changes nothing; none gets a 500."""

from __future__ import annotations

import json

import pytest

from tests.integration.agent_stack import AgentStack

NUL = "\x00"
SURROGATE = "\ud800"


def _post(stack: AgentStack, who: str, path: str, body: dict) -> int:
    # json.dumps escapes both as \u0000 and \ud800, exactly as a client would send them
    with stack.client(who) as c:
        r = c.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    return r.status_code


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    "field", ["content", "framework", "language", "version", "tags", "run_id", "category"]
)
def test_contributions(stack: AgentStack, bad: str, field: str) -> None:
    body: dict = {
        "content": "Set pool_pre_ping=True so SQLAlchemy drops dead connections.",
        "category": "bug_fix",
    }
    body[field] = [f"pool{bad}"] if field == "tags" else f"{body.get(field, 'x')}{bad}"
    before = stack.sql("SELECT count(*) FROM contributions")
    status = _post(stack, "a", "/api/v1/knowledge", body)
    assert status in (400, 422), status
    assert stack.sql("SELECT count(*) FROM contributions") == before


@pytest.mark.parametrize("param", ["query", "framework", "category", "language", "version"])
def test_search(stack: AgentStack, param: str) -> None:
    with stack.client("a") as c:
        r = c.get(f"/api/v1/knowledge/search?query=pool&{param}=x%00")
        assert r.status_code == 400, (r.status_code, r.text)
        assert param == "category" or "NUL" in r.json()["detail"], r.text
        # A surrogate's UTF-8-like bytes are not UTF-8: decoded as U+FFFD, an ordinary character
        r = c.get(f"/api/v1/knowledge/search?query=pool&{param}=x%ED%A0%80")
        assert r.status_code in (200, 400), (r.status_code, r.text)


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("add_knowledge", {"content": "Raise ulimit -n for the worker{bad}.", "category": "config"}),
        (
            "add_knowledge",
            {"content": "Raise ulimit -n for the worker.", "category": "config", "tags": ["os{bad}"]},
        ),
        ("search_knowledge", {"query": "ulimit{bad}"}),
        ("search_knowledge", {"query": "ulimit", "framework": "linux{bad}"}),
    ],
)
def test_mcp_tools_answer_a_tool_error(stack: AgentStack, bad: str, tool: str, args: dict) -> None:
    """Sent as raw JSON-RPC: the official client cannot even encode a lone surrogate. The MCP
    SDK's strict JSON parser refuses one as a parse error (400) before any tool runs; a NUL
    reaches the tool, which answers a tool error."""
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}}
    ).replace("{bad}", json.dumps(bad)[1:-1])
    before = stack.sql("SELECT count(*) FROM contributions")
    with stack.client("a") as c:
        r = c.post(
            "/mcp",
            content=body,
            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        )
    if bad == SURROGATE:
        assert r.status_code == 400 and r.json()["error"]["code"] == -32700, r.text
        assert stack.sql("SELECT count(*) FROM contributions") == before
        return
    assert r.status_code == 200, r.text
    answer = (
        json.loads(r.text[r.text.index("{") :].splitlines()[0]) if r.text.lstrip()[:1] != "{" else r.json()
    )
    assert answer["result"]["isError"] is True, answer
    assert "cannot be stored" in answer["result"]["content"][0]["text"]
    assert stack.sql("SELECT count(*) FROM contributions") == before


def test_a_reject_reason_and_a_webhook_url_with_a_nul(stack: AgentStack) -> None:
    """Text that reaches jsonb (the audit row's details) and text columns alike."""
    cid = stack.contribute("a", "Set statement_timeout per role so reports cannot hold locks.")
    assert stack.wait_processed(cid) == "pending"
    with stack.client("a_curator") as c:
        r = c.post(f"/api/v1/contributions/{cid}/reject", json={"reason": f"duplicate{NUL}"})
        assert r.status_code == 400, r.text
        assert stack.sql("SELECT status FROM contributions WHERE id = %s", (cid,)) == [("pending",)]
        r = c.post("/api/v1/webhooks", json={"url": f"https://hooks.example.org/x{NUL}", "event_types": []})
        assert r.status_code in (400, 422), r.text
