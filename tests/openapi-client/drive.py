"""Drives theta-console's admin API end to end through a client generated from docs/openapi.yaml.

Run by tests/openapi-client/run, with the generated package `theta_console_client` on PYTHONPATH:

    python drive.py BINARY

Every call goes through the generated client's functions and models (no hand-written request), with
`raise_on_unexpected_status=True`, so a status the document does not list for the operation fails
the run. Every answer is checked for its status and parsed model, not only for the absence of an
exception. The servers are started here (`serve --port 0`, the admin token in the environment) and
stopped at the end. A key's secret is never printed.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import secrets
import selectors
import subprocess
import sys
import tempfile
import time
import wave
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

import httpx

from theta_console_client import AuthenticatedClient, Client
from theta_console_client.api.admin import (
    count_recorded_requests,
    create_fault,
    create_key,
    create_stub,
    deactivate_key,
    delete_fault,
    delete_faults,
    delete_stub,
    delete_stubs,
    get_account,
    get_account_usage,
    get_clock,
    get_key,
    get_key_usage,
    list_audit_events,
    list_credit_lots,
    list_faults,
    list_keys,
    list_ledger,
    list_recorded_requests,
    list_stubs,
    move_clock,
    reset_fixture,
    roll_key,
    scan_for_leaks,
    top_up,
    update_account,
)
from theta_console_client.api.service import health, open_api_document
from theta_console_client.api.theta_one_api_emulated import (
    analyze_native,
    pronunciation,
    pronunciation_simple,
    transcribe,
)
from theta_console_client.models import (
    Account,
    AccountPlanName,
    AccountUpdateRequest,
    AnalyzeNativeBody,
    AnalyzeNativeResponse,
    AuditPage,
    Clock,
    ClockAdvance,
    ClockSet,
    CreatedKey,
    CreditLotKind,
    EmulatedEndpoint,
    Error,
    Fault,
    FaultAction,
    FaultActionStatus,
    FaultEndpoint,
    FaultRequest,
    GetAccountUsageGranularity,
    GetKeyUsageGranularity,
    HealthResponse200,
    KeyCreateRequest,
    KeyPage,
    KeyRecord,
    KeyStatus,
    LeakFindingStatus,
    LeakScanRequest,
    LeakScanResult,
    LedgerEntryKind,
    LedgerPage,
    ListCreditLotsResponse200,
    ListFaultsResponse200,
    ListKeysStatus,
    ListStubsResponse200,
    Plan,
    PronunciationBody,
    PronunciationResponse,
    PronunciationSimpleBody,
    PronunciationSimpleResponse,
    RecordedPart,
    RecordedRequestCount,
    RecordedRequestPage,
    RequestReason,
    RollKeyBody,
    SpeechWord,
    Stub,
    StubMatch,
    StubRequest,
    TopUpBody,
    TranscribeBody,
    TranscribeResponse,
    TranscribeResponseMetadata,
    TranscribeResponseTextType,
    UsageSeries,
)
from theta_console_client.types import File, Response

from served import ServedBinary, ServerFailure

T = TypeVar("T")
SpeechAnswer = TranscribeResponse | AnalyzeNativeResponse | PronunciationResponse | PronunciationSimpleResponse

START = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
GOLD_TEXT = "Wow, check out this castle."
WELCOME = "Welcome to Theta One AI!"
KEY_PATTERN = re.compile(r"sk-theta-[0-9A-Za-z]{32}[0-4][0-9A-Za-z]{5}")
checks = 0


class DriveFailure(Exception):
    pass


def check(condition: bool, what: str) -> None:
    """One assertion; the message says what was expected."""
    global checks
    checks += 1
    if not condition:
        raise DriveFailure(what)


def expect(response: Response[Any], status: int, kind: type[T]) -> T:
    """The parsed model of an answer that must have `status` and parse as `kind`."""
    check(response.status_code == status,
          f"expected {status} ({kind.__name__}), got {response.status_code}: {response.content[:300]!r}")
    parsed = response.parsed
    check(isinstance(parsed, kind), f"expected a {kind.__name__} for {status}, got {type(parsed).__name__}")
    assert isinstance(parsed, kind)
    return parsed


def expect_error(response: Response[Any], status: int, detail: str) -> Error:
    """A documented error answer: its status, parsed as `Error`, with a `detail` that starts so."""
    error = expect(response, status, Error)
    check(error.detail.startswith(detail), f"{status} detail {error.detail!r} does not start with {detail!r}")
    return error


def expect_empty(response: Response[Any], status: int) -> None:
    check(response.status_code == status, f"expected {status}, got {response.status_code}: {response.content[:300]!r}")
    check(response.content == b"", f"expected no body with {status}")


def wav(seconds: float) -> bytes:
    """A mono 16 kHz PCM WAV of silence: the emulator measures only the duration."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * int(16_000 * seconds))
    return buffer.getvalue()


