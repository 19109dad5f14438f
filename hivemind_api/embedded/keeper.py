"""Keep the embedded servers of a bare ``reflex run`` alive until that ``reflex run`` exits.

``hivemind run`` owns the embedded servers itself. The design's other self-host command, bare
``reflex run``, has only its backend worker to start them, and Reflex's dev server kills that
worker 2 s after Ctrl-C: too soon to stop a worker, Redis and Postgres, which were left running.
So the backend hands them to this small process (``ensure_keeper``), in a session of its own
(Ctrl-C does not reach it), which holds a handle on both servers for as long as the ``reflex
run`` process lives, then releases them. Releasing prunes the handles of the killed backend, so
the servers stop. One keeper per data dir: a backend restarted by hot reload finds the first.
"""

from __future__ import annotations

import fcntl
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil

from hivemind_api.config import Settings
from hivemind_api.infra.procutil import process_running
from hivemind_api.infra.services import open_services

READY = "ready"
LOCK_FILE = "keeper.lock"


def reflex_run_ancestor() -> int | None:
    """The pid of the ``reflex run`` process this process runs under, if any."""
    for parent in psutil.Process().parents():
        try:
            cmdline = parent.cmdline()
        except psutil.Error:
            continue
        if "run" in cmdline and any(part.endswith("reflex") for part in cmdline):
            return parent.pid
    return None


def ensure_keeper(data_dir: Path, owner_pid: int, timeout: float = 120) -> None:
    """Start a keeper for ``data_dir``'s servers bound to ``owner_pid`` (or find the running
    one), and wait until it holds them."""
    keeper = subprocess.Popen(
        [sys.executable, "-m", "hivemind_api.embedded.keeper", str(data_dir), str(owner_pid)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert keeper.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(keeper.stdout.readline() if keeper.stdout else ""))
    reader.start()
    reader.join(timeout)
    keeper.stdout.close()
    if not line or line[0].strip() != READY:
        keeper.kill()
        raise RuntimeError(f"the embedded servers' keeper did not start (exit code {keeper.poll()})")


def keep(data_dir: Path, owner_pid: int) -> int:
    """Hold the servers until ``owner_pid`` exits (or SIGTERM); print ``ready`` once held."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / LOCK_FILE, "w")  # noqa: SIM115 - held for the process's lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another keeper holds them already
        print(READY, flush=True)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services = open_services(Settings(data_dir=data_dir), need_redis=True)
    try:
        print(READY, flush=True)
        while process_running(owner_pid) and not stop.wait(0.5):
            pass
    finally:
        services.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(keep(Path(sys.argv[1]), int(sys.argv[2])))
