"""The pytest plugin, driven through pytester: fixtures, marker, ini options, failure reports."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_aFailingTest_getsTheServersStderr_andItsRequests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import requests

        def test_fails(theta_reset):
            key = theta_reset.create_key()
            requests.post(theta_reset.url("/transcribe"), headers={"x-api-key": "sk-theta-nope"}, timeout=10)
            assert False, "boom"

        def test_passes(theta_console):
            assert theta_console.admin.health()

        def test_failsWithoutTheServer():
            assert False
    """)
    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_fails _*",
        "*- Captured theta-console stderr call -*",
        "http://127.0.0.1:*, pid *, running",
        "----- this test starts here -----",
        "*serving*",  # the server started in this test's setup
        "*- Captured theta-console requests call -*",
        "http://127.0.0.1:*, newest first:",
        "* 401 /transcribe key=None []*'Invalid API key.'",
        "*_ test_failsWithoutTheServer _*",
    ])
    after_second_failure = result.stdout.str().split("test_failsWithoutTheServer _")[1]
    assert "Captured theta-console" not in after_second_failure


def test_theMarker_needsTheta_reset(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.theta_console(plan="pro")
        def test_x(theta_console):
            pass

        @pytest.mark.theta_console(plans="pro")
        def test_y(theta_reset):
            pass
    """)
    result = pytester.runpytest()

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "*@pytest.mark.theta_console(...) is applied by the theta_reset fixture, which test_x does not use*",
        "*@pytest.mark.theta_console: unknown argument(s) plans; known: plan, credits, fake_time, args*",
    ])


def test_iniOptions_setTheStartAccountAndClock(pytester: pytest.Pytester) -> None:
    pytester.makeini("""
        [pytest]
        theta_console_plan = pro
        theta_console_credits = 3.5
        theta_console_fake_time = 2030-01-01T00:00:00Z
        theta_console_args = --max-key-rpm 1000
    """)
    pytester.makepyfile("""
        def test_start(theta_console):
            account = theta_console.admin.account()
            assert (account["plan"], account["balance"], account["max_key_rate_limit_rpm"]) == ("pro", 3.5, 1000)
            assert theta_console.admin.clock()["now"] == "2030-01-01T00:00:00Z"
            theta_console.set_account(plan="free", balance=0)

        def test_afterReset(theta_reset):
            account = theta_reset.admin.account()
            assert (account["plan"], account["balance"]) == ("pro", 3.5)
    """)
    pytester.runpytest().assert_outcomes(passed=2)


def test_startUpOptions_inAMarker_shareOneMoreServer(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        urls = {}

        @pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
        def test_a(theta_reset):
            urls["a"] = theta_reset.base_url
            theta_reset.advance(10)

        @pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z", plan="starter")
        def test_b(theta_reset):
            urls["b"] = theta_reset.base_url
            assert theta_reset.admin.account()["plan"] == "starter"
            assert theta_reset.admin.clock()["now"] == "2030-01-01T00:00:10Z"  # the clock survives a reset

        def test_c(theta_console):
            assert urls["a"] == urls["b"] != theta_console.base_url
    """)
    pytester.runpytest().assert_outcomes(passed=3)


def test_aBadBinary_failsEveryTest_withOneClearMessage(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THETA_CONSOLE_BIN", "/nonexistent/theta-console")
    pytester.makepyfile("""
        def test_one(theta_console):
            pass

        def test_two(theta_reset):
            pass
    """)
    result = pytester.runpytest()

    result.assert_outcomes(errors=2)
    assert result.stdout.str().count("THETA_CONSOLE_BIN=/nonexistent/theta-console: no such file") >= 2


def test_aServerThatDied_isReported_notRestarted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import os, signal

        def test_kill(theta_console):
            os.kill(theta_console.pid, signal.SIGKILL)
            theta_console._process.wait()

        def test_after(theta_reset):
            pass
    """)
    result = pytester.runpytest()

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*theta-console at http://127.0.0.1:* exited with status -9 during the session*"])
