"""FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.auth import principal_from_headers
from hivemind_api.config import Settings
from hivemind_api.knowledge.access import require_curator
from hivemind_api.knowledge.contributions import ContributeContext
from hivemind_api.runtime import current_runtime


async def principal(request: Request) -> Caller:
    return await principal_from_headers(request.headers)


def contribute_context() -> ContributeContext:
    """The running process's queue and rate limits, for the contribute use case."""
    return current_runtime().contribute_context()


def runtime_settings() -> Settings:
    """The settings the running process started with."""
    return current_runtime().settings


def curator(who: Caller) -> Caller:
    """A curator key acting on its org's queue or items (403 for any other role)."""
    require_curator(who)
    return who
