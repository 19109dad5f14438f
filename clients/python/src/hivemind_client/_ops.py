"""Every API call described once, as data: method, path, parameters, body and result type.

The sync and async clients only differ in how they send a request and wait between retries;
what each call sends and how its answer is read lives here, so the two cannot drift apart.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from hivemind_client import models as m

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Op(Generic[T]):
    method: str
    path: str
    result: type[T] | None  # None: no body expected (204)
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    nulls: tuple[str, ...] = ()  # body keys whose None is meant (sent as null), not left out

    def request_args(self) -> dict[str, Any]:
        params = {k: _param(v) for k, v in self.params.items() if v is not None}
        args: dict[str, Any] = {"params": params}
        if self.body is not None:
            args["json"] = {k: v for k, v in self.body.items() if v is not None or k in self.nulls}
        return args

    def parse(self, response: httpx.Response) -> T:
        if self.result is None:
            return None  # type: ignore[return-value]
        return self.result.model_validate(response.json())  # type: ignore[attr-defined, no-any-return]


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _id(value: str) -> str:
    """An id as a path segment: quoted, so a stray '/' or '?' cannot reach another route."""
    return quote(str(value), safe="")


def retry_delay(response: httpx.Response | None, attempt: int, backoff: float, max_delay: float) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): the server's ``Retry-After`` when it
    sent one (seconds or an HTTP date), else exponential backoff with jitter."""
    if response is not None:
        advice = retry_after_seconds(response)
        if advice is not None:
            return min(max(advice, 0.0), max_delay)
    return min(backoff * 2.0 ** (attempt - 1) * (0.5 + random.random() / 2), max_delay)


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


# -- the calls ----------------------------------------------------------------------------------

API = "/api/v1"


def contribute(
    content: str,
    category: str,
    confidence: float | None,
    framework: str | None,
    language: str | None,
    version: str | None,
    tags: list[str] | None,
    run_id: str | None,
    version_range: str | None = None,
) -> Op[m.ContributionReceipt]:
    body = {
        "content": content,
        "category": category,
        "confidence": confidence,
        "framework": framework,
        "language": language,
        "version": version,
        "tags": tags,
        "run_id": run_id,
        "version_range": version_range,
    }
    return Op("POST", f"{API}/knowledge", m.ContributionReceipt, body=body)


def search(
    query: str,
    category: str | None,
    framework: str | None,
    language: str | None,
    version: str | None,
    at_time: datetime | str | None,
    limit: int,
    cursor: str | None,
    include_content: bool,
    run_id: str | None,
) -> Op[m.SearchPage]:
    params = {
        "query": query,
        "category": category,
        "framework": framework,
        "language": language,
        "version": version,
        "at_time": at_time,
        "limit": limit,
        "cursor": cursor,
        "include_content": include_content or None,
        "run_id": run_id,
    }
    return Op("GET", f"{API}/knowledge/search", m.SearchPage, params=params)


def get(item_id: str, run_id: str | None) -> Op[m.KnowledgeItem]:
    return Op("GET", f"{API}/knowledge/{_id(item_id)}", m.KnowledgeItem, params={"run_id": run_id})


def list_own(status: str, category: str | None, limit: int, cursor: str | None) -> Op[m.OwnPage]:
    params = {"status": status, "category": category, "limit": limit, "cursor": cursor}
    return Op("GET", f"{API}/knowledge", m.OwnPage, params=params)


def delete(item_id: str) -> Op[m.DeleteResult]:
    return Op("DELETE", f"{API}/knowledge/{_id(item_id)}", m.DeleteResult)


def publish(item_id: str, public: bool) -> Op[m.PublishResult]:
    action = "publish" if public else "unpublish"
    return Op("POST", f"{API}/knowledge/{_id(item_id)}/{action}", m.PublishResult)


def report_outcome(
    item_id: str,
    outcome: str,
    run_id: str | None,
    version: str | None = None,
    environment: str | None = None,
) -> Op[m.OutcomeResult]:
    body = {
        "item_id": item_id,
        "outcome": outcome,
        "run_id": run_id,
        "version": version,
        "environment": environment,
    }
    return Op("POST", f"{API}/outcomes", m.OutcomeResult, body=body)


def history(item_id: str) -> Op[m.ItemHistory]:
    return Op("GET", f"{API}/knowledge/{_id(item_id)}/history", m.ItemHistory)


def mark(item_id: str, mark: str | None, reason: str | None) -> Op[m.MarkResult]:
    body = {"mark": mark, "reason": reason}
    return Op("POST", f"{API}/knowledge/{_id(item_id)}/mark", m.MarkResult, body=body, nulls=("mark",))


