"""The closed vocabularies of the product (SPEC §3). The schema's CHECK constraints use these."""

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
MEMBER_ROLES = ("admin", "curator", "viewer")
KEY_ROLES = ("contributor", "reader", "curator")
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
