"""Every MCP client config in docs/clients/ works as written: each file is parsed in its client's
format, its URL and API-key header are read out of it (with that client's variable syntax
expanded), and a search is completed through the official MCP client against the real server.
Claude Desktop speaks only stdio, so its config starts the documented bridge (mcp-remote from
npm) exactly as Claude Desktop would, and the MCP client talks to that process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.integration.agent_stack import AgentStack

CLIENTS = Path(__file__).resolve().parents[2] / "docs" / "clients"
DOCUMENTED_URL = "http://localhost:8000/mcp"
HTTP_CLIENTS = [
    "claude-code.json",
    "cursor.json",
    "vscode.json",
    "windsurf.json",
    "gemini-cli.json",
    "codex.toml",
]


@pytest.fixture(scope="module")
def seeded(stack: AgentStack) -> dict[str, str]:
    marker = uuid.uuid4().hex[:8]
    item = stack.add_item(
        "a",
        f"Snippet check {marker}: when gunicorn workers are killed by the OOM killer under load, lower "
        "max_requests and set max_requests_jitter so workers recycle before they grow too large.",
        public=True,
    )
    return {"item": item, "query": f"Snippet check {marker} gunicorn workers OOM killer max_requests"}


def _expand(value: str, pattern: str, key: str) -> str:
    """Replace a client's variable reference (``pattern`` matches it) by the key."""
    expanded, count = re.subn(pattern, key, value)
    assert count == 1, f"{value!r} should reference the key once"
    return expanded


def _http_config(name: str, key: str) -> tuple[str, dict[str, str]]:
    """The URL and headers the client would send, read from the file in its own format."""
    text = (CLIENTS / name).read_text()
    if name == "codex.toml":
        server = tomllib.loads(text)["mcp_servers"]["hivemind"]
        assert "command" not in server and "headers" not in server  # Codex ignores "headers"
        headers = {h: {"HIVEMIND_API_KEY": key}[var] for h, var in server["env_http_headers"].items()}
        return server["url"], headers
    config = json.loads(text)
    if name == "vscode.json":
        server = config["servers"]["hivemind"]  # VS Code: top-level "servers", type http
        assert server["type"] == "http"
        (prompt,) = config["inputs"]
        assert prompt["type"] == "promptString" and prompt["password"] is True
        ref = re.escape("${input:" + prompt["id"] + "}")
        return server["url"], {h: _expand(v, ref, key) for h, v in server["headers"].items()}
    server = config["mcpServers"]["hivemind"]
    if name == "claude-code.json":
        assert server["type"] == "http"
        return server["url"], {
            h: _expand(v, r"\$\{HIVEMIND_API_KEY\}", key) for h, v in server["headers"].items()
        }
    if name == "cursor.json":
        return server["url"], {
            h: _expand(v, r"\$\{env:HIVEMIND_API_KEY\}", key) for h, v in server["headers"].items()
        }
    if name == "windsurf.json":
        url = server["serverUrl"]
        return url, {h: _expand(v, r"\$\{env:HIVEMIND_API_KEY\}", key) for h, v in server["headers"].items()}
    if name == "gemini-cli.json":
        assert "url" not in server  # Gemini CLI's "url" means the old SSE transport
        return server["httpUrl"], {
            h: _expand(v, r"\$HIVEMIND_API_KEY", key) for h, v in server["headers"].items()
        }
    raise AssertionError(f"no reader for {name}")


def _search_result(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


async def _search_over_http(url: str, headers: dict[str, str], query: str) -> dict[str, Any]:
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        return _search_result(await client.call_tool("search_knowledge", {"query": query}))


def test_every_client_has_a_snippet_and_the_instructions_ship_with_them() -> None:
    files = {p.name for p in CLIENTS.iterdir()}
    assert {*HTTP_CLIENTS, "claude-desktop.json", "README.md", "INSTRUCTIONS.md"} <= files
    readme = (CLIENTS / "README.md").read_text()
    for name in [*HTTP_CLIENTS, "claude-desktop.json"]:
        assert name in readme, f"README.md does not explain {name}"
    assert "search" in (CLIENTS / "INSTRUCTIONS.md").read_text().lower()


@pytest.mark.parametrize("name", HTTP_CLIENTS)
def test_http_snippet_completes_a_search(stack: AgentStack, seeded: dict[str, str], name: str) -> None:
    url, headers = _http_config(name, stack.keys["b"])
    assert url == DOCUMENTED_URL and set(headers) == {"X-API-Key"}
    found = asyncio.run(
        _search_over_http(url.replace("http://localhost:8000", stack.base_url), headers, seeded["query"])
    )
    assert seeded["item"] in {r["id"] for r in found["results"]}
    # the same snippet with a wrong key is refused
    bad = {"X-API-Key": "hm_wrong"}
    with pytest.raises(Exception) as refused:
        asyncio.run(
            _search_over_http(url.replace("http://localhost:8000", stack.base_url), bad, seeded["query"])
        )
    assert "401" in repr(refused.value) or "key" in repr(refused.value).lower()


@pytest.mark.skipif(shutil.which("npx") is None, reason="npx (Node.js) is not installed")
def test_claude_desktop_snippet_runs_its_bridge(
    stack: AgentStack, seeded: dict[str, str], tmp_path: Path
) -> None:
    server = json.loads((CLIENTS / "claude-desktop.json").read_text())["mcpServers"]["hivemind"]
    assert set(server) == {"command", "args", "env"}  # Claude Desktop's stdio shape
    args = [a.replace("http://localhost:8000", stack.base_url) for a in server["args"]]
    assert DOCUMENTED_URL in server["args"]
    env = {**os.environ, **server["env"], "HIVEMIND_API_KEY": stack.keys["b"], "HOME": str(tmp_path)}
    env["npm_config_cache"] = str(Path.home() / ".npm")  # reuse the machine's npm cache

    async def search() -> dict[str, Any]:
        params = StdioServerParameters(command=server["command"], args=args, env=env)
        async with Client(stdio_client(params)) as client:
            return _search_result(await client.call_tool("search_knowledge", {"query": seeded["query"]}))

    found = asyncio.run(asyncio.wait_for(search(), timeout=240))
    assert seeded["item"] in {r["id"] for r in found["results"]}


def test_the_server_card_serves_the_instructions(stack: AgentStack) -> None:
    card = httpx.get(f"{stack.base_url}/.well-known/mcp/server-card.json", timeout=30).json()
    shipped = (CLIENTS / "INSTRUCTIONS.md").read_text()
    assert card["instructions"] == shipped
    served = httpx.get(stack.base_url + card["instructionsUrl"], timeout=30)
    assert served.status_code == 200 and served.text == shipped
    assert served.headers["content-type"].startswith("text/markdown")

    async def initialize() -> str | None:
        async with (
            httpx2.AsyncClient(headers={"X-API-Key": stack.keys["b"]}, timeout=60) as http,
            Client(streamable_http_client(f"{stack.base_url}/mcp", http_client=http)) as client,
        ):
            return client.instructions

    assert asyncio.run(initialize()) == shipped  # what MCP clients hand to their model
