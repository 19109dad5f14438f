"""Find the processes an embedded data dir runs, to prove nothing outlives a stop."""

from __future__ import annotations

import json
from pathlib import Path

import psutil


def embedded_server_pids(data_dir: Path) -> dict[str, int]:
    """Pids of the embedded Postgres postmaster and redis-server of ``data_dir`` (while running)."""
    pids: dict[str, int] = {}
    postmaster = data_dir / "pg" / "postmaster.pid"
    if postmaster.exists():
        pids["postgres"] = int(postmaster.read_text().splitlines()[0])
    registry = data_dir / "redis" / "hivemind.rdb.settings"
    if registry.exists():
        pidfile = Path(json.loads(registry.read_text())["pidfile"])
        if pidfile.exists():
            pids["redis"] = int(pidfile.read_text().strip())
    return pids


def alive(pids: list[int] | dict[str, int]) -> list[str]:
    """Descriptions of the given pids that are still running (zombies count as gone)."""
    values = pids.values() if isinstance(pids, dict) else pids
    out = []
    for pid in values:
        try:
            p = psutil.Process(pid)
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{pid}: {' '.join(p.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return out
