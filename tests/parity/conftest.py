"""The parity suite's target, snapshots and report (see README.md).

- **Target.** By default a theta-console started by the `theta_console` pytest plugin
  (clients/python). With `THETA_ONE_BASE_URL` and `THETA_ONE_API_KEY` set, the real Theta One
  service: then no admin API is used, calls are paced (`THETA_ONE_PARITY_RPM`, 10 a minute by
  default) and capped (`THETA_ONE_PARITY_MAX_CALLS`), and what needs a second key, another plan,
  an empty account or an inactive/expired key is skipped with the reason (or run with the key
  named in the optional variables below).
- **Snapshots.** Each test's requests and answers, masked, in
  `snapshots/<target>/<module>.<test>.json`. Against theta-console a committed snapshot must
  match (`--parity-update-snapshots` rewrites them); against the real service they are written
  under `snapshots/real/` and compared with the theta-console ones (`--parity-strict` fails a
  test whose answers differ).
- **Report.** `report.md` at the end of the session: one table per endpoint, from the
  `@pytest.mark.parity(...)` marker every test carries.
"""

from __future__ import annotations

import collections
import datetime
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Generator, List, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import parity_lib as lib  # noqa: E402

try:  # the plugin registers itself when the package is installed; from a checkout (PYTHONPATH) it does not
    import theta_console  # noqa: F401
    _HAVE_PACKAGE = True
except ImportError:
    _HAVE_PACKAGE = False
if _HAVE_PACKAGE and "theta_console.pytest_plugin" not in sys.modules:
    pytest_plugins = ["theta_console.pytest_plugin"]

SECTIONS = (
    "/transcribe",
    "/analyze-native",
    "/pronunciation",
    "/pronunciation-simple",
    "Every endpoint: authentication (401) and the request",
    "Plans, credits and billing (402)",
    "Rate limits (429)",
    "Limits and server errors (413, 500, 504)",
    "API keys (console)",
)

_state_key = pytest.StashKey["ParityState"]()
_EMULATOR_ONLY = ("emulator-only: an exact value docs/emulated-responses.md or docs/decisions.md documents for "
                  "theta-console, which the reference leaves open")


@dataclass
class Result:
    section: str
    behaviour: str
    ref: str
    outcome: str = "not run"
    reason: str = ""
    snapshot: str = "—"
    versus_real: str = ""
    differences: List[str] = field(default_factory=list)


@dataclass
class ParityState:
    is_real: bool
    base_url: Optional[str]
    api_key: Optional[str]
    update: bool
    strict: bool
    log: lib.CallLog = field(default_factory=lib.CallLog)
    pacer: Optional[lib.Pacer] = None
    results: Dict[str, Result] = field(default_factory=dict)
    order: List[str] = field(default_factory=list)
    local_url: Optional[str] = None

    @property
    def target_name(self) -> str:
        return lib.REAL if self.is_real else lib.LOCAL


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity", "Theta One parity suite")
    group.addoption("--parity-update-snapshots", action="store_true",
                    help="rewrite the theta-console snapshots instead of comparing with them")
    group.addoption("--parity-strict", action="store_true",
                    help="against the real service: fail a test whose masked answers differ from theta-console's "
                         "snapshot (by default a difference is only reported)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "parity(behaviour, section, ref='', emulator_only=False, local_only=None): "
                                       "the documented behaviour a test checks, for report.md; {param} placeholders "
                                       "are filled from the test's parameters")
    if "theta_console.pytest_plugin" not in sys.modules:  # the plugin's marker, inert against the real service
        config.addinivalue_line("markers", "theta_console(plan=None, credits=None, fake_time=None, args=()): "
                                           "theta-console start-up state (plugin not loaded)")
    config.addinivalue_line("markers", "fresh_account: keep the account as a new one (Free, 0.20 credits) instead "
                                       "of moving it to Pro first (theta-console only)")
    base_url = os.environ.get("THETA_ONE_BASE_URL", "").strip()
    api_key = os.environ.get("THETA_ONE_API_KEY", "").strip()
    if bool(base_url) != bool(api_key):
        raise pytest.UsageError("set both THETA_ONE_BASE_URL and THETA_ONE_API_KEY to run against the real service, "
                                "or neither to run against theta-console")
    state = ParityState(is_real=bool(base_url), base_url=base_url or None,
                        api_key=lib.Secret(api_key) if api_key else None,
                        update=config.getoption("parity_update_snapshots"), strict=config.getoption("parity_strict"))
    if state.is_real:
        rpm = float(os.environ.get("THETA_ONE_PARITY_RPM", "10"))
        max_calls = int(os.environ.get("THETA_ONE_PARITY_MAX_CALLS", "80"))
        state.pacer = lib.Pacer(rpm, max_calls)
        plan = os.environ.get("THETA_ONE_PLAN", "").strip()
        if plan and plan not in lib.PLANS:
            raise pytest.UsageError(f"THETA_ONE_PLAN must be one of {', '.join(lib.PLANS)}, not {plan!r}")
        speech = os.environ.get("THETA_ONE_SPEECH_WAV", "").strip()
        if speech and (not Path(speech).is_file() or lib.wav_seconds(Path(speech).read_bytes()) is None):
            raise pytest.UsageError(f"THETA_ONE_SPEECH_WAV: {speech} is not a readable WAV file (the pronunciation "
                                    "pages say WAV)")
    config.stash[_state_key] = state


