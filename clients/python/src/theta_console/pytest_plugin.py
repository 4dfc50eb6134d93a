"""The pytest plugin (registered through the `pytest11` entry point when the package is installed).

Fixtures:

- `theta_console` (session): one server shared by the whole session, started from the ini
  options below. Its state carries over from test to test.
- `theta_reset` (function): the server for this test, after `POST /v1/reset`, with the test's
  `theta_console` marker applied. Returns the same `ThetaConsole` object.

Marker: `@pytest.mark.theta_console(plan=..., credits=..., fake_time=..., args=[...])`, read by
`theta_reset`:

- `plan`, `credits`: set per test with `PATCH /v1/account` after the reset (no restart).
- `fake_time`, `args`: start-up arguments, which a running server cannot change. Tests that ask
  for the same ones share one more server, started on first use and stopped at the end of the
  session; the others keep using the shared one.

ini options (pytest.ini / pyproject.toml `[tool.pytest.ini_options]`): `theta_console_plan`,
`theta_console_credits`, `theta_console_fake_time`, `theta_console_args`,
`theta_console_record_requests` (default 1000, 0 turns recording off),
`theta_console_startup_timeout` (seconds, default 30).

On a failed test that used a server, the report gets the server's stderr (with a line where the
test began) and, when recording is on, the requests it answered (`#seq`, time, status, endpoint,
key id, form parts, `reason`, detail), newest first.

Verification: `theta_reset.verify("/transcribe", status=503, times=1)` and the other journal
helpers of `ThetaConsole`. The servers run with `--record-requests` (the ini option above), and
a reset empties the journal and keeps out every request that passed its gate before the reset,
so a test that uses `theta_reset` sees only its own requests with no mark. A test on the shared
`theta_console` (no reset) takes `mark = theta_console.mark()` first and passes `since=mark`.
"""

from __future__ import annotations

import dataclasses

from typing import Any, Dict, Generator, List, Optional, Set, Tuple

import pytest

from .errors import ThetaConsoleError
from .server import ServerOptions, ThetaConsole

MARKER = "theta_console"
ACCOUNT_FIELDS = ("plan", "credits")
START_FIELDS = ("fake_time", "args", "tls")
FIXTURES = ("theta_console", "theta_reset")

_pool_key = pytest.StashKey["ServerPool"]()
_offsets_key = pytest.StashKey[Dict[int, int]]()
_used_key = pytest.StashKey[Set[int]]()


class ServerPool:
    """Every server of the session, one per distinct set of start-up options."""

    def __init__(self, config: pytest.Config) -> None:
        def ini(name: str) -> Optional[str]:
            value = config.getini(name)
            return str(value).strip() or None

        self.base = ServerOptions(
            plan=ini("theta_console_plan"),
            credits=ini("theta_console_credits"),
            fake_time=ini("theta_console_fake_time"),
            args=tuple(config.getini("theta_console_args")),
            record_requests=int(ini("theta_console_record_requests") or 0),
        )
        self.startup_timeout = float(ini("theta_console_startup_timeout") or 30)
        self.servers: Dict[ServerOptions, ThetaConsole] = {}
        self.failures: Dict[ServerOptions, ThetaConsoleError] = {}

    def get(self, options: ServerOptions) -> ThetaConsole:
        """The running server for `options`, started on first use. A server that died is an error."""
        if options in self.failures:
            raise self.failures[options]
        server = self.servers.get(options)
        if server is None:
            server = ThetaConsole(options=options, startup_timeout=self.startup_timeout)
            try:
                server.start()
            except ThetaConsoleError as error:
                self.failures[options] = error  # one slow failure, not one per test
                raise
            self.servers[options] = server
        elif server.exited_unexpectedly:
            tail = "\n".join(server.stderr().splitlines()[-30:])
            raise ThetaConsoleError(f"theta-console at {server.base_url} exited with status {server.returncode} "
                                    f"during the session; the end of its stderr:\n{tail}")
        return server

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()

    def options_for(self, marker: Optional[pytest.Mark]) -> Tuple[ServerOptions, Dict[str, Any]]:
        """The server options and the per-test account fields a test's marker asks for."""
        if marker is None:
            return self.base, {}
        if marker.args:
            pytest.fail(f"@pytest.mark.{MARKER} takes keyword arguments only: "
                        f"{', '.join(ACCOUNT_FIELDS + START_FIELDS)}", pytrace=False)
        unknown = set(marker.kwargs) - set(ACCOUNT_FIELDS + START_FIELDS)
        if unknown:
            pytest.fail(f"@pytest.mark.{MARKER}: unknown argument(s) {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(ACCOUNT_FIELDS + START_FIELDS)}", pytrace=False)
        options = self.base
        if "fake_time" in marker.kwargs:
            options = ServerOptions(plan=options.plan, credits=options.credits, fake_time=marker.kwargs["fake_time"],
                                    args=options.args, record_requests=options.record_requests)
        if marker.kwargs.get("args"):
            extra = marker.kwargs["args"]
            if isinstance(extra, str):
                pytest.fail(f"@pytest.mark.{MARKER}(args=...) takes a list of arguments, not a string", pytrace=False)
            options = ServerOptions(plan=options.plan, credits=options.credits, fake_time=options.fake_time,
                                    args=options.args + tuple(str(a) for a in extra),
                                    record_requests=options.record_requests)
        if marker.kwargs.get("tls"):
            options = dataclasses.replace(options, tls=True)
        account = {k: marker.kwargs[k] for k in ACCOUNT_FIELDS if marker.kwargs.get(k) is not None}
        return options, account


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("theta_console_plan", "theta-console: the plan the servers start on (and return to on reset)",
                  default="")
    parser.addini("theta_console_credits", "theta-console: the balance the servers start with (and return to on "
                  "reset)", default="")
    parser.addini("theta_console_fake_time", "theta-console: start the servers with a fake clock at this RFC 3339 "
                  "time", default="")
    parser.addini("theta_console_args", "theta-console: more `serve` arguments for every server", type="args",
                  default=[])
    parser.addini("theta_console_record_requests", "theta-console: how many requests each server records "
                  "(0: none)", default="1000")
    parser.addini("theta_console_startup_timeout", "theta-console: seconds to wait for the listening line",
                  default="30")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(plan=None, credits=None, fake_time=None, args=()): the theta-console state a test starts "
        "from, applied by the theta_reset fixture (plan and credits per test; fake_time and args pick a server "
        "started with them, as does tls=True: HTTPS beside HTTP, https_url and ca_file)")
    config.stash[_pool_key] = ServerPool(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_pool_key, None)
    if pool is not None:
        pool.close()


