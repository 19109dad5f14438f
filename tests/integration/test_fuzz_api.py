"""Hostile input, generated: Schemathesis (in the tools' virtualenv, ``make tools-venv``) reads the
served OpenAPI schema and sends valid and invalid requests to every operation, as each key role.
Whatever it sends (NUL characters, lone surrogates, huge numbers, wrong types, missing fields),
no answer may be a server error."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.integration.agent_stack import REPO, AgentStack

SCHEMATHESIS = REPO / ".venv-tools" / "bin" / "schemathesis"
ROLES = {"a": "contributor", "a_reader": "reader", "a_curator": "curator"}
# Per role: the coverage phase (~690 boundary and invalid cases, deterministic) and 15 fuzzed
# cases per operation and mode (~350): over 1,000 requests.
FUZZ_EXAMPLES = 15
# The live stream answers 200 and then never ends: Schemathesis reads it until its request
# timeout, which for everything else must be generous. So the stream gets a run of its own with a
# short timeout (its status, a 5xx included, arrives at once; cutting the body is not a failure).
STREAM = "/api/v1/stream/feed"
RUNS = {
    "api": ("--exclude-path", STREAM, "--request-timeout", "60"),
    "stream": ("--include-path", STREAM, "--request-timeout", "3"),
}


def _schemathesis(
    stack: AgentStack, key: str, report: Path, options: tuple[str, ...]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(SCHEMATHESIS),
            "run",
            f"{stack.base_url}/openapi.json",
            "--url",
            stack.base_url,
            "--checks",
            "not_a_server_error",
            "--header",
            f"X-API-Key: {key}",
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            str(FUZZ_EXAMPLES),
            "--seed",
            "18",
            "--workers",
            "1",
            "--suppress-health-check",
            "all",
            "--generation-allow-x00",
            "true",
            "--generation-database",
            "none",
            *options,
            "--no-color",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ],
        cwd=report.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_generated_requests_never_get_a_server_error(stack: AgentStack, tmp_path: Path) -> None:
    # Every role's runs side by side.
    runs = {
        (role, name): _schemathesis(stack, stack.keys[role], tmp_path / f"{role}-{name}.ndjson", options)
        for role in ROLES
        for name, options in RUNS.items()
    }
    outputs = {run_id: run.communicate(timeout=900)[0] for run_id, run in runs.items()}
    for (role, name), run in runs.items():
        assert run.returncode == 0, f"as a {ROLES[role]} ({name}):\n{outputs[role, name][-6000:]}"
    for role in ROLES:
        statuses = [s for name in RUNS for s in _statuses(tmp_path / f"{role}-{name}.ndjson")]
        assert len(statuses) >= 1000, f"as a {ROLES[role]}: only {len(statuses)} requests were generated"
        assert not [s for s in statuses if s >= 500]
        assert len(_statuses(tmp_path / f"{role}-stream.ndjson")) >= 20  # the stream was fuzzed too


def _statuses(events: Path) -> list[int]:
    """The status of every response Schemathesis recorded."""
    out: list[int] = []
    for line in events.read_text().splitlines():
        _collect(json.loads(line), out)
    return out


def _collect(node: object, out: list[int]) -> None:
    if isinstance(node, dict):
        response = node.get("response")
        if isinstance(response, dict) and isinstance(response.get("status_code"), int):
            out.append(response["status_code"])
        for value in node.values():
            _collect(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect(value, out)
