"""A small Server-Sent Events reader for the stream tests (what an agent's client would parse)."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Sse:
    event: str
    data: str
    id: str | None

    @property
    def payload(self) -> dict:
        return json.loads(self.data)


def parse(lines) -> iter[Sse]:
    """Turn ``text/event-stream`` lines into events (comments and retry fields skipped)."""
    event, data, ident = "message", [], None
    for line in lines:
        if line == "":
            if data or event != "message":
                yield Sse(event, "\n".join(data), ident)
            event, data, ident = "message", [], None
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                ident = value


class StreamReader:
    """Reads one SSE stream on a thread into a queue, so a test can wait for events with a timeout."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        self.events: queue.Queue[Sse] = queue.Queue()
        self.status: int | None = None
        self._response: httpx.Response | None = None
        self._ready = threading.Event()
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(10, read=None))
        self._args = {"headers": {"X-API-Key": key, **(headers or {})}, "params": params or {}}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the stream did not open"

    def _run(self) -> None:
        try:
            with self._client.stream("GET", "/api/v1/stream/feed", **self._args) as response:
                self._response = response
                self.status = response.status_code
                self._ready.set()
                for sse in parse(response.iter_lines()):
                    self.events.put(sse)
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test
        finally:
            self._ready.set()

    def next(self, kinds: tuple[str, ...] = ("public", "private"), timeout: float = 10) -> Sse:
        """The next event of one of ``kinds`` (others, such as pings, are skipped)."""
        while True:
            sse = self.events.get(timeout=timeout)
            if sse.event in kinds:
                return sse

    def drain(self, wait: float = 1.0, kinds: tuple[str, ...] = ("public", "private")) -> list[Sse]:
        """Every event of ``kinds`` that arrives within the next ``wait`` seconds."""
        got = []
        deadline = time.monotonic() + wait
        while True:
            try:
                sse = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return got
            if sse.event in kinds:
                got.append(sse)

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self._client.close()
        self._thread.join(10)
