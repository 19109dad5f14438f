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


class ContributionStatus(StrEnum):
    """Where a contribution is: stored and screened, waiting for the worker (processing), waiting
    for a curator (pending), or decided."""

    PROCESSING = "processing"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    BLOCKED = "blocked"


class EventType(StrEnum):
    """What the events table records: every change someone else may see."""

    CONTRIBUTION_CREATED = "contribution.created"
    KNOWLEDGE_APPROVED = "knowledge.approved"
    KNOWLEDGE_REJECTED = "knowledge.rejected"
    KNOWLEDGE_PUBLISHED = "knowledge.published"
    KNOWLEDGE_UNPUBLISHED = "knowledge.unpublished"
    KNOWLEDGE_DELETED = "knowledge.deleted"
    KNOWLEDGE_SUPERSEDED = "knowledge.superseded"
    KNOWLEDGE_QUARANTINED = "knowledge.quarantined"  # a re-screen failed it: gone until its curators decide
    KNOWLEDGE_RELEASED = "knowledge.released"  # its curators put a quarantined item back
    KNOWLEDGE_PURGED = "knowledge.purged"  # its text was erased everywhere
    KNOWLEDGE_NARROWED = "knowledge.narrowed"  # its version range was cut (outdated reports, a fork)
    KNOWLEDGE_MARKED = "knowledge.marked"  # a curator marked it outdated or incorrect


class Outcome(StrEnum):
    """What an agent reports after using an item (one counted vote per agent per item)."""

    SOLVED = "solved"
    DID_NOT_HELP = "did_not_help"
    OUTDATED = "outdated"  # worked once, not in the reporter's version or environment
    INCORRECT = "incorrect"  # wrong: contradicts what the reporter found


class CuratorMark(StrEnum):
    """What a curator can say about one of the org's items besides approving it."""

    OUTDATED = "outdated"
    INCORRECT = "incorrect"


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
CONTRIBUTION_STATUSES: tuple[str, ...] = tuple(s.value for s in ContributionStatus)
MEMBER_ROLES: tuple[str, ...] = tuple(r.value for r in MemberRole)
KEY_ROLES: tuple[str, ...] = tuple(r.value for r in KeyRole)
KEY_TIERS = ("free", "pro", "enterprise")
EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)
SIGNAL_KINDS = (
    "retrieval",
    "outcome_solved",
    "outcome_not_helpful",
    "flag_contradiction",
    "outcome_outdated",
    "outcome_incorrect",
)
EMBEDDING_DIM = 384
