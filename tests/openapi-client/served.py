"""One theta-console server for drive.py and check_statuses.py: `serve --port 0 --db :memory:`
with the given flags and a random admin token in the environment, read up to its ready line."""

from __future__ import annotations

import os
import re
import secrets
import selectors
import subprocess
import sys
import tempfile
import time
from types import TracebackType


class ServerFailure(Exception):
    """The server did not start: no ready line in time, an exit, or an unexpected first line."""


class ServedBinary:
    def __init__(self, binary: str, flags: list[str], token_prefix: str) -> None:
        self.token = token_prefix + secrets.token_urlsafe(24)
        self.stderr = tempfile.TemporaryFile()
        env = dict(os.environ, THETA_CONSOLE_ADMIN_TOKEN=self.token)
        self.process = subprocess.Popen([binary, "serve", "--port", "0", "--db", ":memory:", *flags],
                                        stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        self.base = self._ready_line(deadline=time.monotonic() + 30)
        match = re.fullmatch(r"http://([^:]+):(\d+)", self.base)
        if match is None:
            raise ServerFailure(f"not a host and port: {self.base}")
        self.host, self.port = match.group(1), int(match.group(2))

    def _ready_line(self, deadline: float) -> str:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise ServerFailure(f"no ready line in time; stderr: {self.stderr_text()}")
            chunk = os.read(self.process.stdout.fileno(), 1)
            if not chunk:
                raise ServerFailure(f"the server exited ({self.process.wait()}); stderr: {self.stderr_text()}")
            line += chunk
        match = re.fullmatch(r"theta-console listening on (http://\S+)\n", line.decode())
        if match is None:
            raise ServerFailure(f"unexpected first line {line!r}")
        return match.group(1)

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-2000:]

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if error is not None:
            print(f"server stderr (last 2000 bytes):\n{self.stderr_text()}", file=sys.stderr)
        self.stderr.close()
