"""The worker job processes its contribution together with others waiting, in one batch."""

from __future__ import annotations

import psycopg

from hivemind_api.accounts.caller import Caller
from hivemind_api.db.engine import configure_database, dispose_database
from hivemind_api.knowledge import contributions
from hivemind_api.knowledge.pipeline import BATCH, _drain, process_contribution
from hivemind_api.knowledge.validation import ContributionInput
from hivemind_api.worker.loop import run_async


def _into(queued: list) -> contributions.ContributeContext:
    """Contributing with an enqueue that only records the id: the test runs the jobs itself."""

    async def enqueue(contribution_id) -> None:
        queued.append(contribution_id)

    return contributions.ContributeContext(enqueue)


def test_one_job_processes_a_batch_and_the_others_find_their_rows_done(database_url) -> None:
    with psycopg.connect(database_url, autocommit=True) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('batch', 'Batch') RETURNING id").fetchone()[0]
    who = Caller.agent(
        key_id=None,
        org_id=org,
        org_slug="batch",
        agent_id="agent-1",
        role="contributor",
        tier="free",
        request_count=0,
    )
    queued: list = []
    texts = [
        f"Tip {i}: raise fs.inotify.max_user_watches when webpack reports ENOSPC on Linux hosts."
        for i in range(5)
    ]
    texts.append(texts[0])  # the same content twice in one batch: the second is a duplicate
    texts += [f"Filler {i}: pin the base image by digest so rebuilds are reproducible." for i in range(BATCH)]
    configure_database(database_url)
    try:
        for text in texts:
            run_async(
                contributions.contribute(
                    who, ContributionInput(content=text, category="tooling"), _into(queued)
                )
            )
        assert process_contribution(str(queued[0])) == "pending"
        with psycopg.connect(database_url) as c:
            statuses = dict(
                c.execute("SELECT id, status FROM contributions WHERE org_id = %s", (org,)).fetchall()
            )
        done = [cid for cid in queued if statuses[cid] != "processing"]
        assert len(done) == BATCH  # the first job's batch, oldest first
        assert statuses[queued[5]] == "duplicate" and statuses[queued[1]] == "pending"
        assert process_contribution(str(queued[1])) == "skipped"  # its row was done by the batch
        for cid in queued:  # the remaining jobs finish the rest
            process_contribution(str(cid))
        with psycopg.connect(database_url) as c:
            left = c.execute(
                "SELECT count(*) FROM contributions WHERE org_id = %s AND status = 'processing'", (org,)
            ).fetchone()[0]
            embedded = c.execute(
                "SELECT count(*) FROM contributions WHERE org_id = %s AND embedding IS NOT NULL "
                "AND minhash IS NOT NULL",
                (org,),
            ).fetchone()[0]
        assert left == 0 and embedded == len(texts)
    finally:
        run_async(dispose_database())


