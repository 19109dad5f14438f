"""The SDK's CrewAI tools against the real server. CrewAI's pins conflict with the app's (it
would downgrade mcp, pydantic and rich), so as the SDK's README tells users, it lives in a
virtualenv of its own: ``make test`` builds ``.venv-crewai`` with ``hivemind-client[crewai]``
installed from clients/python, and this test runs ``crewai_check.py`` there."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.integration.agent_stack import AgentStack

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv-crewai" / "bin" / "python"


def test_crewai_tools_search_contribute_and_report(stack: AgentStack) -> None:
    if not PYTHON.exists():
        pytest.fail("no .venv-crewai: `make test` (or `make crewai-venv`) builds it")
    marker = uuid.uuid4().hex[:8]
    item = stack.add_item(
        "a",
        f"CrewAI check {marker}: when a Celery beat schedule fires twice after a deploy, run exactly "
        "one beat process and store its schedule in the database scheduler, not in a local file.",
        public=True,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HIVEMIND_", "PYTHON"))},
        "HIVEMIND_URL": stack.base_url,
        "HIVEMIND_API_KEY": stack.keys["b"],
        "QUERY": f"CrewAI check {marker} celery beat fires twice",
        "CONTENT": f"CrewAI contribution {marker}: pin the uv version in CI so lock files stay stable.",
        "ITEM_ID": item,
        "CREWAI_DISABLE_TELEMETRY": "true",
        "OTEL_SDK_DISABLED": "true",
    }
    done = subprocess.run(
        [str(PYTHON), str(REPO / "tests" / "integration" / "crewai_check.py")],
        env=env,
        cwd=REPO / "tests",  # not the repository root: nothing of the server is importable
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["names"] == ["hivemind_search", "hivemind_contribute", "hivemind_report_outcome"]
    assert f"[{item}]" in said["search"] and "database scheduler" in said["search"]
    assert said["contribute"].startswith("queued")
    cid = said["contribute"].rsplit("contribution ", 1)[1].rstrip(")")
    assert stack.sql("SELECT source_agent_id, category FROM contributions WHERE id = %s", (cid,)) == [
        ("agent-b", "tooling")
    ]
    assert said["outcome"].startswith("recorded: solved")
    assert stack.sql(
        "SELECT count(*) FROM signals WHERE knowledge_item_id = %s AND agent_id = 'agent-b' AND kind LIKE 'outcome%%'",
        (item,),
    ) == [(1,)]
