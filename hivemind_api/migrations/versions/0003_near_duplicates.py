"""Near-duplicate detection and pre-screening: MinHash signatures and their LSH bands persisted in
Postgres (so every worker, after any restart, sees the same index), and curator flags.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE contributions ADD COLUMN minhash bigint[]")
    op.execute("ALTER TABLE contributions ADD COLUMN flags text[] NOT NULL DEFAULT '{}'")
    op.execute(
        """
        CREATE TABLE minhash_bands (
            contribution_id uuid NOT NULL REFERENCES contributions(id) ON DELETE CASCADE,
            band smallint NOT NULL,
            hash bigint NOT NULL,
            PRIMARY KEY (contribution_id, band)
        )
        """
    )
    op.execute("CREATE INDEX ix_minhash_bands_lookup ON minhash_bands (band, hash)")
    op.execute(
        "CREATE INDEX ix_contributions_flagged ON contributions (org_id, created_at) WHERE flags <> '{}'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE minhash_bands")
    op.execute("ALTER TABLE contributions DROP COLUMN flags, DROP COLUMN minhash")