AUDIO = wav(2.0)


def audio(name: str) -> File:
    return File(payload=io.BytesIO(AUDIO), file_name=name, mime_type="audio/wav")


def options() -> str:
    return json.dumps({"gold_text": GOLD_TEXT})


class Server(ServedBinary):
    """`theta-console serve --port 0 --db :memory:` with `flags`, the admin token in the environment."""

    def __init__(self, binary: str, flags: list[str]) -> None:
        super().__init__(binary, flags, token_prefix="drive-")

    def admin(self) -> AuthenticatedClient:
        return AuthenticatedClient(base_url=self.base, token=self.token, raise_on_unexpected_status=True,
                                   timeout=httpx.Timeout(30.0))

    def speech(self, secret: str) -> AuthenticatedClient:
        """A client for the emulated API: the key in `x-api-key`, as is (no scheme)."""
        return AuthenticatedClient(base_url=self.base, token=secret, prefix="", auth_header_name="x-api-key",
                                   raise_on_unexpected_status=True, timeout=httpx.Timeout(30.0))

    def anonymous(self) -> Client:
        return Client(base_url=self.base, raise_on_unexpected_status=True, timeout=httpx.Timeout(30.0))

    def __enter__(self) -> Server:
        return self


# --- Service ---------------------------------------------------------------------------------------

def service(server: Server) -> None:
    client = server.anonymous()
    status = expect(health.sync_detailed(client=client), 200, HealthResponse200)
    check(status.status == "ok", "healthz says ok")
    document = open_api_document.sync_detailed(client=client)
    check(document.status_code == 200, f"openapi.yaml answers 200, got {document.status_code}")
    check(document.headers["content-type"].startswith("application/yaml"), "openapi.yaml is application/yaml")
    check(document.content.startswith(b"openapi: 3.1.0\n"), "openapi.yaml is the document")
    check(document.parsed is None, "the YAML body is left to the caller (no schema)")


# --- Keys --------------------------------------------------------------------------------------------

def create(admin: AuthenticatedClient, name: str) -> CreatedKey:
    response = create_key.sync_detailed(client=admin, body=KeyCreateRequest(name=name, rate_limit_rpm=100))
    created = expect(response, 201, CreatedKey)
    check(KEY_PATTERN.fullmatch(created.key) is not None, "the secret has the key format")
    check(created.hint == f"sk-theta-{created.key[9:13]}\u2026{created.key[-4:]}", "the hint is the secret's ends")
    check(response.headers["location"] == f"/v1/keys/{created.id}", "Location names the new key")
    check(created.status == KeyStatus.ACTIVE and created.name == name, "a new key is active, with its name")
    return created


def transcribe_ok(server: Server, secret: str, name: str = "hello.wav") -> TranscribeResponse:
    response = transcribe.sync_detailed(client=server.speech(secret), body=TranscribeBody(file=audio(name)))
    return expect(response, 200, TranscribeResponse)


