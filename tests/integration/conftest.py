"""Fixtures for the agent-facing tests: a running stack per test module (external target), so
one module's published items never show up in another module's search results.

A stack's backend takes ~15 s to start (imports, migrations, the model, its worker). The pool
starts the next module's stack while the current module's tests run, in the order pytest will
run them, so most modules find theirs already up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.agent_stack import AgentStack, end_stack, ready_stack, spawn_stack, stop_stack
from tests.integration.webhook_receiver import Receiver

WEBHOOK_OVERRIDES = {
    "HIVEMIND_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on loopback
    "HIVEMIND_WEBHOOK_BACKOFF_SECONDS": "2,2,2,2",  # 5 attempts, seconds apart instead of an hour
}
KINDS: dict[str, dict[str, str]] = {"stack": {}, "webhook_stack": WEBHOOK_OVERRIDES}

# (module node id, kind) in the order the session's modules will first ask for a stack.
_plan: list[tuple[str, str]] = []


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture parameters
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _plan.clear()
    for item in items:
        module = item.getparent(pytest.Module)
        for kind in _kinds_used(item):
            entry = (module.nodeid if module else "", kind)
            if entry not in _plan:
                _plan.append(entry)


def _kinds_used(item: pytest.Item) -> list[str]:
    """The pooled stacks an item needs: this conftest's fixtures, not a module's own ``stack``."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    kinds = []
    for kind in KINDS:
        defs = info.name2fixturedefs.get(kind, ())
        if any(d.func.__module__ == __name__ for d in defs):
            kinds.append(kind)
    return kinds


class StackPool:
    """Hands out stacks by kind and keeps the next one in the plan starting in the background."""

    def __init__(self, target, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.target, self.tmp = target, tmp_path_factory
        self.spares: dict[str, AgentStack] = {}
        self.position = 0

    def _spawn(self, kind: str) -> AgentStack:
        return spawn_stack(self.target, self.tmp.mktemp(kind), KINDS[kind])

    def take(self, module_id: str, kind: str) -> AgentStack:
        if (module_id, kind) in _plan[self.position :]:
            self.position = _plan.index((module_id, kind), self.position) + 1
        running = ready_stack(self.spares.pop(kind, None) or self._spawn(kind))
        if self.position < len(_plan):
            upcoming = _plan[self.position][1]
            if upcoming not in self.spares:
                self.spares[upcoming] = self._spawn(upcoming)
        return running

    def close(self) -> None:
        for spare in self.spares.values():
            end_stack(spare)  # it served no test: nothing in its log to check
        self.spares.clear()


@pytest.fixture(scope="session")
def stack_pool(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPool]:
    pool = StackPool(external_target, tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def stack(stack_pool: StackPool, request: pytest.FixtureRequest) -> Iterator[AgentStack]:
    running = stack_pool.take(request.node.nodeid, "stack")
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def webhook_stack(stack_pool: StackPool, request: pytest.FixtureRequest) -> Iterator[AgentStack]:
    """A stack that delivers webhooks to a receiver on loopback, retrying seconds apart."""
    running = stack_pool.take(request.node.nodeid, "webhook_stack")
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
