"""When each item entered the public commons (for growth statistics), and the webhook delivery
schedule: every attempt is a row (pending until it runs, then success, failed or skipped), and
the dispatcher's cursor over the events table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE knowledge_items ADD COLUMN published_at timestamptz")
    op.execute(
        """
        UPDATE knowledge_items k SET published_at = coalesce(
          (SELECT max(e.created_at) FROM events e WHERE e.knowledge_item_id = k.id AND e.is_public
             AND e.type IN ('knowledge.approved', 'knowledge.published')),
          k.approved_at)
        WHERE k.is_public
        """
    )
    op.execute("CREATE INDEX ix_knowledge_public_since ON knowledge_items (published_at) WHERE is_public")

    op.execute("ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check")
    op.execute(
        "ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check "
        "CHECK (status IN ('pending', 'success', 'failed', 'skipped'))"
    )
    op.execute("ALTER TABLE webhook_deliveries ADD COLUMN scheduled_for timestamptz NOT NULL DEFAULT now()")
    op.execute("ALTER TABLE webhook_deliveries ADD COLUMN attempted_at timestamptz")
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (scheduled_for) WHERE status = 'pending'"
    )
    op.execute("CREATE INDEX ix_webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at DESC)")
    # Webhooks follow events from here on (no endpoint exists before this revision).
    op.execute(
        "INSERT INTO deployment_config (key, value) "
        "SELECT 'webhook_dispatch_cursor', coalesce(max(id), 0)::text FROM events "
        "ON CONFLICT (key) DO NOTHING"
    )


def downgrade() -> None:
    op.execute("DELETE FROM deployment_config WHERE key = 'webhook_dispatch_cursor'")
    op.execute("DROP INDEX ix_webhook_deliveries_log")
    op.execute("DROP INDEX ix_webhook_deliveries_due")
    op.execute("ALTER TABLE webhook_deliveries DROP COLUMN attempted_at, DROP COLUMN scheduled_for")
    op.execute("DELETE FROM webhook_deliveries WHERE status = 'skipped'")
    op.execute("ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check")
    op.execute(
        "ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check "
        "CHECK (status IN ('pending', 'success', 'failed'))"
    )
    op.execute("DROP INDEX ix_knowledge_public_since")
    op.execute("ALTER TABLE knowledge_items DROP COLUMN published_at")
