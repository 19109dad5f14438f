"""FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from hivemind_api.accounts.keys import KeyPrincipal
from hivemind_api.api.auth import principal_from_headers


async def principal(request: Request) -> KeyPrincipal:
    return await principal_from_headers(request.headers)
