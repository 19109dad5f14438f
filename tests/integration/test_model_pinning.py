"""The embedding model is pinned in the database; a different model refuses to start until
``hivemind reembed`` has re-embedded everything."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from hivemind_api.infra import embeddings
from hivemind_api.infra.embeddings import ModelMismatch
from tests.integration.backend import backend


@pytest.fixture
def env(external_target) -> dict[str, str]:
    url = external_target.create_database()
    redis_url = external_target.redis_url.rsplit("/", 1)[0] + "/12"
    return {"HIVEMIND_DATABASE_URL": url, "HIVEMIND_REDIS_URL": redis_url, "HIVEMIND_WORKERS": "0"}


def test_first_start_pins_and_a_different_model_is_refused_until_reembed(env) -> None:
    with backend(env) as client:
        assert client.get("/api/openapi.json").status_code == 200
    url = env["HIVEMIND_DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as c:
        pinned = dict(
            c.execute("SELECT key, value FROM deployment_config WHERE key LIKE 'embedding%'").fetchall()
        )
        identity = embeddings.model_identity()
        assert pinned == {
            "embedding_model_name": identity.name,
            "embedding_model_revision": identity.revision,
            "embedding_dimension": "384",
        }
        assert identity.revision == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('pin', 'Pin') RETURNING id").fetchone()[0]
        stale = "[" + ",".join(["1"] + ["0"] * 383) + "]"
        item = c.execute(
            "INSERT INTO knowledge_items (org_id, source_agent_id, category, content_hash, contributed_at, title, "
            "content, embedding, embedding_model) VALUES (%s, 'a', 'tooling', %s, now(), 't', %s, %s, 'old-model') "
            "RETURNING id",
            (org, "a" * 64, "Use ripgrep instead of grep -r for large trees.", stale),
        ).fetchone()[0]
        c.execute(
            "UPDATE deployment_config SET value = 'another-revision' WHERE key = 'embedding_model_revision'"
        )

    with pytest.raises(ModelMismatch, match="run `hivemind reembed` first"), backend(env):
        pass

    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")} | env
    r = subprocess.run(
        [sys.executable, "-m", "hivemind_api.cli", "reembed"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "re-embedded 1 items" in r.stdout
    with psycopg.connect(url, autocommit=True) as c:
        revision = c.execute(
            "SELECT value FROM deployment_config WHERE key = 'embedding_model_revision'"
        ).fetchone()[0]
        model, similarity = c.execute(
            "SELECT embedding_model, 1 - (embedding <=> %s::vector) FROM knowledge_items WHERE id = %s",
            (str(embeddings.embed(["Use ripgrep instead of grep -r for large trees."])[0]), item),
        ).fetchone()
    assert revision == identity.revision and model == identity.model_id and similarity > 0.999
    with backend(env) as client:  # starts again
        assert client.get("/api/openapi.json").status_code == 200
