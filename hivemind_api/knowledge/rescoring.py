"""The scheduled rescoring of every item: freshness decays and retrievals add popularity with no
outcome arriving, so each item's quality is recomputed on a schedule as well as on each outcome.

Any number of backends ask for it; a Redis key that lives for one interval (``SET NX EX``) lets
exactly one of them queue the RQ job per interval, and whichever worker takes the job runs it.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis as AsyncRedis
from rq import Queue

from hivemind_api.db.engine import session_scope
from hivemind_api.infra.jobs import FAILED_JOB_TTL
from hivemind_api.knowledge.quality import rescore
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.rescoring")

JOB = "hivemind_api.knowledge.rescoring.rescore_all_job"
JOB_TIMEOUT_S = 1800


def due_key(queue_name: str) -> str:
    return f"hivemind:rescore:due:{queue_name}"


async def rescore_all() -> int:
    """Rescore every present item in one statement; returns how many."""
    async with session_scope() as session:
        scores = await rescore(session)
    return len(scores)


def rescore_all_job() -> int:
    count = run_async(rescore_all())
    log.info("rescored %d item(s)", count)
    return count


async def request_if_due(redis: AsyncRedis, queue: Queue, interval_s: float) -> bool:
    """Queue a rescoring of every item unless one was queued in the last ``interval_s``."""
    if not await redis.set(due_key(queue.name), "1", nx=True, ex=max(1, int(interval_s))):
        return False
    await asyncio.to_thread(
        queue.enqueue, JOB, job_timeout=JOB_TIMEOUT_S, result_ttl=0, failure_ttl=FAILED_JOB_TTL
    )
    return True
