"""The closed vocabularies of the product. The schema's CHECK constraints use these.

The tuples keep the order the first migration wrote into its CHECK constraints; the enums are
what code compares and assigns (a ``StrEnum`` member equals its string, so rows read back as
plain strings compare equal).
"""

from enum import StrEnum


class KeyRole(StrEnum):
    """What an API key may do: read, also contribute, also curate its org's queue and items."""

    CONTRIBUTOR = "contributor"
    READER = "reader"
    CURATOR = "curator"


class MemberRole(StrEnum):
    """What a dashboard member may do: administer the org, curate, or only look."""

    ADMIN = "admin"
    CURATOR = "curator"
    VIEWER = "viewer"


CATEGORIES: tuple[str, ...] = (
    "bug_fix",
    "config",
    "domain_expertise",
    "workaround",
    "pricing_data",
    "regulatory_rule",
    "tooling",
    "reasoning_trace",
    "failed_approach",
    "version_workaround",
    "general",
)
CONTRIBUTION_STATUSES = ("processing", "pending", "approved", "rejected", "duplicate", "blocked")
MEMBER_ROLES: tuple[str, ...] = tuple(r.value for r in MemberRole)
KEY_ROLES: tuple[str, ...] = tuple(r.value for r in KeyRole)
KEY_TIERS = ("free", "pro", "enterprise")
EVENT_TYPES = (
    "contribution.created",
    "knowledge.approved",
    "knowledge.rejected",
    "knowledge.published",
    "knowledge.unpublished",
    "knowledge.deleted",
    "knowledge.superseded",
    "knowledge.quarantined",  # a re-screen failed it: gone for everyone until its curators decide
    "knowledge.released",  # its curators put a quarantined item back
    "knowledge.purged",  # its text was erased everywhere
)
SIGNAL_KINDS = ("retrieval", "outcome_solved", "outcome_not_helpful", "flag_contradiction")
EMBEDDING_DIM = 384
