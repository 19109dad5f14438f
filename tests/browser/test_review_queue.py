"""The review queue in a real browser: approve and find the item through search, reject with a
reason, bulk approve, and a viewer without actions."""

from __future__ import annotations

import re
import time

import httpx
import psycopg
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    ADMIN,
    TIMEOUT,
    VIEWER,
    agent_key,
    api_url,
    contribute,
    ensure_accounts,
    sign_in,
    wait_status,
)


def test_approve_reject_and_bulk_approve_from_the_queue(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    key = agent_key(cli)
    approve_me = contribute(
        key,
        "Gunicorn workers time out behind nginx when proxy_read_timeout is lower than "
        "the gunicorn --timeout; raise proxy_read_timeout to match.",
    )
    reject_me = contribute(key, "Restarting the laptop fixed the flaky docker build, probably a cache issue.")
    bulk = [
        contribute(
            key,
            f"Bulk tip {i}: pin pip to a version in CI images so resolver changes do not "
            f"break builds unexpectedly (case {i}).",
        )
        for i in range(2)
    ]
    for cid in (approve_me, reject_me, *bulk):
        assert wait_status(cli, cid) == "pending"
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/review")
    expect(page.locator(f"#row-{approve_me}")).to_be_visible(timeout=TIMEOUT)

    page.locator(f"#open-{approve_me}").click()
    expect(page.locator("#detail-title")).to_contain_text("Gunicorn workers time out", timeout=TIMEOUT)
    expect(page.locator("#detail-reasons")).to_contain_text("decided contributions")
    page.locator("#approve").click()
    expect(page.get_by_text("Approved 1 contribution")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(f"#row-{approve_me}")).to_have_count(0)
    found = httpx.get(
        api_url() + "/api/v1/knowledge/search",
        headers={"X-API-Key": key},
        params={"query": "gunicorn worker timeout behind nginx"},
        timeout=60,
    ).json()
    assert found["results"] and found["results"][0]["title"].startswith("Gunicorn workers time out")
    item_id = found["results"][0]["id"]
    page.goto(base + "/knowledge")  # and in the dashboard's knowledge browser
    page.locator("#search").fill("gunicorn worker timeout behind nginx")
    page.locator(f"#result-{item_id}").click()
    expect(page.locator("#item-title")).to_contain_text("Gunicorn workers time out", timeout=TIMEOUT)
    expect(page.locator("#item-integrity")).to_have_text("verified")
    page.locator("#publish").click()
    expect(page.locator("#item-public")).to_have_text("public", timeout=TIMEOUT)
    page.goto(base + "/review")

    page.locator(f"#open-{reject_me}").click()
    expect(page.locator("#detail-title")).to_contain_text("Restarting the laptop", timeout=TIMEOUT)
    page.locator("#reject-reason").fill("not a reproducible fix")
    page.locator("#reject").click()
    expect(page.get_by_text("Rejected 1 contribution")).to_be_visible(timeout=TIMEOUT)
    with psycopg.connect(cli.env["HIVEMIND_DATABASE_URL"]) as c:
        assert c.execute(
            "SELECT status, rejection_reason FROM contributions WHERE id = %s", (reject_me,)
        ).fetchone() == ("rejected", "not a reproducible fix")

    for cid in bulk:
        page.locator(f"#select-{cid}").click()
    page.locator("#bulk-approve").click()
    expect(page.get_by_text("Approved 2 contributions")).to_be_visible(timeout=TIMEOUT)
    for cid in bulk:
        expect(page.locator(f"#row-{cid}")).to_have_count(0)
        assert wait_status(cli, cid) == "approved"


def test_a_viewer_sees_the_queue_without_actions(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    cid = contribute(
        agent_key(cli),
        "For viewers: `git fetch --prune` removes remote-tracking branches that "
        "no longer exist on the remote.",
    )
    assert wait_status(cli, cid) == "pending"
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, VIEWER)
    page.goto(base + "/review")
    expect(page.locator(f"#row-{cid}")).to_be_visible(timeout=TIMEOUT)
    page.locator(f"#open-{cid}").click()
    expect(page.locator("#detail-title")).to_contain_text("git fetch --prune", timeout=TIMEOUT)
    expect(page.locator("#approve")).to_have_count(0)
    expect(page.locator("#bulk-approve")).to_have_count(0)
    expect(page.locator(f"#select-{cid}")).to_have_count(0)


def test_similar_items_link_to_the_knowledge_browser(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = agent_key(cli)
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"curator-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    text = (
        "Kafka consumers rebalance in a loop when max.poll.interval.ms is shorter than the time a batch takes; "
        "raise it or lower max.poll.records so each poll finishes in time."
    )
    first = contribute(agent, text)
    assert wait_status(cli, first) == "pending"
    r = httpx.post(
        f"{api_url()}/api/v1/contributions/{first}/approve",
        headers={"X-API-Key": curator},
        json={},
        timeout=30,
    )
    item_id = r.json()["item_id"]
    again = contribute(agent, text.replace("in a loop", "over and over"))
    assert wait_status(cli, again) == "pending"
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/review")
    page.locator(f"#open-{again}").click()
    page.locator(f"#similar-{item_id}").click()
    expect(page).to_have_url(re.compile(r"/knowledge\?item="), timeout=TIMEOUT)
    expect(page.locator("#item-title")).to_contain_text("Kafka consumers rebalance", timeout=TIMEOUT)