def test_a_drain_overlaps_batches_yet_decides_them_in_order(database_url, monkeypatch) -> None:
    """The next batch is claimed and embedded while the previous one's statements run: it must
    take the rows after the (still locked) previous batch, and its decisions must see that batch
    committed (a copy of a text from the batch before is a duplicate of it)."""
    import threading
    import time

    from hivemind_api.infra import embeddings

    with psycopg.connect(database_url, autocommit=True) as c:
        org = c.execute(
            "INSERT INTO orgs (slug, name) VALUES ('overlap', 'Overlap') RETURNING id"
        ).fetchone()[0]
    who = Caller.agent(
        key_id=None,
        org_id=org,
        org_slug="overlap",
        agent_id="agent-o",
        role="contributor",
        tier="free",
        request_count=0,
    )
    texts = [
        f"Step {i}: run `alembic upgrade head` before starting workers, or jobs hit old columns."
        for i in range(BATCH)
    ]
    texts.append(texts[3])  # lands in the second batch: a duplicate of a row the first batch made pending
    texts += [f"Other {i}: set PGOPTIONS=-c statement_timeout=5s for ad-hoc shells." for i in range(BATCH)]
    queued: list = []
    real_embed, embedding_threads = embeddings.embed_many, set()

    def embed_many(batch):
        embedding_threads.add(threading.get_ident())
        time.sleep(0.2)  # long enough that the previous batch's statements run meanwhile
        return real_embed(batch)

    monkeypatch.setattr(embeddings, "embed_many", embed_many)
    configure_database(database_url)
    try:
        for text in texts:
            run_async(
                contributions.contribute(
                    who, ContributionInput(content=text, category="config"), _into(queued)
                )
            )
        statuses, more = run_async(_drain(8))
        assert not more and len(statuses) == len(texts)  # three batches, none stopped early
        assert threading.get_ident() not in embedding_threads  # the model ran off the event loop
        with psycopg.connect(database_url) as c:
            rows = dict(
                c.execute("SELECT id, status FROM contributions WHERE org_id = %s", (org,)).fetchall()
            )
            dup_of = c.execute(
                "SELECT duplicate_of_contribution FROM contributions WHERE id = %s", (queued[BATCH],)
            ).fetchone()[0]
        assert list(rows.values()).count("processing") == 0
        assert rows[queued[BATCH]] == "duplicate" and dup_of == queued[3]
        assert sum(1 for st in rows.values() if st == "pending") == len(texts) - 1
    finally:
        run_async(dispose_database())


def test_contributions_share_drain_jobs_and_stuck_ones_are_recovered(database_url, target) -> None:
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis
    from rq import Queue, SimpleWorker

    from hivemind_api.db.engine import session_scope
    from hivemind_api.knowledge.pipeline import (
        drain_flag,
        request_drain,
        request_drain_async,
        stuck_contributions,
    )

    conn = Redis.from_url(target.redis_url)
    queue = Queue("drain-test-" + target.name, connection=conn)
    queue.empty()
    flag = drain_flag(queue.name)
    conn.delete(flag)
    with psycopg.connect(database_url, autocommit=True) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('drain', 'Drain') RETURNING id").fetchone()[0]
    who = Caller.agent(
        key_id=None,
        org_id=org,
        org_slug="drain",
        agent_id="agent-d",
        role="contributor",
        tier="free",
        request_count=0,
    )
    configure_database(database_url)
    try:

        async def contribute_all() -> None:  # as the backend does: the event loop's own connection
            async with AsyncRedis.from_url(target.redis_url) as redis:
                for i in range(20):
                    text = f"Note {i}: set `ulimit -n 65535` in the unit file (LimitNOFILE), not in the shell profile."
                    await contributions.contribute(
                        who,
                        ContributionInput(content=text, category="config"),
                        contributions.ContributeContext(lambda _cid: request_drain_async(redis, queue)),
                    )

        run_async(contribute_all())
        assert queue.count == 1 and conn.exists(flag)  # twenty contributions, one job
        SimpleWorker([queue], connection=conn).work(burst=True)
        assert not conn.exists(flag)
        with psycopg.connect(database_url) as c:
            assert (
                c.execute(
                    "SELECT count(*) FROM contributions WHERE org_id = %s AND status = 'processing'", (org,)
                ).fetchone()[0]
                == 0
            )
            # A contribution whose job was lost (Redis wiped, job failed for good) …
            c.execute(
                "UPDATE contributions SET status = 'processing', embedding = NULL, embedding_model = NULL, "
                "created_at = now() - interval '5 minutes' WHERE id = (SELECT id FROM contributions "
                "WHERE org_id = %s AND status = 'pending' LIMIT 1)",
                (org,),
            )
            c.execute(
                "DELETE FROM minhash_bands WHERE contribution_id IN "
                "(SELECT id FROM contributions WHERE status = 'processing')"
            )
            c.commit()

        async def stuck() -> int:
            async with session_scope() as session:
                return await stuck_contributions(session, 60)

        assert run_async(stuck()) == 1  # … is found by the backend's periodic check
        assert request_drain(queue)
        SimpleWorker([queue], connection=conn).work(burst=True)
        assert run_async(stuck()) == 0
    finally:
        run_async(dispose_database())
        queue.empty()
        conn.close()