# -- collection: the marker, and what the real service skips -------------------------------------

def _format(text: str, item: pytest.Item) -> str:
    params = getattr(getattr(item, "callspec", None), "params", {})
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: List[pytest.Item]) -> None:
    state = config.stash[_state_key]
    missing = []
    for item in items:
        marker = item.get_closest_marker("parity")
        if marker is None or not marker.args:
            missing.append(item.nodeid)
            continue
        section = _format(marker.kwargs.get("section", ""), item)
        if section not in SECTIONS:
            missing.append(f"{item.nodeid} (unknown section {section!r})")
            continue
        state.results[item.nodeid] = Result(section=section, behaviour=_format(marker.args[0], item),
                                            ref=marker.kwargs.get("ref", ""))
        state.order.append(item.nodeid)
        fixtures = getattr(item, "fixturenames", None)
        local = not state.is_real and _HAVE_PACKAGE and fixtures is not None
        if local and "target" in fixtures and "theta_reset" not in fixtures:
            fixtures.insert(0, "theta_reset")  # the plugin's marker is applied by theta_reset, which `target` uses
        if state.is_real:
            # theta-console's start-up state means nothing here, and the plugin would ask for theta_reset
            item.own_markers[:] = [m for m in item.own_markers if m.name != "theta_console"]
            if marker.kwargs.get("emulator_only"):
                item.add_marker(pytest.mark.skip(reason=_EMULATOR_ONLY))
            elif marker.kwargs.get("local_only"):
                item.add_marker(pytest.mark.skip(reason=marker.kwargs["local_only"]))
    if missing:
        raise pytest.UsageError("every parity test needs @pytest.mark.parity(behaviour, section=...) with a section "
                                f"of conftest.SECTIONS: {', '.join(missing)}")


# -- the target ----------------------------------------------------------------------------------

