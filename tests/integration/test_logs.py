"""Every stack's log is checked for secrets when the stack stops (``assert_log_holds_no_secrets``);
this proves that check finds what it looks for, so its silence means something."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.integration.agent_stack import AgentStack, assert_log_holds_no_secrets


def test_the_log_check_finds_a_key_and_a_contributed_text(stack: AgentStack, tmp_path: Path) -> None:
    text = "Pin numpy below 2 for the old wheels; the ABI changed and imports fail with a clear error."
    stack.contribute("a", text)
    log = tmp_path / "backend.log"
    copy = dataclasses.replace(stack, log_path=log)

    log.write_text("INFO request served\n")
    assert_log_holds_no_secrets(copy)  # a clean log passes
    log.write_text(f"DEBUG headers: x-api-key={stack.keys['b']}\n")
    with pytest.raises(AssertionError, match="key b"):
        assert_log_holds_no_secrets(copy)
    log.write_text(f"ERROR could not process {text[25:95]!r}\n")
    with pytest.raises(AssertionError, match="contributed text"):
        assert_log_holds_no_secrets(copy)
