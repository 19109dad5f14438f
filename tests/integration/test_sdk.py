"""The Python SDK (``clients/python``, installed into the test environment as a user installs it:
built and installed from its own directory, not imported from the source tree) against a
running server, RQ worker, Postgres and Redis."""

from __future__ import annotations

import asyncio
import importlib.metadata
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import hivemind_client
from hivemind_client import (
    AsyncHiveMind,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Event,
    HiveMind,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
    verify_webhook,
)
from hivemind_client.models import KnowledgeItem, PendingContribution, SearchHit
from tests.integration.agent_stack import AgentStack, start_stack, stop_stack
from tests.integration.webhook_receiver import Receiver
from tests.utils.tcp_proxy import CuttableProxy

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(webhook_stack: AgentStack) -> AgentStack:
    return webhook_stack


def _client(stack: AgentStack, who: str, **kw: object) -> HiveMind:
    return HiveMind(stack.base_url, stack.keys[who], **kw)  # type: ignore[arg-type]


def _tip(topic: str) -> str:
    return (
        f"SDK check {uuid.uuid4().hex[:8]}: {topic}. When the connection pool of the ORM is exhausted "
        "under load, raise pool_size and set pool_pre_ping so dead connections are replaced."
    )


def test_the_sdk_is_installed_as_a_package_and_versioned_with_the_server() -> None:
    location = Path(hivemind_client.__file__).resolve()
    assert REPO / "clients" not in location.parents  # a real install, not the source tree
    assert hivemind_client.__version__ == importlib.metadata.version("hivemind")


def test_an_agents_whole_loop_through_the_sdk(stack: AgentStack) -> None:
    with _client(stack, "a") as agent, _client(stack, "a_curator") as curator, _client(stack, "b") as other:
        me = agent.me()
        assert (me.agent_id, me.role, me.org) == ("agent-a", "contributor", "acme")
        receipt = agent.contribute(
            _tip("the whole loop"), "bug_fix", framework="sqlalchemy", version="2.0", tags=["pool"]
        )
        assert receipt.status == "queued" and receipt.category == "bug_fix"
        assert stack.wait_processed(receipt.contribution_id) == "pending"
        queue = curator.pending(limit=200)
        row = next(r for r in queue.items if r.id == receipt.contribution_id)
        assert isinstance(row, PendingContribution) and row.source_agent_id == "agent-a"
        own = {c.contribution_id: c for c in agent.iter_own(status="pending")}
        assert own[receipt.contribution_id].status == "pending"
        approved = curator.approve(receipt.contribution_id, is_public=True)
        with pytest.raises(ConflictError) as twice:
            curator.approve(receipt.contribution_id)
        assert twice.value.status_code == 409 and twice.value.detail
        page = other.search("ORM connection pool exhausted pool_pre_ping", include_content=True, run_id="r-1")
        hit = next(h for h in page.results if h.id == approved.item_id)
        assert isinstance(hit, SearchHit) and hit.is_public and hit.integrity_verified is True
        assert hit.content and "pool_pre_ping" in hit.content
        item = other.get(approved.item_id, run_id="r-1")
        assert isinstance(item, KnowledgeItem) and item.integrity_verified is True
        assert item.framework == "sqlalchemy" and item.tag_list == ["pool"] and item.org_attribution == "acme"
        outcome = other.report_outcome(approved.item_id, "solved", run_id="r-1")
        assert outcome.status == "recorded" and outcome.counted and outcome.quality_score > 0.5
        assert other.report_outcome(approved.item_id, "solved", run_id="r-1").status == "already_recorded"
        assert curator.unpublish(approved.item_id).is_public is False
        with pytest.raises(NotFoundError):
            other.get(approved.item_id)  # private again: another org sees a 404
        assert curator.publish(approved.item_id).is_public is True
        assert other.agent_stats().agent_id == "agent-b"
        assert agent.org_stats().contributions_total >= 1
        assert curator.commons_stats().total_items >= 1
        actions = {e.action for e in curator.audit(action="knowledge.").entries}
        assert {"knowledge.published", "knowledge.unpublished"} <= actions
        assert curator.quarantined() == []
        assert agent.delete(approved.item_id).status == "deleted"
        with pytest.raises(NotFoundError):
            other.get(approved.item_id)


def test_search_pages_through_next_cursor(stack: AgentStack) -> None:
    marker = uuid.uuid4().hex[:10]
    for n in range(7):
        stack.add_item(
            "b",
            f"Paging {marker} note {n}: rotate the {marker} log files daily with logrotate "
            f"and compress old ones so disks never fill (variant {n}).",
        )
    with _client(stack, "b") as c:
        first = c.search(f"{marker} logrotate", limit=3)
        assert first.next_cursor and len(first.results) == 3
        every = list(c.search_all(f"{marker} logrotate", page_size=3))
        ids = [h.id for h in every]
        assert len(ids) == len(set(ids)) == first.total_found >= 7
        assert [h.id for h in c.search_all(f"{marker} logrotate", page_size=3, max_results=4)] == ids[:4]