class RealTarget(lib.Target):
    """The real service: a valid key, and the optional keys and sample the environment names."""

    def __init__(self, state: ParityState) -> None:
        assert state.base_url and state.api_key
        super().__init__(name=lib.REAL, base_url=state.base_url, key=lib.Key(state.api_key, "valid key"),
                         is_real=True, skip=pytest.skip, log=state.log, pacer=state.pacer, timeout=70.0)
        self.plan = os.environ.get("THETA_ONE_PLAN", "").strip() or None
        speech = os.environ.get("THETA_ONE_SPEECH_WAV", "").strip()
        self.has_speech = bool(speech)
        if speech:
            self.speech = lib.File(Path(speech).read_bytes(), "speech sample", "speech.wav", "audio/wav")
            self.speech_text = os.environ.get("THETA_ONE_SPEECH_TEXT", "").strip() or lib.GOLD_TEXT


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Generator[lib.Target, None, None]:
    """Where this test's requests go: `.base_url`, `.key` (valid), `.is_real`, and helpers."""
    state = request.config.stash[_state_key]
    made: lib.Target
    if state.is_real:
        made = RealTarget(state)
    else:
        if not _HAVE_PACKAGE:
            pytest.fail("the theta_console package is needed to run against theta-console: run with "
                        "PYTHONPATH=clients/python/src or `pip install ./clients/python`", pytrace=False)
        server = request.getfixturevalue("theta_reset")
        marker = request.node.get_closest_marker("theta_console")
        plan = marker.kwargs.get("plan") if marker is not None else None
        if request.node.get_closest_marker("fresh_account") is None and plan is None:
            server.set_account(plan="pro")
            plan = "pro"
        created = server.create_key("parity main key")
        made = lib.LocalTarget(server, lib.Key(str(created.secret), "valid key", created.id), skip=pytest.skip,
                           log=state.log)
        made.plan = plan or "free"
        state.local_url = server.base_url
    yield made
    made.session.close()


# -- snapshots, outcomes and the report ----------------------------------------------------------

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    __tracebackhide__ = True
    target = getattr(item, "funcargs", {}).get("target")
    try:
        outcome = yield
    except pytest.skip.Exception:
        raise
    except BaseException:
        # A failure against the real service still records what it answered, for the report;
        # against theta-console a failing test leaves its committed snapshot alone.
        if isinstance(target, lib.Target) and target.is_real and target.recorded:
            _check_snapshot(item, target, failed=True)
        raise
    if isinstance(target, lib.Target) and target.recorded:
        _check_snapshot(item, target)
    return outcome


def _check_snapshot(item: pytest.Item, target: lib.Target, failed: bool = False) -> None:
    __tracebackhide__ = True
    state = item.config.stash[_state_key]
    result = state.results[item.nodeid]
    exchanges = [lib.snapshot_of(e) for e in target.recorded]
    local_path = lib.snapshot_path(lib.LOCAL, item.nodeid)
    committed = lib.read_snapshot(local_path)
    if not state.is_real:
        if committed is None or state.update:
            lib.write_snapshot(local_path, item.nodeid, lib.LOCAL, exchanges)
            result.snapshot = "new (written)" if committed is None else (
                "same" if committed == exchanges else "updated")
        elif committed == exchanges:
            result.snapshot = "same"
        else:
            result.snapshot = "different"
            result.differences = lib.diff_snapshots(committed, exchanges)
            raise AssertionError(f"the answers differ from {local_path.relative_to(lib.HERE)} (masked):\n  "
                                 + "\n  ".join(result.differences)
                                 + "\nIf the change is intended, run with --parity-update-snapshots.")
        real = lib.read_snapshot(lib.snapshot_path(lib.REAL, item.nodeid))
        if real is not None:
            result.versus_real = "same" if real == exchanges else "different"
            if real != exchanges and not result.differences:
                result.differences = lib.diff_snapshots(exchanges, real)
        return
    real_path = lib.snapshot_path(lib.REAL, item.nodeid)
    lib.write_snapshot(real_path, item.nodeid, lib.REAL, exchanges)
    if committed is None:
        result.snapshot = "no theta-console snapshot"
    elif committed == exchanges:
        result.snapshot = "same"
    else:
        result.snapshot = "different"
        result.differences = lib.diff_snapshots(committed, exchanges)
        if state.strict and not failed:
            raise AssertionError("the real service's answers differ from theta-console's snapshot (masked; "
                                 "theta-console → real):\n  " + "\n  ".join(result.differences))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    state = _STATE.get("state")
    if state is None or report.nodeid not in state.results:
        return
    result = state.results[report.nodeid]
    if report.skipped:
        result.outcome = "skipped"
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        result.reason = reason.removeprefix("Skipped: ")
    elif report.failed:
        result.outcome = "FAILED" if report.when == "call" else f"ERROR ({report.when})"
    elif report.when == "call" and result.outcome == "not run":
        result.outcome = "yes"