def keys(server: Server, admin: AuthenticatedClient) -> None:
    created = create(admin, "generated-client")
    answer = transcribe_ok(server, created.key)
    check(answer.text == WELCOME and answer.text_type == TranscribeResponseTextType.EN, "the transcript")

    page = expect(list_keys.sync_detailed(client=admin), 200, KeyPage)
    check([key.id for key in page.data] == [created.id] and not page.has_more, "the list holds the one key")
    active = expect(list_keys.sync_detailed(client=admin, status=ListKeysStatus.ACTIVE, limit=1), 200, KeyPage)
    check([key.id for key in active.data] == [created.id], "the active filter lists it")

    record = expect(get_key.sync_detailed(created.id, client=admin), 200, KeyRecord)
    check(record.requests_2xx == 1 and record.requests_4xx == 0, "the key counts its one 200")
    check(record.last_used_at == START, "last used at the fake clock's time")
    expect_error(get_key.sync_detailed("key_" + "0" * 20, client=admin), 404, "key not found")

    rolled = expect(roll_key.sync_detailed(created.id, client=admin, body=RollKeyBody(grace_seconds=3600)),
                    201, CreatedKey)
    check(rolled.rolled_from == created.id and rolled.key != created.key, "the roll made a new key")
    old = expect(get_key.sync_detailed(created.id, client=admin), 200, KeyRecord)
    check(old.rolled_to == rolled.id and old.status == KeyStatus.ACTIVE, "the old key works in its grace")
    check(old.grace_until == START + datetime.timedelta(hours=1), "the grace ends an hour later")
    expect_error(roll_key.sync_detailed(created.id, client=admin), 409, f"{created.id} was already rolled to {rolled.id}")
    check(transcribe_ok(server, rolled.key).text == WELCOME, "the new key works")

    for key_id in (rolled.id, created.id):
        gone = expect(deactivate_key.sync_detailed(key_id, client=admin), 200, KeyRecord)
        check(gone.status == KeyStatus.INACTIVE and gone.deactivated_at is not None, "deactivated")
    expect_error(transcribe.sync_detailed(client=server.speech(rolled.key), body=TranscribeBody(file=audio("a.wav"))),
                 401, "API key is inactive.")

    events = expect(list_audit_events.sync_detailed(client=admin, limit=100), 200, AuditPage)
    actions = {event.action for event in events.data}
    check({"key.created", "key.rolled", "key.deactivated"} <= actions, f"the audit log has the key events: {actions}")

    usage = expect(get_key_usage.sync_detailed(created.id, client=admin, granularity=GetKeyUsageGranularity.DAY),
                   200, UsageSeries)
    check(sum(bucket.requests.field_200 for bucket in usage.buckets) == 1, "the key's usage counts its 200")


# --- Account -----------------------------------------------------------------------------------------

PLANS = [
    (Plan.FREE, AccountPlanName.FREE, False),
    (Plan.STARTER, AccountPlanName.STARTER, False),
    (Plan.PRO, AccountPlanName.PRO, True),
    (Plan.PRO_PLUS, AccountPlanName.PRO_PLUS, True),
    (Plan.ENTERPRISE, AccountPlanName.ENTERPRISE, True),
]


