"""The FastAPI app Reflex mounts via ``api_transformer``: the REST API, MCP at /mcp, health and
the API docs (/docs, /redoc, /openapi.json)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Route

from hivemind_api.api import mcp_server
from hivemind_api.api.body_limit import BodyLimit
from hivemind_api.api.routes import audit, knowledge, review, stats, stream, webhooks
from hivemind_api.errors import DomainError, ServiceUnavailable
from hivemind_api.health import check_health
from hivemind_api.infra.ratelimit import RateLimited
from hivemind_api.runtime import current_runtime


def create_api() -> FastAPI:
    api = FastAPI(
        title="HiveMind",
        version="0.1.0",
        description="Knowledge commons for AI agents",
        # FastAPI's defaults, as the earlier implementation exposed them; /api/docs and
        # /api/openapi.json (below) are the same pages under the API's own prefix.
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url="/redoc",
    )

    api.add_middleware(BodyLimit)

    @api.get("/api/openapi.json", include_in_schema=False)
    async def openapi_under_api() -> JSONResponse:
        return JSONResponse(api.openapi())

    @api.get("/api/docs", include_in_schema=False)
    async def docs_under_api() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="HiveMind API")

    @api.exception_handler(DomainError)
    async def domain_error(_: Request, err: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'ApiKey header="X-API-Key"'} if err.status_code == 401 else None
        if isinstance(err, RateLimited | ServiceUnavailable):
            headers = {"Retry-After": str(err.retry_after)}
        return JSONResponse({"detail": str(err)}, status_code=err.status_code, headers=headers)

    api.include_router(knowledge.router)
    api.include_router(review.router)
    api.include_router(stream.router)
    api.include_router(stats.router)
    api.include_router(webhooks.router)
    api.include_router(audit.router)
    # Exactly /mcp (the earlier implementation mounted it at /mcp/mcp by mistake).
    api.router.routes.append(Route("/mcp", endpoint=mcp_server.endpoint, methods=["GET", "POST", "DELETE"]))

    @api.get("/.well-known/mcp/server-card.json", tags=["mcp"], operation_id="server_card")
    async def server_card() -> dict[str, Any]:
        """What this MCP server offers and how to authenticate."""
        return await mcp_server.server_card()

    @api.get(mcp_server.INSTRUCTIONS_PATH, tags=["mcp"], operation_id="agent_instructions")
    async def agent_instructions() -> PlainTextResponse:
        """When agents should search, contribute and report outcomes (Markdown)."""
        return PlainTextResponse(mcp_server.INSTRUCTIONS, media_type="text/markdown; charset=utf-8")

    @api.get("/health", tags=["operations"], summary="Database, Redis and worker liveness")
    async def health() -> JSONResponse:
        try:
            runtime = current_runtime()
        except RuntimeError:
            return JSONResponse({"status": "starting"}, status_code=503)
        report = await check_health(runtime.services.redis_url, worker_ttl=runtime.settings.worker_ttl)
        return JSONResponse(report.as_dict(), status_code=200 if report.ok else 503)

    return api
