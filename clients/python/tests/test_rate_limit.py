"""429 back-off against the real rate limiter, on a fake clock: no test waits a minute."""

from __future__ import annotations

from typing import List

import pytest
import requests

import app_client
from theta_console import ThetaConsole, make_wav

AUDIO = make_wav(1)
START = "2030-01-01T00:00:00Z"


def post(theta: ThetaConsole, secret: str) -> requests.Response:
    return requests.post(theta.url("/transcribe"), headers={"x-api-key": secret},
                         files={"file": ("audio.wav", AUDIO, "audio/wav")}, timeout=30)


@pytest.mark.theta_console(fake_time=START)
def test_backOff_waitsOutThe429_byMovingTheFakeClock(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key(rpm=2)
    assert [post(theta_reset, key.secret).status_code for _ in range(2)] == [200, 200]
    before = theta_reset.admin.clock()["unix"]
    waits: List[float] = []

    # The app's sleep becomes a move of the server's clock.
    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, sleep=theta_reset.advance, waits=waits)

    assert response.status_code == 200
    assert len(waits) == 1 and 1 <= waits[0] <= 60  # Retry-After: until the oldest request leaves the window
    assert theta_reset.admin.clock()["unix"] == pytest.approx(before + waits[0])
    assert [r["status"] for r in theta_reset.recorded_requests()] == [200, 429, 200, 200]


@pytest.mark.theta_console(fake_time=START)
def test_advancing61Seconds_emptiesTheWindow(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key(rpm=2)
    statuses = [post(theta_reset, key.secret).status_code for _ in range(3)]
    refused = post(theta_reset, key.secret)

    assert statuses == [200, 200, 429]
    assert refused.json()["detail"] == "Rate limit exceeded: at most 2 requests per minute for this API key."
    assert int(refused.headers["Retry-After"]) >= 1

    theta_reset.admin.request("POST", "/v1/clock", json_body={"advance_seconds": 61})
    again = post(theta_reset, key.secret)

    assert again.status_code == 200
    assert again.headers["X-RateLimit-Limit"] == "2" and again.headers["X-RateLimit-Remaining"] == "1"


def test_advance_withoutAFakeClock_explainsWhatToDo(theta_reset: ThetaConsole) -> None:
    from theta_console import ThetaConsoleError

    with pytest.raises(ThetaConsoleError, match="fake_time"):
        theta_reset.advance(61)
