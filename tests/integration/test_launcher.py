"""``hivemind run`` (what ``make run`` starts): the real dev servers on the embedded default."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.pg_tcp import free_port
from tests.processes import alive, embedded_server_pids

REPO = Path(__file__).resolve().parents[2]


def _tree(pid: int) -> list[int]:
    try:
        return [pid, *[c.pid for c in psutil.Process(pid).children(recursive=True)]]
    except psutil.NoSuchProcess:
        return []


def _left_over(data_dir: Path, pids: list[int]) -> list[str]:
    """Processes of the app's tree, or embedded servers of its data dir, still running."""
    return alive(pids) + alive(embedded_server_pids(data_dir))


def _start(data_dir: Path, fport: int, bport: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIVEMIND_", "REFLEX_SKIP"))}
    env["HIVEMIND_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hivemind_api.cli",
            "run",
            "--frontend-port",
            str(fport),
            "--backend-port",
            str(bport),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_healthy(proc: subprocess.Popen[bytes], fport: int, bport: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, "hivemind run exited early"
        try:
            health = httpx.get(f"http://127.0.0.1:{bport}/health", timeout=3)
            login = httpx.get(f"http://localhost:{fport}/login", timeout=5)
            if health.status_code == 200 and login.status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"not healthy after {timeout} s")


def _stop(proc: subprocess.Popen[bytes], data_dir: Path, sig: int) -> None:
    """Send ``sig`` to the launcher; it must exit 0 and leave no process of its tree or servers."""
    pids = _tree(proc.pid) + list(embedded_server_pids(data_dir).values())
    try:
        proc.send_signal(sig)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(1)
    assert _left_over(data_dir, pids) == []


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_health_and_login_and_leaves_nothing_behind(tmp_path: Path, stop_signal: int) -> None:
    data_dir = tmp_path / "data"
    fport, bport = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HIVEMIND_DATA_DIR"] = str(data_dir)

    def create_org() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hivemind_api.cli", "org", "create", "persisted"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    proc = _start(data_dir, fport, bport)
    try:
        _wait_healthy(proc, fport, bport, timeout=600)  # the first start may install the frontend
        assert httpx.get(f"http://127.0.0.1:{bport}/health").json()["worker"]["ok"]
        created = create_org()
        assert created.returncode == 0, created.stderr  # the CLI shares the running servers
        assert len(embedded_server_pids(data_dir)) == 2
    finally:
        _stop(proc, data_dir, stop_signal)

    proc = _start(data_dir, fport, bport)
    try:
        _wait_healthy(proc, fport, bport, timeout=120)
        again = create_org()
        assert again.returncode == 1 and "already exists" in again.stderr  # the data survived
    finally:
        _stop(proc, data_dir, signal.SIGTERM)
