"""A TCP proxy on loopback whose live connections a test can cut, to drop a client's stream the
way a flaky network or a restarted proxy would (the server itself keeps running).

Given several upstreams it balances like a reverse proxy in front of several backends: each new
connection goes to the next upstream in turn, skipping one that refuses connections (a backend
that was killed), so a reconnecting client lands on a live one. ``pin`` sends new connections to
one upstream only, to put a client on a chosen backend behind the one public address."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.pg_tcp import free_port


class CuttableProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *more: tuple[str, int]) -> None:
        self.upstreams = [(upstream_host, upstream_port), *more]
        self._next = 0
        self._pinned: int | None = None
        self.port = free_port()
        self.connections = 0
        self._live: set[socket.socket] = set()
        self._upstream_of: dict[socket.socket, int] = {}
        self._websockets: set[socket.socket] = set()  # upstream sides of websocket upgrades
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
            connected = self._connect_upstream()
            if connected is None:
                client.close()
                continue
            upstream, index = connected
            with self._lock:
                self.connections += 1
                self._live.update((client, upstream))
                self._upstream_of[upstream] = index
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def pin(self, index: int | None) -> None:
        """From now on, open new connections to ``upstreams[index]`` only (None: balance again).
        Connections already open stay where they are."""
        self._pinned = index

    def websockets_per_upstream(self) -> list[int]:
        """How many websocket connections are open to each upstream now."""
        counts = [0] * len(self.upstreams)
        with self._lock:
            for sock in self._websockets:
                counts[self._upstream_of[sock]] += 1
        return counts

    def _connect_upstream(self) -> tuple[socket.socket, int] | None:
        for _ in range(len(self.upstreams)):
            pinned = self._pinned
            index = self._next % len(self.upstreams) if pinned is None else pinned
            self._next += 1
            try:
                upstream = socket.create_connection(self.upstreams[index], timeout=5)
            except OSError:
                continue
            upstream.settimeout(None)  # streams stay open and silent for long
            return upstream, index
        return None

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool = False) -> None:
        first = from_client
        try:
            while data := src.recv(65536):
                if first and data.startswith(b"GET ") and b"upgrade: websocket" in data.lower():
                    with self._lock:
                        self._websockets.add(dst)
                first = False
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _close(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                self._live.discard(s)
                self._upstream_of.pop(s, None)
                self._websockets.discard(s)
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