@pytest.fixture(scope="session")
def theta_console(pytestconfig: pytest.Config) -> ThetaConsole:
    """The session's shared theta-console server (see `theta_reset` for a clean state per test)."""
    pool = pytestconfig.stash[_pool_key]
    return _server(pool, pool.base)


@pytest.fixture
def theta_reset(request: pytest.FixtureRequest) -> ThetaConsole:
    """The server for this test, reset (`POST /v1/reset`), with its `theta_console` marker applied."""
    pool = request.config.stash[_pool_key]
    options, account = pool.options_for(request.node.get_closest_marker(MARKER))
    server = _server(pool, options)
    request.node.stash.setdefault(_used_key, set()).add(id(server))
    server.reset()
    if account:
        server.set_account(plan=account.get("plan"), balance=account.get("credits"))
    return server


def _server(pool: ServerPool, options: ServerOptions) -> ThetaConsole:
    try:
        return pool.get(options)
    except ThetaConsoleError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    pool = item.config.stash[_pool_key]
    item.stash[_offsets_key] = {id(server): server.stderr_size() for server in pool.servers.values()}
    if item.get_closest_marker(MARKER) is not None and "theta_reset" not in getattr(item, "fixturenames", ()):
        pytest.fail(f"@pytest.mark.{MARKER}(...) is applied by the theta_reset fixture, which {item.name} does not "
                    "use: add theta_reset to its arguments", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    if call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception):
        try:
            for title, text in _failure_sections(item):
                item.add_report_section(call.when, title, text)
        except Exception as error:  # a report must never fail because of this
            item.add_report_section(call.when, "theta-console", f"(could not collect the server's output: {error})")
    yield


def _failure_sections(item: pytest.Item) -> List[Tuple[str, str]]:
    pool = item.config.stash[_pool_key]
    names = getattr(item, "fixturenames", ())
    used: Set[int] = set(item.stash.get(_used_key, frozenset()))
    if "theta_console" in names and pool.base in pool.servers:
        used.add(id(pool.servers[pool.base]))
    offsets = item.stash.get(_offsets_key, {})
    sections = []
    for server in pool.servers.values():
        if id(server) not in used:
            continue
        sections.append(("theta-console stderr", _stderr_text(server, offsets.get(id(server), 0))))
        requests = _requests_text(server)
        if requests:
            sections.append(("theta-console requests", f"{server.base_url}, newest first:\n{requests}"))
    return sections


def _stderr_text(server: ThetaConsole, since: int) -> str:
    before = server.stderr().encode()[:since].decode("utf-8", "replace").splitlines()[-20:]
    during = server.stderr(since)
    state = "running" if server.running else f"exited with status {server.returncode}"
    lines = [f"{server.base_url}, pid {server.pid}, {state}"] + before + ["----- this test starts here -----"]
    return "\n".join(lines) + "\n" + (during if during else "(nothing written during this test)\n")


def _requests_text(server: ThetaConsole) -> str:
    if not server.running or server.options.record_requests <= 0:
        return ""
    try:
        records = server.recorded_requests(limit=20)
    except ThetaConsoleError:
        return ""  # a build without --record-requests
    lines = []
    for record in records:
        parts = ", ".join(f"{p.get('name')}={p.get('filename') or ''}({p.get('size')} B)"
                          for p in record.get("parts") or [])
        seq = f"#{record['seq']} " if record.get("seq") is not None else ""
        reason = f" reason={record['reason']}" if record.get("reason") else ""
        detail = f" {record['detail']!r}" if record.get("detail") else ""
        lines.append(f"{seq}{record.get('time')} {record.get('status')} {record.get('endpoint')} "
                     f"key={record.get('key_id')} [{parts}]{reason}{detail}")
    return "\n".join(lines) if records else "(no requests recorded)"
