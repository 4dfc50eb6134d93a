"""Starting and stopping a server: the command line, the token, SIGTERM then SIGKILL, failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import theta_console as package
from fakes import fake_server
from theta_console import ServerOptions, ServerStartError, ThetaConsole, ThetaConsoleVersionWarning


def test_theAdminToken_isInTheEnvironment_neverOnTheCommandLine(theta_console: ThetaConsole) -> None:
    argv = Path(f"/proc/{theta_console.pid}/cmdline").read_bytes().split(b"\0")
    environment = Path(f"/proc/{theta_console.pid}/environ").read_bytes().split(b"\0")
    token = str(theta_console.admin_token).encode()

    in_argv = any(token in arg for arg in argv)
    in_environment = b"THETA_CONSOLE_ADMIN_TOKEN=" + token in environment
    assert not in_argv and in_environment
    assert argv[1:9] == [b"serve", b"--host", b"127.0.0.1", b"--port", b"0", b"--db", b":memory:", b"--allow-reset"]
    assert argv[9:11] == [b"--record-requests", b"1000"]
    assert len(theta_console.admin_token) >= 32


def test_eachServer_getsItsOwnRandomToken() -> None:
    assert ThetaConsole().admin_token != ThetaConsole().admin_token


def test_outsidePytest_aContextManager_startsAndStops(tmp_path: Path) -> None:
    with ThetaConsole(options=ServerOptions(plan="pro", credits="2", record_requests=0)) as theta:
        assert theta.running and theta.admin.account()["plan"] == "pro"
        assert "--record-requests" not in theta.command()
        pid = theta.pid

    assert theta.returncode == 0 and not theta.killed  # SIGTERM: a clean shutdown
    assert "stopped" in theta.stderr()
    assert not Path(f"/proc/{pid}").exists()


def test_aServerThatIgnoresSIGTERM_isKilled(tmp_path: Path) -> None:
    theta = ThetaConsole(fake_server(tmp_path, "ignore-term"), stop_timeout=0.5).start()

    assert theta.stop() == -9 and theta.killed


def test_aServerThatExits_failsTheStart_withItsStderr(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError, match=r"exited with status 3 before listening; its stderr:\nboom: cannot"):
        ThetaConsole(fake_server(tmp_path, "exit")).start()


def test_aServerThatNeverListens_failsTheStart_inTime(tmp_path: Path) -> None:
    theta = ThetaConsole(fake_server(tmp_path, "silent"), startup_timeout=0.5)

    with pytest.raises(ServerStartError, match=r"did not print its listening line within 0.5 s"):
        theta.start()
    assert theta.returncode == -9


def test_anotherVersion_warns(tmp_path: Path) -> None:
    theta = ThetaConsole(fake_server(tmp_path, version="9.9.9"))

    with pytest.warns(ThetaConsoleVersionWarning, match=f"is theta-console 9.9.9; this client is {package.__version__}"):
        theta.start()
    theta.stop()


def test_flagsTheBinaryDoesNotKnow_areLeftOut(tmp_path: Path) -> None:
    command = ThetaConsole(fake_server(tmp_path), ServerOptions(fake_time="2030-01-01T00:00:00Z")).command()

    assert "--allow-reset" not in command and "--record-requests" not in command
    assert command[-2:] == ["--fake-time", "2030-01-01T00:00:00Z"]


def test_stderrDuringTheSession_isKeptAfterStop(theta_console: ThetaConsole) -> None:
    assert theta_console.stderr_size() > 0
    assert "serving" in theta_console.stderr()
    assert theta_console.stderr(theta_console.stderr_size()) == ""
    assert os.path.exists(theta_console._log_path or "")
