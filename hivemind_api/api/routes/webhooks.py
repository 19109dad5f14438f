"""Webhook endpoints over REST (curator keys of the owning org; another org's is a 404)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.deps import principal
from hivemind_api.api.schemas import (
    DeliveryLogOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookListOut,
    WebhookPatch,
)
from hivemind_api.db.engine import session_scope
from hivemind_api.knowledge.access import require_curator
from hivemind_api.webhooks import endpoints
from hivemind_api.webhooks.endpoints import EndpointInfo

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Principal = Annotated[Caller, Depends(principal)]


def _actor(who: Caller) -> Caller:
    require_curator(who)
    return who


def _created(result: endpoints.CreatedEndpoint) -> WebhookCreatedOut:
    return WebhookCreatedOut(**asdict(result.endpoint), secret=result.secret)


@router.get("", response_model=WebhookListOut, operation_id="list_webhooks")
async def list_webhooks(who: Principal) -> WebhookListOut:
    """Your org's webhook endpoints with their state (secrets are never listed)."""
    _actor(who)
    async with session_scope() as session:
        return WebhookListOut(webhooks=await endpoints.list_endpoints(session, who.org_id))


@router.post("", status_code=201, response_model=WebhookCreatedOut, operation_id="create_webhook")
async def create_webhook(body: WebhookIn, who: Principal) -> WebhookCreatedOut:
    """Register an endpoint. Each delivery is a JSON POST signed with the returned secret:
    ``X-HiveMind-Signature: sha256=HMAC(secret, X-HiveMind-Timestamp + "." + body)``."""
    actor = _actor(who)
    async with session_scope() as session:
        return _created(
            await endpoints.create_endpoint(
                session, who.org_id, actor, url=body.url, event_types=body.event_types, active=body.active
            )
        )


@router.get("/{webhook_id}", response_model=EndpointInfo, operation_id="get_webhook")
async def get_webhook(webhook_id: str, who: Principal) -> EndpointInfo:
    _actor(who)
    async with session_scope() as session:
        return await endpoints.get_endpoint(session, who.org_id, webhook_id)


@router.patch("/{webhook_id}", response_model=EndpointInfo, operation_id="update_webhook")
async def update_webhook(webhook_id: str, body: WebhookPatch, who: Principal) -> EndpointInfo:
    """Change the URL or event types; ``active: false`` pauses, ``active: true`` resumes (a disabled
    endpoint starts again with a clean failure count)."""
    actor = _actor(who)
    async with session_scope() as session:
        return await endpoints.update_endpoint(
            session,
            who.org_id,
            webhook_id,
            actor,
            url=body.url,
            event_types=body.event_types,
            active=body.active,
        )


@router.post(
    "/{webhook_id}/rotate-secret", response_model=WebhookCreatedOut, operation_id="rotate_webhook_secret"
)
async def rotate_webhook_secret(webhook_id: str, who: Principal) -> WebhookCreatedOut:
    """A new signing secret, used from the next attempt on; shown only now."""
    actor = _actor(who)
    async with session_scope() as session:
        return _created(await endpoints.rotate_secret(session, who.org_id, webhook_id, actor))


@router.delete("/{webhook_id}", status_code=204, operation_id="delete_webhook")
async def delete_webhook(webhook_id: str, who: Principal) -> Response:
    actor = _actor(who)
    async with session_scope() as session:
        await endpoints.delete_endpoint(session, who.org_id, webhook_id, actor)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryLogOut, operation_id="list_webhook_deliveries")
async def list_webhook_deliveries(
    webhook_id: str, who: Principal, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> DeliveryLogOut:
    """The latest delivery attempts, newest first: status, HTTP status, latency and error of each
    (a scheduled retry shows as pending)."""
    _actor(who)
    async with session_scope() as session:
        return DeliveryLogOut(deliveries=await endpoints.delivery_log(session, who.org_id, webhook_id, limit))
