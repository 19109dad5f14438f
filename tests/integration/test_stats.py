"""Statistics through the real server, checked against numbers this test derives from what it
seeded itself, and proof that no figure moves when another org does private things."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.agent_stack import AgentStack

TIPS = {
    "redis": (
        "bug_fix",
        "redis",
        "Redis {t}: raise maxmemory-policy to allkeys-lru when the cache evicts session keys.",
    ),
    "django": (
        "config",
        "django",
        "Django {t}: set CONN_MAX_AGE=60 so each request stops opening a new Postgres connection.",
    ),
    "nginx": (
        "bug_fix",
        "nginx",
        "Nginx {t}: proxy_read_timeout must exceed gunicorn's --timeout or uploads fail.",
    ),
    "private-acme": (
        "tooling",
        "terraform",
        "Terraform {t}: our state bucket needs the eu-west-1 VPC endpoint.",
    ),
    "private-acme-2": (
        "workaround",
        "kubectl",
        "Kubectl {t}: staging needs the staging-eu VPN profile first.",
    ),
    "beta-public": (
        "bug_fix",
        "celery",
        "Celery {t}: task_acks_late with visibility_timeout above the longest task.",
    ),
    "beta-secret": (
        "pricing_data",
        "secretframework",
        "Pricing {t}: our enterprise tier costs 42k for 300 seats.",
    ),
}


def _add(stack: AgentStack, who: str, name: str, *, public: bool) -> str:
    category, framework, text = TIPS[name]
    return stack.add_item(
        who, text.format(t=uuid.uuid4().hex[:8]), public=public, category=category, framework=framework
    )


def _get(stack: AgentStack, who: str, path: str, **params: str) -> dict:
    with stack.client(who) as c:
        r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def seeded(stack: AgentStack) -> dict:
    ids = {
        "redis": _add(stack, "a", "redis", public=True),
        "django": _add(stack, "a", "django", public=True),
        "nginx": _add(stack, "a2", "nginx", public=True),
        "private-acme": _add(stack, "a", "private-acme", public=False),
        "beta-public": _add(stack, "b", "beta-public", public=True),
    }
    # One acme item entered the commons 3 days ago, another 10 days ago (as if approved then).
    now = datetime.now(UTC)
    for name, days in (("django", 3), ("nginx", 10)):
        stack.sql(
            "UPDATE knowledge_items SET published_at = %s WHERE id = %s",
            (now - timedelta(days=days), ids[name]),
        )
    pending = stack.contribute("a", TIPS["private-acme-2"][2].format(t="pending"), category="workaround")
    assert stack.wait_processed(pending) == "pending"
    rejected = stack.contribute(
        "a2", "Kubectl tip: always read the docs before you upgrade the cluster version."
    )
    assert stack.wait_processed(rejected) == "pending"
    with stack.client("a_curator") as c:
        assert c.post(f"/api/v1/contributions/{rejected}/reject", json={"reason": "vague"}).status_code == 200

    def fetch(who: str, name: str, times: int) -> None:
        for _ in range(times):
            _get(stack, who, f"/api/v1/knowledge/{ids[name]}")

    fetch("b", "redis", 3)  # other org's agent reads acme's items
    fetch("b", "nginx", 1)
    fetch("a2", "redis", 2)  # acme's own other agent
    fetch("a", "beta-public", 1)  # acme takes from beta
    outcomes = [
        ("b", "redis", "solved", "r1"),
        ("b", "nginx", "did_not_help", "r2"),
        ("a2", "redis", "solved", "r3"),
        ("a", "redis", "solved", "r4"),
    ]  # the last one is a self-vote
    for who, name, outcome, run in outcomes:
        with stack.client(who) as c:
            r = c.post("/api/v1/outcomes", json={"item_id": ids[name], "outcome": outcome, "run_id": run})
        assert r.status_code == 202, r.text
    return ids


def test_commons_counts_public_items_only(stack: AgentStack, seeded: dict) -> None:
    stats = _get(stack, "b", "/api/v1/stats/commons")
    for_acme = _get(stack, "a", "/api/v1/stats/commons")
    # the same commons for everyone; only the pending count is the caller's own org's
    assert {**stats, "total_pending": 0} == {**for_acme, "total_pending": 0}
    public = ["redis", "django", "nginx", "beta-public"]
    assert stats["total_items"] == 4
    assert stats["added_24h"] == 2  # redis and beta-public; django entered 3 days ago, nginx 10
    assert stats["added_7d"] == 3
    assert stats["growth_ratio_24h"] == round(2 / 2, 4) and stats["growth_ratio_7d"] == round(3 / 1, 4)
    assert stats["retrieval_volume_24h"] == 3 + 1 + 2 + 1  # every read of a public item
    assert stats["frameworks_covered"] == len({TIPS[n][1] for n in public})
    assert stats["contributing_orgs"] == 2
    expected_categories = Counter(TIPS[n][0] for n in public)
    assert {c["category"]: c["count"] for c in stats["categories"]} == dict(expected_categories)
    daily = stats["daily"]
    assert len(daily) == 30 and sum(d["added"] for d in daily) == 4 and daily[-1]["total"] == 4
    today = datetime.now(UTC).date()
    by_day = {d["date"]: d for d in daily}
    assert by_day[str(today)]["added"] == 2
    assert by_day[str(today - timedelta(days=3))]["added"] == 1
    assert by_day[str(today - timedelta(days=10))]["added"] == 1
    assert by_day[str(today - timedelta(days=11))]["total"] == 0
    assert by_day[str(today - timedelta(days=4))]["total"] == 1


def test_no_figure_moves_when_another_org_acts_in_private(stack: AgentStack, seeded: dict) -> None:
    before_commons = _get(stack, "a", "/api/v1/stats/commons")
    before_org = _get(stack, "a", "/api/v1/stats/org")
    secret = _add(stack, "b", "beta-secret", public=False)  # beta's private pricing item …
    _get(stack, "b", f"/api/v1/knowledge/{secret}")  # … read by beta …
    pending = stack.contribute(
        "b", "Celery pending tip: prefetch multiplier 1 for long tasks on small workers."
    )
    assert stack.wait_processed(pending) == "pending"  # … and a pending contribution
    after_commons = _get(stack, "a", "/api/v1/stats/commons")
    assert after_commons == before_commons
    assert "pricing_data" not in {c["category"] for c in after_commons["categories"]}
    assert _get(stack, "a", "/api/v1/stats/org") == before_org
    # acme asking about beta's agent learns nothing: agents are looked up in the caller's org only
    assert _get(stack, "a", "/api/v1/stats/user", agent_id="agent-b") == {
        "agent_id": "agent-b",
        "agent_contributions": 0,
        "agent_pending": 0,
        "agent_approved": 0,
        "agent_items_live": 0,
        "agent_retrievals_received": 0,
        "agent_retrievals_by_others": 0,
        "agent_helpful": 0,
        "agent_not_helpful": 0,
        "agent_helpful_ratio": None,
    }


def test_org_reciprocity_ledger(stack: AgentStack, seeded: dict) -> None:
    org = _get(stack, "a_reader", "/api/v1/stats/org")
    # acme: 4 approved (redis, django, nginx, private) + 1 pending + 1 rejected
    assert (org["contributions_total"], org["contributions_pending"], org["contributions_approved_24h"]) == (
        6,
        1,
        4,
    )
    assert (org["items_live"], org["items_public"]) == (4, 3)
    assert org["retrievals_by_others"] == 3 + 1 and org["retrievals_by_own"] == 2
    assert org["retrievals_from_others"] == 1
    assert (org["helpful_count"], org["not_helpful_count"]) == (1, 1)
    assert (org["helpful_by_own"], org["not_helpful_by_own"]) == (1, 0)  # a's self-vote is not counted
    top = org["top_items"]
    assert top[0]["id"] == seeded["redis"] and top[0]["retrievals_by_others"] == 3
    assert top[0]["helpful_by_others"] == 1 and top[0]["retrieval_count"] == 5
    assert top[1]["id"] == seeded["nginx"] and top[1]["retrievals_by_others"] == 1
    assert seeded["beta-public"] not in {t["id"] for t in top}


def test_user_stats_per_agent(stack: AgentStack, seeded: dict) -> None:
    a = _get(stack, "a_curator", "/api/v1/stats/user", agent_id="agent-a")
    # agent-a: redis, django, private-acme approved; one pending
    assert (a["agent_contributions"], a["agent_pending"], a["agent_approved"], a["agent_items_live"]) == (
        4,
        1,
        3,
        3,
    )
    assert a["agent_retrievals_received"] == 3 + 2 and a["agent_retrievals_by_others"] == 3
    assert (a["agent_helpful"], a["agent_not_helpful"], a["agent_helpful_ratio"]) == (2, 0, 1.0)
    mine = _get(stack, "a2", "/api/v1/stats/user")  # default: the calling key's agent
    assert mine["agent_id"] == "agent-a2"
    assert (mine["agent_contributions"], mine["agent_approved"], mine["agent_items_live"]) == (2, 1, 1)
    assert (mine["agent_helpful"], mine["agent_not_helpful"], mine["agent_helpful_ratio"]) == (0, 1, 0.0)


def test_stats_auth_and_bad_input(stack: AgentStack) -> None:
    for path in ("/api/v1/stats/commons", "/api/v1/stats/org", "/api/v1/stats/user"):
        with stack.client(None) as c:
            assert c.get(path).status_code == 401
        with stack.client("hm_not-a-key") as c:
            assert c.get(path).status_code == 401
    with stack.client("a") as c:
        assert c.get("/api/v1/stats/user", params={"agent_id": "x" * 201}).status_code == 422
        assert c.get("/api/v1/stats/user", params={"agent_id": ""}).status_code == 422
