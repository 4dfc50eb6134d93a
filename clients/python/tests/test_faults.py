"""A client's retry loop, proven against theta-console's fault rules (POST /v1/faults)."""

from __future__ import annotations

import time
from typing import List

import pytest
import requests

import app_client
from theta_console import ThetaConsole, make_wav

AUDIO = make_wav(1)


def charges(theta: ThetaConsole) -> List[dict]:
    return [entry for entry in theta.admin.ledger()["data"] if entry["kind"] == "charge"]


def test_retryLoop_getsThroughTwo503s(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    rule = theta_reset.add_fault({"status": 503}, endpoint="/transcribe", times=2)
    waits: List[float] = []

    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, sleep=lambda s: None, waits=waits)

    assert response.status_code == 200
    assert response.json()["text"] == "Welcome to Theta One AI!"
    assert waits == [1.0, 1.0]  # Retry-After: 1 on a 503
    assert theta_reset.admin.faults() == []  # `times` ran out, so the rule is gone
    assert rule["id"].startswith("flt_")
    assert len(charges(theta_reset)) == 1  # the two faulted requests were never billed
    recorded = theta_reset.recorded_requests()
    assert [r["status"] for r in recorded] == [200, 503, 503]
    assert all(r["key_id"] == key.id for r in recorded)


def test_withoutRetries_theClientSeesThe503(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    theta_reset.add_fault({"status": 503, "detail": "planned outage", "retry_after": 7}, endpoint="/transcribe")

    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, attempts=1)

    assert response.status_code == 503
    assert response.json() == {"detail": "planned outage"}
    assert response.headers["Retry-After"] == "7"
    assert theta_reset.admin.faults()[0]["hits"] == 1


def test_a429Fault_isWaitedOut_forItsRetryAfter(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    theta_reset.add_fault({"status": 429, "retry_after": 3}, endpoint="/transcribe", times=1)
    waits: List[float] = []

    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, sleep=lambda s: None, waits=waits)

    assert response.status_code == 200 and waits == [3.0]


@pytest.mark.parametrize("action", [{"reset": True}, {"truncate": True}], ids=["reset", "truncate"])
def test_aBrokenConnection_isRetried(theta_reset: ThetaConsole, action: dict) -> None:
    key = theta_reset.create_key()
    theta_reset.add_fault(action, endpoint="/transcribe", times=1)

    with pytest.raises(requests.RequestException):
        app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, attempts=1)
    theta_reset.add_fault(action, endpoint="/transcribe", times=1)
    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, sleep=lambda s: None)

    assert response.status_code == 200
    assert len(charges(theta_reset)) == 1


def test_aSlowAnswer_pastTheClientsTimeout_isRetried_andBilledTwice(theta_reset: ThetaConsole) -> None:
    """`delay_ms` is a slow success: the server bills the first request too, though the client gave up."""
    key = theta_reset.create_key()
    theta_reset.add_fault({"delay_ms": 1500}, endpoint="/transcribe", times=1)

    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, timeout=0.5, sleep=lambda s: None)

    assert response.status_code == 200
    assert len(charges(theta_reset)) == 2


@pytest.mark.theta_console(args=["--processing-timeout", "1"])
def test_aProcessingTimeout_is504_afterTheServersTimeout(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    theta_reset.add_fault({"timeout": True}, endpoint="/transcribe", times=1)
    started = time.monotonic()

    response = app_client.transcribe(theta_reset.base_url, key.secret, AUDIO, attempts=1)

    assert response.status_code == 504
    assert 0.9 <= time.monotonic() - started < 10


def test_aSeededFlakyRule_failsTheSameRequestsEveryRun(theta_reset: ThetaConsole) -> None:
    def run() -> List[int]:
        theta_reset.reset()
        key = theta_reset.create_key()
        theta_reset.add_fault({"status": 500}, endpoint="*", probability=0.5, seed=7)
        return [app_client.transcribe(theta_reset.base_url, key.secret, make_wav(0.1), attempts=1).status_code
                for _ in range(12)]

    first = run()
    assert set(first) == {200, 500}
    assert run() == first
