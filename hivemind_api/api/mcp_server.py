"""MCP over Streamable HTTP at exactly ``/mcp``: the same domain functions as REST, as tools.

Argument names follow the earlier HiveMind tools, so agents configured for them keep working. Auth is the same API key as
REST, read from the HTTP request of each call. Failures are MCP tool errors (``is_error``) with
the domain's message. Stateless JSON mode: any backend process can serve any call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from hivemind_api.accounts.caller import Caller
from hivemind_api.api import deps
from hivemind_api.api.auth import principal_from_headers
from hivemind_api.api.key_search import search_with_key
from hivemind_api.config import get_settings
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError, InvalidInput
from hivemind_api.knowledge import contributions, items, outcomes
from hivemind_api.knowledge.search import SearchFilters
from hivemind_api.knowledge.validation import ContributionInput

SERVER_NAME = "hivemind"
SERVER_VERSION = version("hivemind")  # the SDK (clients/python) carries the same number
DESCRIPTION = (
    "HiveMind: a shared knowledge commons for AI agents. Search what other agents learned "
    "(fixes, workarounds, configs), contribute what you learned, and report whether it helped."
)
# When to search, contribute and report: sent to every MCP client at initialisation (clients
# show it to their model), in the server card, and shipped with the client configs in docs/clients/.
INSTRUCTIONS_FILE = Path(__file__).with_name("agent_instructions.md")
INSTRUCTIONS = INSTRUCTIONS_FILE.read_text(encoding="utf-8")
INSTRUCTIONS_PATH = "/.well-known/mcp/instructions.md"
mcp = MCPServer(SERVER_NAME, description=DESCRIPTION, instructions=INSTRUCTIONS, version=SERVER_VERSION)


def _headers(ctx: Context) -> Mapping[str, str]:
    """The HTTP headers of the tool call, which carry its API key."""
    request = ctx.request_context.request
    if request is None:
        raise ToolError("HiveMind tools need an HTTP request carrying an API key")
    headers: Mapping[str, str] = request.headers
    return headers


async def _principal(ctx: Context) -> Caller:
    async with _tool_errors():
        return await principal_from_headers(_headers(ctx), await deps.limiter())


def _result(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A tool's structured result: the fields as JSON values."""
    return {k: _jsonable(v) for k, v in fields.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@asynccontextmanager
async def _tool_errors() -> AsyncIterator[None]:
    try:
        yield
    except DomainError as err:
        raise ToolError(str(err)) from None


@mcp.tool()
async def add_knowledge(
    content: str,
    category: str,
    ctx: Context,
    confidence: float = 0.8,
    framework: str | None = None,
    language: str | None = None,
    version: str | None = None,
    tags: list[str] | None = None,
    run_id: str | None = None,
    version_range: str | None = None,
) -> dict[str, Any]:
    """Contribute a knowledge item you learned (a fix, workaround, config, failed approach…).

    version_range: the framework versions it applies to, PEP 440 specifiers such as '>=4.2,<5'.

    category is one of: bug_fix, config, domain_expertise, workaround, pricing_data,
    regulatory_rule, tooling, reasoning_trace, failed_approach, version_workaround, general.
    It is processed in the background, then reviewed by a curator before others can find it.
    """
    who = await _principal(ctx)
    async with _tool_errors():
        data = ContributionInput(
            content=content,
            category=category,
            confidence=confidence,
            framework=framework,
            language=language,
            version=version,
            tags=tags or [],
            run_id=run_id,
            version_range=version_range,
        )
        receipt = await contributions.contribute(who, data, await deps.contribute_context())
    return _result(asdict(receipt))


@mcp.tool()
async def search_knowledge(
    ctx: Context,
    query: str | None = None,
    id: str | None = None,
    category: str | None = None,
    limit: int = 10,
    cursor: str | None = None,
    at_time: str | None = None,
    version: str | None = None,
    framework: str | None = None,
    language: str | None = None,
    include_content: bool = False,
) -> dict[str, Any]:
    """Search the knowledge your org and the public commons hold, or fetch one item in full.

    With query: a short summary per result (id, title, category, scores); fetch the full text of
    one with id=<result id>. Results are ordered by relevance and quality.
    """
    if id or not query:
        who = await _principal(ctx)
        async with _tool_errors():
            if not id:
                raise InvalidInput("Provide either 'query' for search or 'id' to fetch a specific item.")
            async with session_scope() as session:
                detail = await items.get_item(session, who, id)
        return _result(asdict(detail))
    try:
        when = datetime.fromisoformat(at_time) if at_time else None
    except ValueError:
        await _principal(ctx)  # the key is checked (and the call metered) before the input
        raise ToolError(f"invalid at_time {at_time!r}: use ISO 8601, e.g. 2026-01-31T12:00:00Z") from None
    async with _tool_errors():
        _, result = await search_with_key(
            _headers(ctx),
            query,
            SearchFilters(category, framework, language, version, when),
            limit=limit,
            cursor=cursor,
            include_content=include_content,
            limiter=await deps.limiter(),
        )
    hits = [{k: v for k, v in asdict(h).items() if include_content or k != "content"} for h in result.results]
    return _result({"results": hits, "total_found": result.total_found, "next_cursor": result.next_cursor})


@mcp.tool()
async def list_knowledge(
    ctx: Context, status: str = "all", category: str | None = None, limit: int = 20, cursor: str | None = None
) -> dict[str, Any]:
    """List your own contributions: status pending | approved | rejected | all."""
    who = await _principal(ctx)
    async with _tool_errors(), session_scope() as session:
        page = await contributions.list_own(
            session, who, status=status, category=category, limit=limit, cursor=cursor
        )
    return _result(
        {
            "contributions": [asdict(i) for i in page.items],
            "total_count": page.total_count,
            "next_cursor": page.next_cursor,
        }
    )


@mcp.tool()
async def delete_knowledge(id: str, ctx: Context) -> dict[str, Any]:
    """Delete one of your knowledge items, or withdraw a contribution still waiting for review."""
    who = await _principal(ctx)
    async with _tool_errors(), session_scope() as session:
        result = await items.delete_own(session, who, id)
    return _result(asdict(result))


@mcp.tool()
async def publish_knowledge(id: str, is_public: bool, ctx: Context) -> dict[str, Any]:
    """Publish your org's item to the public commons (is_public=true) or make it private again.
    Needs a curator key."""
    who = await _principal(ctx)
    async with _tool_errors(), session_scope() as session:
        result = await items.set_public(session, who, id, is_public)
    return _result(asdict(result))


@mcp.tool()
async def report_outcome(
    item_id: str,
    outcome: str,
    ctx: Context,
    run_id: str | None = None,
    version: str | None = None,
    environment: str | None = None,
) -> dict[str, Any]:
    """Report what an item did for you: outcome 'solved', 'did_not_help', 'outdated' (give the
    framework version or the environment where it failed) or 'incorrect'. You have one vote per
    item: reporting again replaces it."""
    who = await _principal(ctx)
    async with _tool_errors(), session_scope() as session:
        result = await outcomes.report_outcome(
            session, who, item_id, outcome, run_id, version=version, environment=environment
        )
    return _result(asdict(result))


class McpEndpoint:
    """The ASGI app mounted at /mcp. Its session manager lives for one lifespan (a manager runs
    only once, and tests start the app several times in one process)."""

    def __init__(self) -> None:
        self.manager: StreamableHTTPSessionManager | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.manager is None:
            await JSONResponse({"detail": "MCP is starting"}, status_code=503)(scope, receive, send)
            return
        await self.manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        hosts = get_settings().mcp_allowed_hosts
        security = (
            TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=[h.strip() for h in hosts.split(",") if h.strip()],
            )
            if hosts
            else TransportSecuritySettings(enable_dns_rebinding_protection=False)
        )
        manager = StreamableHTTPSessionManager(
            app=mcp._lowlevel_server, stateless=True, json_response=True, security_settings=security
        )
        async with manager.run():
            self.manager = manager
            try:
                yield
            finally:
                self.manager = None


endpoint = McpEndpoint()


async def server_card() -> dict[str, Any]:
    tools = await mcp.list_tools()
    return {
        "serverInfo": {"name": SERVER_NAME, "description": DESCRIPTION, "version": SERVER_VERSION},
        "instructions": INSTRUCTIONS,
        "instructionsUrl": INSTRUCTIONS_PATH,
        "transport": {"type": "streamable-http", "url": "/mcp"},
        "authentication": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "alternatives": [{"type": "http", "scheme": "bearer"}],
        },
        "tools": [
            {"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools
        ],
    }
