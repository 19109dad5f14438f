"""FastAPI dependencies: where a request finds what the running process provides (its rate
limits, its queue, its settings). Adapters without dependency injection (the MCP tools) call
these same functions; nothing else looks the runtime up on a request's path. They are async
because FastAPI runs a plain function dependency in its thread pool: a thread hand-off on every
request for an attribute read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.auth import principal_from_headers
from hivemind_api.config import Settings
from hivemind_api.infra.ratelimit import Limiter
from hivemind_api.knowledge.access import require_curator
from hivemind_api.knowledge.contributions import ContributeContext
from hivemind_api.runtime import current_runtime


async def limiter() -> Limiter:
    """The rate limits of the running process (Redis-backed, shared by every backend)."""
    return current_runtime().limiter


async def principal(request: Request, rate_limits: Annotated[Limiter, Depends(limiter)]) -> Caller:
    """The caller behind the request's API key, verified, metered and rate-limited."""
    return await principal_from_headers(request.headers, rate_limits)


async def contribute_context() -> ContributeContext:
    """The running process's queue and rate limits, for the contribute use case."""
    return current_runtime().contribute_context()


async def runtime_settings() -> Settings:
    """The settings the running process started with."""
    return current_runtime().settings


def curator(who: Caller) -> Caller:
    """A curator key acting on its org's queue or items (403 for any other role)."""
    require_curator(who)
    return who
