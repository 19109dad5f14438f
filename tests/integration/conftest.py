"""Fixtures for the agent-facing tests: a running stack per test module (external target), so
one module's published items never show up in another module's search results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.agent_stack import AgentStack, start_stack, stop_stack
from tests.integration.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def stack(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    running = start_stack(external_target, tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def webhook_stack(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    """A stack that delivers webhooks to a receiver on loopback, retrying seconds apart."""
    running = start_stack(
        external_target,
        tmp_path_factory.mktemp("webhooks"),
        {
            "HIVEMIND_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on loopback
            "HIVEMIND_WEBHOOK_BACKOFF_SECONDS": "2,2,2,2",  # 5 attempts, seconds apart instead of an hour
        },
    )
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
