"""Typed results of the HiveMind API.

Every model accepts fields it does not know (``extra="allow"``), so a client keeps working when
a newer server adds fields; the ones named here are the server's documented contract.
Ids are strings, as they travel in JSON and as the client's methods take them back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


# -- contributing and reading -------------------------------------------------------------------


class ContributionReceipt(Model):
    """The answer to a contribution: ``queued`` (screened in the background, then reviewed or
    auto-approved) or ``blocked`` (a screen refused it; nothing was stored)."""

    contribution_id: str
    status: str
    category: str
    message: str


class SearchHit(Model):
    id: str
    title: str
    category: str
    confidence: float
    org_attribution: str
    relevance_score: float  # cosine similarity of query and item, 0..1
    quality_score: float
    is_public: bool
    rank_score: float  # what results are ordered by
    content: str | None = None  # only with include_content=True
    integrity_verified: bool | None = None  # with the content: it matches its approval-time hash


class SearchPage(Model):
    results: list[SearchHit]
    total_found: int
    next_cursor: str | None = None


class KnowledgeItem(Model):
    """One item in full, with provenance and the result of its integrity check."""

    id: str
    title: str
    content: str
    category: str
    confidence: float
    framework: str | None = None
    language: str | None = None
    version: str | None = None
    org_attribution: str
    source_agent_id: str
    run_id: str | None = None
    contributed_at: datetime
    approved_at: datetime
    content_hash: str
    is_public: bool
    quality_score: float
    retrieval_count: int
    helpful_count: int
    not_helpful_count: int
    valid_at: datetime | None = None
    invalid_at: datetime | None = None
    expired_at: datetime | None = None
    superseded_by: str | None = None
    integrity_verified: bool | None = None
    integrity_warning: str | None = None
    screen_version: str | None = None
    version_range: str | None = None  # PEP 440 specifiers for ``framework``; None: every version
    forked_from: str | None = None  # the item it forked from (that one holds the older versions)
    # What quality_score is made of: usefulness, popularity, freshness, penalty, the counted votes
    # of the item's own org and of others, a curator's mark and its reason.
    quality: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, Any] = Field(default_factory=dict)

    @property
    def tag_list(self) -> list[str]:
        """The item's tags (the API nests them as ``{"tags": [...]}``, as the earlier API did)."""
        return list(self.tags.get("tags") or [])


class OwnContribution(Model):
    id: str
    contribution_id: str
    status: str  # pending | approved | rejected | ...
    content_preview: str
    category: str
    confidence: float
    contributed_at: datetime
    is_public: bool | None = None
    rejection_reason: str | None = None
    duplicate_of: str | None = None
    duplicate_of_contribution: str | None = None


class OwnPage(Model):
    contributions: list[OwnContribution]
    total_count: int
    next_cursor: str | None = None


class DeleteResult(Model):
    id: str
    status: str
    message: str


class PublishResult(Model):
    id: str
    is_public: bool
    message: str


class OutcomeResult(Model):
    status: Literal["recorded", "updated", "already_recorded"] | str
    item_id: str
    outcome: str
    signal_id: int
    counted: bool
    quality_score: float
    version_range: str | None = None  # the item's range after the report (outdated ones may narrow it)
    narrowed: bool = False


class Revision(Model):
    kind: str  # "agent" (as contributed, scrubbed) | "curator_edit"
    actor: str
    at: datetime
    title: str
    content: str


class RangeSpan(Model):
    version_range: str | None = None
    valid_from: datetime
    valid_to: datetime | None = None
    reason: str


class Fork(Model):
    id: str
    title: str
    version_range: str | None = None
    direction: str  # "forked from" | "forked to"


class ItemHistory(Model):
    """How an item came to be what it is: its texts, its version ranges over time, its forks."""

    revisions: list[Revision]
    ranges: list[RangeSpan]
    forks: list[Fork]


class MarkResult(Model):
    id: str
    curator_mark: str | None = None
    reason: str | None = None
    quality_score: float
    invalid_at: datetime | None = None


class KeyInfo(Model):
    org_id: str
    org: str
    agent_id: str
    role: str
    tier: str
    request_count: int


# -- curators -----------------------------------------------------------------------------------


