"""Drive a command through a pseudo-terminal, as a person at a keyboard would: the child sees a
real TTY (single keys, prompts), the test reads what it printed and types answers."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\r")


class PtySession:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, columns: int = 120) -> None:
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        env = {**env, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.output = ""  # everything printed so far, ANSI escapes removed
        self._seen = 0  # where the next expect() starts looking

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                data = b""
            self.output += ANSI.sub("", data.decode(errors="replace"))

    def expect(self, pattern: str, timeout: float = 60) -> str:
        """Wait until ``pattern`` (a regex) appears after what earlier calls matched; return the
        text from there to the end of the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.output, self._seen)
            if found:
                text = self.output[self._seen : found.end()]
                self._seen = found.end()
                return text
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} never appeared; the terminal shows:\n{self.output[-3000:]}"
                )
            if self.process.poll() is not None:
                self._read(0.2)
                if not regex.search(self.output, self._seen):
                    raise AssertionError(
                        f"exited {self.process.returncode} before {pattern!r}:\n{self.output[-3000:]}"
                    )
            self._read(0.2)

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def _wait_for_mode(self, canonical: bool, timeout: float) -> None:
        # On Linux the master reports the terminal's line discipline: a key typed before the
        # child switched to single-key (raw) mode would sit in a line buffer it never reads.
        deadline = time.monotonic() + timeout
        while bool(termios.tcgetattr(self.master)[3] & termios.ICANON) != canonical:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"the terminal never went {'line' if canonical else 'key'} mode")
            self._read(0.05)

    def key(self, key: str, timeout: float = 30) -> None:
        """Press one key once the child reads single keys."""
        self._wait_for_mode(canonical=False, timeout=timeout)
        self.send(key)

    def line(self, text: str, timeout: float = 30) -> None:
        """Type a line and Enter once the child reads lines."""
        self._wait_for_mode(canonical=True, timeout=timeout)
        self.send(text + "\r")

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        self._read(0.1)
        return self.process.wait(max(deadline - time.monotonic(), 0.1))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        os.close(self.master)
