"""Request and response bodies of the REST API. Field names follow the earlier HiveMind API
so its SDKs keep working; fields were added, none removed. Where the domain's
result type already has the right shape, it is the response model itself (one definition)."""

from __future__ import annotations

import uuid
from typing import Any, get_type_hints

from pydantic import BaseModel, Field, create_model

from hivemind_api.knowledge.contributions import OwnContribution
from hivemind_api.knowledge.items import ItemDetail
from hivemind_api.knowledge.quarantine import QuarantinedItem
from hivemind_api.knowledge.review import PendingContribution
from hivemind_api.knowledge.search import SearchHit
from hivemind_api.webhooks.endpoints import DeliveryAttempt, EndpointInfo


class ContributionIn(BaseModel):
    content: str = Field(description="What the agent learned (10–20,000 characters, markdown)")
    category: str = Field(description="One of the 11 categories, e.g. bug_fix, workaround, config")
    confidence: float = 0.8
    framework: str | None = None
    language: str | None = None
    version: str | None = None
    version_range: str | None = Field(
        default=None, description="The framework versions it applies to, PEP 440 specifiers, e.g. '>=4.2,<5'"
    )
    tags: list[str] | None = None
    run_id: str | None = None


class SearchOut(BaseModel):
    results: list[SearchHit]
    total_found: int
    next_cursor: str | None


# The domain's ItemDetail, except that tags come as {"tags": [...]}, as the earlier API sent them.
_ITEM_FIELDS: dict[str, Any] = {
    **{name: (hint, ...) for name, hint in get_type_hints(ItemDetail).items() if name != "tags"},
    "tags": (dict[str, list[str]], Field(description='{"tags": [...]}, as the earlier API returned it')),
}
ItemOut = create_model("ItemOut", **_ITEM_FIELDS)


class OwnListOut(BaseModel):
    contributions: list[OwnContribution]
    total_count: int
    next_cursor: str | None


class OutcomeIn(BaseModel):
    item_id: str
    outcome: str = Field(description="solved | did_not_help | outdated | incorrect")
    run_id: str | None = None
    version: str | None = Field(
        default=None,
        description="The framework version you used (PEP 440), e.g. where an outdated item failed",
    )
    environment: str | None = Field(
        default=None, description="Where it failed or worked (OS, runtime, setup), at most 500 characters"
    )


class PendingListOut(BaseModel):
    items: list[PendingContribution]
    total: int
    limit: int
    offset: int


class ApproveIn(BaseModel):
    is_public: bool = False
    supersedes: str | None = None  # one of your org's live items this one replaces
    category: str | None = Field(
        default=None, description="Approve under this category instead of the agent's"
    )
    version_range: str | None = Field(
        default=None, description="The versions it applies to (PEP 440), instead of the agent's"
    )
    fork_of: str | None = Field(
        default=None,
        description="A version fork: this live item of your org stays valid below where the new range starts",
    )
    content: str | None = Field(
        default=None, description="Your edit of the text: scrubbed and screened again; the history keeps both"
    )
    sensitive: bool = Field(
        default=False,
        description="The contribution holds what must not be kept: purge it instead of approving",
    )


class ApproveOut(BaseModel):
    status: str  # "approved", or "purged" for a contribution flagged sensitive
    item_id: uuid.UUID | None


class MarkIn(BaseModel):
    mark: str | None = Field(description="outdated | incorrect | null to clear the mark")
    reason: str | None = Field(default=None, description="Why (required to mark), at most 1,000 characters")


class RejectIn(BaseModel):
    reason: str | None = None


class RejectOut(BaseModel):
    status: str
    contribution_id: uuid.UUID


class KeyOut(BaseModel):
    org_id: uuid.UUID
    org: str
    agent_id: str
    role: str
    tier: str
    request_count: int


class WebhookIn(BaseModel):
    url: str = Field(description="http(s) URL that receives the POSTs")
    event_types: list[str] = Field(default_factory=list, description="Event types to send; empty: all")
    active: bool = True


class WebhookPatch(BaseModel):
    url: str | None = None
    event_types: list[str] | None = None
    active: bool | None = Field(default=None, description="false pauses; true resumes (and clears a disable)")


class WebhookListOut(BaseModel):
    webhooks: list[EndpointInfo]


# The domain's EndpointInfo plus the secret, which only creation and rotation return.
_CREATED_FIELDS: dict[str, Any] = {
    **{name: (hint, ...) for name, hint in get_type_hints(EndpointInfo).items()},
    "secret": (str, Field(description="HMAC-SHA256 signing secret: shown only now, keep it")),
}
WebhookCreatedOut = create_model("WebhookCreatedOut", **_CREATED_FIELDS)


class DeliveryLogOut(BaseModel):
    deliveries: list[DeliveryAttempt]


class QuarantineListOut(BaseModel):
    items: list[QuarantinedItem]


class ReleaseOut(BaseModel):
    id: uuid.UUID
    status: str  # "released"
    screen_version: str | None
