"""theta_reset: a clean server per test; the marker's plan and credits; recorded requests; stubs."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from theta_console import ThetaConsole, make_wav


def test_reset_deletesKeysFaultsAndUsage_andRestoresTheStartAccount(theta_reset: ThetaConsole) -> None:
    theta_reset.set_account(plan="pro", balance=5)
    key = theta_reset.create_key()
    theta_reset.add_fault({"status": 500}, endpoint="/analyze-native")
    requests.post(theta_reset.url("/transcribe"), headers=key.headers,
                  files={"file": ("a.wav", make_wav(1), "audio/wav")}, timeout=30)

    theta_reset.reset()

    account = theta_reset.admin.account()
    assert (account["plan"], account["balance"], account["active_keys"]) == ("free", 0.2, 0)
    assert theta_reset.admin.keys() == [] and theta_reset.admin.faults() == []
    assert [e["kind"] for e in theta_reset.admin.ledger()["data"]] == ["grant"]
    assert theta_reset.recorded_requests() == []
    gone = requests.post(theta_reset.url("/transcribe"), headers=key.headers,
                         files={"file": ("a.wav", make_wav(1), "audio/wav")}, timeout=30)
    assert gone.status_code == 401


def test_eachTest_startsClean_one(theta_reset: ThetaConsole) -> None:
    assert theta_reset.admin.keys() == []
    theta_reset.create_key()  # Free allows one key: the next test can create its own only after a reset


def test_eachTest_startsClean_two(theta_reset: ThetaConsole) -> None:
    assert theta_reset.admin.keys() == []
    theta_reset.create_key()


@pytest.mark.theta_console(plan="pro", credits="24")
def test_marker_setsPlanAndBalance_forThisTestOnly(theta_reset: ThetaConsole, theta_console: ThetaConsole) -> None:
    account = theta_reset.admin.account()
    assert (account["plan"], account["balance"]) == ("pro", 24)
    assert theta_reset is theta_console  # no start-up option: the shared server, no restart


def test_afterAMarkedTest_theStartAccountIsBack(theta_reset: ThetaConsole) -> None:
    account = theta_reset.admin.account()
    assert (account["plan"], account["balance"]) == ("free", 0.2)


def test_recordedRequests_nameTheFormParts_neverTheKey(theta_reset: ThetaConsole, wav_path: Path) -> None:
    key = theta_reset.create_key()
    requests.post(theta_reset.url("/transcribe"), headers=key.headers,
                  files={"file": ("lecture.wav", wav_path.read_bytes(), "audio/wav")},
                  data={"transcribe_options": "{}"}, timeout=30)
    requests.post(theta_reset.url("/transcribe"), headers={"x-api-key": "sk-theta-wrong"}, timeout=30)

    newest, oldest = theta_reset.recorded_requests()

    assert (newest["status"], newest["key_id"]) == (401, None)
    assert (oldest["status"], oldest["key_id"], oldest["endpoint"]) == (200, key.id, "/transcribe")
    parts = {p["name"]: p for p in oldest["parts"]}
    assert parts["file"]["filename"] == "lecture.wav" and parts["file"]["size"] == wav_path.stat().st_size
    leaked = key.secret in str(theta_reset.recorded_requests())
    assert not leaked
    assert len(theta_reset.recorded_requests(limit=1)) == 1


def test_stubs_answerMatchingRequests(theta_reset: ThetaConsole, wav_path: Path) -> None:
    key = theta_reset.create_key()
    korean = {"text": "안녕하세요", "text_type": "ko", "metadata": {}, "response_time_in_sec": 0.2}
    stub = theta_reset.admin.add_stub("/transcribe", korean, filename="korean.wav")

    def transcribe(filename: str) -> requests.Response:
        return requests.post(theta_reset.url("/transcribe"), headers=key.headers,
                             files={"file": (filename, wav_path.read_bytes(), "audio/wav")}, timeout=30)

    assert transcribe("korean.wav").json() == korean
    assert transcribe("other.wav").json()["text"] == "Welcome to Theta One AI!"
    assert [(s["id"], s["hits"]) for s in theta_reset.admin.stubs()] == [(stub["id"], 1)]
    assert len([e for e in theta_reset.admin.ledger()["data"] if e["kind"] == "charge"]) == 2  # billed as a 200
    theta_reset.admin.delete_stub(stub["id"])
    assert theta_reset.admin.stubs() == []

    theta_reset.admin.add_stub("/transcribe", {**korean, "text": "every file"})
    assert transcribe("other.wav").json()["text"] == "every file"
    theta_reset.admin.clear_stubs()
    assert theta_reset.admin.stubs() == []
    theta_reset.admin.add_stub("/transcribe", korean)
    theta_reset.reset()
    assert theta_reset.admin.stubs() == []


def test_aStubThatTheRealServiceCouldNotSend_isRefused(theta_reset: ThetaConsole) -> None:
    from theta_console import AdminAPIError

    with pytest.raises(AdminAPIError) as refused:
        theta_reset.admin.add_stub("/transcribe", {"text": "no text_type"})
    assert refused.value.status == 422
