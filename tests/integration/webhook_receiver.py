"""A webhook receiver on loopback for the tests: records every request and answers with the
status codes a test programs, as a flaky or broken customer endpoint would."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: dict[str, list[int]] = defaultdict(list)
        self._always: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
                    )
                )
                queued = receiver._answers[self.path]
                status = queued.pop(0) if queued else receiver._always.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, *statuses: int, always: int | None = None) -> None:
        """Answer the next requests to ``path`` with ``statuses``, then ``always`` (default 200)."""
        self._answers[path].extend(statuses)
        if always is not None:
            self._always[path] = always

    def received(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received(path)) < count:
            assert time.monotonic() < deadline, (
                f"{path}: {len(self.received(path))} of {count} requests arrived"
            )
            time.sleep(0.1)
        return self.received(path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
