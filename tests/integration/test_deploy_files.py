"""The deployment files users copy are checked by the tools made for them: compose.yaml against
the Compose specification's schema, the Dockerfile by hadolint. (No Docker daemon runs here, so
the image is not built in the tests; docs/deploy/nginx.conf runs for real in
test_multi_process.py.)"""

from __future__ import annotations

import subprocess

from tests.integration.agent_stack import REPO

TOOLS = REPO / ".venv-tools" / "bin"


def test_compose_file_follows_the_compose_specification() -> None:
    run = subprocess.run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_dockerfile_passes_hadolint() -> None:
    run = subprocess.run(
        [str(TOOLS / "hadolint"), "--no-color", "Dockerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_compose_runs_the_image_the_way_the_tests_run_the_app() -> None:
    """The commands in compose.yaml and the Dockerfile are the ones the tests prove."""
    dockerfile = (REPO / "Dockerfile").read_text()
    compose = (REPO / "compose.yaml").read_text()
    assert 'CMD ["hivemind", "run", "--prod", "--backend-port", "8000"]' in dockerfile
    assert 'command: ["hivemind", "worker"]' in compose
    assert "./docs/deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in compose
