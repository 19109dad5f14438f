"""Knowledge that ages honestly (issue 19): one counted vote per agent per item, the parts of the
quality score, version ranges and their history, forks, curator marks and edits.

* ``outcome_votes``: an agent's current verdict on an item (re-reports update it); the signals
  table keeps every report as history. Built here from the outcome signals already recorded
  (each agent's latest).
* ``knowledge_items``: the quality parts (usefulness, popularity, freshness, penalty),
  ``confirmed_at`` (a later "solved" makes an item fresh again), ``version_range`` with its
  interval and holes over version keys (``knowledge.versions``), ``forked_from``, a curator's mark.
* ``item_ranges``: each range an item had and when, so ``at_time`` searches use the range that
  held then (a fork or an automatic narrowing changes it later).
* ``item_revisions``: the text as the agent wrote it and each curator edit (purge deletes them
  with the item).
* ``valid_at`` is set on approval from now on; existing items get their approval time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_SIGNALS = ("retrieval", "outcome_solved", "outcome_not_helpful", "flag_contradiction")
_NEW_SIGNALS = (*_OLD_SIGNALS, "outcome_outdated", "outcome_incorrect")
_OLD_TYPES = (
    "contribution.created",
    "knowledge.approved",
    "knowledge.rejected",
    "knowledge.published",
    "knowledge.unpublished",
    "knowledge.deleted",
    "knowledge.superseded",
    "knowledge.quarantined",
    "knowledge.released",
    "knowledge.purged",
)
_NEW_TYPES = (*_OLD_TYPES, "knowledge.narrowed", "knowledge.marked")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.execute("ALTER TABLE signals DROP CONSTRAINT signals_kind_check")
    op.execute(f"ALTER TABLE signals ADD CONSTRAINT signals_kind_check CHECK (kind IN {_in(_NEW_SIGNALS)})")
    # History now: an agent may report again (the vote is updated), so reports are not unique.
    op.execute("DROP INDEX uq_signals_one_outcome")
    op.execute("ALTER TABLE events DROP CONSTRAINT events_type_check")
    op.execute(f"ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN {_in(_NEW_TYPES)})")

    op.execute(
        """
        CREATE TABLE outcome_votes (
            knowledge_item_id uuid NOT NULL REFERENCES knowledge_items(id) ON DELETE CASCADE,
            org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
            agent_id text NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('solved', 'did_not_help', 'outdated', 'incorrect')),
            version text CHECK (length(version) <= 100),
            environment text CHECK (length(environment) <= 500),
            by_own_org boolean NOT NULL,
            counted boolean NOT NULL,
            run_id text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (knowledge_item_id, org_id, agent_id)
        )
        """
    )
    op.execute(
        """
        INSERT INTO outcome_votes (knowledge_item_id, org_id, agent_id, outcome, by_own_org, counted,
                                   run_id, created_at, updated_at)
        SELECT DISTINCT ON (s.knowledge_item_id, s.org_id, s.agent_id)
               s.knowledge_item_id, s.org_id, s.agent_id,
               CASE s.kind WHEN 'outcome_solved' THEN 'solved' ELSE 'did_not_help' END,
               s.by_own_org, NOT (s.org_id = k.org_id AND s.agent_id = k.source_agent_id),
               s.run_id, s.created_at, s.created_at
        FROM signals s JOIN knowledge_items k ON k.id = s.knowledge_item_id
        WHERE s.kind IN ('outcome_solved', 'outcome_not_helpful')
        ORDER BY s.knowledge_item_id, s.org_id, s.agent_id, s.created_at DESC, s.id DESC
        """
    )
    op.execute(
        """
        ALTER TABLE knowledge_items
            ADD COLUMN quality_usefulness double precision NOT NULL DEFAULT 0.5,
            ADD COLUMN quality_popularity double precision NOT NULL DEFAULT 0,
            ADD COLUMN quality_freshness double precision NOT NULL DEFAULT 1,
            ADD COLUMN quality_penalty double precision NOT NULL DEFAULT 0,
            ADD COLUMN rescored_at timestamptz,
            ADD COLUMN confirmed_at timestamptz,
            ADD COLUMN version_range text,
            ADD COLUMN version_span numrange,
            ADD COLUMN version_holes numrange[] NOT NULL DEFAULT '{}',
            ADD COLUMN forked_from uuid REFERENCES knowledge_items(id) ON DELETE SET NULL,
            ADD COLUMN curator_mark text CHECK (curator_mark IN ('outdated', 'incorrect')),
            ADD COLUMN curator_mark_reason text CHECK (length(curator_mark_reason) <= 1000)
        """
    )
    op.execute("ALTER TABLE contributions ADD COLUMN version_range text CHECK (length(version_range) <= 200)")
    op.execute("UPDATE knowledge_items SET valid_at = approved_at WHERE valid_at IS NULL")
    op.execute(
        """
        CREATE TABLE item_ranges (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            knowledge_item_id uuid NOT NULL REFERENCES knowledge_items(id) ON DELETE CASCADE,
            version_range text,
            version_span numrange,
            version_holes numrange[] NOT NULL DEFAULT '{}',
            valid_from timestamptz NOT NULL,
            valid_to timestamptz,
            reason text NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_item_ranges_item ON item_ranges (knowledge_item_id, valid_from)")
    op.execute(
        "INSERT INTO item_ranges (knowledge_item_id, valid_from, reason) "
        "SELECT id, approved_at, 'approved' FROM knowledge_items"
    )
    op.execute(
        """
        CREATE TABLE item_revisions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            knowledge_item_id uuid NOT NULL REFERENCES knowledge_items(id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN ('agent', 'curator_edit')),
            title text NOT NULL,
            content text NOT NULL,
            actor_label text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_item_revisions_item ON item_revisions (knowledge_item_id, id)")


def downgrade() -> None:
    op.execute("DROP TABLE item_revisions")
    op.execute("DROP TABLE item_ranges")
    op.execute("ALTER TABLE contributions DROP COLUMN version_range")
    op.execute(
        """
        ALTER TABLE knowledge_items
            DROP COLUMN quality_usefulness, DROP COLUMN quality_popularity,
            DROP COLUMN quality_freshness, DROP COLUMN quality_penalty, DROP COLUMN rescored_at,
            DROP COLUMN confirmed_at, DROP COLUMN version_range, DROP COLUMN version_span,
            DROP COLUMN version_holes, DROP COLUMN forked_from, DROP COLUMN curator_mark,
            DROP COLUMN curator_mark_reason
        """
    )
    op.execute("DROP TABLE outcome_votes")
    op.execute("DELETE FROM events WHERE type IN ('knowledge.narrowed', 'knowledge.marked')")
    op.execute("ALTER TABLE events DROP CONSTRAINT events_type_check")
    op.execute(f"ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN {_in(_OLD_TYPES)})")
    op.execute("DELETE FROM signals WHERE kind IN ('outcome_outdated', 'outcome_incorrect')")
    op.execute("ALTER TABLE signals DROP CONSTRAINT signals_kind_check")
    op.execute(f"ALTER TABLE signals ADD CONSTRAINT signals_kind_check CHECK (kind IN {_in(_OLD_SIGNALS)})")
    op.execute(
        "DELETE FROM signals s USING signals t WHERE s.kind IN ('outcome_solved', 'outcome_not_helpful') "
        "AND t.kind IN ('outcome_solved', 'outcome_not_helpful') AND s.knowledge_item_id = t.knowledge_item_id "
        "AND s.org_id = t.org_id AND s.agent_id = t.agent_id "
        "AND coalesce(s.run_id, '') = coalesce(t.run_id, '') AND s.id < t.id"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_signals_one_outcome ON signals "
        "(knowledge_item_id, org_id, agent_id, coalesce(run_id, '')) "
        "WHERE kind IN ('outcome_solved', 'outcome_not_helpful')"
    )
