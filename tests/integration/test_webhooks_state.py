"""The webhooks settings handlers, called as browser events would call them."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_api.webhooks import endpoints
from hivemind_app.pages.webhooks import WebhooksState
from tests.integration.dashboard import signed_in

PUBLIC_URL = "https://93.184.216.34/hivemind"  # a public address: saving it needs no DNS and sends nothing


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "whs-" + uuid.uuid4().hex[:8])


async def test_curator_adds_pauses_resumes_rotates_and_deletes(org, database_url) -> None:
    curator = await signed_in(WebhooksState, org, "curator")
    curator.set_new_url(PUBLIC_URL)
    curator.toggle_type("knowledge.published", True)
    curator.toggle_type("knowledge.approved", True)
    curator.toggle_type("knowledge.approved", False)
    curator.toggle_type("not.a.type", True)  # a forged value changes nothing
    assert curator.new_types == ["knowledge.published"]
    assert "Webhook added" in str(await curator.create())
    secret = curator.created_secret
    assert secret.startswith("whsec_") and secret not in str(curator.rows)
    [row] = curator.rows
    assert (row["url"], row["types"], row["status"], row["last"]) == (
        PUBLIC_URL,
        "knowledge.published",
        "active",
        "never",
    )
    curator.dismiss_secret()
    assert curator.created_secret == ""

    assert "paused" in str(await curator.pause(row["id"]))
    assert curator.rows[0]["status"] == "paused"
    assert "resumed" in str(await curator.resume(row["id"]))
    await curator.rotate(row["id"])
    assert curator.created_secret.startswith("whsec_") and curator.created_secret != secret
    with psycopg.connect(database_url) as c:
        assert (
            c.execute("SELECT secret FROM webhook_endpoints WHERE id = %s", (row["id"],)).fetchone()[0]
            == curator.created_secret
        )
    await curator.show_log(row["id"])
    assert curator.log_for == row["id"] and curator.log_rows == []
    assert "deleted" in str(await curator.delete(row["id"]))
    assert curator.rows == []


async def test_bad_input_is_a_message_and_stores_nothing(org, database_url) -> None:
    admin = await signed_in(WebhooksState, org, "admin")
    for url, message in (
        ("ftp://x.org/", "http:// or https://"),
        ("http://127.0.0.1:9/x", "private, loopback"),
        ("", "required"),
    ):
        admin.set_new_url(url)
        assert await admin.create() is None and message in admin.error
    assert admin.rows == [] and admin.created_secret == ""


async def test_viewers_read_but_cannot_change_and_other_orgs_are_invisible(org) -> None:
    async with session_scope() as s:
        made = await endpoints.create_endpoint(
            s, org.id, Caller.system(org_id=org.id, name="seed"), url=PUBLIC_URL
        )
    viewer = await signed_in(WebhooksState, org, "viewer")
    assert not viewer.can_manage and [r["id"] for r in viewer.rows] == [str(made.endpoint.id)]
    viewer.set_new_url(PUBLIC_URL + "/2")
    assert "Only curators and admins" in str(await viewer.create())
    for action in (viewer.pause, viewer.resume, viewer.rotate, viewer.delete):
        assert "Only curators and admins" in str(await action(str(made.endpoint.id)))
    await viewer.show_log(str(made.endpoint.id))  # reading the log is fine
    assert viewer.log_for == str(made.endpoint.id)

    async with session_scope() as s:
        other = await create_org(s, org.slug + "-x")
    outsider = await signed_in(WebhooksState, other, "admin", "outsider")
    assert outsider.rows == []
    assert "not found" in str(await outsider.delete(str(made.endpoint.id)))
    assert "not found" in str(await outsider.show_log(str(made.endpoint.id)))
    async with session_scope() as s:
        assert [e.id for e in await endpoints.list_endpoints(s, org.id)] == [made.endpoint.id]