def test_errors_carry_the_servers_detail(stack: AgentStack) -> None:
    with HiveMind(stack.base_url, "hm_not_a_real_key") as c, pytest.raises(AuthenticationError) as bad:
        c.me()
    assert bad.value.status_code == 401 and "key" in str(bad.value.detail).lower()
    with _client(stack, "a_reader") as reader, pytest.raises(PermissionDeniedError) as refused:
        reader.contribute(_tip("readers cannot write"), "bug_fix")
    assert refused.value.status_code == 403 and refused.value.detail
    private = stack.add_item("a", _tip("acme only"))
    with _client(stack, "b") as other:
        with pytest.raises(NotFoundError):
            other.get(private)
        with pytest.raises(NotFoundError):
            other.get(str(uuid.uuid4()))
        with pytest.raises(ValidationError) as invalid:
            other.search("anything", limit=0)
        assert invalid.value.status_code == 422 and isinstance(invalid.value.detail, list)
    with _client(stack, "a") as agent, pytest.raises(PermissionDeniedError):
        agent.pending()  # the review queue needs a curator key
    with pytest.raises(ValueError, match="API key"):
        HiveMind(stack.base_url, "")


def test_the_async_client_does_the_same(stack: AgentStack) -> None:
    async def scenario() -> tuple[str, list[str], list[str]]:
        async with (
            AsyncHiveMind(stack.base_url, stack.keys["a"]) as agent,
            AsyncHiveMind(stack.base_url, stack.keys["a_curator"]) as curator,
        ):
            receipt = await agent.contribute(_tip("async loop"), "workaround")
            while (await agent.list_own(status="pending")).total_count == 0 or stack.sql(
                "SELECT status FROM contributions WHERE id = %s", (receipt.contribution_id,)
            )[0][0] == "processing":
                await asyncio.sleep(0.2)
            approved = await curator.approve(receipt.contribution_id, category="config")
            hits = [h.id async for h in agent.search_all("async loop ORM pool exhausted", page_size=5)]
            own = [c.contribution_id async for c in agent.iter_own(status="approved")]
            with pytest.raises(NotFoundError):
                await agent.get(str(uuid.uuid4()))
            return approved.item_id, hits, own

    item, hits, own = asyncio.run(scenario())
    assert item in hits
    assert stack.sql("SELECT category FROM knowledge_items WHERE id = %s", (item,)) == [("config",)]
    assert len(own) >= 1


def test_webhooks_through_the_sdk_and_verify_webhook(stack: AgentStack, receiver: Receiver) -> None:
    with _client(stack, "b_curator") as curator:
        hook = curator.create_webhook(receiver.base_url + "/sdk", ["knowledge.approved"])
        assert hook.secret.startswith("whsec_") and hook.active
        assert hook.id in {w.id for w in curator.list_webhooks()}
        item = stack.add_item("b", _tip("webhook through the sdk"))
        got = receiver.wait_for("/sdk", 1)[0]
        event = verify_webhook(hook.secret, got.headers, got.body)
        assert isinstance(event, Event) and event.type == "knowledge.approved"
        assert event.knowledge_item_id == item and event.org_id == str(stack.org_ids["beta"])
        with pytest.raises(hivemind_client.WebhookVerificationError):
            verify_webhook("whsec_wrong", got.headers, got.body)
        with pytest.raises(hivemind_client.WebhookVerificationError):
            verify_webhook(hook.secret, got.headers, got.body + b" ")  # tampered body
        with pytest.raises(hivemind_client.WebhookVerificationError):
            verify_webhook(hook.secret, got.headers, got.body, now=time.time() + 301)  # replayed later
        deliveries = curator.webhook_deliveries(hook.id)
        assert deliveries and deliveries[0].status == "success"
        paused = curator.update_webhook(hook.id, active=False)
        assert paused.active is False and curator.get_webhook(hook.id).active is False
        rotated = curator.rotate_webhook_secret(hook.id)
        assert rotated.secret != hook.secret
        curator.delete_webhook(hook.id)
        with pytest.raises(NotFoundError):
            curator.get_webhook(hook.id)


def test_purge_through_the_sdk(stack: AgentStack) -> None:
    item = stack.add_item("a", _tip("to be purged"))
    pending = stack.contribute("a", _tip("pending, to be purged"))
    assert stack.wait_processed(pending) == "pending"
    with _client(stack, "a_curator") as curator:
        assert curator.purge_item(item).status == "purged"
        assert curator.purge_contribution(pending).contributions == 1
        with pytest.raises(NotFoundError):
            curator.get(item)


