"""Start HiveMind's runtime with the Reflex backend (FastAPI's own lifespan never runs there),
and the process's event hub (its one LISTEN connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hivemind_api.api import mcp_server
from hivemind_api.config import get_settings
from hivemind_api.events.hub import hub
from hivemind_api.runtime import current_runtime, start_runtime


@asynccontextmanager
async def hivemind_runtime() -> AsyncIterator[None]:
    runtime = await start_runtime(get_settings())
    try:
        async with mcp_server.endpoint.running():  # MCP's session manager lives with the backend
            yield
    finally:
        await runtime.stop()


async def event_hub() -> None:
    """Lifespan task: follow the events table for the feeds, SSE clients and webhook dispatch."""
    await hub.run(lambda: current_runtime().services.database_url)
