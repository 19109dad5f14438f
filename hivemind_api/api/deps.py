"""FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.auth import principal_from_headers
from hivemind_api.knowledge.access import require_curator


async def principal(request: Request) -> Caller:
    return await principal_from_headers(request.headers)


def curator(who: Caller) -> Caller:
    """A curator key acting on its org's queue or items (403 for any other role)."""
    require_curator(who)
    return who