def account(admin: AuthenticatedClient) -> None:
    for plan, name, buys in PLANS:
        changed = expect(update_account.sync_detailed(client=admin, body=AccountUpdateRequest(plan=plan)), 200, Account)
        read = expect(get_account.sync_detailed(client=admin), 200, Account)
        for shown in (changed, read):
            check(shown.plan == plan and shown.plan_name == name, f"the account is on {name}: {shown.plan_name}")
            check(shown.allows_top_ups == buys, f"{name} allows top-ups: {buys}")
            check(shown.includes_pronunciation == (plan != Plan.FREE), f"{name} and pronunciation")
        if not buys:
            expect(top_up.sync_detailed(client=admin, body=TopUpBody(amount=10)), 402, Error)
            continue
        topped = expect(top_up.sync_detailed(client=admin, body=TopUpBody(amount="10.5")), 201, Account)
        check(Decimal(str(topped.balance)) == Decimal(str(read.balance)) + Decimal("10.5"),
              f"a top-up of 10.5 on {name}: {read.balance} → {topped.balance}")
        ledger = expect(list_ledger.sync_detailed(client=admin, limit=1), 200, LedgerPage)
        check(ledger.data[0].kind == LedgerEntryKind.TOP_UP and ledger.data[0].amount == 10.5, "the ledger's top-up")
    lots = expect(list_credit_lots.sync_detailed(client=admin), 200, ListCreditLotsResponse200)
    check(sum(lot.kind == CreditLotKind.TOP_UP for lot in lots.data) == 3, "a top-up lot on each of three plans")
    expect_error(update_account.sync_detailed(client=admin, body=AccountUpdateRequest(balance=0.0000001)),
                 422, "balance must be")
    final = expect(update_account.sync_detailed(client=admin, body=AccountUpdateRequest(balance=100)), 200, Account)
    check(final.balance == 100 and final.plan == Plan.ENTERPRISE, "Enterprise with 100 credits for what follows")
    series = expect(get_account_usage.sync_detailed(client=admin, granularity=GetAccountUsageGranularity.DAY),
                    200, UsageSeries)
    check(sum(bucket.requests.field_200 for bucket in series.buckets) == 2, "the account's usage: two 200s so far")


# --- The emulated endpoints, and stubs for each ---------------------------------------------------------

def count(admin: AuthenticatedClient, **filters: Any) -> int:
    answer = expect(count_recorded_requests.sync_detailed(client=admin, **filters), 200, RecordedRequestCount)
    return answer.count


def mark(admin: AuthenticatedClient) -> int:
    return expect(count_recorded_requests.sync_detailed(client=admin), 200, RecordedRequestCount).mark


def call_all(server: Server, secret: str, file_name: str, native_json: str) -> tuple[
        TranscribeResponse, AnalyzeNativeResponse, PronunciationResponse, PronunciationSimpleResponse]:
    """One 200 from each emulated endpoint, in the document's order."""
    client = server.speech(secret)
    return (
        expect(transcribe.sync_detailed(client=client, body=TranscribeBody(file=audio(file_name))),
               200, TranscribeResponse),
        expect(analyze_native.sync_detailed(client=client, body=AnalyzeNativeBody(file=audio(file_name), options=options())),
               200, AnalyzeNativeResponse),
        expect(pronunciation.sync_detailed(client=client, body=PronunciationBody(
            file=audio(file_name), options=options(), native_speech_components_json=native_json)),
            200, PronunciationResponse),
        expect(pronunciation_simple.sync_detailed(client=client, body=PronunciationSimpleBody(
            file=audio(file_name), options=json.dumps({"gold_text": GOLD_TEXT, "language": "en"}))),
            200, PronunciationSimpleResponse),
    )


