"""Refuse request bodies larger than any legitimate request, before reading them.

The largest legitimate body is a contribution of 20,000 characters, at most ~120 KB of JSON
even with every character escaped; a client announcing more, or streaming more than it
announced (chunked bodies have no length), is answered 413 at once and its bytes are not
buffered. Without this, an 8 MB contribution was parsed, validated and echoed back whole in the
422's ``input``; and a 100 MB ``Content-Length`` kept a worker waiting for bytes that never come.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class _TooLarge(BaseException):
    """Raised from ``receive`` past the limit. A BaseException on purpose: FastAPI turns any
    Exception raised while it reads a body into "400 error parsing the body"; this one must
    cross the app untouched to be answered 413 here."""


class BodyLimit:
    """Pure ASGI middleware (no buffering of its own), for every HTTP request of the API."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if started:  # the app answered before reading it all: nothing more to say
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body too large (at most {self.max_bytes} bytes)"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