def test_versions_forks_edits_marks_and_history_through_the_sdk(stack: AgentStack) -> None:
    """Issue 19 as an SDK user meets it: ranges, a fork with an edit, outdated reports with a
    version, the quality's parts, a curator's mark, the history; the async client forks too."""
    with _client(stack, "a") as agent, _client(stack, "a_curator") as curator, _client(stack, "b") as other:
        old = agent.contribute(_tip("django 4 pools"), "config", framework="django", version_range=">=4.2")
        assert stack.wait_processed(old.contribution_id) == "pending"
        old_item = curator.approve(old.contribution_id, is_public=True).item_id
        assert old_item is not None
        new = agent.contribute(_tip("django 5 pools"), "config", framework="django", version_range=">=4.2")
        assert stack.wait_processed(new.contribution_id) == "pending"
        approved = curator.approve(
            new.contribution_id,
            fork_of=old_item,
            version_range=">=5",
            content=_tip("django 5 pools, edited by the curator"),
        )
        assert approved.status == "approved" and approved.item_id is not None
        got = agent.get(approved.item_id)
        assert (got.version_range, got.forked_from) == (">=5", old_item)
        assert agent.get(old_item).version_range == ">=4.2,<5"
        history = agent.history(approved.item_id)
        assert [r.kind for r in history.revisions] == ["agent", "curator_edit"]
        assert [(f.id, f.direction) for f in history.forks] == [(old_item, "forked from")]
        report = other.report_outcome(old_item, "outdated", version="4.2.3", environment="python 3.12")
        assert (report.status, report.counted, report.narrowed) == ("recorded", True, False)
        assert other.report_outcome(old_item, "incorrect").status == "updated"
        quality = other.get(old_item).quality
        assert quality["votes_other_orgs"]["incorrect"] == 1 and quality["penalty"] > 0
        marked = curator.mark(old_item, "outdated", reason="Django 4.2 is out of support")
        assert marked.curator_mark == "outdated" and marked.invalid_at is None
        with pytest.raises(BadRequestError):
            curator.mark(old_item, "outdated")  # a reason is required
        with pytest.raises(PermissionDeniedError):
            agent.mark(old_item, None)
        gone = agent.contribute(_tip("sensitive one"), "config")
        assert stack.wait_processed(gone.contribution_id) == "pending"
        assert curator.approve(gone.contribution_id, sensitive=True).status == "purged"

    async def forked() -> tuple[str | None, str | None]:
        async with (
            AsyncHiveMind(stack.base_url, stack.keys["a"]) as a,
            AsyncHiveMind(stack.base_url, stack.keys["a_curator"]) as c,
        ):
            receipt = await a.contribute(
                _tip("async fork"), "config", framework="django", version_range=">=6"
            )
            while (
                stack.sql("SELECT status FROM contributions WHERE id = %s", (receipt.contribution_id,))[0][0]
                == "processing"
            ):
                await asyncio.sleep(0.2)
            done = await c.approve(receipt.contribution_id, fork_of=approved.item_id)
            assert done.item_id is not None
            await c.mark(done.item_id, "incorrect", reason="async check")
            history = await a.history(str(approved.item_id))
            return (await a.get(str(approved.item_id))).version_range, history.forks[-1].direction

    assert asyncio.run(forked()) == (">=5,<6", "forked to")


# -- follow(): the live stream, resumed across dropped connections --------------------------------


@pytest.fixture
def proxy(stack: AgentStack) -> Iterator[CuttableProxy]:
    host, port = stack.base_url.removeprefix("http://").split(":")
    running = CuttableProxy(host, int(port))
    yield running
    running.close()


def test_follow_resumes_after_dropped_connections_without_loss_or_repeats(
    stack: AgentStack, proxy: CuttableProxy
) -> None:
    waiting = [stack.contribute("a", _tip(f"follow {n}")) for n in range(4)]
    assert all(stack.wait_processed(c) == "pending" for c in waiting)
    seen: list[Event] = []
    stop = threading.Event()

    def consume() -> None:
        with HiveMind(proxy.url, stack.keys["a"]) as c:
            for event in c.follow(reconnect_delay=2.0):
                if event.type == "knowledge.approved":
                    seen.append(event)
                if stop.is_set():
                    return

    def approve(cid: str) -> None:
        with stack.client("a_curator") as c:
            assert c.post(f"/api/v1/contributions/{cid}/approve").status_code == 200

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 60
        while len(seen) < count:
            assert time.monotonic() < deadline, seen
            time.sleep(0.1)

    threading.Thread(target=consume, daemon=True).start()
    deadline = time.monotonic() + 30
    while proxy.connections < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proxy.cut()  # dropped before any event: it must resume from where it started
    approve(waiting[0])
    wait_for(1)
    approve(waiting[1])
    wait_for(2)
    proxy.cut()  # dropped again; two approvals happen while it is away
    approve(waiting[2])
    approve(waiting[3])
    wait_for(4)
    time.sleep(3)  # anything repeated would arrive by now
    stop.set()
    approved = [e.knowledge_item_id for e in seen]
    expected = [
        stack.sql("SELECT knowledge_item_id FROM contributions WHERE id = %s", (c,))[0][0] for c in waiting
    ]
    assert approved == [str(i) for i in expected]  # each once, in order
    assert [e.event_id for e in seen] == sorted({e.event_id for e in seen})
    assert proxy.connections >= 3 and all(e.channel == "private" for e in seen)