def speech_and_stubs(server: Server, admin: AuthenticatedClient) -> CreatedKey:
    key = create(admin, "speech")
    client = server.speech(key.key)
    native = expect(analyze_native.sync_detailed(client=client, body=AnalyzeNativeBody(file=audio("n.wav"), options=options())),
                    200, AnalyzeNativeResponse)
    words = [item.word for item in native.speech_components if isinstance(item, SpeechWord)]
    check(words == ["Wow", "check", "out", "this", "castle"], f"the native reference's words: {words}")
    native_json = json.dumps([item.to_dict() for item in native.speech_components])
    real = call_all(server, key.key, "real.wav", native_json)
    check(real[0].text == WELCOME, "the real transcript")
    check(real[2].stress is not None and real[3].stress is None, "pronunciation-simple has no stress")

    # A stub for every endpoint, each a changed copy of the real answer.
    transcript = TranscribeResponse(text="안녕하세요", text_type=TranscribeResponseTextType.KO,
                                    metadata=TranscribeResponseMetadata(), response_time_in_sec=0.25)
    reference = AnalyzeNativeResponse.from_dict(real[1].to_dict())
    first = reference.speech_components[0]
    assert isinstance(first, SpeechWord)
    first.score = 12.3
    scored = PronunciationResponse.from_dict(real[2].to_dict())
    scored.pronunciation.score = 42.0
    scored.pronunciation.feedback = "stubbed"
    simple = PronunciationSimpleResponse.from_dict(real[3].to_dict())
    simple.pronunciation.score = 43.5
    stubbed_bodies: list[tuple[EmulatedEndpoint, SpeechAnswer]] = [
        (EmulatedEndpoint.TRANSCRIBE, transcript),
        (EmulatedEndpoint.ANALYZE_NATIVE, reference),
        (EmulatedEndpoint.PRONUNCIATION, scored),
        (EmulatedEndpoint.PRONUNCIATION_SIMPLE, simple),
    ]
    stubs: list[Stub] = []
    for endpoint, body in stubbed_bodies:
        response = create_stub.sync_detailed(client=admin, body=StubRequest(
            endpoint=endpoint, match=StubMatch(filename="stubbed.wav"), response=body))
        stub = expect(response, 201, Stub)
        check(stub.endpoint == endpoint and stub.hits == 0 and stub.match.filename == "stubbed.wav", "the stub")
        check(response.headers["location"] == f"/v1/stubs/{stub.id}", "Location names the stub")
        stubs.append(stub)
    expect_error(create_stub.sync_detailed(client=admin, body=StubRequest(
        endpoint=EmulatedEndpoint.ANALYZE_NATIVE, response=transcript)), 422, "response does not match")

    before = mark(admin)
    got: list[SpeechAnswer] = list(call_all(server, key.key, "stubbed.wav", native_json))
    for (endpoint, body), answer in zip(stubbed_bodies, got):
        check(answer.to_dict() == body.to_dict(), f"{endpoint.value} answers its stub")
    check(call_all(server, key.key, "other.wav", native_json)[0].text == WELCOME, "another file is not stubbed")
    check(count(admin, after=before, reason=RequestReason.STUB) == 4, "the journal: four stubbed answers")
    check(count(admin, after=before, reason=RequestReason.OK) == 4, "the journal: four real answers")
    check(count(admin, after=before, reason=RequestReason.STUB, endpoint=EmulatedEndpoint.PRONUNCIATION_SIMPLE) == 1,
          "the journal: one stubbed /pronunciation-simple")

    listed = expect(list_stubs.sync_detailed(client=admin), 200, ListStubsResponse200)
    check([stub.hits for stub in listed.data] == [1, 1, 1, 1], "every stub was used once")
    expect_empty(delete_stub.sync_detailed(stubs[0].id, client=admin), 204)
    expect_error(delete_stub.sync_detailed(stubs[0].id, client=admin), 404, "stub not found")
    expect_empty(delete_stubs.sync_detailed(client=admin), 204)
    check(expect(list_stubs.sync_detailed(client=admin), 200, ListStubsResponse200).data == [], "no stubs left")
    return key


# --- Faults -----------------------------------------------------------------------------------------------

