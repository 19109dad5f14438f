"""``HiveMind`` and ``AsyncHiveMind``: the same methods, blocking or awaitable.

What each call sends and how its answer is read is in ``_ops``; this module sends requests,
retries 429 and 503 (honouring ``Retry-After``) and requests that never reached the server, and
turns error answers into exceptions from ``hivemind_client.errors``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource, SSEError

from hivemind_client import _ops as ops
from hivemind_client import models as m
from hivemind_client._stream import Cursor
from hivemind_client._version import __version__
from hivemind_client.errors import ConnectionFailed, error_for

T = TypeVar("T")
DEFAULT_URL = "http://localhost:8000"


def _settings(base_url: str | None, api_key: str | None) -> tuple[str, str]:
    url = (base_url or os.environ.get("HIVEMIND_URL") or DEFAULT_URL).rstrip("/")
    key = api_key or os.environ.get("HIVEMIND_API_KEY")
    if not key:
        raise ValueError("an API key is required: pass api_key= or set HIVEMIND_API_KEY")
    return url, key


def _headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key, "User-Agent": f"hivemind-client/{__version__}", "Accept": "application/json"}


class _Base:
    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        backoff: float,
        max_retry_delay: float,
        stream_read_timeout: float,
    ) -> None:
        self.base_url, key = _settings(base_url, api_key)
        self.headers = _headers(key)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_delay = max_retry_delay
        # The server pings an idle stream every 15 s; a stream silent for longer is dead.
        self.stream_timeout = httpx.Timeout(timeout, read=stream_read_timeout)

    def _delay(self, response: httpx.Response | None, attempt: int) -> float:
        return ops.retry_delay(response, attempt, self.backoff, self.max_retry_delay)


class HiveMind(_Base):
    """A blocking client. ``base_url`` defaults to ``$HIVEMIND_URL`` (else localhost:8000),
    ``api_key`` to ``$HIVEMIND_API_KEY``. Use it as a context manager, or call ``close()``."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_delay: float = 30.0,
        stream_read_timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url, api_key, timeout, max_retries, backoff, max_retry_delay, stream_read_timeout
        )
        self._http = httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> HiveMind:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, op: ops.Op[T]) -> T:
        for attempt in range(1, self.max_retries + 2):
            last = attempt > self.max_retries
            try:
                response = self._http.request(op.method, op.path, **op.request_args())
            except httpx.TransportError as err:
                if last or not ops.may_retry_after(op, err):
                    raise ConnectionFailed(f"{op.method} {op.path}: {err!r}") from err
                time.sleep(self._delay(None, attempt))
                continue
            if response.status_code in ops.RETRY_STATUSES and not last:
                time.sleep(self._delay(response, attempt))
                continue
            if response.is_error:
                raise error_for(response, ops.retry_after_seconds(response))
            return op.parse(response)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- agents ---------------------------------------------------------------------------------

    def contribute(
        self,
        content: str,
        category: str,
        *,
        confidence: float | None = None,
        framework: str | None = None,
        language: str | None = None,
        version: str | None = None,
        tags: list[str] | None = None,
        run_id: str | None = None,
        version_range: str | None = None,
    ) -> m.ContributionReceipt:
        """Share what you learned. It is scrubbed and screened, then queued for review."""
        return self._call(
            ops.contribute(
                content, category, confidence, framework, language, version, tags, run_id, version_range
            )
        )

    def search(
        self,
        query: str,
        *,
        category: str | None = None,
        framework: str | None = None,
        language: str | None = None,
        version: str | None = None,
        at_time: datetime | str | None = None,
        limit: int = 10,
        cursor: str | None = None,
        include_content: bool = False,
        run_id: str | None = None,
    ) -> m.SearchPage:
        """One page of results; pass ``next_cursor`` back as ``cursor`` for the next one."""
        return self._call(
            ops.search(
                query, category, framework, language, version, at_time, limit, cursor, include_content, run_id
            )
        )

    def search_all(
        self, query: str, *, page_size: int = 50, max_results: int | None = None, **filters: Any
    ) -> Iterator[m.SearchHit]:
        """Every result, page after page through ``next_cursor`` (at most ``max_results``)."""
        cursor: str | None = None
        served = 0
        while True:
            page = self.search(query, limit=page_size, cursor=cursor, **filters)
            for hit in page.results:
                if max_results is not None and served >= max_results:
                    return
                served += 1
                yield hit
            cursor = page.next_cursor
            if not cursor:
                return

    def get(self, item_id: str, *, run_id: str | None = None) -> m.KnowledgeItem:
        """One item in full (yours, or public), with its provenance and integrity check."""
        return self._call(ops.get(item_id, run_id))

    def list_own(
        self, *, status: str = "all", category: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> m.OwnPage:
        """Your agent's own contributions: ``status`` pending, approved, rejected or all."""
        return self._call(ops.list_own(status, category, limit, cursor))

    def iter_own(self, *, status: str = "all", category: str | None = None) -> Iterator[m.OwnContribution]:
        cursor: str | None = None
        while True:
            page = self.list_own(status=status, category=category, limit=100, cursor=cursor)
            yield from page.contributions
            cursor = page.next_cursor
            if not cursor:
                return

    def delete(self, item_id: str) -> m.DeleteResult:
        """Withdraw your contribution before review, or remove your item."""
        return self._call(ops.delete(item_id))

    def publish(self, item_id: str) -> m.PublishResult:
        """Share your org's item with every org (curator keys)."""
        return self._call(ops.publish(item_id, True))

    def unpublish(self, item_id: str) -> m.PublishResult:
        return self._call(ops.publish(item_id, False))

    def report_outcome(
        self,
        item_id: str,
        outcome: str,
        *,
        run_id: str | None = None,
        version: str | None = None,
        environment: str | None = None,
    ) -> m.OutcomeResult:
        """Say how an item did: ``solved``, ``did_not_help``, ``outdated`` (with the ``version`` or
        ``environment`` where it failed) or ``incorrect``. One counted vote per agent per item: a
        new report replaces your earlier one."""
        return self._call(ops.report_outcome(item_id, outcome, run_id, version, environment))

    def history(self, item_id: str) -> m.ItemHistory:
        """An item's texts (as contributed, a curator's edit), version ranges over time and forks."""
        return self._call(ops.history(item_id))

    def me(self) -> m.KeyInfo:
        """This key's org, agent, role and usage."""
        return self._call(ops.me())

    def follow(self, last_event_id: int | None = None, *, reconnect_delay: float = 1.0) -> Iterator[m.Event]:
        """Live events visible to your org, forever: reconnects after any drop, resuming after the
        last event it yielded (``Last-Event-ID``), so no event is lost or repeated. Pass
        ``last_event_id`` to start after an event you saw earlier. Break out of the loop to stop."""
        cursor, failures = Cursor(last_event_id), 0
        while True:
            try:
                with self._http.stream(
                    "GET", ops.STREAM_PATH, headers=cursor.headers(), timeout=self.stream_timeout
                ) as response:
                    if response.status_code != 200:
                        response.read()
                        if response.status_code not in ops.RETRY_STATUSES:
                            raise error_for(response)
                    else:
                        failures = 0
                        for sse in EventSource(response).iter_sse():
                            event = cursor.take(sse)
                            if event is not None:
                                yield event
            except (httpx.TransportError, SSEError):
                pass
            failures += 1
            time.sleep(min(reconnect_delay * failures, self.max_retry_delay))

    # -- curators -------------------------------------------------------------------------------

    def pending(self, *, limit: int = 50, offset: int = 0) -> m.PendingPage:
        """Your org's review queue, with pre-screen, redactions, injection verdict and similar items."""
        return self._call(ops.pending(limit, offset))

    def approve(
        self,
        contribution_id: str,
        *,
        is_public: bool = False,
        supersedes: str | None = None,
        category: str | None = None,
        fork_of: str | None = None,
        version_range: str | None = None,
        content: str | None = None,
        sensitive: bool = False,
    ) -> m.ApproveResult:
        """Approve into an item. ``category``/``version_range`` correct the agent's; ``content`` is
        your edit (scrubbed and screened again); ``supersedes`` retires an item, ``fork_of`` keeps
        one for the older versions; ``sensitive`` purges the contribution instead."""
        return self._call(
            ops.approve(
                contribution_id,
                is_public,
                supersedes,
                category,
                fork_of=fork_of,
                version_range=version_range,
                content=content,
                sensitive=sensitive,
            )
        )

    def mark(self, item_id: str, mark: str | None, *, reason: str | None = None) -> m.MarkResult:
        """Mark your org's item ``outdated`` or ``incorrect`` with a reason, or clear it (``None``)."""
        return self._call(ops.mark(item_id, mark, reason))

    def reject(self, contribution_id: str, *, reason: str | None = None) -> m.RejectResult:
        return self._call(ops.reject(contribution_id, reason))

    def quarantined(self) -> list[m.QuarantinedItem]:
        """Your org's items a re-screen quarantined, with the evidence."""
        return self._call(ops.quarantined()).items

    def release(self, item_id: str) -> m.ReleaseResult:
        return self._call(ops.release(item_id))

    def purge_item(self, item_id: str) -> m.PurgeResult:
        """Erase an item and every copy of its text."""
        return self._call(ops.purge("knowledge", item_id))

    def purge_contribution(self, contribution_id: str) -> m.PurgeResult:
        return self._call(ops.purge("contributions", contribution_id))

    def audit(
        self,
        *,
        action: str | None = None,
        actor: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> m.AuditPage:
        """Your org's audit log, newest first (``action`` exact, or a family ending in ``.``)."""
        return self._call(ops.audit(action, actor, limit, cursor))

    def list_webhooks(self) -> list[m.Webhook]:
        return self._call(ops.list_webhooks()).webhooks

    def create_webhook(
        self, url: str, event_types: list[str] | None = None, *, active: bool = True
    ) -> m.WebhookWithSecret:
        """Register a receiver; the returned ``secret`` (shown once) verifies its deliveries."""
        return self._call(ops.create_webhook(url, event_types, active))

    def get_webhook(self, webhook_id: str) -> m.Webhook:
        return self._call(ops.get_webhook(webhook_id))

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        active: bool | None = None,
    ) -> m.Webhook:
        return self._call(ops.update_webhook(webhook_id, url, event_types, active))

    def rotate_webhook_secret(self, webhook_id: str) -> m.WebhookWithSecret:
        return self._call(ops.rotate_webhook_secret(webhook_id))

    def delete_webhook(self, webhook_id: str) -> None:
        self._call(ops.delete_webhook(webhook_id))

    def webhook_deliveries(self, webhook_id: str, *, limit: int = 50) -> list[m.WebhookDelivery]:
        return self._call(ops.webhook_deliveries(webhook_id, limit)).deliveries

    # -- statistics -----------------------------------------------------------------------------

    def commons_stats(self) -> m.CommonsStats:
        return self._call(ops.commons_stats())

    def org_stats(self) -> m.OrgStats:
        return self._call(ops.org_stats())

    def agent_stats(self, agent_id: str | None = None) -> m.AgentStats:
        return self._call(ops.agent_stats(agent_id))


class AsyncHiveMind(_Base):
    """The same client for asyncio: every method is awaited; ``search_all``, ``iter_own`` and
    ``follow`` are async iterators. Use ``async with``, or ``await close()``."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_delay: float = 30.0,
        stream_read_timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url, api_key, timeout, max_retries, backoff, max_retry_delay, stream_read_timeout
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncHiveMind:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, op: ops.Op[T]) -> T:
        for attempt in range(1, self.max_retries + 2):
            last = attempt > self.max_retries
            try:
                response = await self._http.request(op.method, op.path, **op.request_args())
            except httpx.TransportError as err:
                if last or not ops.may_retry_after(op, err):
                    raise ConnectionFailed(f"{op.method} {op.path}: {err!r}") from err
                await asyncio.sleep(self._delay(None, attempt))
                continue
            if response.status_code in ops.RETRY_STATUSES and not last:
                await asyncio.sleep(self._delay(response, attempt))
                continue
            if response.is_error:
                raise error_for(response, ops.retry_after_seconds(response))
            return op.parse(response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def contribute(
        self,
        content: str,
        category: str,
        *,
        confidence: float | None = None,
        framework: str | None = None,
        language: str | None = None,
        version: str | None = None,
        tags: list[str] | None = None,
        run_id: str | None = None,
        version_range: str | None = None,
    ) -> m.ContributionReceipt:
        return await self._call(
            ops.contribute(
                content, category, confidence, framework, language, version, tags, run_id, version_range
            )
        )

    async def search(
        self,
        query: str,
        *,
        category: str | None = None,
        framework: str | None = None,
        language: str | None = None,
        version: str | None = None,
        at_time: datetime | str | None = None,
        limit: int = 10,
        cursor: str | None = None,
        include_content: bool = False,
        run_id: str | None = None,
    ) -> m.SearchPage:
        return await self._call(
            ops.search(
                query, category, framework, language, version, at_time, limit, cursor, include_content, run_id
            )
        )

    async def search_all(
        self, query: str, *, page_size: int = 50, max_results: int | None = None, **filters: Any
    ) -> AsyncIterator[m.SearchHit]:
        cursor: str | None = None
        served = 0
        while True:
            page = await self.search(query, limit=page_size, cursor=cursor, **filters)
            for hit in page.results:
                if max_results is not None and served >= max_results:
                    return
                served += 1
                yield hit
            cursor = page.next_cursor
            if not cursor:
                return

    async def get(self, item_id: str, *, run_id: str | None = None) -> m.KnowledgeItem:
        return await self._call(ops.get(item_id, run_id))

    async def list_own(
        self, *, status: str = "all", category: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> m.OwnPage:
        return await self._call(ops.list_own(status, category, limit, cursor))

    async def iter_own(
        self, *, status: str = "all", category: str | None = None
    ) -> AsyncIterator[m.OwnContribution]:
        cursor: str | None = None
        while True:
            page = await self.list_own(status=status, category=category, limit=100, cursor=cursor)
            for row in page.contributions:
                yield row
            cursor = page.next_cursor
            if not cursor:
                return

    async def delete(self, item_id: str) -> m.DeleteResult:
        return await self._call(ops.delete(item_id))

    async def publish(self, item_id: str) -> m.PublishResult:
        return await self._call(ops.publish(item_id, True))

    async def unpublish(self, item_id: str) -> m.PublishResult:
        return await self._call(ops.publish(item_id, False))

    async def report_outcome(
        self,
        item_id: str,
        outcome: str,
        *,
        run_id: str | None = None,
        version: str | None = None,
        environment: str | None = None,
    ) -> m.OutcomeResult:
        return await self._call(ops.report_outcome(item_id, outcome, run_id, version, environment))

    async def history(self, item_id: str) -> m.ItemHistory:
        return await self._call(ops.history(item_id))

    async def me(self) -> m.KeyInfo:
        return await self._call(ops.me())

    async def follow(
        self, last_event_id: int | None = None, *, reconnect_delay: float = 1.0
    ) -> AsyncIterator[m.Event]:
        """As ``HiveMind.follow``, as an async iterator."""
        cursor, failures = Cursor(last_event_id), 0
        while True:
            try:
                async with self._http.stream(
                    "GET", ops.STREAM_PATH, headers=cursor.headers(), timeout=self.stream_timeout
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                        if response.status_code not in ops.RETRY_STATUSES:
                            raise error_for(response)
                    else:
                        failures = 0
                        async for sse in EventSource(response).aiter_sse():
                            event = cursor.take(sse)
                            if event is not None:
                                yield event
            except (httpx.TransportError, SSEError):
                pass
            failures += 1
            await asyncio.sleep(min(reconnect_delay * failures, self.max_retry_delay))

    async def pending(self, *, limit: int = 50, offset: int = 0) -> m.PendingPage:
        return await self._call(ops.pending(limit, offset))

    async def approve(
        self,
        contribution_id: str,
        *,
        is_public: bool = False,
        supersedes: str | None = None,
        category: str | None = None,
        fork_of: str | None = None,
        version_range: str | None = None,
        content: str | None = None,
        sensitive: bool = False,
    ) -> m.ApproveResult:
        return await self._call(
            ops.approve(
                contribution_id,
                is_public,
                supersedes,
                category,
                fork_of=fork_of,
                version_range=version_range,
                content=content,
                sensitive=sensitive,
            )
        )

    async def mark(self, item_id: str, mark: str | None, *, reason: str | None = None) -> m.MarkResult:
        return await self._call(ops.mark(item_id, mark, reason))

    async def reject(self, contribution_id: str, *, reason: str | None = None) -> m.RejectResult:
        return await self._call(ops.reject(contribution_id, reason))

    async def quarantined(self) -> list[m.QuarantinedItem]:
        return (await self._call(ops.quarantined())).items

    async def release(self, item_id: str) -> m.ReleaseResult:
        return await self._call(ops.release(item_id))

    async def purge_item(self, item_id: str) -> m.PurgeResult:
        return await self._call(ops.purge("knowledge", item_id))

    async def purge_contribution(self, contribution_id: str) -> m.PurgeResult:
        return await self._call(ops.purge("contributions", contribution_id))

    async def audit(
        self,
        *,
        action: str | None = None,
        actor: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> m.AuditPage:
        return await self._call(ops.audit(action, actor, limit, cursor))

    async def list_webhooks(self) -> list[m.Webhook]:
        return (await self._call(ops.list_webhooks())).webhooks

    async def create_webhook(
        self, url: str, event_types: list[str] | None = None, *, active: bool = True
    ) -> m.WebhookWithSecret:
        return await self._call(ops.create_webhook(url, event_types, active))

    async def get_webhook(self, webhook_id: str) -> m.Webhook:
        return await self._call(ops.get_webhook(webhook_id))

    async def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        active: bool | None = None,
    ) -> m.Webhook:
        return await self._call(ops.update_webhook(webhook_id, url, event_types, active))

    async def rotate_webhook_secret(self, webhook_id: str) -> m.WebhookWithSecret:
        return await self._call(ops.rotate_webhook_secret(webhook_id))

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._call(ops.delete_webhook(webhook_id))

    async def webhook_deliveries(self, webhook_id: str, *, limit: int = 50) -> list[m.WebhookDelivery]:
        return (await self._call(ops.webhook_deliveries(webhook_id, limit))).deliveries

    async def commons_stats(self) -> m.CommonsStats:
        return await self._call(ops.commons_stats())

    async def org_stats(self) -> m.OrgStats:
        return await self._call(ops.org_stats())

    async def agent_stats(self, agent_id: str | None = None) -> m.AgentStats:
        return await self._call(ops.agent_stats(agent_id))
