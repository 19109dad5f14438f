"""Quarantine and purge in a real browser: items a re-screen failed are listed for the org's
curators with the evidence, released or purged from the knowledge page; a contribution is
purged from the review queue; a viewer sees neither the list nor the buttons."""

from __future__ import annotations

import time

import httpx
import psycopg
from playwright.sync_api import Page, expect

from hivemind_api.knowledge.text import content_hash
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


def _sql(cli, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(cli.env["HIVEMIND_DATABASE_URL"], autocommit=True) as c:
        cur = c.execute(query, params)
        return cur.fetchall() if cur.description else []


def _old_item(cli, agent: str, curator: str, text: str, extra: str) -> str:
    """An approved item whose stored text holds what older screens let through."""
    cid = contribute(agent, text)
    assert wait_status(cli, cid) == "pending"
    r = httpx.post(
        f"{api_url()}/api/v1/contributions/{cid}/approve", headers={"X-API-Key": curator}, json={}, timeout=30
    )
    item_id = r.json()["item_id"]
    stored = text + " " + extra
    _sql(
        cli,
        "UPDATE knowledge_items SET content = %s, content_hash = %s, screen_version = 'old' WHERE id = %s",
        (stored, content_hash(stored), item_id),
    )
    return item_id


def test_curators_release_and_purge_quarantined_items(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = agent_key(cli)
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"curator-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    tag = str(time.time_ns())
    keep = _old_item(
        cli,
        agent,
        curator,
        f"Gunicorn workers time out behind nginx when proxy_read_timeout is lower "
        f"than --timeout; align the two ({tag}).",
        "Thanks to sam.o@contoso.io.",
    )
    drop = _old_item(
        cli,
        agent,
        curator,
        f"Postgres autovacuum falls behind on hot tables; lower "
        f"autovacuum_vacuum_scale_factor per table ({tag}).",
        "The admin password is Zx9!kQ2#mW7vP4.",
    )
    done = cli("rescreen")
    assert "quarantined 2" in done.stdout, done.stdout
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/knowledge")
    expect(page.locator(f"#quarantined-{keep}")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(f"#reasons-{keep}")).to_contain_text("EMAIL")
    expect(page.locator(f"#reasons-{drop}")).to_contain_text("SECRET")
    page.locator(f"#release-{keep}").click()
    expect(page.locator(f"#quarantined-{keep}")).to_have_count(0, timeout=TIMEOUT)
    assert _sql(cli, "SELECT quarantined_at FROM knowledge_items WHERE id = %s", (keep,))[0][0] is None
    page.locator(f"#purge-{drop}").click()
    page.locator("#cancel").click()  # asked first: nothing happens on cancel
    assert _sql(cli, "SELECT count(*) FROM knowledge_items WHERE id = %s", (drop,))[0][0] == 1
    page.locator(f"#purge-{drop}").click()
    page.locator("#confirm").click()
    expect(page.locator(f"#quarantined-{drop}")).to_have_count(0, timeout=TIMEOUT)
    assert _sql(cli, "SELECT count(*) FROM knowledge_items WHERE id = %s", (drop,))[0][0] == 0
    assert (
        _sql(
            cli,
            "SELECT actor_label FROM audit_log WHERE action = 'knowledge_item.purged' AND target_id = %s",
            (drop,),
        )[0][0]
        == ADMIN[0]
    )
    # The released item is back in the knowledge browser, where a curator can also purge a live item.
    page.locator("#search").fill(f"Gunicorn proxy_read_timeout {tag}")
    page.locator(f"#result-{keep}").click()
    expect(page.locator("#item-title")).to_contain_text("Gunicorn", timeout=TIMEOUT)
    page.locator("#purge").click()
    page.locator("#confirm").click()
    expect(page.locator("#item")).to_have_count(0, timeout=TIMEOUT)
    assert _sql(cli, "SELECT count(*) FROM knowledge_items WHERE id = %s", (keep,))[0][0] == 0


def test_a_contribution_is_purged_from_the_review_queue(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = agent_key(cli)
    cid = contribute(
        agent,
        f"Redis evicts keys silently under maxmemory-policy allkeys-lru; use noeviction for "
        f"queues ({time.time_ns()}).",
    )
    assert wait_status(cli, cid) == "pending"
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/review")
    page.locator(f"#open-{cid}").click()
    page.locator("#purge").click()
    page.locator("#confirm").click()
    expect(page.locator(f"#row-{cid}")).to_have_count(0, timeout=TIMEOUT)
    assert _sql(cli, "SELECT count(*) FROM contributions WHERE id = %s", (cid,))[0][0] == 0


def test_a_viewer_sees_no_quarantine_and_cannot_purge(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = agent_key(cli)
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"curator-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    item = _old_item(
        cli,
        agent,
        curator,
        f"Terraform state locks stay after a crash; run terraform force-unlock "
        f"with the lock id ({time.time_ns()}).",
        "Ask bob.k@contoso.io.",
    )
    cli("rescreen")
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, VIEWER)
    page.goto(base + "/knowledge")
    expect(page.locator("#search")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(f"#quarantined-{item}")).to_have_count(0)
    expect(page.locator("#quarantine")).to_have_count(0)
    _sql(cli, "UPDATE knowledge_items SET quarantined_at = NULL WHERE id = %s", (item,))
    page.locator("#search").fill("Terraform force-unlock lock id")
    page.locator(f"#result-{item}").click()
    expect(page.locator("#item-title")).to_contain_text("Terraform", timeout=TIMEOUT)
    expect(page.locator("#purge")).to_have_count(0)