def me() -> Op[m.KeyInfo]:
    return Op("GET", f"{API}/keys/me", m.KeyInfo)


def pending(limit: int, offset: int) -> Op[m.PendingPage]:
    return Op("GET", f"{API}/contributions", m.PendingPage, params={"limit": limit, "offset": offset})


def approve(
    contribution_id: str,
    is_public: bool,
    supersedes: str | None,
    category: str | None,
    *,
    fork_of: str | None = None,
    version_range: str | None = None,
    content: str | None = None,
    sensitive: bool = False,
) -> Op[m.ApproveResult]:
    body = {  # None values are left out of the request (Op.request_args)
        "is_public": is_public,
        "supersedes": supersedes,
        "category": category,
        "fork_of": fork_of,
        "version_range": version_range,
        "content": content,
        "sensitive": sensitive or None,
    }
    return Op("POST", f"{API}/contributions/{_id(contribution_id)}/approve", m.ApproveResult, body=body)


def reject(contribution_id: str, reason: str | None) -> Op[m.RejectResult]:
    body = {"reason": reason}
    return Op("POST", f"{API}/contributions/{_id(contribution_id)}/reject", m.RejectResult, body=body)


def quarantined() -> Op[_QuarantineList]:
    return Op("GET", f"{API}/knowledge/quarantined", _QuarantineList)


def release(item_id: str) -> Op[m.ReleaseResult]:
    return Op("POST", f"{API}/knowledge/{_id(item_id)}/release", m.ReleaseResult)


def purge(kind: str, target_id: str) -> Op[m.PurgeResult]:
    return Op("POST", f"{API}/{kind}/{_id(target_id)}/purge", m.PurgeResult)


def audit(action: str | None, actor: str | None, limit: int, cursor: str | None) -> Op[m.AuditPage]:
    params = {"action": action, "actor": actor, "limit": limit, "cursor": cursor}
    return Op("GET", f"{API}/audit", m.AuditPage, params=params)


def list_webhooks() -> Op[_WebhookList]:
    return Op("GET", f"{API}/webhooks", _WebhookList)


def create_webhook(url: str, event_types: list[str] | None, active: bool) -> Op[m.WebhookWithSecret]:
    body = {"url": url, "event_types": event_types or [], "active": active}
    return Op("POST", f"{API}/webhooks", m.WebhookWithSecret, body=body)


def get_webhook(webhook_id: str) -> Op[m.Webhook]:
    return Op("GET", f"{API}/webhooks/{_id(webhook_id)}", m.Webhook)


def update_webhook(
    webhook_id: str, url: str | None, event_types: list[str] | None, active: bool | None
) -> Op[m.Webhook]:
    body = {"url": url, "event_types": event_types, "active": active}
    return Op("PATCH", f"{API}/webhooks/{_id(webhook_id)}", m.Webhook, body=body)


def rotate_webhook_secret(webhook_id: str) -> Op[m.WebhookWithSecret]:
    return Op("POST", f"{API}/webhooks/{_id(webhook_id)}/rotate-secret", m.WebhookWithSecret)


def delete_webhook(webhook_id: str) -> Op[None]:
    return Op("DELETE", f"{API}/webhooks/{_id(webhook_id)}", None)


def webhook_deliveries(webhook_id: str, limit: int) -> Op[_DeliveryList]:
    return Op("GET", f"{API}/webhooks/{_id(webhook_id)}/deliveries", _DeliveryList, params={"limit": limit})


def commons_stats() -> Op[m.CommonsStats]:
    return Op("GET", f"{API}/stats/commons", m.CommonsStats)


def org_stats() -> Op[m.OrgStats]:
    return Op("GET", f"{API}/stats/org", m.OrgStats)


def agent_stats(agent_id: str | None) -> Op[m.AgentStats]:
    return Op("GET", f"{API}/stats/user", m.AgentStats, params={"agent_id": agent_id})


# Envelopes the clients unwrap into plain lists.


class _QuarantineList(m.Model):
    items: list[m.QuarantinedItem]


class _WebhookList(m.Model):
    webhooks: list[m.Webhook]


class _DeliveryList(m.Model):
    deliveries: list[m.WebhookDelivery]


STREAM_PATH = f"{API}/stream/feed"


IDEMPOTENT = frozenset({"GET", "DELETE", "PATCH"})


def may_retry_after(op: Op[Any], error: httpx.TransportError) -> bool:
    """A request that never reached the server is always safe to resend; one that may have
    reached it only when repeating it changes nothing."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout) or op.method in IDEMPOTENT
