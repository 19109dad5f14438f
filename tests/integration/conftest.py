"""Fixtures for the agent-facing tests: one running stack per session (external target)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.agent_stack import AgentStack, start_stack, stop_stack


@pytest.fixture(scope="session")
def stack(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    running = start_stack(external_target, tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack(running)
