"""Keep N ``hivemind worker`` processes alive next to the app (embedded default).

Children get ``PR_SET_PDEATHSIG`` so that even if the app is killed with SIGKILL the kernel
stops them (the worker then stops its own scheduler child): no orphan worker can keep the
embedded Redis alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from hivemind_api.infra.procutil import die_with_parent

log = logging.getLogger("hivemind.supervisor")


class WorkerSupervisor:
    def __init__(self, count: int, env: dict[str, str], *, restart_delay: float = 1.0) -> None:
        self.count = count
        self.env = env
        self.restart_delay = restart_delay
        self.procs: list[asyncio.subprocess.Process | None] = [None] * count
        self.restarts = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None and p.returncode is None]

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep_alive(i)) for i in range(self.count)]

    async def _spawn(self, slot: int) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hivemind_api.cli",
            "worker",
            env=self.env,
            preexec_fn=die_with_parent,
            start_new_session=True,
        )
        self.procs[slot] = proc
        log.info("started worker pid %s", proc.pid)
        return proc

    @staticmethod
    def _reap_group(proc: asyncio.subprocess.Process) -> None:
        """Kill whatever the worker left in its process group.

        RQ forks its scheduler from the worker; if the worker is killed, that child survives and
        still holds the worker's blocked BLMOVE socket, so Redis would hand the next job to a
        dead consumer. The worker leads its own session, so its pid is the group id.
        """
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    async def _keep_alive(self, slot: int) -> None:
        while not self._stopping:
            proc = await self._spawn(slot)
            code = await proc.wait()
            self._reap_group(proc)
            if self._stopping:
                return
            self.restarts += 1
            log.warning("worker pid %s exited with %s; restarting", proc.pid, code)
            await asyncio.sleep(self.restart_delay)

    async def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every worker (RQ finishes the current job), SIGKILL after ``timeout``."""
        self._stopping = True
        live = [p for p in self.procs if p is not None and p.returncode is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in live:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                self._reap_group(proc)
                await proc.wait()
            self._reap_group(proc)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