# -- retries: 429 with Retry-After from the real rate limiter -------------------------------------


@pytest.fixture(scope="module")
def limited(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    running = start_stack(
        external_target,
        tmp_path_factory.mktemp("sdk-limited"),
        {"HIVEMIND_RATE_LIMIT_REQUESTS_PER_KEY": "3/second"},
    )
    yield running
    stop_stack(running)


def test_429_is_retried_after_retry_after_then_raised_when_retries_run_out(limited: AgentStack) -> None:
    with (
        HiveMind(limited.base_url, limited.keys["a"], max_retries=0) as impatient,
        pytest.raises(RateLimitError) as limited_error,
    ):
        for _ in range(10):
            impatient.me()
    assert limited_error.value.status_code == 429 and limited_error.value.retry_after is not None
    assert 0 < limited_error.value.retry_after <= 1 and limited_error.value.detail
    time.sleep(1.1)
    started = time.monotonic()
    with HiveMind(limited.base_url, limited.keys["a"], max_retries=5) as patient:
        results = [patient.me().agent_id for _ in range(9)]
    assert results == ["agent-a"] * 9  # every call got through, waiting as the server advised
    assert time.monotonic() - started >= 1.5  # 9 calls at 3 per second cannot take less


# -- LangChain (the SDK's "langchain" extra), invoked directly: no LLM --------------------------------


def test_langchain_retriever_returns_documents_with_provenance(stack: AgentStack) -> None:
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from hivemind_client.langchain import HiveMindRetriever

    item = stack.add_item("a", _tip("langchain retriever"), public=True)
    retriever = HiveMindRetriever(base_url=stack.base_url, api_key=stack.keys["b"], k=5, run_id="lc-1")
    assert isinstance(retriever, BaseRetriever) and stack.keys["b"] not in repr(retriever)
    docs = retriever.invoke("langchain retriever ORM pool exhausted")
    assert docs and all(isinstance(d, Document) for d in docs)
    doc = next(d for d in docs if d.metadata["id"] == item)
    assert "pool_pre_ping" in doc.page_content
    assert doc.metadata["org_attribution"] == "acme" and doc.metadata["is_public"] is True
    assert doc.metadata["integrity_verified"] is True and 0 <= doc.metadata["quality"] <= 1
    assert doc.metadata["source"].endswith(f"/api/v1/knowledge/{item}")
    async_docs = asyncio.run(retriever.ainvoke("langchain retriever ORM pool exhausted"))
    assert [d.metadata["id"] for d in async_docs] == [d.metadata["id"] for d in docs]
    private = HiveMindRetriever(base_url=stack.base_url, api_key=stack.keys["b"], category="pricing_data")
    assert item not in {d.metadata["id"] for d in private.invoke("langchain retriever")}


def test_langchain_tools_search_contribute_and_report(stack: AgentStack) -> None:
    from langchain_core.tools import BaseTool

    from hivemind_client.langchain import hivemind_tools

    item = stack.add_item("a", _tip("langchain tools"), public=True)
    with _client(stack, "b") as client:
        search, contribute, outcome = hivemind_tools(client)
        assert all(isinstance(t, BaseTool) for t in (search, contribute, outcome))
        found = search.invoke({"query": "langchain tools ORM pool exhausted", "limit": 5})
        assert f"[{item}]" in found and "pool_pre_ping" in found
        said = contribute.invoke({"content": _tip("contributed by a langchain tool"), "category": "tooling"})
        assert said.startswith("queued")
        cid = said.rsplit("contribution ", 1)[1].rstrip(")")
        assert stack.sql("SELECT source_agent_id FROM contributions WHERE id = %s", (cid,)) == [("agent-b",)]
        reported = outcome.invoke({"item_id": item, "outcome": "solved"})
        assert reported.startswith("recorded: solved")
        assert stack.sql(
            "SELECT count(*) FROM signals WHERE knowledge_item_id = %s AND agent_id = 'agent-b' AND kind LIKE 'outcome%%'",
            (item,),
        ) == [(1,)]
