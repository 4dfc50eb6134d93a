"""Stand-in executables for the start, stop and find-the-binary paths that a real server can't show."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import theta_console

FAKE_SERVER = '''#!{python}
import signal, sys, time
if sys.argv[1:] == ["--version"]:
    print({version!r})
    sys.exit(0)
if sys.argv[1:3] == ["serve", "--help"]:
    print("  --host <host>\\n  --port <port>\\n  --db <db>")
    sys.exit(0)
mode = {mode!r}
if mode == "exit":
    sys.stderr.write("boom: cannot open the database\\n")
    sys.exit(3)
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode != "silent":
    print("theta-console listening on http://127.0.0.1:9", flush=True)
while True:
    time.sleep(1)
'''

FAKE_SWIFT = '''#!{python}
import os, sys
log = {log!r}
with open(log, "a") as f:
    f.write(os.getcwd() + " " + " ".join(sys.argv[1:]) + "\\n")
if {fail!r} and sys.argv[1:2] == ["build"] and "--show-bin-path" not in sys.argv:
    print("error: compile failed here")
    sys.exit(1)
if "--show-bin-path" in sys.argv:
    print({bin_dir!r})
else:
    os.makedirs({bin_dir!r}, exist_ok=True)
    path = os.path.join({bin_dir!r}, "theta-console")
    open(path, "w").write("#!/bin/sh\\n")
    os.chmod(path, 0o755)
'''


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fake_server(folder: Path, mode: str = "ok", version: str = theta_console.__version__) -> str:
    """A 'theta-console' that answers --version and serve --help, then behaves as `mode` says."""
    return str(executable(folder / "theta-console", FAKE_SERVER.format(python=sys.executable, mode=mode,
                                                                       version=version)))


def fake_swift(folder: Path, log: Path, bin_dir: Path, fail: bool = False) -> Path:
    """A 'swift' that logs where and how it ran, and 'builds' a theta-console in `bin_dir`."""
    return executable(folder / "swift", FAKE_SWIFT.format(python=sys.executable, log=str(log), bin_dir=str(bin_dir),
                                                          fail=fail))
