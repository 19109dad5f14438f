"""The analytics page's state: the same figures the stats domain computes, for the member's org."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from hivemind_api import stats
from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_app.pages.analytics import AnalyticsState
from tests.integration.dashboard import signed_in
from tests.utils.factories import insert_item


@pytest.fixture
async def org(db):
    async with session_scope() as s:
        return await create_org(s, "an-" + uuid.uuid4().hex[:8])


def _item(url: str, org_id, *, public: bool, days_ago: int, category: str, agent: str) -> None:
    insert_item(
        url,
        org_id,
        title=f"{category} tip",
        category=category,
        agent=agent,
        public=public,
        published_days_ago=days_ago,
    )


async def test_figures_match_the_domain_and_refresh(org, database_url) -> None:
    _item(database_url, org.id, public=True, days_ago=0, category="bug_fix", agent="bot-1")
    _item(database_url, org.id, public=True, days_ago=2, category="config", agent="bot-1")
    _item(database_url, org.id, public=False, days_ago=0, category="tooling", agent="bot-2")
    state = await signed_in(AnalyticsState, org, "viewer")
    async with session_scope() as s:
        commons = await stats.commons_stats(s, org.id)
    assert state.commons["total"] == str(commons.total_items)
    assert state.commons["added_24h"] == str(commons.added_24h)
    assert [d["added"] for d in state.daily] == [d.added for d in commons.daily] and len(state.daily) == 30
    assert {c["category"]: c["count"] for c in state.categories} == {
        k.category: k.count for k in commons.categories
    }
    assert state.ledger["items"] == "3" and state.ledger["public"] == "2"
    assert [a["agent"] for a in state.agents] == ["bot-1", "bot-2"]
    assert {t["title"] for t in state.top_items} == {"bug_fix tip", "config tip", "tooling tip"}
    _item(database_url, org.id, public=True, days_ago=0, category="workaround", agent="bot-3")
    await state.refresh()
    assert state.ledger["items"] == "4" and "bot-3" in [a["agent"] for a in state.agents]


async def test_home_and_analytics_count_the_same_live_items(org, database_url) -> None:
    """One definition of a live item: whatever state an item is in, both pages agree."""
    from hivemind_app.pages.home import HomeState

    states = {
        "live": "",
        "deleted": "deleted_at = now()",
        "quarantined": "quarantined_at = now()",
        "superseded": "expired_at = now()",
        "invalidated": "invalid_at = now() - interval '1 minute'",
        "invalid later": "invalid_at = now() + interval '1 day'",
        "not yet valid": "valid_at = now() + interval '1 day'",
        "valid since": "valid_at = now() - interval '1 day'",
    }
    for public in (True, False):
        for name, change in states.items():
            _item(database_url, org.id, public=public, days_ago=0, category="config", agent=name)
            if change:
                with psycopg.connect(database_url, autocommit=True) as c:
                    c.execute(
                        f"UPDATE knowledge_items SET {change} WHERE org_id = %s AND source_agent_id = %s",
                        (org.id, name),
                    )
    home = await signed_in(HomeState, org, "viewer")
    analytics = await signed_in(AnalyticsState, org, "viewer", name="viewer2")
    async with session_scope() as s:
        commons = await stats.commons_stats(s, org.id)
    assert home.org_items == 6 and home.public_items == 3  # live, invalid later, valid since; twice
    assert analytics.ledger["items"] == str(home.org_items)
    assert analytics.ledger["public"] == str(home.public_items)
    assert home.commons_items == commons.total_items
