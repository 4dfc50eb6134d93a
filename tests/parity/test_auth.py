"""Every endpoint: the `x-api-key` header and 401, and the shape of a request (reference §1, §2, §4)."""

from __future__ import annotations

import pytest

import parity_lib as lib
from parity_needs import expired_key, inactive_key

SECTION = "Every endpoint: authentication (401) and the request"


def assert_401(target, exchange, emulated_detail):
    assert exchange.status == 401, exchange
    assert exchange.media_type == "application/json", exchange.headers.get("Content-Type")
    body = exchange.body
    assert isinstance(body, dict) and body, f"a failure returns a JSON body with a message, got {body!r}"
    if target.is_emulator:
        assert body == {"detail": emulated_detail}
        assert "WWW-Authenticate" not in exchange.headers
        assert not any(h.lower().startswith("x-ratelimit") for h in exchange.headers)


@pytest.mark.parity("{endpoint} without `x-api-key`: 401 with a JSON message (theta-console: `Missing API key. "
                    "Send it in the x-api-key header.`)", section=SECTION, ref="§1, §2, §4")
@pytest.mark.parametrize("endpoint", lib.ENDPOINTS)
def test_missing_key(target, endpoint):
    exchange = target.post(endpoint, file=lib.tone(1), parts={"options": '{"gold_text": "Wow, hi."}'}, key=None)
    assert_401(target, exchange, "Missing API key. Send it in the x-api-key header.")


@pytest.mark.parity("an incorrect key ({kind}): 401 (theta-console: `Invalid API key.`)", section=SECTION,
                    ref="§2, §4")
@pytest.mark.parametrize("kind", ["well-formed, unknown", "malformed"])
def test_incorrect_key(target, kind):
    secret = lib.random_key() if kind.startswith("well") else "not-a-theta-key"
    exchange = target.post("/transcribe", file=lib.tone(1), key=lib.Key(secret, f"incorrect key ({kind})"))
    assert_401(target, exchange, "Invalid API key.")


@pytest.mark.parity("the key in `Authorization: Bearer` instead of `x-api-key`: 401 (a custom header, not "
                    "Authorization)", section=SECTION, ref="§1")
def test_authorization_header_is_not_the_key(target):
    exchange = target.post("/transcribe", file=lib.tone(1), key=None,
                           headers={"Authorization": lib.Secret(f"Bearer {target.key.secret}")})
    assert_401(target, exchange, "Missing API key. Send it in the x-api-key header.")


@pytest.mark.parity("header names are case-insensitive: `X-API-Key` works like `x-api-key` (200)", section=SECTION,
                    ref="§1")
def test_header_name_case(target):
    exchange = target.post("/transcribe", file=lib.tone(1), key=None, headers={"X-API-Key": target.key.secret})
    assert exchange.status == 200, exchange


@pytest.mark.parity("a deleted key is inactive and stops working: 401 (theta-console: `API key is inactive.`)",
                    section=SECTION, ref="§2, §4")
def test_inactive_key(target):
    exchange = target.post("/transcribe", file=lib.tone(1), key=inactive_key(target))
    assert_401(target, exchange, "API key is inactive.")


@pytest.mark.parity("a key past its Expires At is deactivated: 401 (theta-console: `API key has expired.`)",
                    section=SECTION, ref="§2, §4")
@pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
def test_expired_key(target):
    exchange = target.post("/transcribe", file=lib.tone(1), key=expired_key(target))
    assert_401(target, exchange, "API key has expired.")


@pytest.mark.parity("the API is unversioned: `POST /v1/transcribe` with a valid key and file is not the endpoint "
                    "(no 200)", section=SECTION, ref="§1")
def test_unversioned(target):
    exchange = target.post("/v1/transcribe", file=lib.tone(1))
    assert exchange.status != 200 and exchange.status >= 400, exchange


@pytest.mark.parity("the endpoints are POST: `GET /transcribe` is refused (4xx; theta-console: 405 with `Allow: "
                    "POST`)", section=SECTION, ref="§1")
def test_post_only(target):
    exchange = target.post("/transcribe", method="GET")
    assert 400 <= exchange.status < 500, exchange
    if target.is_emulator:
        assert exchange.status == 405 and "POST" in exchange.headers.get("Allow", ""), exchange
