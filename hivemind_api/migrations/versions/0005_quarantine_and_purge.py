"""Re-screening the commons, quarantine and purge (issue 15).

Every contribution and item records the version of the screens that passed it
(``screen_version``); when the screens change, a background job re-screens each live item, and
one that now fails is **quarantined** (``quarantined_at`` set, with its ``quarantine_evidence``):
gone from search, fetch, feeds, SSE, webhooks and statistics until its org's curators release or
purge it. Purge removes the text from every table and records the act in ``knowledge.purged``
events and the audit log (without the text).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD_TYPES = (
    "contribution.created",
    "knowledge.approved",
    "knowledge.rejected",
    "knowledge.published",
    "knowledge.unpublished",
    "knowledge.deleted",
    "knowledge.superseded",
)
_NEW_TYPES = (*_OLD_TYPES, "knowledge.quarantined", "knowledge.released", "knowledge.purged")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.execute("ALTER TABLE contributions ADD COLUMN screen_version text")
    op.execute("ALTER TABLE knowledge_items ADD COLUMN screen_version text")
    op.execute("ALTER TABLE knowledge_items ADD COLUMN quarantined_at timestamptz")
    op.execute(
        "ALTER TABLE knowledge_items ADD COLUMN quarantine_evidence jsonb NOT NULL DEFAULT '{}'::jsonb"
    )
    op.execute(
        "CREATE INDEX ix_knowledge_quarantined ON knowledge_items (org_id, quarantined_at) "
        "WHERE quarantined_at IS NOT NULL"
    )
    op.execute("ALTER TABLE events DROP CONSTRAINT events_type_check")
    op.execute(f"ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN {_in(_NEW_TYPES)})")


def downgrade() -> None:
    op.execute(
        "DELETE FROM events WHERE type IN ('knowledge.quarantined', 'knowledge.released', 'knowledge.purged')"
    )
    op.execute("ALTER TABLE events DROP CONSTRAINT events_type_check")
    op.execute(f"ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN {_in(_OLD_TYPES)})")
    op.execute("DROP INDEX ix_knowledge_quarantined")
    op.execute(
        "ALTER TABLE knowledge_items DROP COLUMN quarantine_evidence, DROP COLUMN quarantined_at, "
        "DROP COLUMN screen_version"
    )
    op.execute("ALTER TABLE contributions DROP COLUMN screen_version")
