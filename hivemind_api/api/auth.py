"""API-key authentication shared by REST and MCP: ``X-API-Key: hm_…`` or ``Authorization: Bearer hm_…``."""

from __future__ import annotations

from collections.abc import Mapping

from hivemind_api.accounts.keys import KeyPrincipal, authenticate_key
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import Unauthorized
from hivemind_api.runtime import current_runtime

MISSING_KEY = "Missing or invalid API key: send 'X-API-Key: hm_…' or 'Authorization: Bearer hm_…'."


def presented_key(headers: Mapping[str, str]) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal_from_headers(headers: Mapping[str, str]) -> KeyPrincipal:
    """Verify and meter the key in one statement of its own (a failing request still counts as
    usage), then count the request against the key's and the org's rate limits."""
    raw = presented_key(headers)
    async with session_scope(autocommit=True) as session:
        principal = await authenticate_key(session, raw)
    if principal is None:
        raise Unauthorized(MISSING_KEY)
    await current_runtime().limiter.check(principal, "request")
    return principal
