"""Browser tests: the real app (AppHarness: Reflex backend + vite dev server) in Debian's chromium.

Run them in their own pytest invocation: pytest-playwright keeps an event loop running that
clashes with the asyncio tests. One app serves the whole session; modules run in name order and
``test_dashboard_shell`` must come first, since it goes through first-run setup on the empty
database. Later modules create the accounts they need if they are missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HIVEMIND_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser") / "data"


@pytest.fixture(scope="session")
def harness(data_dir: Path) -> Iterator[object]:
    for key in [k for k in os.environ if k.startswith("HIVEMIND_")]:
        del os.environ[key]
    os.environ["HIVEMIND_DATA_DIR"] = str(data_dir)
    os.environ["REFLEX_STATE_MANAGER_MODE"] = "memory"
    os.environ["REFLEX_TELEMETRY_ENABLED"] = "false"
    # Webhook receivers in these tests listen on loopback, and retries come seconds apart.
    os.environ["HIVEMIND_WEBHOOK_ALLOW_PRIVATE"] = "1"
    os.environ["HIVEMIND_WEBHOOK_BACKOFF_SECONDS"] = "1,1,1,1"
    from reflex.testing import AppHarness

    with AppHarness.create(root=REPO) as h:
        yield h


@pytest.fixture(scope="session")
def cli(harness: object) -> object:
    """Run ``hivemind`` against the app's running database, as an operator would."""
    from hivemind_api.runtime import current_runtime

    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HIVEMIND_DATABASE_URL"] = current_runtime().services.database_url

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [sys.executable, "-m", "hivemind_api.cli", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        return r

    run.env = env
    return run