def faults(server: Server, admin: AuthenticatedClient, key: CreatedKey) -> None:
    client = server.speech(key.key)
    before = mark(admin)
    for status in FaultActionStatus:
        rule = expect(create_fault.sync_detailed(client=admin, body=FaultRequest(
            endpoint=FaultEndpoint.TRANSCRIBE, times=1, action=FaultAction(status=status))), 201, Fault)
        check(rule.action.status == status and rule.times == 1 and rule.hits == 0, f"the {status} rule")
        response = transcribe.sync_detailed(client=client, body=TranscribeBody(file=audio("f.wav")))
        expect(response, int(status), Error)
        check(("retry-after" in response.headers) == (status in (429, 503)), f"Retry-After on a {status} fault")
        check("x-ratelimit-limit" not in response.headers, f"no X-RateLimit-* on a {status} fault")
        check(transcribe_ok(server, key.key).text == WELCOME, f"the {status} rule was used up")
    check(expect(list_faults.sync_detailed(client=admin), 200, ListFaultsResponse200).data == [], "no rules left")

    expect(create_fault.sync_detailed(client=admin, body=FaultRequest(
        endpoint=FaultEndpoint.ANY, times=1, action=FaultAction(reset=True))), 201, Fault)
    try:
        transcribe.sync_detailed(client=client, body=TranscribeBody(file=audio("f.wav")))
        check(False, "a reset fault answers nothing")
    except httpx.TransportError:
        check(True, "a reset fault resets the connection")
    expect(create_fault.sync_detailed(client=admin, body=FaultRequest(
        endpoint=FaultEndpoint.TRANSCRIBE, times=1, action=FaultAction(truncate=True))), 201, Fault)
    try:
        transcribe.sync_detailed(client=client, body=TranscribeBody(file=audio("f.wav")))
        check(False, "a truncate fault cuts the answer short")
    except httpx.TransportError:
        check(True, "a truncate fault cuts the answer short")
    expect(create_fault.sync_detailed(client=admin, body=FaultRequest(
        endpoint=FaultEndpoint.TRANSCRIBE, key_id=key.id, times=1, action=FaultAction(delay_ms=20))), 201, Fault)
    check(transcribe_ok(server, key.key).text == WELCOME, "a delayed answer is the normal one")
    check(count(admin, after=before, reason=RequestReason.FAULT) == 7, "the journal: seven faulted answers")
    check(count(admin, after=before, reason=RequestReason.OK) == 6, "the journal: six answers of their own")
    broken = expect(list_recorded_requests.sync_detailed(client=admin, after=before, reason=RequestReason.FAULT, limit=2),
                    200, RecordedRequestPage)
    check([(entry.status, entry.detail) for entry in broken.data]
          == [(200, "answer truncated by a fault"), (0, "connection reset by a fault")],
          f"the journal: a truncated 200 and a reset: {[(e.status, e.detail) for e in broken.data]}")

    # Every kind of action, for a key that makes no request: listed as made, then removed.
    actions = [FaultAction(delay_ms=5), FaultAction(reset=True), FaultAction(truncate=True), FaultAction(timeout=True),
               FaultAction(status=FaultActionStatus.VALUE_503, detail="down for a test", retry_after=7)]
    made = [expect(create_fault.sync_detailed(client=admin, body=FaultRequest(
        endpoint=FaultEndpoint.ANY, key_id="key_" + "0" * 20, probability=0.5, seed=7, action=action)), 201, Fault)
        for action in actions]
    listed = expect(list_faults.sync_detailed(client=admin), 200, ListFaultsResponse200)
    check([rule.action.to_dict() for rule in listed.data] == [action.to_dict() for action in actions],
          "the rules' actions as made")
    check(all(rule.seed == 7 and rule.probability == 0.5 and rule.times is None for rule in listed.data),
          "seed, probability and no end")
    expect_empty(delete_fault.sync_detailed(made[0].id, client=admin), 204)
    expect_error(delete_fault.sync_detailed(made[0].id, client=admin), 404, "fault not found")
    expect_empty(delete_faults.sync_detailed(client=admin), 204)
    check(expect(list_faults.sync_detailed(client=admin), 200, ListFaultsResponse200).data == [], "no rules left")
    expect_error(create_fault.sync_detailed(client=admin, body=FaultRequest(
        endpoint=FaultEndpoint.ANY, action=FaultAction())), 422, "action must have exactly one of")


# --- Recorded requests -----------------------------------------------------------------------------------