_STATE: Dict[str, ParityState] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _STATE["state"] = session.config.stash[_state_key]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_state_key, None)
    if state is None or not state.results:
        return
    lib.REPORT.write_text(_report(state), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_state_key, None)
    if state is not None and state.results and lib.REPORT.exists():
        terminalreporter.write_line(f"parity report: {lib.REPORT}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _report(state: ParityState) -> str:
    ran = [state.results[n] for n in state.order if state.results[n].outcome != "not run"]
    counts = collections.Counter(result.outcome.split(" ")[0] for result in ran)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = (f"the real service at {state.base_url}" if state.is_real
             else f"theta-console (started by the plugin at {state.local_url or 'a local port'})")
    log = state.log
    lines = [
        f"# Parity report: {state.target_name}",
        "",
        f"- Target: {where}, {when}.",
        f"- Tests: {len(ran)} ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}).",
        f"- Calls to the speech API: {len(log.calls)}, {log.audio_seconds():.2f} s of audio. At the documented "
        f"prices (0.0004 credits per second of /transcribe, 0.0006 of the others): "
        f"{log.credits(billed_only=True):f} credits for the 200s, at most {log.credits(billed_only=False):f} "
        "if every call were billed (rounding and billing of failed calls are unstated).",
    ]
    snapshots = [r.snapshot for r in ran if r.snapshot != "—"]
    if state.is_real:
        lines.append(f"- Snapshots written to tests/parity/snapshots/real/; compared with snapshots/theta-console/: "
                     f"{snapshots.count('same')} same, {snapshots.count('different')} different, "
                     f"{snapshots.count('no theta-console snapshot')} without a theta-console snapshot.")
    else:
        lines.append(f"- Snapshots in tests/parity/snapshots/theta-console/: {snapshots.count('same')} same, "
                     f"{snapshots.count('different')} different, "
                     f"{sum(1 for s in snapshots if s.startswith('new') or s == 'updated')} written.")
        versus = [r.versus_real for r in ran if r.versus_real]
        if versus:
            lines.append(f"- Compared with the real service's snapshots (snapshots/real/): {versus.count('same')} "
                         f"same, {versus.count('different')} different.")
    lines += ["", "\"Checked\" is yes when the test passed; \"Same\" compares the masked requests and answers "
              "(volatile values such as `response_time_in_sec`, scores, times, remaining counts and ids "
              "become type tags)." + (" Against the real service a difference is reported, not failed, "
                                      "unless --parity-strict." if state.is_real else ""), ""]
    same_title = "Same as theta-console" if state.is_real else "Snapshot"
    show_real = (not state.is_real) and any(r.versus_real for r in ran)
    for section in SECTIONS:
        rows = [r for r in ran if r.section == section]
        if not rows:
            continue
        lines += [f"## {section}", ""]
        header = f"| Documented behaviour | Ref | Checked | {same_title} |" + (" Same as real |" if show_real else "")
        lines += [header, "|---|---|---|---|" + ("---|" if show_real else "")]
        for r in rows:
            checked = r.outcome if r.outcome != "skipped" else f"skipped: {r.reason}"
            row = f"| {_cell(r.behaviour)} | {_cell(r.ref)} | {_cell(checked)} | {_cell(r.snapshot)} |"
            if show_real:
                row += f" {_cell(r.versus_real or '—')} |"
            lines.append(row)
        lines.append("")
    differing = [(n, state.results[n]) for n in state.order if state.results[n].differences]
    if differing:
        lines += ["## Differences", ""]
        for nodeid, r in differing:
            direction = "theta-console → real" if state.is_real or r.versus_real else "committed → now"
            lines.append(f"- `{nodeid}` ({direction}):")
            lines += [f"  - `{d}`" for d in r.differences]
        lines.append("")
    return "\n".join(lines)
