"""Request and response bodies of the REST API. Field names follow the earlier HiveMind API
(reference §4.3–4.4) so its SDKs keep working; fields were added, none removed."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ContributionIn(BaseModel):
    content: str = Field(description="What the agent learned (10–20,000 characters, markdown)")
    category: str = Field(description="One of the 11 categories, e.g. bug_fix, workaround, config")
    confidence: float = 0.8
    framework: str | None = None
    language: str | None = None
    version: str | None = None
    tags: list[str] | None = None
    run_id: str | None = None


class ContributionAccepted(BaseModel):
    contribution_id: uuid.UUID
    status: str
    category: str
    message: str


class SearchResultOut(BaseModel):
    id: uuid.UUID
    title: str
    category: str
    confidence: float
    org_attribution: str
    relevance_score: float = Field(description="Cosine similarity of query and item, in [0, 1]")
    quality_score: float
    is_public: bool
    rank_score: float = Field(description="The fused rank (RRF × quality) results are ordered by")
    content: str | None = None


class SearchOut(BaseModel):
    results: list[SearchResultOut]
    total_found: int
    next_cursor: str | None


class ItemOut(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    category: str
    confidence: float
    framework: str | None
    language: str | None
    version: str | None
    tags: dict[str, list[str]] = Field(description='{"tags": [...]}, as the earlier API returned it')
    org_attribution: str
    source_agent_id: str
    run_id: str | None
    contributed_at: datetime
    approved_at: datetime
    content_hash: str
    is_public: bool
    quality_score: float
    retrieval_count: int
    helpful_count: int
    not_helpful_count: int
    valid_at: datetime | None
    invalid_at: datetime | None
    expired_at: datetime | None
    superseded_by: uuid.UUID | None
    integrity_verified: bool | None = None
    integrity_warning: str | None = None


class OwnContributionOut(BaseModel):
    id: uuid.UUID
    contribution_id: uuid.UUID
    status: str
    content_preview: str
    category: str
    confidence: float
    contributed_at: datetime
    is_public: bool | None
    rejection_reason: str | None


class OwnListOut(BaseModel):
    contributions: list[OwnContributionOut]
    total_count: int
    next_cursor: str | None


class DeleteOut(BaseModel):
    id: uuid.UUID
    status: str
    message: str


class PublishOut(BaseModel):
    id: uuid.UUID
    is_public: bool
    message: str


class OutcomeIn(BaseModel):
    item_id: str
    outcome: str = Field(description="solved | did_not_help")
    run_id: str | None = None


class OutcomeOut(BaseModel):
    status: str
    item_id: uuid.UUID
    outcome: str
    signal_id: int
    counted: bool
    quality_score: float


class PendingOut(BaseModel):
    id: uuid.UUID
    title: str
    content_preview: str
    category: str
    source_agent_id: str
    created_at: datetime
    content_hash: str
    confidence: float
    similar_items: list[dict]


class PendingListOut(BaseModel):
    items: list[PendingOut]
    total: int
    limit: int
    offset: int


class ApproveIn(BaseModel):
    is_public: bool = False


class ApproveOut(BaseModel):
    status: str
    item_id: uuid.UUID


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
