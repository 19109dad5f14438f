"""The production shape in a real browser: two ``hivemind run --prod`` hosts (each its own backend
process serving the built dashboard, Reflex's state in the shared Redis) behind one balancing
proxy, one ``hivemind worker``, one PostgreSQL. A tab is put on each host; an approval made on
either host, or in the dashboard of one tab, reaches both tabs' live feeds, once each.

The dashboard is built for the proxy's address (``HIVEMIND_PUBLIC_URL``, as docs/deploy.md tells
operators to set it), so each tab's websocket goes through the proxy to the host the proxy chose.

Run it in a pytest invocation of its own (``make test`` does): the hosts build the checkout's
``.web``, which the other browser tests' dev-mode app serves, and that app's open tabs would
reload onto the new build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import ADMIN, TIMEOUT, ensure_accounts, sign_in, wait_status
from tests.integration.agent_stack import wait_healthy
from tests.integration.cluster import RedisServer
from tests.pg_tcp import TcpPostgres, free_port
from tests.utils.tcp_proxy import CuttableProxy

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Hosts:
    env: dict[str, str]
    ports: list[int]
    proxy: CuttableProxy

    def direct(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"


def _cli(env: dict[str, str], *args: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "hivemind_api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    work = tmp_path_factory.mktemp("two-hosts")
    pg = TcpPostgres(work / "pgdata", free_port()).start()
    redis_server = RedisServer(work / "redis").start()
    ports = [free_port(), free_port()]
    proxy = CuttableProxy("127.0.0.1", ports[0], ("127.0.0.1", ports[1]))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIVEMIND_", "REFLEX_"))}
    env.update(
        HIVEMIND_DATABASE_URL=pg.url,
        HIVEMIND_REDIS_URL=redis_server.url,
        HIVEMIND_BACKEND_WORKERS="1",
        HIVEMIND_PUBLIC_URL=proxy.url,
        REFLEX_TELEMETRY_ENABLED="false",
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with open(work / "worker.log", "ab") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "hivemind_api.cli", "worker"],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        # One host after the other: both build the same bundle into the checkout's .web.
        for i, port in enumerate(ports):
            log_path = work / f"host-{i}.log"
            with open(log_path, "ab") as log:
                app = subprocess.Popen(
                    [sys.executable, "-m", "hivemind_api.cli", "run", "--prod", "--backend-port", str(port)],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            procs.append(app)
            wait_healthy(f"http://127.0.0.1:{port}", app, log_path, timeout=900)  # may build the frontend
        yield Hosts(env, ports, proxy)
    finally:
        proxy.close()
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis_server.stop()
        pg.stop()


def _tab_on(hosts: Hosts, browser: Browser, index: int) -> Page:
    """A signed-in tab whose every connection (the page, its websocket) goes to host ``index``."""
    hosts.proxy.pin(index)
    page = browser.new_context().new_page()
    sign_in(page, hosts.proxy.url, ADMIN)
    expect(page.locator("#feed-org")).to_be_visible(timeout=TIMEOUT)
    return page


def _wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _contribute(hosts: Hosts, key: str, text: str) -> str:
    r = httpx.post(
        hosts.proxy.url + "/api/v1/knowledge",
        headers={"X-API-Key": key},
        json={"content": text, "category": "config"},
        timeout=60,
    )
    assert r.status_code == 202, r.text
    return str(r.json()["contribution_id"])


def _approval_shown_once(page: Page, title: str) -> None:
    approved = page.locator("#feed-org .feed-entry").filter(has_text=title).filter(has_text="approved")
    expect(approved).to_have_count(1, timeout=5_000)
    time.sleep(0.5)  # a second delivery of the same event would show a second line by now
    expect(approved).to_have_count(1)


def test_tabs_on_two_hosts_both_see_each_approval_once(hosts: Hosts, browser: Browser) -> None:
    class Cli:
        env = hosts.env

    ensure_accounts(Cli)
    agent = _cli(hosts.env, "key", "create", "--org", "acme", "--agent", "two-hosts-agent").splitlines()[-1]
    curator = _cli(
        hosts.env, "key", "create", "--org", "acme", "--agent", "two-hosts-curator", "--role", "curator"
    ).splitlines()[-1]
    tag = uuid.uuid4().hex[:6]
    texts = [
        f"Host check {tag} one: set proxy_buffering off for server-sent events behind nginx.",
        f"Host check {tag} two: pgvector's HNSW index wants shared_buffers large enough to hold it.",
        f"Host check {tag} three: run one RQ worker per core and watch the queue's age, not its length.",
    ]
    cids = [_contribute(hosts, agent, t) for t in texts]
    for cid in cids:
        assert wait_status(Cli, cid) == "pending"

    tab_a, tab_b = _tab_on(hosts, browser, 0), _tab_on(hosts, browser, 1)
    hosts.proxy.pin(None)
    assert hosts.proxy.websockets_per_upstream() == [1, 1]  # each tab's websocket, open to its host
    time.sleep(1)  # both tabs have joined their feeds

    # An approval served by either host reaches the tab on the other one as well.
    for i in (0, 1):
        r = httpx.post(
            f"{hosts.direct(i)}/api/v1/contributions/{cids[i]}/approve",
            headers={"X-API-Key": curator},
            json={"is_public": False},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        title = texts[i].split(":")[0]
        for tab in (tab_a, tab_b):
            _approval_shown_once(tab, title)

    # And one made in the dashboard of the tab on host 0 reaches the tab on host 1.
    hosts.proxy.pin(0)  # the page load and its new websocket go to host 0 again
    tab_a.goto(hosts.proxy.url + "/review")
    expect(tab_a.locator(f"#row-{cids[2]}")).to_be_visible(timeout=TIMEOUT)
    _wait_for(lambda: hosts.proxy.websockets_per_upstream() == [1, 1])  # tab A's new one on host 0
    tab_a.locator(f"#open-{cids[2]}").click()
    hosts.proxy.pin(None)
    tab_a.locator("#approve").click()
    expect(tab_a.get_by_text("Approved 1 contribution")).to_be_visible(timeout=TIMEOUT)
    _approval_shown_once(tab_b, texts[2].split(":")[0])
