"""A TCP proxy on loopback whose live connections a test can cut, to drop a client's stream the
way a flaky network or a restarted proxy would (the server itself keeps running).

Given several upstreams it balances like a reverse proxy in front of several backends: each new
connection goes to the next upstream in turn, skipping one that refuses connections (a backend
that was killed), so a reconnecting client lands on a live one."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.pg_tcp import free_port


class CuttableProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *more: tuple[str, int]) -> None:
        self.upstreams = [(upstream_host, upstream_port), *more]
        self._next = 0
        self.port = free_port()
        self.connections = 0
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = self._connect_upstream()
            if upstream is None:
                client.close()
                continue
            with self._lock:
                self.connections += 1
                self._live.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _connect_upstream(self) -> socket.socket | None:
        for _ in range(len(self.upstreams)):
            address = self.upstreams[self._next % len(self.upstreams)]
            self._next += 1
            try:
                upstream = socket.create_connection(address, timeout=5)
            except OSError:
                continue
            upstream.settimeout(None)  # streams stay open and silent for long
            return upstream
        return None

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _close(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                self._live.discard(s)
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        """Drop every open connection at once (new ones are still accepted)."""
        with self._lock:
            live = list(self._live)
        self._close(*live)

    def close(self) -> None:
        self._server.close()
        self.cut()
