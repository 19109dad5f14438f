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
            login = httpx.get(f"http://localhost:{fport}/login", timeout=5, follow_redirects=True)
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


def test_run_serves_health_and_login_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """Started twice on one data dir: stopped by Ctrl-C (SIGINT) the first time, by SIGTERM (what
    a service manager sends) the second; each time nothing of its tree is left, and the data
    survives the first stop."""
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
        _stop(proc, data_dir, signal.SIGINT)

    proc = _start(data_dir, fport, bport)
    try:
        _wait_healthy(proc, fport, bport, timeout=120)
        again = create_org()
        assert again.returncode == 1 and "already exists" in again.stderr  # the data survived
    finally:
        _stop(proc, data_dir, signal.SIGTERM)


def test_prod_refuses_to_start_without_external_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HIVEMIND_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, "-m", "hivemind_api.cli", "run", "--prod"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "HIVEMIND_DATABASE_URL" in run.stderr
    assert not (tmp_path / "data").exists()  # refused before starting anything


def test_prod_serves_the_built_app_from_several_backend_processes(external_target, tmp_path: Path) -> None:
    """``hivemind run --prod`` with 2 backend processes on one port, the app's workers running
    apart (``hivemind worker``), as a production host runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIVEMIND_", "REFLEX_"))}
    env.update(
        HIVEMIND_DATABASE_URL=external_target.create_database(),
        HIVEMIND_REDIS_URL=external_target.redis_url.rsplit("/", 1)[0] + "/7",
        HIVEMIND_BACKEND_WORKERS="2",
    )
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "hivemind_api.cli", "worker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    app = subprocess.Popen(
        [sys.executable, "-m", "hivemind_api.cli", "run", "--prod", "--backend-port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # the first start builds the frontend
        while True:
            assert app.poll() is None, "hivemind run --prod exited early"
            assert time.monotonic() < deadline, "never healthy"
            try:
                if httpx.get(f"{base}/health", timeout=3).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        login = httpx.get(f"{base}/login", follow_redirects=True, timeout=10)
        assert login.status_code == 200 and "<title>Sign in · HiveMind</title>" in login.text
        assert "/assets/" in login.text  # the built bundle, served by the backend on the same port
        reflex = next(p for p in psutil.Process(app.pid).children() if "reflex" in " ".join(p.cmdline()))
        assert len(reflex.children()) == 2  # the backend processes

        org = subprocess.run(
            [sys.executable, "-m", "hivemind_api.cli", "org", "create", "prodorg"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert org.returncode == 0, org.stderr
        key = subprocess.run(
            [sys.executable, "-m", "hivemind_api.cli", "key", "create", "--org", "prodorg", "--agent", "a"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert key.returncode == 0, key.stderr
        raw = key.stdout.strip().splitlines()[-1]  # alone on the last line
        r = httpx.post(
            f"{base}/api/v1/knowledge",
            headers={"X-API-Key": raw},
            json={
                "content": "Pin the base image by digest so a rebuilt tag cannot change it.",
                "category": "tooling",
            },
            timeout=30,
        )
        assert r.status_code == 202, r.text
        with httpx.Client(base_url=base, headers={"X-API-Key": raw}, timeout=30) as c:
            deadline = time.monotonic() + 60
            while c.get("/api/v1/knowledge", params={"status": "pending"}).json()["total_count"] < 1:
                assert time.monotonic() < deadline, "the separate worker never processed it"
                time.sleep(0.5)
    finally:
        tree = _tree(app.pid)
        app.send_signal(signal.SIGINT)
        try:
            assert app.wait(60) == 0
        finally:
            if app.poll() is None:
                app.kill()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
    time.sleep(1)
    assert alive(tree) == []


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_bare_reflex_run_leaves_nothing_behind_after_ctrl_c(tmp_path: Path, mode: str) -> None:
    """The design's self-host command: ``reflex run`` (and ``reflex run --env prod``, which serves
    the built app on the backend's port) starts everything (embedded servers, a worker) and
    Ctrl-C stops everything, although Reflex kills its backend 2 s after the signal."""
    data_dir = tmp_path / "data"
    bport = free_port()
    fport = bport if mode == "prod" else free_port()
    ports = (
        ["--backend-port", str(bport)]
        if mode == "prod"
        else ["--frontend-port", str(fport), "--backend-port", str(bport)]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIVEMIND_", "REFLEX_"))}
    env["HIVEMIND_DATA_DIR"] = str(data_dir)
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", mode, *ports],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        _wait_healthy(proc, fport, bport, timeout=600)
        assert httpx.get(f"http://127.0.0.1:{bport}/health").json()["worker"]["ok"]
        servers = embedded_server_pids(data_dir)
        assert len(servers) == 2
        pids = _tree(proc.pid) + list(servers.values())
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _left_over(data_dir, pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _left_over(data_dir, pids) == []
