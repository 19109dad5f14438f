"""RQ job functions and queueing helpers. Jobs take plain arguments and talk to the database themselves."""

from __future__ import annotations

import asyncio
import os
from typing import TypedDict

from redis.asyncio import Redis as AsyncRedis
from rq import Queue, Retry

FAILED_JOB_TTL = 24 * 3600


class CoalescedJob(TypedDict):
    """What ``enqueue_coalesced`` queues: a module-level spec per kind of coalesced job."""

    func: str
    flag_ttl_s: int
    job_timeout: int
    retry: Retry


def enqueue_coalesced(
    queue: Queue, flag: str, func: str, *, flag_ttl_s: int, job_timeout: int, retry: Retry
) -> bool:
    """Queue ``func`` unless one is already waiting to start; returns whether one was queued.

    The waiting job's ``flag`` key is set here and deleted by the job when it starts (so work
    arriving while it runs queues the next one); ``flag_ttl_s`` bounds how long a lost job can
    block new ones. Used for the pipeline's drain and the webhook dispatch: many requests, one job.
    """
    if not queue.connection.set(flag, "1", nx=True, ex=flag_ttl_s):
        return False
    try:
        _enqueue(queue, func, job_timeout, retry)
    except Exception:
        queue.connection.delete(flag)
        raise
    return True


async def enqueue_coalesced_async(
    redis: AsyncRedis, queue: Queue, flag: str, func: str, *, flag_ttl_s: int, job_timeout: int, retry: Retry
) -> bool:
    """``enqueue_coalesced`` from the event loop, for a request path.

    During a burst the flag is nearly always set already, so the usual cost is one command on
    the loop's own connection, not a thread hand-off and a blocking client; only a job that
    must be queued goes to a thread (RQ's client is synchronous).
    """
    if not await redis.set(flag, "1", nx=True, ex=flag_ttl_s):
        return False
    try:
        await asyncio.to_thread(_enqueue, queue, func, job_timeout, retry)
    except Exception:
        await redis.delete(flag)
        raise
    return True


def _enqueue(queue: Queue, func: str, job_timeout: int, retry: Retry) -> None:
    queue.enqueue(func, job_timeout=job_timeout, result_ttl=0, failure_ttl=FAILED_JOB_TTL, retry=retry)


def ping(token: str) -> dict[str, object]:
    """Round-trip probe: proves a live worker picks up and finishes jobs (and how it runs the model)."""
    from hivemind_api.infra import embeddings

    return {
        "token": token,
        "worker_pid": os.getpid(),
        "model_threads": embeddings.get_model().threads,
        "model_streams": embeddings.model_streams(),
    }
