"""verify(), marks, journal filters and unused stubs: the wording as pure functions, then the real server.

Every reason a journal entry can carry is produced here for real, except `unavailable` (a 503
from a failing store, which a test cannot bring about from outside).
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

import pytest
import requests

from theta_console import (REASONS, AdminAPIError, AdminClient, CreatedKey, ServerOptions, ThetaConsole, VerificationError,
                           make_wav)
from theta_console.verify import Count, Criteria, differences, entry_line, failure_message, nearest, \
    unused_stubs_message

KEY_A = "key_AAAAaaaa1111bbbb2222"
KEY_B = "key_BBBBbbbb3333cccc4444"


def entry(seq: int, endpoint: str = "/transcribe", status: int = 200, reason: str = "ok",
          key_id: Optional[str] = KEY_A) -> Dict[str, Any]:
    return {"seq": seq, "time": f"2026-12-07T01:02:{seq:02d}Z", "endpoint": endpoint, "key_id": key_id,
            "status": status, "reason": reason, "parts": [], "detail": None}


# -- pure: the count, the differences, the ranking, the message ---------------------------------


def test_count_defaultsToExactlyOnce_andTakesOneKind() -> None:
    assert Count.of(None, None, None) == Count("exactly", 1)
    assert Count.of(None, 2, None).accepts(5) and not Count.of(None, 2, None).accepts(1)
    assert Count.of(None, None, 2).accepts(0) and not Count.of(None, None, 2).accepts(3)
    assert Count.of(0, None, None).accepts(0) and not Count.of(0, None, None).accepts(1)
    with pytest.raises(ValueError, match="times and at_most"):
        Count.of(1, None, 3)
    with pytest.raises(ValueError, match=">= 0"):
        Count.of(None, -1, None)
    with pytest.raises(ValueError):
        Count.of(True, None, None)


def test_differences_namesEachCriterionMissed_withWhatWasThere() -> None:
    criteria = Criteria(endpoint="/transcribe", status=503, reason="fault", key_id=KEY_B)

    assert differences(entry(1, status=503, reason="fault", key_id=KEY_B), criteria) == []
    assert differences(entry(2, endpoint="/analyze-native", status=200), criteria) == [
        "endpoint is /analyze-native, not /transcribe", "key is key_AAAAaaaa…, not key_BBBBbbbb…",
        "status is 200, not 503", "reason is ok, not fault"]
    assert differences(entry(3, status=401, reason="key_unknown", key_id=None), Criteria(key_id=KEY_A)) == [
        "no key id, not key_AAAAaaaa…"]
    # Two ids alike in their first characters are shown whole.
    twin = "key_AAAAaaaa9999zzzz0000"
    assert differences(entry(4, key_id=twin), Criteria(key_id=KEY_A)) == [f"key is {twin}, not {KEY_A}"]


def test_entryLine_showsSeqTimeEndpointKeyIdStatusAndReason() -> None:
    assert entry_line(entry(12)) == "#12 2026-12-07T01:02:12Z /transcribe key_AAAAaaaa… status 200 reason ok"
    assert entry_line(entry(3, key_id=None, status=0, reason="fault")).endswith("no key id status 0 reason fault")


def test_nearest_fewestDifferencesFirst_thenNewest_threeAtMost() -> None:
    criteria = Criteria(endpoint="/transcribe", status=503)
    others = [entry(1, status=200), entry(2, endpoint="/pronunciation", status=200), entry(3, status=429),
              entry(4, endpoint="/analyze-native", status=503), entry(5, status=502)]

    ranked = nearest(others, criteria)

    assert [(e["seq"], len(d)) for e, d in ranked] == [(5, 1), (4, 1), (3, 1)]
    assert nearest(others, criteria, limit=10)[-1][0]["seq"] == 2  # two differences: last


def test_failureMessage_tooFew_showsTheNearMisses_andWhatDiffers() -> None:
    criteria = Criteria(endpoint="/transcribe", status=503, since=4)
    others = [entry(7, status=200), entry(6, endpoint="/analyze-native", status=200), entry(5, status=503,
                                                                                             endpoint="/pronunciation")]

    message = failure_message(criteria, Count("exactly", 2), [], others)

    assert message.splitlines() == [
        "expected exactly 2 requests to /transcribe with status 503 since mark 4, found 0",
        "The 3 requests recorded since mark 4, fewest differences first:",
        "  #7 2026-12-07T01:02:07Z /transcribe key_AAAAaaaa… status 200 reason ok — status is 200, not 503",
        "  #5 2026-12-07T01:02:05Z /pronunciation key_AAAAaaaa… status 503 reason ok — "
        "endpoint is /pronunciation, not /transcribe",
        "  #6 2026-12-07T01:02:06Z /analyze-native key_AAAAaaaa… status 200 reason ok — "
        "endpoint is /analyze-native, not /transcribe; status is 200, not 503",
    ]


def test_failureMessage_saysWhenOnlySomeAreShown_andWhenNothingWasRecorded() -> None:
    criteria = Criteria(status=503, reason="fault", key_id=KEY_A)
    others = [entry(n) for n in range(1, 6)]

    message = failure_message(criteria, Count("at least", 1), [], others)
    assert message.splitlines()[:2] == [
        f"expected at least 1 request with status 503, reason fault and key {KEY_A}, found 0",
        "The nearest 3 of the 5 requests recorded, fewest differences first:"]
    assert len(message.splitlines()) == 2 + 3

    assert failure_message(Criteria(since=9), Count("exactly", 1), [], []).splitlines()[1] == \
        "No request was recorded since mark 9."
    found_one = failure_message(Criteria(), Count("at least", 2), [entry(1)], [])
    assert found_one.splitlines() == ["expected at least 2 requests, found 1", "No other request was recorded."]


def test_failureMessage_tooMany_listsTheMatches_notTheNearMisses() -> None:
    matches = [entry(n, status=503, reason="fault") for n in range(14, 2, -1)]

    message = failure_message(Criteria(endpoint="/transcribe"), Count("at most", 1), matches, [entry(1)])

    lines = message.splitlines()
    assert lines[0] == "expected at most 1 request to /transcribe, found 12:"
    assert lines[1] == "  #14 2026-12-07T01:02:14Z /transcribe key_AAAAaaaa… status 503 reason fault"
    assert lines[-1] == "  … and 2 more" and len(lines) == 1 + 10 + 1
    assert "#1 " not in message


def test_unusedStubsMessage_namesIdEndpointAndMatch() -> None:
    stubs = [{"id": "stub_1", "endpoint": "/transcribe", "match": {"filename": "korean.wav"}, "hits": 0},
             {"id": "stub_2", "endpoint": "/analyze-native", "match": {}, "hits": 0}]

    assert unused_stubs_message(stubs, 3).splitlines() == [
        "2 of 3 stubs were never used:",
        "  stub_1 /transcribe match filename='korean.wav'",
        "  stub_2 /analyze-native match every request",
    ]


def test_verificationError_isAnAssertionError_andPickles() -> None:
    import pickle

    error = VerificationError("expected exactly 1 request, found 0", matches=[entry(1)])

    assert isinstance(error, AssertionError) and error.matches[0]["seq"] == 1
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_aKeyFilter_refusesASecret_withoutRepeatingIt() -> None:
    client = AdminClient("http://127.0.0.1:9", "not-a-real-token-0123456789")
    secret = "sk-theta-" + "S" * 38
    with pytest.raises(ValueError) as refused:
        client.verify("/transcribe", key=secret)
    shown = secret in str(refused.value)
    assert not shown
    with pytest.raises(ValueError, match="two keys"):
        client.recorded_requests(key=KEY_A, key_id=KEY_B)
    with pytest.raises(TypeError, match="mark"):
        client.verify(since="2026-12-07T00:00:00Z")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        client.recorded_requests(since=datetime(2026, 12, 7))


# -- against the server --------------------------------------------------------------------------


def transcribe(theta: ThetaConsole, key: Optional[CreatedKey], *, seconds: float = 1, endpoint: str = "/transcribe",
               data: Optional[Dict[str, str]] = None, files: bool = True) -> requests.Response:
    headers = key.headers if key is not None else {}
    parts = {"file": ("audio.wav", make_wav(seconds), "audio/wav")} if files else None
    return requests.post(theta.url(endpoint), headers=headers, files=parts, data=data, timeout=30)


def test_verify_times_atLeast_atMost_passAndReturnTheMatches(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    for _ in range(2):
        transcribe(theta_reset, key)

    assert [e["status"] for e in theta_reset.verify("/transcribe", times=2)] == [200, 200]
    theta_reset.verify("/transcribe", status=200, at_least=2)
    theta_reset.verify("/transcribe", at_most=2)
    theta_reset.verify("/analyze-native", times=0)
    found = theta_reset.verify(status=200, reason="ok", key=key, times=2)
    assert found[0]["seq"] > found[1]["seq"]  # newest first
    with pytest.raises(VerificationError, match=r"^expected exactly 1 request to /transcribe, found 2:"):
        theta_reset.verify("/transcribe")
    with pytest.raises(VerificationError, match=r"^expected at least 3 requests to /transcribe, found 2\n"):
        theta_reset.verify("/transcribe", at_least=3)
    with pytest.raises(VerificationError, match=r"^expected at most 1 request, found 2:"):
        theta_reset.verify(at_most=1)


def test_verify_failure_showsTheNearMisses_andWhatDiffers(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    transcribe(theta_reset, key)
    transcribe(theta_reset, key, endpoint="/analyze-native")  # Free has no /analyze-native: 402
    requests.post(theta_reset.url("/transcribe"), headers={"x-api-key": "sk-theta-wrong"}, timeout=30)

    with pytest.raises(VerificationError) as failed:
        theta_reset.verify("/transcribe", status=503, key=key)

    lines = str(failed.value).splitlines()
    assert lines[0] == f"expected exactly 1 request to /transcribe with status 503 and key {key.id}, found 0"
    assert lines[1] == "The 3 requests recorded, fewest differences first:"
    first, second, third = lines[2:]
    assert first.endswith(f"/transcribe {key.id[:12]}… status 200 reason ok — status is 200, not 503")
    assert second.endswith("/transcribe no key id status 401 reason key_unknown — "
                           f"no key id, not {key.id[:12]}…; status is 401, not 503")
    assert third.endswith("status 402 reason plan_excludes_endpoint — "
                          "endpoint is /analyze-native, not /transcribe; status is 402, not 503")
    assert [len(d) for _, d in failed.value.nearest] == [1, 2, 2]
    leaked = key.secret in str(failed.value)
    assert not leaked


def test_verify_byKey_takesACreatedKeyOrAnId(theta_reset: ThetaConsole) -> None:
    theta_reset.set_account(plan="pro")
    one, two = theta_reset.create_key("one"), theta_reset.create_key("two")
    transcribe(theta_reset, one)
    transcribe(theta_reset, two)
    transcribe(theta_reset, two)

    assert theta_reset.verify(key=one)[0]["key_id"] == one.id
    theta_reset.verify(key=two.id, times=2)
    assert theta_reset.count_requests(key=two) == 2 == theta_reset.count_requests(key_id=two.id)
    assert [e["key_id"] for e in theta_reset.recorded_requests(key=one)] == [one.id]


def test_marks_countOnlyWhatCameAfter(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    transcribe(theta_reset, key)
    mark = theta_reset.mark()

    assert theta_reset.verify(since=mark, times=0) == []
    transcribe(theta_reset, key)
    theta_reset.verify("/transcribe", since=mark)
    theta_reset.verify("/transcribe", times=2)
    assert theta_reset.mark() == mark + 1
    assert [e["seq"] for e in theta_reset.recorded_requests(after=mark)] == [mark + 1]
    with pytest.raises(VerificationError, match=rf"^expected exactly 2 requests since mark {mark}, found 1\n"
                                                rf"No other request was recorded since mark {mark}\.$"):
        theta_reset.verify(since=mark, times=2)


def test_aReset_emptiesTheJournal_butMarksKeepCounting(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    transcribe(theta_reset, key)
    before = theta_reset.mark()

    theta_reset.reset()

    assert theta_reset.mark() == before and theta_reset.recorded_requests() == []
    theta_reset.verify(times=0)
    key = theta_reset.create_key()
    transcribe(theta_reset, key)
    assert theta_reset.verify()[0]["seq"] == before + 1


def test_aRequestGatedBeforeAReset_isNeverCountedAfterIt(theta_reset: ThetaConsole) -> None:
    """An upload that passed its gate before the reset and is answered after it: not journaled."""
    key = theta_reset.create_key()
    theta_reset.add_fault({"delay_ms": 1}, endpoint="/transcribe", times=1)  # gone once a request is gated
    boundary = "theta-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode() + make_wav(1) + f"\r\n--{boundary}--\r\n".encode()
    url = urllib.parse.urlsplit(theta_reset.base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.putrequest("POST", "/transcribe")
        connection.putheader("x-api-key", key.secret)
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body[:100])
        deadline = time.monotonic() + 10
        while theta_reset.admin.faults() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert theta_reset.admin.faults() == [], "the request did not reach its gate in 10 s"

        theta_reset.reset()
        connection.send(body[100:])
        status = connection.getresponse().status
    finally:
        connection.close()

    assert status == 200  # answered as gated: the key was good then
    theta_reset.verify(times=0)
    assert theta_reset.recorded_requests() == []


def test_timeFilters_sinceIsInclusive_untilExclusive(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    transcribe(theta_reset, key)
    (recorded,) = theta_reset.recorded_requests()
    at = datetime.strptime(recorded["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)

    assert theta_reset.count_requests(since=recorded["time"]) == 1
    assert theta_reset.count_requests(since=at + timedelta(seconds=1)) == 0
    assert theta_reset.count_requests(until=at) == 0
    assert theta_reset.count_requests(until=at + timedelta(seconds=1), since=at) == 1


@pytest.mark.parametrize("filters, parameter", [
    ({"endpoint": "/nope"}, "endpoint"), ({"status": 600}, "status"), ({"reason": "teapot"}, "reason"),
    ({"since": "yesterday"}, "since"), ({"after": -1}, "after")])
def test_aBadFilter_isTheServers422(theta_reset: ThetaConsole, filters: Dict[str, Any], parameter: str) -> None:
    with pytest.raises(AdminAPIError) as refused:
        theta_reset.recorded_requests(**filters)
    assert refused.value.status == 422 and (refused.value.detail or "").startswith(parameter)
    with pytest.raises(AdminAPIError) as refused_count:
        theta_reset.count_requests(**filters)
    assert refused_count.value.status == 422


def test_verify_withAnUnknownReason_isTheServers422_notAFailedCount(theta_reset: ThetaConsole) -> None:
    with pytest.raises(AdminAPIError) as refused:
        theta_reset.verify(reason="teapot")
    assert refused.value.status == 422


# -- every reason the journal names --------------------------------------------------------------


def reason_of(theta: ThetaConsole, status: int) -> str:
    (newest,) = theta.recorded_requests(limit=1)
    assert newest["status"] == status, newest
    return str(newest["reason"])


def test_reasons_ofTheKeyGate(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    transcribe(theta_reset, None)
    assert reason_of(theta_reset, 401) == "key_missing"
    requests.post(theta_reset.url("/transcribe"), headers={"x-api-key": "sk-theta-wrong"}, timeout=30)
    assert reason_of(theta_reset, 401) == "key_unknown"
    theta_reset.admin.deactivate_key(key.id)
    transcribe(theta_reset, key)
    assert reason_of(theta_reset, 401) == "key_inactive"

    theta_reset.verify(status=401, times=3)
    theta_reset.verify(reason="key_inactive", key=key)


def test_reason_keyDuplicate_twoKeyHeaders(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    url = urllib.parse.urlsplit(theta_reset.base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.putrequest("POST", "/transcribe")
        connection.putheader("x-api-key", key.secret)
        connection.putheader("x-api-key", key.secret)
        connection.putheader("Content-Length", "0")
        connection.endheaders()
        assert connection.getresponse().status == 401
    finally:
        connection.close()

    theta_reset.verify("/transcribe", reason="key_duplicate", status=401)


def test_reason_addressNotAllowed(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key(allowed_cidrs=["10.0.0.0/8"])  # the test runs from 127.0.0.1
    transcribe(theta_reset, key)

    theta_reset.verify("/transcribe", reason="address_not_allowed", key=key)


def test_REASONS_areTheServersList(theta_reset: ThetaConsole) -> None:
    with pytest.raises(AdminAPIError) as refused:
        theta_reset.count_requests(reason="teapot")
    assert refused.value.detail == "reason must be one of " + ", ".join(REASONS)


@pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
def test_reason_keyExpired_onTheFakeClock(theta_reset: ThetaConsole) -> None:
    now = theta_reset.admin.clock()["unix"]  # the fake clock may have moved in other tests: it survives resets
    in_ten_minutes = datetime.fromtimestamp(now + 600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = theta_reset.create_key(expires_at=in_ten_minutes)
    transcribe(theta_reset, key)
    theta_reset.advance(601)
    transcribe(theta_reset, key)

    theta_reset.verify(reason="key_expired", status=401, key=key)
    theta_reset.verify(reason="ok", key=key)


def test_reasons_ofThePlanAndTheBalance(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()  # the Free plan: no /pronunciation
    transcribe(theta_reset, key, endpoint="/pronunciation", data={"gold_text": "Wow, check out this castle."})
    theta_reset.verify("/pronunciation", reason="plan_excludes_endpoint", status=402)

    theta_reset.set_account(balance=0)
    transcribe(theta_reset, key)
    theta_reset.verify("/transcribe", reason="out_of_credits", status=402)


@pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
def test_reason_rateLimited(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key(rpm=1)
    transcribe(theta_reset, key)
    transcribe(theta_reset, key)

    theta_reset.verify(reason="ok")
    theta_reset.verify(reason="rate_limited", status=429)


def test_reasons_ofAMalformedRequest(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    transcribe(theta_reset, key, files=False, data={"transcribe_options": "{}"})

    theta_reset.verify("/transcribe", reason="invalid_request", status=400)


@pytest.mark.theta_console(args=["--max-upload-mb", "1"])
def test_reason_tooLarge(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    try:
        answer = transcribe(theta_reset, key, seconds=40)  # 40 s of 16 kHz 16-bit mono: 1.28 MB
        assert answer.status_code == 413
    except requests.ConnectionError:
        pass  # the server may close while the client is still sending; the journal has the answer

    theta_reset.verify(reason="too_large", status=413)


def test_reasons_ofFaultsAndStubs(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    theta_reset.add_fault({"status": 503}, endpoint="/transcribe", times=1)
    theta_reset.add_fault({"reset": True}, endpoint="/analyze-native", times=1)
    theta_reset.admin.add_stub("/transcribe", {"text": "stubbed", "text_type": "en", "metadata": {},
                                               "response_time_in_sec": 0.1})
    assert transcribe(theta_reset, key).status_code == 503
    assert transcribe(theta_reset, key).json()["text"] == "stubbed"
    with pytest.raises(requests.ConnectionError):
        transcribe(theta_reset, key, endpoint="/analyze-native", data={"detect_options": "{}"})

    theta_reset.verify("/transcribe", reason="fault", status=503)
    theta_reset.verify("/transcribe", reason="stub", status=200)
    theta_reset.verify("/analyze-native", reason="fault", status=0)
    theta_reset.verify(reason="fault", times=2)


# -- unused stubs --------------------------------------------------------------------------------


def test_unusedStubs_andAssertAllStubsUsed(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key()
    body = {"text": "x", "text_type": "en", "metadata": {}, "response_time_in_sec": 0.1}
    used = theta_reset.admin.add_stub("/transcribe", body, filename="used.wav")
    unused = theta_reset.admin.add_stub("/transcribe", body, filename="never.wav")
    requests.post(theta_reset.url("/transcribe"), headers=key.headers,
                  files={"file": ("used.wav", make_wav(1), "audio/wav")}, timeout=30)

    assert [s["id"] for s in theta_reset.unused_stubs()] == [unused["id"]]
    with pytest.raises(VerificationError) as failed:
        theta_reset.assert_all_stubs_used()
    assert str(failed.value).splitlines() == [
        "1 of 2 stubs was never used:", f"  {unused['id']} /transcribe match filename='never.wav'"]
    assert failed.value.unused_stubs[0]["id"] == unused["id"]

    theta_reset.admin.delete_stub(unused["id"])
    theta_reset.assert_all_stubs_used()
    assert [s["id"] for s in theta_reset.admin.stubs()] == [used["id"]] and theta_reset.unused_stubs() == []


# -- the plugin: what a test author writes -------------------------------------------------------


def test_aPytestFile_usingThetaResetAndVerify_passes_andFailsWithTheNearMisses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import requests
        from theta_console import make_wav

        def post(theta, key):
            return requests.post(theta.url("/transcribe"), headers=key.headers,
                                 files={"file": ("a.wav", make_wav(1), "audio/wav")}, timeout=30)

        def app_transcribe(theta, key, attempts=3):
            for _ in range(attempts):
                answer = post(theta, key)
                if answer.status_code != 503:
                    return answer
            return answer

        def test_retriesOnceAfterA503(theta_reset):
            key = theta_reset.create_key()
            theta_reset.add_fault({"status": 503}, endpoint="/transcribe", times=1)

            assert app_transcribe(theta_reset, key).status_code == 200

            theta_reset.verify("/transcribe", status=503, reason="fault", times=1)
            theta_reset.verify("/transcribe", status=200, key=key, times=1)
            theta_reset.verify("/transcribe", times=2)

        def test_seesOnlyItsOwnRequests(theta_reset):
            theta_reset.verify(times=0)

        def test_anAppThatNeverRetries_failsWithTheNearMiss(theta_reset):
            key = theta_reset.create_key()
            theta_reset.add_fault({"status": 503}, endpoint="/transcribe", times=1)
            post(theta_reset, key)
            theta_reset.verify("/transcribe", status=200, key=key)
    """)

    result = pytester.runpytest()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*VerificationError: expected exactly 1 request to /transcribe with status 200 and key key_*, found 0",
        "*The only request recorded:",
        "*#* /transcribe key_* status 503 reason fault — status is 503, not 200",
        "*- Captured theta-console requests call -*",
        "#* 503 /transcribe key=key_* [[]*[]] reason=fault '*'",  # a fault answers before the body is read
    ])
    # pytest shows the test's own line, not the client's internals.
    assert "theta_reset.verify(\"/transcribe\", status=200, key=key)" in result.stdout.str()
    assert "def verify(" not in result.stdout.str()


def test_aJournalThatDroppedRequestsAfterTheMark_isNotJudged_andSaysWhy() -> None:
    with ThetaConsole(options=ServerOptions(record_requests=2)) as theta:
        for _ in range(3):
            transcribe(theta, None)  # 401s: seq 1 goes for lack of room

        with pytest.raises(VerificationError) as refused:
            theta.verify("/transcribe", times=3)
        assert "dropped requests up to #1" in str(refused.value) and "--record-requests" in str(refused.value)
        assert len(theta.verify("/transcribe", at_least=2)) == 2  # a count reached is still reached
        assert len(theta.verify("/transcribe", since=1, times=2)) == 2  # nothing after seq 1 was lost
