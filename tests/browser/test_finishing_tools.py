"""Issue 19's dashboard flows in a real browser: a curator approves a contribution as a version
fork with a corrected category, range and text; the item page shows the quality's parts, the
version ranges, the fork and both texts; a curator marks an item incorrect with a reason and
clears the mark."""

from __future__ import annotations

import time

import httpx
import psycopg
from playwright.sync_api import Page, expect

from tests.browser.helpers import ADMIN, TIMEOUT, agent_key, api_url, ensure_accounts, sign_in, wait_status


def _contribute(key: str, content: str, version_range: str) -> str:
    r = httpx.post(
        api_url() + "/api/v1/knowledge",
        headers={"X-API-Key": key},
        json={
            "content": content,
            "category": "bug_fix",
            "framework": "django",
            "version_range": version_range,
        },
        timeout=60,
    )
    assert r.status_code == 202, r.text
    return r.json()["contribution_id"]


def _fetch(key: str, item_id: str) -> dict:
    r = httpx.get(f"{api_url()}/api/v1/knowledge/{item_id}", headers={"X-API-Key": key}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_approve_as_a_fork_with_corrections_and_read_it_on_the_item_page(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = agent_key(cli)
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"curator-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    case = time.time_ns()
    old_text = (
        f"Django sessions drop after deploys (case {case}) because SECRET_KEY rotates; "
        "set SECRET_KEY_FALLBACKS to the previous key so signed sessions stay valid."
    )
    first = _contribute(agent, old_text, ">=4.1")
    assert wait_status(cli, first) == "pending"
    old_item = httpx.post(
        f"{api_url()}/api/v1/contributions/{first}/approve",
        headers={"X-API-Key": curator},
        json={},
        timeout=30,
    ).json()["item_id"]
    second = _contribute(agent, old_text.replace("drop after deploys", "are lost after each deploy"), ">=4.1")
    assert wait_status(cli, second) == "pending"

    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/review")
    page.locator(f"#open-{second}").click()
    expect(page.locator("#approve-range")).to_have_value(">=4.1", timeout=TIMEOUT)
    page.locator(f"#fork-{old_item}").click()
    page.locator("#approve-category").click()
    page.get_by_role("option", name="config").click()
    page.locator("#approve-range").fill(">=5")
    page.locator("#edit-toggle").click()
    edited = (
        f"Django 5 sessions survive deploys (case {case}): list the old key in SECRET_KEY_FALLBACKS "
        "and remove it after SESSION_COOKIE_AGE. Ask ops.team@northwind-traders.io for the rotation plan."
    )
    page.locator("#edit-text").fill(edited)
    page.locator("#approve").click()
    expect(page.get_by_text("Approved 1 contribution")).to_be_visible(timeout=TIMEOUT)

    with psycopg.connect(cli.env["HIVEMIND_DATABASE_URL"]) as c:
        new_id = str(
            c.execute("SELECT knowledge_item_id FROM contributions WHERE id = %s", (second,)).fetchone()[0]
        )
    got = _fetch(agent, new_id)
    assert (got["category"], got["version_range"], got["forked_from"]) == ("config", ">=5", old_item)
    assert "SESSION_COOKIE_AGE" in got["content"] and "northwind-traders.io" not in got["content"]
    assert _fetch(agent, old_item)["version_range"] == ">=4.1,<5"

    page.goto(f"{base}/knowledge?item={new_id}")
    expect(page.locator("#item-versions")).to_have_text("django >=5", timeout=TIMEOUT)
    for part in ("usefulness", "popularity", "freshness", "penalty"):
        expect(page.locator(f"#item-{part}")).to_have_text(f"{got['quality'][part]:.2f}")
    expect(page.locator("#item-votes-own")).to_have_text("none")
    revisions = page.locator("#item-revisions .revision")
    expect(revisions).to_have_count(2)
    expect(revisions.nth(0)).to_contain_text("as contributed")
    expect(revisions.nth(0)).to_contain_text("are lost after each deploy")
    expect(revisions.nth(1)).to_contain_text("curator's edit")
    expect(revisions.nth(1)).to_contain_text("[EMAIL]")
    page.locator("#item-forked-from").click()
    expect(page.locator("#item-versions")).to_have_text("django >=4.1,<5", timeout=TIMEOUT)
    ranges = page.locator("#item-ranges .range")
    expect(ranges).to_have_count(2)
    expect(ranges.nth(0)).to_contain_text(">=4.1")
    expect(ranges.nth(1)).to_contain_text(">=4.1,<5")
    expect(page.locator(f"#fork-{new_id}")).to_be_visible()


def test_a_curator_marks_an_item_incorrect_and_clears_the_mark(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = agent_key(cli)
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"curator-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    cid = _contribute(
        agent,
        f"Celery beat runs tasks twice (case {time.time_ns()}) when two beat processes share a schedule; "
        "run exactly one beat per deployment.",
        ">=5",
    )
    assert wait_status(cli, cid) == "pending"
    item = httpx.post(
        f"{api_url()}/api/v1/contributions/{cid}/approve", headers={"X-API-Key": curator}, json={}, timeout=30
    ).json()["item_id"]
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(f"{base}/knowledge?item={item}")
    expect(page.locator("#item-penalty")).to_have_text("0.00", timeout=TIMEOUT)
    page.locator("#mark-choice").click()
    page.get_by_role("option", name="incorrect").click()
    page.locator("#mark").click()
    expect(page.get_by_text("a reason is required")).to_be_visible(timeout=TIMEOUT)
    page.locator("#mark-reason").fill("beat has a lock since 5.3")
    page.locator("#mark").click()
    expect(page.locator("#item-mark")).to_have_text("incorrect: beat has a lock since 5.3", timeout=TIMEOUT)
    expect(page.locator("#item-penalty")).to_have_text("0.60")
    q = _fetch(agent, item)
    assert (q["quality"]["curator_mark"], q["invalid_at"] is not None) == ("incorrect", True)
    page.locator("#mark-clear").click()
    expect(page.locator("#item-mark")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator("#item-penalty")).to_have_text("0.00")
    assert _fetch(agent, item)["invalid_at"] is None
