"""Contributions keep the pipeline's embedding (approval never embeds again) and can be
duplicates of a still-pending contribution.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE contributions ADD COLUMN embedding vector(384), ADD COLUMN embedding_model text")
    # A resubmission of content still waiting in the queue is a duplicate of that contribution.
    op.execute(
        "ALTER TABLE contributions ADD COLUMN duplicate_of_contribution uuid "
        "REFERENCES contributions(id) ON DELETE SET NULL"
    )
    op.execute("ALTER TABLE contributions DROP CONSTRAINT ck_contributions_duplicate")
    op.execute(
        "ALTER TABLE contributions ADD CONSTRAINT ck_contributions_duplicate CHECK ("
        "status <> 'duplicate' OR duplicate_of IS NOT NULL OR duplicate_of_contribution IS NOT NULL)"
    )
    op.execute(
        "ALTER TABLE contributions ADD CONSTRAINT ck_contributions_embedding_model "
        "CHECK ((embedding IS NULL) = (embedding_model IS NULL))"
    )
    # An agent's own contributions, newest first, paged by (created_at, id).
    op.execute("DROP INDEX ix_contributions_agent")
    op.execute(
        "CREATE INDEX ix_contributions_agent ON contributions (org_id, source_agent_id, created_at DESC, id DESC)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_contributions_agent")
    op.execute(
        "CREATE INDEX ix_contributions_agent ON contributions (org_id, source_agent_id, created_at DESC)"
    )
    op.execute("ALTER TABLE contributions DROP CONSTRAINT ck_contributions_embedding_model")
    op.execute("ALTER TABLE contributions DROP CONSTRAINT ck_contributions_duplicate")
    op.execute(
        "ALTER TABLE contributions ADD CONSTRAINT ck_contributions_duplicate "
        "CHECK (status <> 'duplicate' OR duplicate_of IS NOT NULL)"
    )
    op.execute(
        "ALTER TABLE contributions DROP COLUMN embedding, DROP COLUMN embedding_model, "
        "DROP COLUMN duplicate_of_contribution"
    )
