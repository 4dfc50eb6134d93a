"""Running one theta-console server: start on a free port, read the ready line, stop."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.parse
import warnings
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from ._version import __version__
from .admin import JSON, AdminClient, KeyRef, Number, TimeRef
from .binary import binary_version, find_binary, serve_flags
from .errors import AdminAPIError, ServerStartError, ThetaConsoleError, ThetaConsoleVersionWarning
from .keys import CreatedKey, Secret

READY_LINE = re.compile(r"^theta-console listening on (http://\S+)$")
HTTPS_LINE = re.compile(r"^theta-console listening on (https://\S+)$")
CA_LINE = re.compile(r"^theta-console certificate authority: (.+)$")
TOKEN_VARIABLE = "THETA_CONSOLE_ADMIN_TOKEN"


@dataclass(frozen=True)
class ServerOptions:
    """How a server starts (its `serve` arguments beyond `--port 0 --db :memory:`).

    Two servers with equal options are interchangeable, which is how the pytest plugin shares them.
    """

    plan: Optional[str] = None
    """`--plan`: the plan at start and after every reset (the server's default: free)."""
    credits: Optional[str] = None
    """`--credits`: the balance at start and after every reset (the server's default: 0.20)."""
    fake_time: Optional[str] = None
    """`--fake-time`: an RFC 3339 time; the clock then moves only through `advance()`."""
    args: Tuple[str, ...] = ()
    """More `serve` arguments, as given (e.g. `("--max-key-rpm", "1000")`)."""
    record_requests: int = 1000
    """`--record-requests N` (0: off), for `recorded_requests()` and failure reports."""
    allow_reset: bool = True
    """`--allow-reset`, so that `reset()` works."""
    tls: bool = False
    """HTTPS beside HTTP, with a local CA made in a temporary folder removed at `stop()` (`tls_dir`
    names a folder of your own instead, kept and reused)."""


class ThetaConsole:
    """A theta-console server process on a free port, with an in-memory database and a random
    admin token handed over in the environment (never on the command line).

    Outside pytest: `with ThetaConsole(options=ServerOptions(plan="pro")) as theta: ...`.

    With `tls_dir` it also serves HTTPS (`serve --tls-self-signed DIR --tls-port 0`): a local CA and
    a certificate for localhost, 127.0.0.1 and ::1 are made in that folder the first time and reused
    after; `https_url` is then the HTTPS base URL and `ca_file` the CA to trust (`verify=ca_file`).
    """

    def __init__(self, binary: Optional[str] = None, options: Optional[ServerOptions] = None, *,
                 startup_timeout: float = 30.0, stop_timeout: float = 10.0,
                 environment: Optional[Mapping[str, str]] = None,
                 tls_dir: Optional[Union[str, "os.PathLike[str]"]] = None) -> None:
        self.options = options or ServerOptions()
        self.tls_dir: Optional[str] = os.path.abspath(os.fspath(tls_dir)) if tls_dir is not None else None
        """`--tls-self-signed DIR`: where the local CA and the server certificate are kept (None: HTTP only)."""
        self._own_tls_dir: Optional[str] = None
        if self.tls_dir is None and self.options.tls:
            self._own_tls_dir = tempfile.mkdtemp(prefix="theta-console-tls-")
            self.tls_dir = os.path.join(self._own_tls_dir, "ca")
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._binary = binary
        self._environment = dict(environment) if environment is not None else None
        self._token = Secret("pytest-admin-" + secrets.token_urlsafe(32))
        self._process: Optional[subprocess.Popen[str]] = None
        self._reader: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._stdout: List[str] = []
        self._base_url: Optional[str] = None
        self._https_url: Optional[str] = None
        self._ca_file: Optional[str] = None
        self._log_path: Optional[str] = None
        self._final_stderr: Optional[str] = None
        self._admin: Optional[AdminClient] = None
        self._stopping = False
        self.killed = False
        """True if `stop()` had to SIGKILL the server after `stop_timeout`."""

    # -- life cycle ------------------------------------------------------------------------------

    @property
    def binary(self) -> str:
        """The binary's path (found on first use, see `theta_console.binary`)."""
        if self._binary is None:
            self._binary = find_binary()
        return self._binary

    def command(self) -> List[str]:
        """The command line the server starts with (it never holds the admin token)."""
        options = self.options
        known = serve_flags(self.binary)
        command = [self.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--db", ":memory:"]
        if options.plan is not None:
            command += ["--plan", options.plan]
        if options.credits is not None:
            command += ["--credits", str(options.credits)]
        if options.fake_time is not None:
            command += ["--fake-time", options.fake_time]
        # Flags this build may predate are passed only when `serve --help` lists them.
        if options.allow_reset and "--allow-reset" in known:
            command += ["--allow-reset"]
        if options.record_requests > 0 and "--record-requests" in known:
            command += ["--record-requests", str(options.record_requests)]
        if self.tls_dir is not None:
            if "--tls-self-signed" not in known:
                raise ThetaConsoleError(f"{self.binary} cannot serve HTTPS (its `serve --help` has no "
                                        "--tls-self-signed); tls_dir needs a newer theta-console")
            command += ["--tls-self-signed", self.tls_dir, "--tls-port", "0"]
        return command + list(options.args)

    def start(self) -> "ThetaConsole":
        """Starts the server and waits for `theta-console listening on http://HOST:PORT` (with
        `tls_dir`, also for the HTTPS and certificate authority lines that follow it)."""
        if self._process is not None:
            raise ThetaConsoleError("this server was already started")
        version = binary_version(self.binary)
        if version != __version__:
            warnings.warn(ThetaConsoleVersionWarning(
                f"{self.binary} is theta-console {version}; this client is {__version__}"), stacklevel=2)
        command = self.command()
        environment = dict(os.environ if self._environment is None else self._environment)
        environment[TOKEN_VARIABLE] = str(self._token)
        descriptor, self._log_path = tempfile.mkstemp(prefix="theta-console-", suffix=".stderr.log")
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=descriptor, env=environment, text=True, bufsize=1)
        except OSError as error:
            os.close(descriptor)
            raise ServerStartError(f"could not run {self.binary}: {error}") from error
        os.close(descriptor)
        self._reader = threading.Thread(target=self._read_stdout, name="theta-console stdout", daemon=True)
        self._reader.start()
        woke = self._ready.wait(self.startup_timeout)
        if not self._listening():
            code: Optional[int] = None
            if woke:  # stdout ended: the process is on its way out, though perhaps not gone yet
                try:
                    code = self._process.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            if code is None:
                self._process.kill()
                self._process.wait()
                reason = ("closed its stdout without listening" if woke
                          else f"did not print its {self._awaited()} within {self.startup_timeout:g} s")
            else:
                reason = f"exited with status {code} before listening"
            stderr = self.stderr().strip()
            self._cleanup()
            raise ServerStartError(f"theta-console ({' '.join(command[1:])}) {reason}"
                                   + (f"; its stderr:\n{stderr}" if stderr else "; it printed nothing on stderr"))
        self._admin = AdminClient(self.base_url, self._token)
        return self

    def _listening(self) -> bool:
        """The ready line has come, and with `tls_dir` the HTTPS and CA lines after it too."""
        if self._base_url is None:
            return False
        return self.tls_dir is None or (self._https_url is not None and self._ca_file is not None)

    def _awaited(self) -> str:
        if self._base_url is None:
            return "listening line"
        return "HTTPS listening line" if self._https_url is None else "certificate authority line"

    def _read_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._stdout.append(line)
            text = line.strip()
            if self._base_url is None:
                match = READY_LINE.match(text)
                if match:
                    self._base_url = match.group(1)
            elif self.tls_dir is not None and self._https_url is None:
                match = HTTPS_LINE.match(text)
                if match:
                    self._https_url = match.group(1)
            elif self.tls_dir is not None and self._ca_file is None:
                match = CA_LINE.match(text)
                if match:
                    self._ca_file = match.group(1)
            if self._listening():
                self._ready.set()
        self._ready.set()  # end of output: wake start() if it is still waiting

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after `stop_timeout` seconds; returns the exit status."""
        process = self._process
        if process is None:
            return None
        self._stopping = True
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                process.kill()
                process.wait()
        self._cleanup()
        return process.returncode

    def _cleanup(self) -> None:
        if self._reader is not None:
            self._reader.join(5)
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        if self._admin is not None:
            self._admin.close()
        if self._log_path is not None:
            self._final_stderr = self.stderr()
            try:
                os.unlink(self._log_path)
            except OSError:
                pass
            self._log_path = None
        if self._own_tls_dir is not None:
            shutil.rmtree(self._own_tls_dir, ignore_errors=True)
            self._own_tls_dir = None

    def __enter__(self) -> "ThetaConsole":
        return self.start() if self._process is None else self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ThetaConsole({self._base_url or 'not started'!s}, {self.options})"

    # -- state -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: the base URL to give the client under test."""
        if self._base_url is None:
            raise ThetaConsoleError("the server is not started")
        return self._base_url

    @property
    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.base_url).port or 80)

    @property
    def https_url(self) -> str:
        """`https://127.0.0.1:PORT`: the HTTPS base URL (needs `tls_dir`); trust `ca_file` to reach it."""
        return self._tls_value(self._https_url, "an HTTPS URL")

    @property
    def https_port(self) -> int:
        return int(urllib.parse.urlsplit(self.https_url).port or 443)

    @property
    def ca_file(self) -> str:
        """The local CA's certificate (PEM) the server printed, for `requests`' `verify=`,
        `REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS` or `curl --cacert` (needs `tls_dir`)."""
        return self._tls_value(self._ca_file, "a CA file")

    def _tls_value(self, value: Optional[str], what: str) -> str:
        if self.tls_dir is None:
            raise ThetaConsoleError(f"this server serves HTTP only: start it with tls_dir to get {what}")
        if value is None:
            raise ThetaConsoleError("the server is not started")
        return value

    @property
    def admin_token(self) -> Secret:
        """The admin token (its repr is masked)."""
        return self._token

    @property
    def admin(self) -> AdminClient:
        """The admin API client: keys, account, clock, faults, stubs, reset, recorded requests, verify."""
        if self._admin is None:
            raise ThetaConsoleError("the server is not started")
        return self._admin

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> Optional[int]:
        """None while it runs; its exit status after."""
        return self._process.poll() if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def exited_unexpectedly(self) -> bool:
        """It stopped without `stop()` (a crash, or a signal from elsewhere)."""
        return self._process is not None and not self._stopping and self._process.poll() is not None

    def stderr_size(self) -> int:
        """How many bytes the server has written to stderr so far."""
        if self._log_path is not None:
            try:
                return os.path.getsize(self._log_path)
            except OSError:
                return 0
        return len((self._final_stderr or "").encode())

    def stderr(self, since: int = 0) -> str:
        """What the server wrote to stderr (its log), from byte `since` on."""
        if self._log_path is None:
            return (self._final_stderr or "").encode()[since:].decode("utf-8", "replace")
        try:
            with open(self._log_path, "rb") as log:
                log.seek(since)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- helpers ---------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """`base_url + path`."""
        return self.base_url + path

    def create_key(self, name: str = "test key", *, rpm: Optional[int] = None, plan: Optional[str] = None,
                   expires_at: Optional[str] = None, allowed_cidrs: Optional[Sequence[str]] = None) -> CreatedKey:
        """Creates a key; `key.headers` is `{"x-api-key": …}`.

        `plan` sets the *account's* plan first (keys have no plan of their own; the plan decides
        how many keys may exist, the per-key RPM cap and whether pronunciation is available).
        """
        if plan is not None:
            self.admin.update_account(plan=plan)
        return self.admin.create_key(name, rate_limit_rpm=rpm, expires_at=expires_at, allowed_cidrs=allowed_cidrs)

    def set_account(self, *, plan: Optional[str] = None, balance: Optional[Number] = None) -> JSON:
        """PATCH /v1/account."""
        return self.admin.update_account(plan=plan, balance=balance)

    def advance(self, seconds: float) -> JSON:
        """Moves the fake clock forwards; needs `fake_time` (else a clear error)."""
        try:
            return self.admin.advance_clock(seconds)
        except AdminAPIError as error:
            if error.status == 404:
                raise ThetaConsoleError(
                    "advance() needs a fake clock: start the server with fake_time "
                    "(@pytest.mark.theta_console(fake_time=...) or the theta_console_fake_time ini option)") from error
            raise

    def add_fault(self, action: Mapping[str, Any], *, endpoint: str = "*", times: Optional[int] = None,
                  probability: Optional[float] = None, seed: Optional[int] = None,
                  key_id: Optional[str] = None) -> JSON:
        """POST /v1/faults (see `AdminClient.add_fault`)."""
        return self.admin.add_fault(action, endpoint=endpoint, times=times, probability=probability, seed=seed,
                                    key_id=key_id)

    def reset(self) -> None:
        """POST /v1/reset: a fresh account, as at start; the admin token and the clock stay."""
        try:
            self.admin.reset()
        except AdminAPIError as error:
            if error.status == 404:
                version = binary_version(self.binary)
                raise ThetaConsoleError(
                    f"POST /v1/reset answered 404: theta-console {version} at {self.binary} does not support "
                    "`serve --allow-reset` (or ServerOptions.allow_reset is off)") from error
            raise

    def recorded_requests(self, limit: Optional[int] = None, *, endpoint: Optional[str] = None, key: KeyRef = None,
                          key_id: Optional[str] = None, status: Optional[int] = None, reason: Optional[str] = None,
                          since: TimeRef = None, until: TimeRef = None, after: Optional[int] = None) -> List[JSON]:
        """The speech requests the server answered, newest first (needs record_requests > 0); the
        filters are those of `AdminClient.recorded_requests`."""
        return self.admin.recorded_requests(endpoint=endpoint, key=key, key_id=key_id, status=status, reason=reason,
                                            since=since, until=until, after=after, limit=limit)

    def count_requests(self, *, endpoint: Optional[str] = None, key: KeyRef = None, key_id: Optional[str] = None,
                       status: Optional[int] = None, reason: Optional[str] = None, since: TimeRef = None,
                       until: TimeRef = None, after: Optional[int] = None) -> int:
        """How many recorded requests match (see `AdminClient.count_requests`)."""
        return self.admin.count_requests(endpoint=endpoint, key=key, key_id=key_id, status=status, reason=reason,
                                         since=since, until=until, after=after)

    def mark(self) -> int:
        """The journal's mark, for `verify(..., since=mark)` (see `AdminClient.mark`)."""
        return self.admin.mark()

    def verify(self, endpoint: Optional[str] = None, *, status: Optional[int] = None, reason: Optional[str] = None,
               key: KeyRef = None, times: Optional[int] = None, at_least: Optional[int] = None,
               at_most: Optional[int] = None, since: Optional[int] = None) -> List[JSON]:
        """Checks how many recorded requests match (default: exactly one) and returns them; raises
        `VerificationError` with the near misses otherwise (see `AdminClient.verify`)."""
        __tracebackhide__ = True
        return self.admin.verify(endpoint, status=status, reason=reason, key=key, times=times, at_least=at_least,
                                 at_most=at_most, since=since)

    def unused_stubs(self) -> List[JSON]:
        """The stubs no request has matched yet."""
        return self.admin.unused_stubs()

    def assert_all_stubs_used(self) -> None:
        """Raises `VerificationError` naming each stub no request matched."""
        __tracebackhide__ = True
        self.admin.assert_all_stubs_used()

    def stdout_lines(self) -> List[str]:
        """Everything the server printed on stdout (its listening line, or lines with `tls_dir`)."""
        return list(self._stdout)

