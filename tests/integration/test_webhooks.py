"""Webhooks through the real server and RQ worker, delivered to a receiver on loopback: signed,
retried after a failure, logged, disabled after repeated failures; CRUD, auth and validation;
private targets refused unless the server allows them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from hivemind_api.accounts.caller import Caller
from hivemind_api.config import get_settings, reset_settings
from hivemind_api.db.engine import session_scope
from hivemind_api.events.log import EventRecord
from hivemind_api.webhooks import delivery, endpoints
from hivemind_api.webhooks.targets import TargetRefused
from tests.integration.agent_stack import AgentStack
from tests.integration.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def stack(webhook_stack: AgentStack) -> AgentStack:
    return webhook_stack


def _tip(topic: str) -> str:
    return (
        f"Webhook check {uuid.uuid4().hex[:8]}: {topic}. Pin the exact version in the lock file and "
        "rebuild the image so the CI cache cannot serve a stale layer."
    )


def _create(stack: AgentStack, who: str, url: str, types: list[str] | None = None) -> dict:
    with stack.client(who) as c:
        r = c.post("/api/v1/webhooks", json={"url": url, "event_types": types or []})
    assert r.status_code == 201, r.text
    return r.json()


def _endpoint(stack: AgentStack, who: str, webhook_id: str) -> dict:
    with stack.client(who) as c:
        r = c.get(f"/api/v1/webhooks/{webhook_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _my_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a receiver computes, written here from the documented scheme (not HiveMind's code)."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_signed_delivery_is_retried_after_a_500_then_succeeds(stack: AgentStack, receiver: Receiver) -> None:
    receiver.answer("/hook-a", 500)
    hook = _create(stack, "a_curator", receiver.base_url + "/hook-a", ["knowledge.approved"])
    assert (
        hook["secret"].startswith("whsec_")
        and hook["active"]
        and hook["event_types"] == ["knowledge.approved"]
    )
    item = stack.add_item("a", _tip("delivered after one retry"))

    first, retry = receiver.wait_for("/hook-a", 2)
    for got in (first, retry):
        h = got.headers
        assert h["x-hivemind-event"] == "knowledge.approved" and h["content-type"] == "application/json"
        assert h["x-hivemind-signature"] == _my_signature(hook["secret"], h["x-hivemind-timestamp"], got.body)
        assert abs(int(h["x-hivemind-timestamp"]) - time.time()) < 120
        payload = json.loads(got.body)
        assert payload["type"] == "knowledge.approved" and payload["item"]["id"] == item
        assert payload["org_id"] == str(stack.org_ids["acme"]) and isinstance(payload["event_id"], int)
        assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    assert (
        first.headers["x-hivemind-delivery"] == retry.headers["x-hivemind-delivery"]
    )  # one delivery, two attempts
    assert retry.at - first.at >= 0.9  # after the backoff (RQ schedules to the whole second)
    forged = _my_signature("whsec_wrong", first.headers["x-hivemind-timestamp"], first.body)
    assert forged != first.headers["x-hivemind-signature"]

    deadline = time.monotonic() + 30
    while True:
        with stack.client("a_curator") as c:
            log = c.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
        if [d["status"] for d in log] == ["success", "failed"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [(d["attempt"], d["status"], d["response_status"]) for d in log] == [
        (2, "success", 200),
        (1, "failed", 500),
    ]
    assert log[1]["error"] == "HTTP 500" and all(isinstance(d["latency_ms"], int) for d in log)
    assert {d["delivery_id"] for d in log} == {first.headers["x-hivemind-delivery"]}
    state = _endpoint(stack, "a_curator", hook["id"])
    assert (
        state["active"] and state["consecutive_failures"] == 0 and state["last_delivery_status"] == "success"
    )
    # only the subscribed type was sent: no contribution.created
    assert {r.headers["x-hivemind-event"] for r in receiver.received("/hook-a")} == {"knowledge.approved"}


def test_an_endpoint_that_keeps_failing_is_disabled_and_can_be_resumed(
    stack: AgentStack, receiver: Receiver
) -> None:
    receiver.answer("/hook-dead", always=500)
    hook = _create(stack, "b_curator", receiver.base_url + "/hook-dead")  # every event type
    stack.add_item("b", _tip("nobody listens"))  # contribution.created + knowledge.approved: 2 × 5 attempts

    deadline = time.monotonic() + 90
    while _endpoint(stack, "b_curator", hook["id"])["active"]:
        assert time.monotonic() < deadline, "the failing endpoint was never disabled"
        time.sleep(0.3)
    state = _endpoint(stack, "b_curator", hook["id"])
    assert state["consecutive_failures"] == 10
    assert (
        "10 consecutive failed deliveries" in state["disabled_reason"]
        and "HTTP 500" in state["disabled_reason"]
    )
    assert len(receiver.received("/hook-dead")) == 10

    stack.add_item("b", _tip("while disabled"))
    time.sleep(3)
    assert len(receiver.received("/hook-dead")) == 10  # a disabled endpoint gets nothing

    receiver.answer("/hook-dead", always=200)
    with stack.client("b_curator") as c:
        resumed = c.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": True}).json()
    assert resumed["active"] and resumed["consecutive_failures"] == 0 and resumed["disabled_reason"] is None
    item = stack.add_item("b", _tip("after resuming"))
    got = receiver.wait_for("/hook-dead", 12)[10:]
    assert {json.loads(r.body)["type"] for r in got} == {"contribution.created", "knowledge.approved"}
    assert any(json.loads(r.body)["item"].get("id") == item for r in got)


def test_crud_auth_and_validation(stack: AgentStack, receiver: Receiver) -> None:
    url = receiver.base_url + "/hook-crud"
    with stack.client(None) as c:
        assert c.get("/api/v1/webhooks").status_code == 401
    for role in ("a", "a_reader"):  # contributor and reader keys may not manage webhooks
        with stack.client(role) as c:
            assert c.get("/api/v1/webhooks").status_code == 403
            assert c.post("/api/v1/webhooks", json={"url": url}).status_code == 403
    with stack.client("a_curator") as c:
        for bad, message in (
            ("ftp://example.com/x", "http:// or https://"),
            ("not a url", "http:// or https://"),
            ("http://user:pw@example.com/", "credentials"),
            ("http:///path", "no host"),
            ("http://example.com:99999/", "invalid port"),
        ):
            r = c.post("/api/v1/webhooks", json={"url": bad})
            assert r.status_code == 400 and message in r.json()["detail"], (bad, r.text)
        r = c.post("/api/v1/webhooks", json={"url": url, "event_types": ["knowledge.exploded"]})
        assert r.status_code == 400 and "unknown event type" in r.json()["detail"]
        assert c.post("/api/v1/webhooks", json={"event_types": []}).status_code == 422
        assert (
            stack.sql("SELECT count(*) FROM webhook_endpoints WHERE url LIKE %s", ("%hook-crud%",))[0][0] == 0
        )

        created = c.post("/api/v1/webhooks", json={"url": url, "event_types": ["knowledge.published"]}).json()
        listed = c.get("/api/v1/webhooks")
        assert created["secret"] not in listed.text and created["id"] in listed.text
        assert _endpoint(stack, "a_curator", created["id"])["secret_hint"] == created["secret"][:10] + "…"
        changed = c.patch(
            f"/api/v1/webhooks/{created['id']}",
            json={"url": url + "?v=2", "event_types": ["knowledge.deleted", "knowledge.published"]},
        ).json()
        assert changed["url"] == url + "?v=2" and changed["event_types"] == [
            "knowledge.deleted",
            "knowledge.published",
        ]
        assert c.patch(f"/api/v1/webhooks/{created['id']}", json={"url": "gopher://x"}).status_code == 400
        rotated = c.post(f"/api/v1/webhooks/{created['id']}/rotate-secret").json()
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
        paused = c.patch(f"/api/v1/webhooks/{created['id']}", json={"active": False}).json()
        assert paused["active"] is False
        assert c.get("/api/v1/webhooks/not-a-uuid").status_code == 400
        assert c.get(f"/api/v1/webhooks/{created['id']}/deliveries", params={"limit": 0}).status_code == 422

    with stack.client("b_curator") as other:  # another org's endpoint does not exist for beta
        wid = created["id"]
        assert other.get(f"/api/v1/webhooks/{wid}").status_code == 404
        assert other.patch(f"/api/v1/webhooks/{wid}", json={"active": True}).status_code == 404
        assert other.post(f"/api/v1/webhooks/{wid}/rotate-secret").status_code == 404
        assert other.get(f"/api/v1/webhooks/{wid}/deliveries").status_code == 404
        assert other.delete(f"/api/v1/webhooks/{wid}").status_code == 404
        assert wid not in other.get("/api/v1/webhooks").text

    with stack.client("a_curator") as c:
        assert c.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
        assert c.get(f"/api/v1/webhooks/{created['id']}").status_code == 404
    actions = [
        a
        for (a,) in stack.sql(
            "SELECT action FROM audit_log WHERE target_id = %s ORDER BY id", (created["id"],)
        )
    ]
    assert actions == [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.updated",
        "webhook.deleted",
    ]


async def test_private_targets_are_refused_unless_allowed(db, monkeypatch: pytest.MonkeyPatch) -> None:
    from hivemind_api.accounts.orgs import create_org

    monkeypatch.delenv("HIVEMIND_WEBHOOK_ALLOW_PRIVATE", raising=False)
    reset_settings()
    async with session_scope() as s:
        org = await create_org(s, "wh-" + uuid.uuid4().hex[:8])
    actor = Caller.system(org_id=org.id, name="test")
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://[::ffff:127.0.0.1]/x",
    ):
        with pytest.raises(TargetRefused, match="HIVEMIND_WEBHOOK_ALLOW_PRIVATE"):
            async with session_scope() as s:
                await endpoints.create_endpoint(s, org.id, actor, url=url)
    async with session_scope() as s:
        assert await endpoints.list_endpoints(s, org.id) == []

    # Saved while allowed, delivered after the setting is gone (or DNS now points inside): refused then too.
    monkeypatch.setenv("HIVEMIND_WEBHOOK_ALLOW_PRIVATE", "1")
    reset_settings()
    async with session_scope() as s:
        created = await endpoints.create_endpoint(s, org.id, actor, url="http://127.0.0.1:9/x")
    monkeypatch.delenv("HIVEMIND_WEBHOOK_ALLOW_PRIVATE")
    reset_settings()
    event = EventRecord(1, "knowledge.approved", org.id, False, {"id": "x"}, datetime.now(UTC))
    claimed = delivery._Claimed(1, created.endpoint.id, created.endpoint.url, created.secret, event)
    result = await delivery.send(claimed, get_settings())
    assert result.status == "failed" and "HIVEMIND_WEBHOOK_ALLOW_PRIVATE" in result.error
    reset_settings()


async def test_a_duplicate_job_for_one_attempt_sends_it_once(
    db, database_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from hivemind_api.accounts.orgs import create_org

    monkeypatch.setenv("HIVEMIND_WEBHOOK_ALLOW_PRIVATE", "1")
    reset_settings()
    receiver = Receiver()
    try:
        async with session_scope() as s:
            org = await create_org(s, "whd-" + uuid.uuid4().hex[:8])
            made = await endpoints.create_endpoint(
                s, org.id, Caller.system(org_id=org.id, name="test"), url=receiver.base_url + "/once"
            )
        with psycopg.connect(database_url, autocommit=True) as c:
            event = c.execute(
                "INSERT INTO events (type, org_id, summary) VALUES ('knowledge.approved', %s, '{}') "
                "RETURNING id",
                (org.id,),
            ).fetchone()[0]
            attempt = c.execute(
                "INSERT INTO webhook_deliveries (endpoint_id, event_id) VALUES (%s, %s) RETURNING id",
                (made.endpoint.id, event),
            ).fetchone()[0]
        first = await delivery._claim(attempt)  # job 1 has claimed the attempt and is sending it …
        assert isinstance(first, delivery._Claimed)
        duplicate, following = await delivery.deliver_attempt(attempt)  # … when a re-enqueued copy runs
        assert duplicate.status == "skipped" and following is None
        assert receiver.received("/once") == []
        result = await delivery.send(first, get_settings())  # job 1 finishes
        assert result.status == "success" and len(receiver.received("/once")) == 1
    finally:
        receiver.close()
        monkeypatch.delenv("HIVEMIND_WEBHOOK_ALLOW_PRIVATE")
        reset_settings()
