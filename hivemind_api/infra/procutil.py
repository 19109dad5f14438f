"""Process-lifetime helpers shared by the launcher, the supervisor and the worker."""

from __future__ import annotations

import contextlib
import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies (Linux ``PR_SET_PDEATHSIG``).

    Used between fork and exec for children we spawn, and after fork for children RQ forks, so
    that no child outlives a parent killed with SIGKILL.
    """
    with contextlib.suppress(OSError):  # not Linux: only the graceful stop paths apply
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def process_running(pid: int) -> bool:
    """True if ``pid`` is a live process (an unreaped zombie is not)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