def recorded_requests(server: Server, admin: AuthenticatedClient, key: CreatedKey) -> None:
    before = mark(admin)
    missing = transcribe.sync_detailed(client=server.speech(""), body=TranscribeBody(file=audio("m.wav")))
    expect_error(missing, 401, "Missing API key.")
    transcribe_ok(server, key.key, "one.wav")
    transcribe_ok(server, key.key, "two.wav")
    unknown = transcribe.sync_detailed(client=server.speech("sk-theta-" + "A" * 38), body=TranscribeBody(file=audio("u.wav")))
    expect_error(unknown, 401, "Invalid API key.")

    page = expect(list_recorded_requests.sync_detailed(client=admin, after=before), 200, RecordedRequestPage)
    check([entry.seq for entry in page.data] == [before + 4, before + 3, before + 2, before + 1], "four, newest first")
    check(page.mark == before + 4, "the mark is the newest seq")
    check([entry.reason for entry in page.data] == [RequestReason.KEY_UNKNOWN, RequestReason.OK, RequestReason.OK,
                                                     RequestReason.KEY_MISSING], "their reasons")
    check([entry.key_id for entry in page.data] == [None, key.id, key.id, None], "their keys")
    newest_ok = page.data[1]
    check(newest_ok.status == 200 and newest_ok.endpoint == EmulatedEndpoint.TRANSCRIBE and newest_ok.detail is None,
          "a 200 to /transcribe")
    check(newest_ok.parts == [RecordedPart(name="file", filename="two.wav", size=len(AUDIO))], "its parts")
    check(page.data[3].parts == [] and page.data[3].detail == "Missing API key. Send it in the x-api-key header.",
          "a refusal from the head reads no part")

    limited = expect(list_recorded_requests.sync_detailed(client=admin, after=before, limit=1), 200, RecordedRequestPage)
    check([entry.seq for entry in limited.data] == [before + 4], "limit=1: the newest")
    check(count(admin, after=before) == 4, "count: four")
    check(count(admin, after=before, key_id=key.id) == 2, "count by key id")
    check(count(admin, after=before, status=401) == 2, "count by status")
    check(count(admin, after=before, reason=RequestReason.KEY_MISSING) == 1, "count by reason")
    check(count(admin, after=before, endpoint=EmulatedEndpoint.TRANSCRIBE) == 4, "count by endpoint")
    check(count(admin, after=before, endpoint=EmulatedEndpoint.ANALYZE_NATIVE) == 0, "nothing to /analyze-native")
    check(count(admin, after=before + 3) == 1, "after a later mark: one")

    # The fake clock stands still: every entry so far has its time; move it, and one more request.
    at = page.data[0].time
    check(count(admin, after=before, since=at) == 4 and count(admin, after=before, until=at) == 0, "since/until at")
    later = at + datetime.timedelta(seconds=10)
    moved = expect(move_clock.sync_detailed(client=admin, body=ClockAdvance(advance_seconds=10)), 200, Clock)
    check(moved.now == later, "the clock moved 10 s")
    transcribe_ok(server, key.key, "three.wav")
    check(count(admin, after=before, since=later) == 1, "since the move: one")
    check(count(admin, after=before, until=later) == 4, "until the move: four")
    offset = later.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    check(count(admin, after=before, since=offset) == 1, "since, as a time with an offset")

    expect_error(count_recorded_requests.sync_detailed(client=admin, status=600), 422, "status must be")
    expect_error(count_recorded_requests.sync_detailed(client=admin, after=-1), 422, "after must be")
    expect_error(list_recorded_requests.sync_detailed(client=admin, limit=0), 422, "limit must be")

    # A reset empties the journal; the marks keep counting.
    last = mark(admin)
    expect_empty(reset_fixture.sync_detailed(client=admin), 204)
    after_reset = expect(count_recorded_requests.sync_detailed(client=admin), 200, RecordedRequestCount)
    check(after_reset.count == 0 and after_reset.mark == last, "a reset empties the journal and keeps the mark")
    stale = transcribe.sync_detailed(client=server.speech(key.key), body=TranscribeBody(file=audio("s.wav")))
    expect_error(stale, 401, "Invalid API key.")
    fresh = expect(list_recorded_requests.sync_detailed(client=admin), 200, RecordedRequestPage)
    check([(entry.seq, entry.reason) for entry in fresh.data] == [(last + 1, RequestReason.KEY_UNKNOWN)],
          "the first entry after the reset goes on from the mark")
    account_now = expect(get_account.sync_detailed(client=admin), 200, Account)
    check(account_now.plan == Plan.FREE and account_now.active_keys == 0, "the reset account: Free, no keys")


# --- Leaks ------------------------------------------------------------------------------------------------