class PendingContribution(Model):
    id: str
    title: str
    content_preview: str
    category: str
    source_agent_id: str
    created_at: datetime
    content_hash: str
    confidence: float
    status: str
    similar_items: list[dict[str, Any]] = Field(default_factory=list)
    prescreen_score: int | None = None
    prescreen_reasons: list[Any] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    redaction_report: dict[str, Any] = Field(default_factory=dict)
    injection_verdict: dict[str, Any] = Field(default_factory=dict)
    duplicate_of: str | None = None


class PendingPage(Model):
    items: list[PendingContribution]
    total: int
    limit: int
    offset: int


class ApproveResult(Model):
    status: str  # "approved", or "purged" when approved as sensitive
    item_id: str | None = None


class RejectResult(Model):
    status: str
    contribution_id: str


class QuarantinedItem(Model):
    id: str
    title: str
    content: str
    category: str
    is_public: bool
    quarantined_at: datetime
    screen_version: str | None = None
    reasons: list[str] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    status: str


class ReleaseResult(Model):
    id: str
    status: str
    screen_version: str | None = None


class PurgeResult(Model):
    id: str
    status: str
    knowledge_items: int
    contributions: int
    events_erased: int
    message: str


class AuditEntry(Model):
    id: int
    created_at: datetime
    actor: str
    actor_user_id: str | None = None
    actor_key_id: str | None = None
    action: str
    target_type: str | None = None
    target_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class AuditPage(Model):
    entries: list[AuditEntry]
    next_cursor: str | None = None


# -- webhooks -----------------------------------------------------------------------------------


class Webhook(Model):
    id: str
    url: str
    event_types: list[str]
    active: bool
    consecutive_failures: int
    disabled_reason: str | None = None
    secret_hint: str
    created_at: datetime
    updated_at: datetime
    last_delivery_at: datetime | None = None
    last_delivery_status: str | None = None


class WebhookWithSecret(Webhook):
    """Returned by create and rotate only: the signing secret is shown once."""

    secret: str


class WebhookDelivery(Model):
    id: str
    delivery_id: str
    event_id: int
    event_type: str
    attempt: int
    status: str
    response_status: int | None = None
    latency_ms: int | None = None
    error: str | None = None
    scheduled_for: datetime
    attempted_at: datetime | None = None


# -- statistics ---------------------------------------------------------------------------------


class CategoryCount(Model):
    category: str
    count: int


class DailyPoint(Model):
    date: date
    added: int
    total: int


class CommonsStats(Model):
    total_items: int
    total_pending: int  # your own org's contributions waiting for review
    added_24h: int
    added_7d: int
    growth_rate_24h: int  # items that entered the commons in the last 24 h
    growth_rate_7d: int
    growth_ratio_24h: float
    growth_ratio_7d: float
    retrieval_volume_24h: int
    domains_covered: int  # distinct categories
    frameworks_covered: int
    contributing_orgs: int
    categories: list[CategoryCount]
    daily: list[DailyPoint]


class TopItem(Model):
    id: str
    title: str
    category: str
    is_public: bool
    retrievals_by_others: int
    helpful_by_others: int
    retrieval_count: int


class OrgStats(Model):
    contributions_total: int
    contributions_pending: int
    contributions_approved_24h: int
    items_live: int
    items_public: int
    retrievals_by_others: int
    retrievals_by_own: int
    retrievals_from_others: int
    helpful_count: int
    not_helpful_count: int
    helpful_by_own: int
    not_helpful_by_own: int
    top_items: list[TopItem]


class AgentStats(Model):
    agent_id: str
    agent_contributions: int
    agent_pending: int
    agent_approved: int
    agent_items_live: int
    agent_retrievals_received: int
    agent_retrievals_by_others: int
    agent_helpful: int
    agent_not_helpful: int
    agent_helpful_ratio: float | None = None


# -- events (live stream and webhooks) ----------------------------------------------------------


class Event(Model):
    """One event of the live stream or one webhook body.

    ``id`` and ``knowledge_item_id`` name the item (or, for a contribution's events, the
    contribution) the event is about; ``event_id`` orders events and is what a reconnecting
    client resumes after. ``channel`` is the SSE event name (``public`` or ``private``), empty
    for webhook bodies.
    """

    event_id: int
    type: str
    event: str | None = None
    id: str | None = None
    knowledge_item_id: str | None = None
    org_id: str
    is_public: bool
    category: str | None = None
    title: str | None = None
    timestamp: datetime
    item: dict[str, Any] = Field(default_factory=dict)
    channel: str = ""
