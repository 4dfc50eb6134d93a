"""Rate limits: 429, its headers, the per-key RPM and the plan caps (reference §2, §4, §5)."""

from __future__ import annotations

import os

import pytest

import parity_lib as lib

SECTION = "Rate limits (429)"
OPT_IN = ("would make more calls than the key's rate limit allows in a minute: set THETA_ONE_PARITY_RATE_LIMIT=1 "
          "to run it (at most RPM + 1 calls of 1 s /transcribe)")


def assert_rate_limit_headers(exchange, *, limit=None, remaining=None):
    """theta-console's X-RateLimit-* headers (the reference leaves their existence open)."""
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert exchange.headers.get(name, "").isdigit(), (name, dict(exchange.headers))
    if limit is not None:
        assert int(exchange.headers["X-RateLimit-Limit"]) == limit
    if remaining is not None:
        assert int(exchange.headers["X-RateLimit-Remaining"]) == remaining


def assert_429(target, exchange, rpm):
    assert exchange.status == 429, exchange
    assert isinstance(exchange.body, dict) and exchange.body, exchange
    retry_after = exchange.headers.get("Retry-After")
    if target.is_emulator:
        assert retry_after is not None and retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after
        assert exchange.body == {"detail": f"Rate limit exceeded: at most {rpm} requests per minute for this API key."}
        assert_rate_limit_headers(exchange, limit=rpm, remaining=0)
    elif retry_after is not None:
        assert retry_after.strip().isdigit(), f"Retry-After is not whole seconds: {retry_after!r}"


@pytest.mark.parity("more requests in a minute than the key's RPM: 429 (theta-console: with `Retry-After` 1–60 and "
                    "`X-RateLimit-Limit`/`-Remaining`/`-Reset`)", section=SECTION, ref="§4, §5")
def test_key_rpm_exceeded(target):
    if target.is_real:
        if os.environ.get("THETA_ONE_PARITY_RATE_LIMIT") != "1":
            target.skip(OPT_IN)
        first = target.post("/transcribe", file=lib.tone(1))
        assert first.status == 200, first
        rpm = int(first.headers.get("X-RateLimit-Limit") or os.environ.get("THETA_ONE_KEY_RPM") or 0)
        if not rpm:
            target.skip("the real service sent no X-RateLimit-Limit: set THETA_ONE_KEY_RPM to the key's rate limit")
        pacer = target.pacer
        interval, pacer.interval = pacer.interval, 0  # a burst, on purpose, at most rpm + 1 calls
        key = target.key
    else:
        rpm = 2
        key = target.make_key(rpm=rpm, label="valid key")  # the label the real run's key has, for the snapshot
        first = target.post("/transcribe", file=lib.tone(1), key=key)
        assert first.status == 200, first
        assert_rate_limit_headers(first, limit=2, remaining=1)
    for _ in range(rpm - 1):
        ok = target.post("/transcribe", file=lib.tone(1), key=key, record=False)
        if ok.status == 429:
            break
        assert ok.status == 200, ok
    refused = target.post("/transcribe", file=lib.tone(1), key=key)
    if target.is_real:
        pacer.interval = interval
        retry_after = refused.headers.get("Retry-After", "")
        # the key's window empties before the next test's call
        pacer.cool_down(int(retry_after) if retry_after.isdigit() else 60)
    assert_429(target, refused, rpm)


@pytest.mark.parity("the limit is per key: another key of the same account still gets 200", section=SECTION,
                    ref="§5", local_only="needs a second key")
def test_limit_is_per_key(target):
    limited = target.make_key(rpm=1, label="key with 1 RPM")
    assert target.post("/transcribe", file=lib.tone(1), key=limited).status == 200
    assert target.post("/transcribe", file=lib.tone(1), key=limited).status == 429
    assert target.post("/transcribe", file=lib.tone(1)).status == 200


@pytest.mark.parity("plan caps: Free 30 RPM (a 100-RPM key gets 30 a minute, the 31st is 429), Starter 100",
                    section=SECTION, ref="§5, §6", local_only="needs other plans")
@pytest.mark.fresh_account
def test_plan_caps(target):
    first = target.post("/transcribe", file=lib.tone(0.1))
    assert first.status == 200, first
    assert_rate_limit_headers(first, limit=30, remaining=29)
    for n in range(29):
        assert target.post("/transcribe", file=lib.tone(0.1), record=False).status == 200, n
    assert_429(target, target.post("/transcribe", file=lib.tone(0.1)), 30)
    target.set_plan("starter")
    fresh = target.make_key(rpm=100, label="100-RPM key on Starter")
    assert_rate_limit_headers(target.post("/transcribe", file=lib.tone(0.1), key=fresh), limit=100, remaining=99)


@pytest.mark.parity("plan caps above the per-key maximum (a separate contract, `--max-key-rpm 1000`): Pro 500, "
                    "Pro+ 500, Enterprise unlimited", section=SECTION, ref="§5", local_only="needs other plans")
@pytest.mark.theta_console(args=["--max-key-rpm", "1000"])
def test_plan_caps_above_100(target):
    for plan, limit in (("pro", 500), ("pro_plus", 500), ("enterprise", 1000)):
        target.set_plan(plan)
        if plan == "enterprise":
            target.set_credits("10")
        key = target.make_key(rpm=1000, label=f"1000-RPM key on {plan}")
        assert_rate_limit_headers(target.post("/transcribe", file=lib.tone(0.1), key=key), limit=limit)


@pytest.mark.parity("a key's Rate Limit is at most 100 RPM (101 is refused)", section=SECTION, ref="§2",
                    local_only="creates keys (a console action)")
def test_key_rpm_maximum(target):
    assert target.make_key(rpm=100, label="100-RPM key").id
    refused = target.admin.request("POST", "/v1/keys", json_body={"name": "too fast", "rate_limit_rpm": 101},
                                   expect=(422,))  # any other status raises AdminAPIError
    assert "rate_limit_rpm" in refused["detail"]


@pytest.mark.parity("the window slides: a minute after the 429, the key gets 200 again (window type unstated)",
                    section=SECTION, ref="emulated", emulator_only=True)
@pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
def test_window_slides(target):
    key = target.make_key(rpm=1, label="key with 1 RPM")
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 200
    refused = target.post("/transcribe", file=lib.tone(1), key=key)
    assert refused.status == 429
    target.advance(int(refused.headers["Retry-After"]))
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 200


@pytest.mark.parity("every answer to a known key carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` "
                    "(200, 400, 402)", section=SECTION, ref="emulated", emulator_only=True)
def test_rate_limit_headers(target):
    ok = target.post("/transcribe", file=lib.tone(1))
    assert_rate_limit_headers(ok, limit=100, remaining=99)
    bad = target.post("/transcribe", file=lib.tone(1), parts={"transcribe_options": "{"})
    assert_rate_limit_headers(bad, limit=100, remaining=98)
    target.set_credits("0")
    broke = target.post("/transcribe", file=lib.tone(1))
    assert broke.status == 402
    assert_rate_limit_headers(broke, limit=100, remaining=98)