def test_a_contribution_the_queue_refuses_is_not_kept(database_url) -> None:
    """Redis unreachable when the drain is requested: the agent is told to retry (503) and no row
    waits for a job that does not exist."""
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis
    from rq import Queue

    from hivemind_api.knowledge.contributions import QueueUnavailable
    from hivemind_api.knowledge.pipeline import request_drain_async

    with psycopg.connect(database_url, autocommit=True) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('down', 'Down') RETURNING id").fetchone()[0]
    who = Caller.agent(
        key_id=None,
        org_id=org,
        org_slug="down",
        agent_id="agent-x",
        role="contributor",
        tier="free",
        request_count=0,
    )
    dead = "redis://127.0.0.1:1/0"  # nothing listens there
    queue = Queue("nowhere", connection=Redis.from_url(dead))

    async def contribute() -> None:
        async with AsyncRedis.from_url(dead) as redis:
            await contributions.contribute(
                who,
                ContributionInput(content="Pin the image digest.", category="config"),
                contributions.ContributeContext(lambda _cid: request_drain_async(redis, queue)),
            )

    configure_database(database_url)
    try:
        try:
            run_async(contribute())
        except QueueUnavailable as err:
            assert err.status_code == 503 and "try again" in str(err)
        else:
            raise AssertionError("the contribution was accepted without a queue")
        with psycopg.connect(database_url) as c:
            assert (
                c.execute("SELECT count(*) FROM contributions WHERE org_id = %s", (org,)).fetchone()[0] == 0
            )
    finally:
        run_async(dispose_database())


def test_the_backend_requests_a_drain_for_contributions_stuck_in_processing(database_url, target) -> None:
    """The runtime's periodic check, on the event loop's own Redis connection: a row that waited
    too long in ``processing`` gets a drain queued; with none waiting, nothing is queued."""
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis
    from rq import Queue

    from hivemind_api.config import Settings
    from hivemind_api.knowledge.pipeline import drain_flag
    from hivemind_api.runtime import Runtime

    conn = Redis.from_url(target.redis_url)
    queue = Queue("stuck-test-" + target.name, connection=conn)
    queue.empty()
    conn.delete(drain_flag(queue.name))
    with psycopg.connect(database_url, autocommit=True) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('stuck', 'Stuck') RETURNING id").fetchone()[0]

    async def recover() -> int:
        async with AsyncRedis.from_url(target.redis_url) as redis:
            # Only the settings, the queue and its Redis take part in the check.
            runtime = Runtime(Settings(), None, None, queue, None, redis)  # type: ignore[arg-type]
            return await runtime.recover_stuck()

    configure_database(database_url)
    try:
        assert run_async(recover()) == 0 and queue.count == 0
        with psycopg.connect(database_url, autocommit=True) as c:
            c.execute(
                "INSERT INTO contributions (org_id, source_agent_id, category, content, status, created_at) "
                "VALUES (%s, 'agent-s', 'config', 'Pin the base image.', 'processing', now() - interval '5 minutes')",
                (org,),
            )
        assert run_async(recover()) == 1
        assert queue.count == 1 and conn.exists(drain_flag(queue.name))
        assert queue.jobs[0].func_name == "hivemind_api.knowledge.pipeline.drain"
    finally:
        with psycopg.connect(database_url, autocommit=True) as c:
            c.execute("DELETE FROM contributions WHERE org_id = %s", (org,))
        queue.empty()
        conn.delete(drain_flag(queue.name))
        run_async(dispose_database())
