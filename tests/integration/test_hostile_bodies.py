"""Bodies built to hurt: oversized, deeply nested, or lying about their size. Each gets a quick
4xx, nothing is stored, and the server keeps serving."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

import httpx
import pytest

from tests.integration.agent_stack import AgentStack


def _count(stack: AgentStack) -> int:
    return stack.sql("SELECT count(*) FROM contributions")[0][0]


@pytest.mark.parametrize("path", ["/api/v1/knowledge", "/api/v1/webhooks", "/mcp"])
def test_an_oversized_body_is_refused_with_413(stack: AgentStack, path: str) -> None:
    before = _count(stack)
    body = b'{"content": "' + b"a" * (8 * 1024 * 1024) + b'", "category": "bug_fix"}'
    started = time.monotonic()
    with stack.client("a_curator") as c:
        r = c.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert time.monotonic() - started < 10
    assert _count(stack) == before


@pytest.mark.parametrize("path", ["/api/v1/knowledge", "/api/v1/outcomes", "/mcp"])
def test_deeply_nested_json_is_a_4xx(stack: AgentStack, path: str) -> None:
    before = _count(stack)
    depth = 100_000
    body = b'{"content": ' + b"[" * depth + b"]" * depth + b', "category": "bug_fix"}'
    with stack.client("a") as c:
        r = c.post(path, content=body, headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
        assert c.get("/api/v1/keys/me").status_code == 200  # still serving
    assert _count(stack) == before


def test_a_body_longer_than_announced_or_never_sent(stack: AgentStack) -> None:
    """A Content-Length of 100 MB with a few bytes behind it: refused without reading."""
    url = urlparse(stack.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(
            b"POST /api/v1/knowledge HTTP/1.1\r\nHost: x\r\nX-API-Key: "
            + stack.keys["a"].encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{}"
        )
        answer = s.recv(200)
    assert answer.startswith(b"HTTP/1.1 413"), answer


def test_a_chunked_body_is_cut_off_once_it_grows_too_large(stack: AgentStack) -> None:
    """No Content-Length to check first: counted as it arrives, refused past the limit."""
    sent = 0

    def chunks():
        nonlocal sent
        yield b'{"content": "'
        for _ in range(200):  # up to 12.8 MB
            sent += 64 * 1024
            yield b"a" * (64 * 1024)
        yield b'", "category": "bug_fix"}'

    before = _count(stack)
    with stack.client("a") as c:
        try:
            r = c.post("/api/v1/knowledge", content=chunks(), headers={"Content-Type": "application/json"})
            assert r.status_code == 413, (r.status_code, r.text[:200])
        except httpx.WriteError:
            pass  # the server answered 413 and closed while the client was still sending
    assert _count(stack) == before
