"""Initial schema: accounts, keys, the contribution queue, the commons, signals, events.

Written as explicit SQL so every constraint is deliberate: CHECKs for closed vocabularies and
ranges, partial unique indexes for "one live row", an HNSW index for ANN, a generated tsvector
with GIN for full text.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from hivemind_api.vocab import (
    CATEGORIES,
    CONTRIBUTION_STATUSES,
    KEY_ROLES,
    KEY_TIERS,
    MEMBER_ROLES,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# The signal kinds of this revision, frozen: 0006 extends the CHECK itself.
_SIGNAL_KINDS_0001 = ("retrieval", "outcome_solved", "outcome_not_helpful", "flag_contradiction")
# The event types of this revision, frozen: later revisions extend the CHECK themselves (0005).
_EVENT_TYPES_0001 = (
    "contribution.created",
    "knowledge.approved",
    "knowledge.rejected",
    "knowledge.published",
    "knowledge.unpublished",
    "knowledge.deleted",
    "knowledge.superseded",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")

    op.execute(
        """
        CREATE TABLE orgs (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            slug text NOT NULL,
            name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_orgs_slug UNIQUE (slug),
            CONSTRAINT ck_orgs_slug CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
            CONSTRAINT ck_orgs_name CHECK (length(btrim(name)) BETWEEN 1 AND 200)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE users (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            email text NOT NULL,
            password_hash text NOT NULL,
            is_active boolean NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL DEFAULT now(),
            last_login_at timestamptz,
            CONSTRAINT ck_users_email_lower CHECK (email = lower(email) AND position('@' in email) > 1)
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX uq_users_email ON users (email)")
    op.execute(
        f"""
        CREATE TABLE memberships (
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN {_in(MEMBER_ROLES)}),
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, org_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_memberships_org ON memberships (org_id)")
    op.execute(
        """
        CREATE TABLE user_sessions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            token_hash text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz,
            CONSTRAINT uq_user_sessions_token UNIQUE (token_hash),
            CONSTRAINT ck_user_sessions_expiry CHECK (expires_at > created_at)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE api_keys (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            agent_id text NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 200),
            name text,
            role text NOT NULL DEFAULT 'contributor' CHECK (role IN {_in(KEY_ROLES)}),
            key_prefix text NOT NULL,
            key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{{64}}$'),
            tier text NOT NULL DEFAULT 'free' CHECK (tier IN {_in(KEY_TIERS)}),
            request_count bigint NOT NULL DEFAULT 0 CHECK (request_count >= 0),
            billing_period_start timestamptz NOT NULL DEFAULT now(),
            billing_period_reset_days integer NOT NULL DEFAULT 30 CHECK (billing_period_reset_days > 0),
            created_at timestamptz NOT NULL DEFAULT now(),
            last_used_at timestamptz,
            revoked_at timestamptz,
            CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash),
            CONSTRAINT uq_api_keys_key_prefix UNIQUE (key_prefix)
        )
        """
    )
    op.execute("CREATE INDEX ix_api_keys_org ON api_keys (org_id)")

    # contributions and knowledge_items reference each other; create both, then the FKs.
    op.execute(
        f"""
        CREATE TABLE contributions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            api_key_id uuid REFERENCES api_keys(id) ON DELETE SET NULL,
            source_agent_id text NOT NULL,
            run_id text,
            content text,
            title text,
            category text NOT NULL CHECK (category IN {_in(CATEGORIES)}),
            confidence double precision NOT NULL DEFAULT 0.8 CHECK (confidence BETWEEN 0 AND 1),
            framework text,
            language text,
            version text,
            tags text[] NOT NULL DEFAULT '{{}}' CHECK (cardinality(tags) <= 20),
            content_hash text CHECK (content_hash ~ '^[0-9a-f]{{64}}$'),
            status text NOT NULL DEFAULT 'processing' CHECK (status IN {_in(CONTRIBUTION_STATUSES)}),
            redaction_report jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            injection_verdict jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            injection_score double precision,
            prescreen_score integer CHECK (prescreen_score BETWEEN 0 AND 100),
            prescreen_reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
            similar_items jsonb NOT NULL DEFAULT '[]'::jsonb,
            duplicate_of uuid,
            supersedes_id uuid,
            reviewed_by uuid REFERENCES users(id) ON DELETE SET NULL,
            reviewed_at timestamptz,
            rejection_reason text,
            knowledge_item_id uuid,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            -- Everything past 'processing' has scrubbed content and its hash.
            CONSTRAINT ck_contributions_processed CHECK (
                status = 'processing' OR (content IS NOT NULL AND content_hash IS NOT NULL)),
            CONSTRAINT ck_contributions_content_len CHECK (content IS NULL OR length(content) <= 20000),
            CONSTRAINT ck_contributions_approved CHECK (
                (status = 'approved') = (knowledge_item_id IS NOT NULL)),
            CONSTRAINT ck_contributions_duplicate CHECK (
                status <> 'duplicate' OR duplicate_of IS NOT NULL),
            CONSTRAINT ck_contributions_reviewed CHECK (
                status NOT IN ('approved', 'rejected') OR reviewed_at IS NOT NULL)
        )
        """
    )
    op.execute("CREATE INDEX ix_contributions_queue ON contributions (org_id, status, created_at DESC)")
    op.execute(
        "CREATE INDEX ix_contributions_agent ON contributions (org_id, source_agent_id, created_at DESC)"
    )
    # One live (queued) contribution per (org, content): a resubmission is a duplicate.
    op.execute(
        "CREATE UNIQUE INDEX uq_contributions_live_hash ON contributions (org_id, content_hash) "
        "WHERE status = 'pending'"
    )

    op.execute(
        f"""
        CREATE TABLE knowledge_items (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            contribution_id uuid REFERENCES contributions(id) ON DELETE SET NULL,
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            source_agent_id text NOT NULL,
            run_id text,
            category text NOT NULL CHECK (category IN {_in(CATEGORIES)}),
            confidence double precision NOT NULL DEFAULT 0.8 CHECK (confidence BETWEEN 0 AND 1),
            framework text,
            language text,
            version text,
            tags text[] NOT NULL DEFAULT '{{}}',
            content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{{64}}$'),
            contributed_at timestamptz NOT NULL,
            title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
            content text NOT NULL CHECK (length(content) BETWEEN 1 AND 20000),
            is_public boolean NOT NULL DEFAULT false,
            embedding vector(384),
            embedding_model text,
            search_tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                setweight(to_tsvector('english', coalesce(content, '')), 'B')
            ) STORED,
            quality_score double precision NOT NULL DEFAULT 0.5 CHECK (quality_score BETWEEN 0 AND 1),
            retrieval_count bigint NOT NULL DEFAULT 0 CHECK (retrieval_count >= 0),
            helpful_count bigint NOT NULL DEFAULT 0 CHECK (helpful_count >= 0),
            not_helpful_count bigint NOT NULL DEFAULT 0 CHECK (not_helpful_count >= 0),
            approved_at timestamptz NOT NULL DEFAULT now(),
            approved_by uuid REFERENCES users(id) ON DELETE SET NULL,
            valid_at timestamptz,
            invalid_at timestamptz,
            expired_at timestamptz,
            superseded_by uuid REFERENCES knowledge_items(id) ON DELETE SET NULL,
            deleted_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_knowledge_validity CHECK (
                valid_at IS NULL OR invalid_at IS NULL OR invalid_at > valid_at),
            CONSTRAINT ck_knowledge_superseded CHECK (superseded_by IS NULL OR expired_at IS NOT NULL),
            CONSTRAINT ck_knowledge_not_self_superseded CHECK (superseded_by IS DISTINCT FROM id),
            CONSTRAINT ck_knowledge_embedding_model CHECK ((embedding IS NULL) = (embedding_model IS NULL)),
            CONSTRAINT uq_knowledge_contribution UNIQUE (contribution_id)
        )
        """
    )
    # One live item per (org, content_hash); expired or deleted copies may remain as history.
    op.execute(
        "CREATE UNIQUE INDEX uq_knowledge_live_hash ON knowledge_items (org_id, content_hash) "
        "WHERE deleted_at IS NULL AND expired_at IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_knowledge_embedding_hnsw ON knowledge_items "
        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )
    op.execute("CREATE INDEX ix_knowledge_search_tsv ON knowledge_items USING gin (search_tsv)")
    op.execute(
        "CREATE INDEX ix_knowledge_org_live ON knowledge_items (org_id, approved_at DESC) "
        "WHERE deleted_at IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_knowledge_public_live ON knowledge_items (approved_at DESC) "
        "WHERE is_public AND deleted_at IS NULL"
    )
    op.execute("CREATE INDEX ix_knowledge_agent ON knowledge_items (org_id, source_agent_id)")
    op.execute(
        "ALTER TABLE contributions "
        "ADD CONSTRAINT fk_contributions_duplicate_of FOREIGN KEY (duplicate_of) "
        "REFERENCES knowledge_items(id) ON DELETE SET NULL, "
        "ADD CONSTRAINT fk_contributions_supersedes FOREIGN KEY (supersedes_id) "
        "REFERENCES knowledge_items(id) ON DELETE SET NULL, "
        "ADD CONSTRAINT fk_contributions_knowledge_item FOREIGN KEY (knowledge_item_id) "
        "REFERENCES knowledge_items(id) ON DELETE RESTRICT"
    )

    op.execute(
        f"""
        CREATE TABLE signals (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            knowledge_item_id uuid NOT NULL REFERENCES knowledge_items(id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN {_in(_SIGNAL_KINDS_0001)}),
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            agent_id text NOT NULL,
            run_id text,
            by_own_org boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_signals_item_kind ON signals (knowledge_item_id, kind, created_at)")
    op.execute("CREATE INDEX ix_signals_created ON signals (created_at)")
    # One outcome per (agent, run, item), whatever the verdict.
    op.execute(
        "CREATE UNIQUE INDEX uq_signals_one_outcome ON signals "
        "(knowledge_item_id, org_id, agent_id, coalesce(run_id, '')) "
        "WHERE kind IN ('outcome_solved', 'outcome_not_helpful')"
    )

    op.execute(
        f"""
        CREATE TABLE auto_approve_rules (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            category text NOT NULL CHECK (category IN {_in(CATEGORIES)}),
            min_prescreen_score integer CHECK (min_prescreen_score BETWEEN 0 AND 100),
            created_by uuid REFERENCES users(id) ON DELETE SET NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_auto_approve_rules_org_category UNIQUE (org_id, category)
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            type text NOT NULL CHECK (type IN {_in(_EVENT_TYPES_0001)}),
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            is_public boolean NOT NULL DEFAULT false,
            knowledge_item_id uuid REFERENCES knowledge_items(id) ON DELETE SET NULL,
            contribution_id uuid REFERENCES contributions(id) ON DELETE SET NULL,
            summary jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_events_org ON events (org_id, id)")
    op.execute("CREATE INDEX ix_events_public ON events (id) WHERE is_public")

    op.execute(
        """
        CREATE TABLE webhook_endpoints (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            url text NOT NULL CHECK (url ~ '^https?://'),
            event_types text[] NOT NULL DEFAULT '{}',
            secret text NOT NULL,
            is_active boolean NOT NULL DEFAULT true,
            consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
            disabled_reason text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_webhook_endpoints_org ON webhook_endpoints (org_id)")
    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            event_id bigint NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
            status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'failed')),
            response_status integer,
            latency_ms integer,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT uq_webhook_delivery_attempt UNIQUE (endpoint_id, event_id, attempt)
        )
        """
    )

    op.execute(
        """
        CREATE TABLE audit_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            org_id uuid REFERENCES orgs(id) ON DELETE CASCADE,
            actor_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
            actor_key_id uuid REFERENCES api_keys(id) ON DELETE SET NULL,
            actor_label text NOT NULL,
            action text NOT NULL,
            target_type text,
            target_id text,
            details jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_audit_log_org ON audit_log (org_id, id DESC)")

    op.execute(
        """
        CREATE TABLE deployment_config (
            key text PRIMARY KEY,
            value text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    for table in (
        "deployment_config",
        "audit_log",
        "webhook_deliveries",
        "webhook_endpoints",
        "events",
        "auto_approve_rules",
        "signals",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute(
        "ALTER TABLE contributions DROP CONSTRAINT IF EXISTS fk_contributions_duplicate_of, "
        "DROP CONSTRAINT IF EXISTS fk_contributions_supersedes, "
        "DROP CONSTRAINT IF EXISTS fk_contributions_knowledge_item"
    )
    for table in (
        "knowledge_items",
        "contributions",
        "api_keys",
        "user_sessions",
        "memberships",
        "users",
        "orgs",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
