"""``principal_overlapping``: when work for a request may start before its key's verdict.

The key check and the limiter are replaced by stand-ins that log when they start and finish,
so the order of events shows whether the work overlapped the verdict. The real check (database
and Redis) is exercised through the server in tests/integration/test_rest_api.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.keys import hash_key
from hivemind_api.api import auth
from hivemind_api.errors import InvalidInput, Unauthorized
from hivemind_api.infra.ratelimit import RateLimited

GOOD, OTHER = "hm_good_key_0001", "hm_good_key_0002"


class Gate:
    """Which keys are valid and which are over their limit; logs every step in order."""

    def __init__(self) -> None:
        self.valid = {GOOD, OTHER}
        self.limited: set[str] = set()
        self.log: list[str] = []

    async def authenticate(self, _session: object, raw: str | None) -> Caller | None:
        self.log.append("auth-start")
        await asyncio.sleep(0.02)  # the database round trip
        self.log.append("auth-end")
        if raw not in self.valid:
            return None
        return Caller.agent(
            key_id=uuid.uuid5(uuid.NAMESPACE_OID, raw),
            org_id=uuid.uuid4(),
            org_slug="acme",
            agent_id=raw,
            role="contributor",
            tier="free",
            request_count=1,
        )

    async def check(self, principal: Caller, action: str) -> None:
        if principal.agent_id in self.limited:
            raise RateLimited("rate limit exceeded", 30)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    g = Gate()

    @contextlib.asynccontextmanager
    async def no_session(**_: object) -> AsyncIterator[None]:
        yield None

    monkeypatch.setattr(auth, "authenticate_key", g.authenticate)
    monkeypatch.setattr(auth, "session_scope", no_session)
    monkeypatch.setattr(auth, "recently_passed", auth.RecentlyPassed(size=2))
    return g


def work(g: Gate, result: str = "vector"):
    async def run() -> str:
        g.log.append("work-start")
        await asyncio.sleep(0.01)
        g.log.append("work-end")
        return result

    return run


async def call(g: Gate, key: str | None, job=None) -> tuple[Caller, str]:
    g.log.clear()
    headers = {"x-api-key": key} if key else {}
    return await auth.principal_overlapping(headers, job or work(g), g)


async def test_a_new_key_gets_its_verdict_before_any_work(gate: Gate) -> None:
    who, out = await call(gate, GOOD)
    assert (who.agent_id, out) == (GOOD, "vector")
    assert gate.log == ["auth-start", "auth-end", "work-start", "work-end"]


async def test_a_key_that_passed_last_time_overlaps_its_check_with_the_work(gate: Gate) -> None:
    await call(gate, GOOD)
    who, out = await call(gate, GOOD)
    assert (who.agent_id, out) == (GOOD, "vector")
    assert gate.log.index("work-start") < gate.log.index("auth-end")


async def test_a_revoked_key_is_refused_and_then_costs_no_work(gate: Gate) -> None:
    await call(gate, GOOD)
    gate.valid.discard(GOOD)  # revoked between two requests
    with pytest.raises(Unauthorized):
        await call(gate, GOOD)  # the early work ran, but nothing of it is returned
    with pytest.raises(Unauthorized):
        await call(gate, GOOD)
    assert "work-start" not in gate.log
    with pytest.raises(Unauthorized):
        await call(gate, None)
    assert "work-start" not in gate.log


async def test_a_rate_limited_key_waits_for_its_verdict_until_it_passes_again(gate: Gate) -> None:
    await call(gate, GOOD)
    gate.limited.add(GOOD)
    with pytest.raises(RateLimited):
        await call(gate, GOOD)
    with pytest.raises(RateLimited):
        await call(gate, GOOD)
    assert "work-start" not in gate.log
    gate.limited.clear()
    await call(gate, GOOD)
    assert gate.log == ["auth-start", "auth-end", "work-start", "work-end"]  # earned back, not yet used
    await call(gate, GOOD)
    assert gate.log.index("work-start") < gate.log.index("auth-end")


async def test_a_failing_early_work_is_reported_after_the_verdict(gate: Gate) -> None:
    async def bad() -> str:
        raise InvalidInput("query must not be empty")

    await call(gate, GOOD)
    with pytest.raises(InvalidInput):
        await call(gate, GOOD, bad)
    gate.valid.discard(GOOD)
    with pytest.raises(Unauthorized):  # the refusal wins over the work's own error
        await call(gate, GOOD, bad)


def test_the_set_keeps_only_the_most_recent_keys() -> None:
    recent = auth.RecentlyPassed(size=2)
    for key in ("a", "b", "a", "c"):
        recent.passed(hash_key(key))
    assert hash_key("a") in recent and hash_key("c") in recent and hash_key("b") not in recent
    recent.refused(hash_key("a"))
    recent.refused(hash_key("never seen"))
    assert hash_key("a") not in recent
