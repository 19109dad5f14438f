"""Fixtures for the agent-facing tests: a running stack per test module (external target), so
one module's published items never show up in another module's search results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.agent_stack import AgentStack, start_stack, stop_stack


@pytest.fixture(scope="module")
def stack(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    running = start_stack(external_target, tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack(running)
