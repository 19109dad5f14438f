"""The SDK's retry rules, as pure logic over scripted HTTP answers (the real server's 429 is
tested in tests/integration/test_sdk.py)."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from hivemind_client import ConnectionFailed, HiveMind, ServiceUnavailableError
from hivemind_client import _ops as ops

ME = {"org_id": "o", "org": "acme", "agent_id": "a", "role": "reader", "tier": "free", "request_count": 1}


def _client(answers: list, monkeypatch: pytest.MonkeyPatch, **kw: object) -> tuple[HiveMind, list, list]:
    sent: list[httpx.Request] = []
    slept: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(time, "sleep", slept.append)
    client = HiveMind("http://hivemind.test", "hm_key", transport=httpx.MockTransport(handler), **kw)  # type: ignore[arg-type]
    return client, sent, slept


def test_503_is_retried_with_the_servers_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [
        httpx.Response(503, headers={"Retry-After": "7"}, json={"detail": "down"}),
        httpx.Response(200, json=ME),
    ]
    client, sent, slept = _client(answers, monkeypatch)
    assert client.me().agent_id == "a"
    assert len(sent) == 2 and slept == [7.0] and sent[0].headers["X-API-Key"] == "hm_key"


def test_retries_run_out_into_the_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [httpx.Response(503, json={"detail": "queue down"}) for _ in range(3)]
    client, sent, slept = _client(answers, monkeypatch, max_retries=2, backoff=1.0)
    with pytest.raises(ServiceUnavailableError) as err:
        client.me()
    assert err.value.detail == "queue down" and len(sent) == 3
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0  # backoff, jittered


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    delay = ops.retry_after_seconds(httpx.Response(429, headers={"Retry-After": when}))
    assert delay is not None and 28 <= delay <= 31
    assert ops.retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def test_a_post_that_may_have_arrived_is_not_resent(monkeypatch: pytest.MonkeyPatch) -> None:
    client, sent, _ = _client([httpx.ReadTimeout("slow")], monkeypatch)
    with pytest.raises(ConnectionFailed):
        client.contribute("some content that is long enough", "bug_fix")
    assert len(sent) == 1
    client, sent, _ = _client(
        [
            httpx.ConnectError("refused"),
            httpx.Response(
                202, json={"contribution_id": "c", "status": "queued", "category": "bug_fix", "message": "ok"}
            ),
        ],
        monkeypatch,
    )
    assert client.contribute("some content that is long enough", "bug_fix").status == "queued"
    assert len(sent) == 2  # it never reached the server: safe to send again


def test_ids_cannot_escape_their_path_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    client, sent, _ = _client([httpx.Response(404, json={"detail": "not found"})], monkeypatch)
    with pytest.raises(Exception, match="not found"):
        client.get("../keys/me")
    assert sent[0].url.raw_path == b"/api/v1/knowledge/..%2Fkeys%2Fme"
