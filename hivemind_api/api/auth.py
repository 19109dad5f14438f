"""API-key authentication shared by REST and MCP: ``X-API-Key: hm_…`` or ``Authorization: Bearer hm_…``."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.keys import authenticate_key, hash_key
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import Unauthorized
from hivemind_api.infra.ratelimit import Limiter, RateLimited

MISSING_KEY = "Missing or invalid API key: send 'X-API-Key: hm_…' or 'Authorization: Bearer hm_…'."
T = TypeVar("T")


def presented_key(headers: Mapping[str, str]) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class RecentlyPassed:
    """Hashes of the keys this process last let through, at most ``size`` (least recent dropped).

    Only a hint for ``principal_overlapping``: membership never authenticates anyone. A key
    leaves the set the moment it is refused (invalid, revoked or over a rate limit), so a
    refused caller's requests wait for their verdict before any work starts for them.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._hashes: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key_hash: str) -> bool:
        return key_hash in self._hashes

    def passed(self, key_hash: str) -> None:
        self._hashes[key_hash] = None
        self._hashes.move_to_end(key_hash)
        if len(self._hashes) > self._size:
            self._hashes.popitem(last=False)

    def refused(self, key_hash: str) -> None:
        self._hashes.pop(key_hash, None)


recently_passed = RecentlyPassed()


async def principal_from_headers(headers: Mapping[str, str], limiter: Limiter) -> Caller:
    """Verify and meter the key in one statement of its own (a failing request still counts as
    usage), then count the request against the key's and the org's rate limits."""
    raw = presented_key(headers)
    return await _verified(raw, hash_key(raw) if raw else None, limiter)


async def _verified(raw: str | None, key_hash: str | None, limiter: Limiter) -> Caller:
    """``principal_from_headers`` for a key already read from the headers (and hashed), keeping
    ``recently_passed`` up to date with the verdict."""
    async with session_scope(autocommit=True) as session:
        principal = await authenticate_key(session, raw)
    if principal is None:
        if key_hash:
            recently_passed.refused(key_hash)
        raise Unauthorized(MISSING_KEY)
    try:
        await limiter.check(principal, "request")
    except RateLimited:
        if key_hash:
            recently_passed.refused(key_hash)
        raise
    if key_hash:
        recently_passed.passed(key_hash)
    return principal


def _drop_outcome(task: asyncio.Future[Any]) -> None:
    """Retrieve a dropped task's outcome, so a failure there is not reported as unhandled."""
    if not task.cancelled():
        task.exception()


async def principal_overlapping(
    headers: Mapping[str, str], work: Callable[[], Awaitable[T]], limiter: Limiter
) -> tuple[Caller, T]:
    """Authenticate the caller and run ``work`` for it; for a key that passed last time, at once.

    A search's query embedding takes longer than the key's database check and its rate-limit
    windows together, and neither needs the other, so running them side by side takes the
    shorter out of every search's latency. Work starts early only for a key this process let
    through on its last request: an unknown, revoked or rate-limited key gets its verdict first
    and costs no model time. If the early verdict is a refusal, the work's result is dropped and
    nothing of it reaches the caller.
    """
    raw = presented_key(headers)
    key_hash = hash_key(raw) if raw else None
    if key_hash is None or key_hash not in recently_passed:
        principal = await _verified(raw, key_hash, limiter)
        return principal, await work()
    early = asyncio.ensure_future(work())
    try:
        principal = await _verified(raw, key_hash, limiter)
    except BaseException:
        early.cancel()  # a thread already running finishes; its result goes nowhere
        early.add_done_callback(_drop_outcome)
        raise
    return principal, await early