def leaks(admin: AuthenticatedClient) -> None:
    key = create(admin, "leaked")
    text = f"config:\n  THETA_KEY={key.key}\n  OTHER=sk-theta-{'A' * 38}\n"
    result = expect(scan_for_leaks.sync_detailed(client=admin, body=LeakScanRequest(text=text, deactivate=True)),
                    200, LeakScanResult)
    check(len(result.findings) == 1, "one key found")
    finding = result.findings[0]
    check((finding.line, finding.column) == (2, 13), f"found at 2:13, not {finding.line}:{finding.column}")
    check(finding.key_id == key.id and finding.status == LeakFindingStatus.ACTIVE and finding.hint == key.hint,
          "the finding names the key, active when found")
    check(result.lookalikes == 1 and result.deactivated == [key.id], "one look-alike; the key deactivated")
    check(expect(get_key.sync_detailed(key.id, client=admin), 200, KeyRecord).status == KeyStatus.INACTIVE,
          "the leaked key is inactive")
    again = expect(scan_for_leaks.sync_detailed(client=admin, body=LeakScanRequest(text=text)), 200, LeakScanResult)
    check(again.findings[0].status == LeakFindingStatus.INACTIVE and again.deactivated == [], "a second scan")


# --- The clock ----------------------------------------------------------------------------------------------

def fake_clock(admin: AuthenticatedClient) -> None:
    now = expect(get_clock.sync_detailed(client=admin), 200, Clock)
    check(now.now >= START and now.unix == now.now.timestamp(), f"the fake clock reads {now.now}")
    advanced = expect(move_clock.sync_detailed(client=admin, body=ClockAdvance(advance_seconds=61)), 200, Clock)
    check(advanced.now == now.now + datetime.timedelta(seconds=61), "advanced 61 s")
    target = now.now + datetime.timedelta(days=1)
    moved = expect(move_clock.sync_detailed(client=admin, body=ClockSet(now=target)), 200, Clock)
    check(moved.now == target, "set a day later")
    check(expect(get_clock.sync_detailed(client=admin), 200, Clock).now == target, "it stays there")
    expect_error(move_clock.sync_detailed(client=admin, body=ClockSet(now=START)), 422,
                 "now must not move the clock backwards")


def without_flags(server: Server) -> None:
    """A server without --fake-time, --allow-reset or --record-requests: each answers its documented 404."""
    admin = server.admin()
    expect_error(get_clock.sync_detailed(client=admin), 404, "not found")
    expect_error(move_clock.sync_detailed(client=admin, body=ClockAdvance(advance_seconds=1)), 404, "not found")
    expect_error(reset_fixture.sync_detailed(client=admin), 404, "not found: POST /v1/reset")
    expect_error(list_recorded_requests.sync_detailed(client=admin), 404, "not found: GET /v1/requests")
    expect_error(count_recorded_requests.sync_detailed(client=admin), 404, "not found: GET /v1/requests/count")
    real = expect(get_account.sync_detailed(client=admin), 200, Account)
    check(real.plan == Plan.FREE and real.balance == 0.2, "a new account: Free with 0.2")
    wrong = AuthenticatedClient(base_url=server.base, token="not-the-admin-token", raise_on_unexpected_status=True)
    expect_error(get_account.sync_detailed(client=wrong), 401, "missing or invalid admin token")


def main() -> None:
    binary = sys.argv[1]
    started = time.monotonic()
    with Server(binary, ["--allow-reset", "--record-requests", "1000", "--fake-time", "2030-01-01T00:00:00Z"]) as server:
        admin = server.admin()
        service(server)
        expect_empty(reset_fixture.sync_detailed(client=admin), 204)
        keys(server, admin)
        account(admin)
        key = speech_and_stubs(server, admin)
        faults(server, admin, key)
        recorded_requests(server, admin, key)
        leaks(admin)
        fake_clock(admin)
    with Server(binary, []) as plain:
        without_flags(plain)
    print(f"drive.py: {checks} checks passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except (DriveFailure, ServerFailure) as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
