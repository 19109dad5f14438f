"""The backend's feed listener: one LISTEN connection, feeds rebuilt from the events table, and
nothing lost when that connection dies (it reconnects and catches up)."""

from __future__ import annotations

import json
import time
import uuid

import psycopg
import pytest
import reflex as rx
from redis import Redis

from tests.integration.backend import backend
from tests.integration.test_health import _env

pytestmark = pytest.mark.usefixtures("external_target")


def _event(url: str, org_id: uuid.UUID, title: str, *, public: bool, notify: bool) -> None:
    with psycopg.connect(url, autocommit=True) as c:
        event_id = c.execute(
            "INSERT INTO events (type, org_id, is_public, summary) VALUES (%s, %s, %s, %s) RETURNING id",
            (
                "knowledge.published" if public else "knowledge.approved",
                org_id,
                public,
                json.dumps({"title": title, "category": "tooling"}),
            ),
        ).fetchone()[0]
        if notify:
            c.execute("SELECT pg_notify('hivemind_events', %s)", (str(event_id),))


async def _titles(token: str, cls: type) -> list[str]:
    """The titles a feed state holds right now, in the backend's own state manager."""
    from hivemind_app.hivemind_app import app

    state = await app.state_manager.get_state(rx.BaseStateToken(ident=token, cls=cls))
    return [e["title"] for e in (await state.get_state(cls)).entries]


def _poll(client, token: str, cls: type, done, timeout: float = 10) -> list[str]:
    """The feed's titles once ``done(titles)`` holds, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        seen = client.portal.call(_titles, token, cls)
        if done(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def test_feeds_follow_the_events_table_across_a_lost_connection(external_target) -> None:
    from hivemind_app.state.feed import PUBLIC_TOKEN, OrgFeedState, PublicFeedState, joined_orgs, org_token

    redis_url = external_target.redis_url.rsplit("/", 1)[0] + "/10"
    Redis.from_url(redis_url).flushdb()
    url = external_target.create_database()
    with backend(_env(url, redis_url)) as client:
        with psycopg.connect(url, autocommit=True) as c:
            org = c.execute(
                "INSERT INTO orgs (slug, name) VALUES ('feedorg', 'Feed Org') RETURNING id"
            ).fetchone()[0]
        joined_orgs.add(org)  # as if a member's tab had joined the org's feed

        def wait_for_title(token: str, cls: type, title: str) -> list[str]:
            return _poll(client, token, cls, lambda seen: title in seen)

        _event(url, org, "first public", public=True, notify=True)
        assert "first public" in wait_for_title(PUBLIC_TOKEN, PublicFeedState, "first public")
        _event(url, org, "first private", public=False, notify=True)
        assert "first private" in wait_for_title(org_token(org), OrgFeedState, "first private")
        assert "first private" not in client.portal.call(_titles, PUBLIC_TOKEN, PublicFeedState)

        with psycopg.connect(url, autocommit=True) as c:  # the listener's connection dies …
            killed = c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
            ).fetchall()
        assert killed == [(True,)]  # exactly one LISTEN connection in this process
        _event(url, org, "while away", public=True, notify=False)  # … and this notification is never sent
        assert "while away" in wait_for_title(PUBLIC_TOKEN, PublicFeedState, "while away")
        _event(url, org, "after reconnect", public=False, notify=True)
        assert "after reconnect" in wait_for_title(org_token(org), OrgFeedState, "after reconnect")
        joined_orgs.discard(org)


def test_a_purged_or_quarantined_item_leaves_the_open_feeds_at_once(external_target) -> None:
    from hivemind_app.state.feed import PUBLIC_TOKEN, PublicFeedState

    redis_url = external_target.redis_url.rsplit("/", 1)[0] + "/10"
    Redis.from_url(redis_url).flushdb()
    url = external_target.create_database()
    with backend(_env(url, redis_url)) as client:
        with psycopg.connect(url, autocommit=True) as c:
            org = c.execute(
                "INSERT INTO orgs (slug, name) VALUES ('leaveorg', 'Leave Org') RETURNING id"
            ).fetchone()[0]

        def wait(predicate) -> list[str]:
            return _poll(client, PUBLIC_TOKEN, PublicFeedState, predicate)

        _event(url, org, "soon purged", public=True, notify=True)
        assert "soon purged" in wait(lambda seen: "soon purged" in seen)
        with psycopg.connect(url, autocommit=True) as c:  # what purge does to the table, then its event
            c.execute(
                "UPDATE events SET summary = jsonb_build_object('purged', true) WHERE summary->>'title' = 'soon purged'"
            )
            event_id = c.execute(
                "INSERT INTO events (type, org_id, is_public, summary) VALUES ('knowledge.purged', %s, "
                "true, '{\"purged\": true}') RETURNING id",
                (org,),
            ).fetchone()[0]
            c.execute("SELECT pg_notify('hivemind_events', %s)", (str(event_id),))
        assert "soon purged" not in wait(
            lambda seen: "soon purged" not in seen
        )  # not at the 5-minute heartbeat
