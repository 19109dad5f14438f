"""A real nginx running the deployment guide's config (docs/deploy/nginx.conf), pointed at a
test's backends: the file users copy is the file the tests run."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from tests.pg_tcp import free_port

UPSTREAM_LINE = "        server app:8000;\n"
LISTEN_LINE = "listen 80;"


class Nginx:
    def __init__(self, conf: Path, backend_ports: list[int], workdir: Path) -> None:
        text = conf.read_text()
        assert UPSTREAM_LINE in text and LISTEN_LINE in text, "the config's upstream or listen line changed"
        self.port = free_port()
        text = text.replace(UPSTREAM_LINE, "".join(f"        server 127.0.0.1:{p};\n" for p in backend_ports))
        text = text.replace(LISTEN_LINE, f"listen 127.0.0.1:{self.port};")
        self.workdir = workdir
        (workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(text)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self, *extra: str, directives: str = "") -> list[str]:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        pid = f"pid {self.workdir / 'nginx.pid'};"
        return [
            nginx,
            "-p",
            f"{self.workdir}/",
            "-c",
            str(self.conf),
            "-e",
            "logs/error.log",
            "-g",
            pid + directives,
            *extra,
        ]

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t``: the syntax and every directive of the config."""
        return subprocess.run(self._command("-t"), capture_output=True, text=True, timeout=30)

    def start(self) -> Nginx:
        self.proc = subprocess.Popen(self._command(directives=" daemon off;"), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            assert self.proc.poll() is None, (self.workdir / "logs" / "error.log").read_text()
            try:
                httpx.get(f"{self.url}/health", timeout=2)
                return self
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
