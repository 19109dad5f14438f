"""A worker asked to stop while it starts exits cleanly and unregisters."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from redis import Redis

from tests.conftest import EXTERNAL_REDIS

# RQ registers a worker before it installs its signal handlers (it forks its scheduler between
# the two). A supervisor that sees the registration and stops the worker at once lands in that
# gap; the script sends the SIGTERM exactly there.
_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from hivemind_api.config import Settings
    from hivemind_api.worker import process

    url = sys.argv[1]
    original = process.Worker.register_birth

    def register_then_get_stopped(self, *args, **kwargs):
        original(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)

    process.Worker.register_birth = register_then_get_stopped
    process._work(url, Settings(queue_name="signals-test"), burst=False)
    """
)


def test_a_sigterm_between_registration_and_rqs_handlers_stops_the_worker_cleanly() -> None:
    url = EXTERNAL_REDIS.rsplit("/", 1)[0] + "/11"
    redis = Redis.from_url(url)
    redis.flushdb()
    try:
        done = subprocess.run([sys.executable, "-c", _SCRIPT, url], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        (key,) = redis.scan_iter("rq:worker:*")  # RQ keeps a dead worker's hash for a minute
        assert redis.hget(key, "death"), "the worker did not register its death"
        assert not redis.smembers("rq:workers"), "the stopped worker is still registered"
    finally:
        redis.flushdb()
        redis.close()
