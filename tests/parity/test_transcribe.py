"""POST /transcribe (reference §3, §4)."""

from __future__ import annotations

import re

import pytest

import parity_lib as lib

SECTION = "/transcribe"


def assert_transcript(exchange: lib.Exchange) -> dict:
    assert exchange.status == 200, exchange
    assert exchange.media_type == "application/json", exchange.headers.get("Content-Type")
    body = exchange.body
    assert isinstance(body, dict), body
    for name in ("text", "text_type", "metadata", "response_time_in_sec"):
        assert name in body, f"{name!r} missing from {body}"
    assert isinstance(body["text"], str)
    assert body["text_type"] in lib.TEXT_TYPES, body["text_type"]
    assert isinstance(body["metadata"], dict)
    assert lib.is_number(body["response_time_in_sec"])
    assert body["response_time_in_sec"] >= 0
    return body


@pytest.mark.parity("200 with JSON `text` (string), `text_type` (`en`/`ko`/`codeswitched`), `metadata` (object), "
                    "`response_time_in_sec` (number); 1 s WAV", section=SECTION, ref="§3")
def test_success_shape(target):
    assert_transcript(target.post("/transcribe", file=lib.tone(1)))


@pytest.mark.parity("the emulated transcript: `Welcome to Theta One AI!`, `en`, `{}`, `response_time_in_sec` "
                    "with 3 decimals, keys in that order", section=SECTION, ref="emulated", emulator_only=True)
def test_success_exact_values(target):
    exchange = target.post("/transcribe", file=lib.tone(1))
    body = assert_transcript(exchange)
    assert list(body) == ["text", "text_type", "metadata", "response_time_in_sec"]
    assert (body["text"], body["text_type"], body["metadata"]) == ("Welcome to Theta One AI!", "en", {})
    assert re.search(r'"response_time_in_sec":\d+\.\d{3}}$', exchange.text), exchange.text


@pytest.mark.parity("`transcribe_options` is a JSON string: `{{\"suppress_korean\": {value}}}` gives 200",
                    section=SECTION, ref="§1, §3")
@pytest.mark.parametrize("value", ["false", "true"])
def test_transcribe_options_json_string(target, value):
    assert_transcript(target.post("/transcribe", file=lib.tone(1),
                                  parts={"transcribe_options": f'{{"suppress_korean": {value}}}'}))


@pytest.mark.parity("MP3 is accepted (0.98 s of silent MPEG-1 Layer III frames): 200", section=SECTION, ref="§1")
def test_mp3_accepted(target):
    mp3 = lib.File(lib.make_mp3(41), "mp3, 0.98 s silence", "audio.mp3", "audio/mpeg", duration=41 * 0.024)
    assert_transcript(target.post("/transcribe", file=mp3))


@pytest.mark.parity("`transcribe_options` not JSON: 400 `Invalid options format. Must be a valid JSON string.`",
                    section=SECTION, ref="§4")
def test_options_not_json(target):
    exchange = target.post("/transcribe", file=lib.tone(1), parts={"transcribe_options": '{"suppress_korean": false'})
    assert exchange.status == 400, exchange
    assert exchange.body == {"detail": "Invalid options format. Must be a valid JSON string."}


INVALID_OPTIONS = {
    "an unknown field": ('{"suppress_koreen": false}', 'Invalid options: unknown field "suppress_koreen"'),
    "a mistyped field": ('{"suppress_korean": "yes"}',
                         "Invalid options: suppress_korean must be a boolean, not string"),
}


@pytest.mark.parity("`transcribe_options` valid JSON with {case}: 400, `detail` starting `Invalid options: ` "
                    "(the reason after it is emulated)", section=SECTION, ref="§4")
@pytest.mark.parametrize("case", sorted(INVALID_OPTIONS))
def test_options_invalid(target, case):
    options, emulated = INVALID_OPTIONS[case]
    exchange = target.post("/transcribe", file=lib.tone(1), parts={"transcribe_options": options})
    assert exchange.status == 400, exchange
    body = exchange.body
    assert set(body) == {"detail"}, body
    assert body["detail"].startswith("Invalid options: "), body
    if target.is_emulator:
        assert body["detail"] == emulated


@pytest.mark.parity("a file that is not audio: 400 with a `detail` string (the message is unstated; "
                    "theta-console: `Invalid audio file: …`)", section=SECTION, ref="§4")
def test_invalid_audio(target):
    junk = lib.File(b"this is not audio, just text pretending to be a WAV file\n" * 4, "text bytes as audio.wav")
    exchange = target.post("/transcribe", file=junk)
    assert exchange.status == 400, exchange
    body = exchange.body
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body
    if target.is_emulator:
        assert body["detail"] == "Invalid audio file: audio is not a WAV or MP3 file"


@pytest.mark.parity("`file` is required: a request without it is refused with 4xx and JSON (status unstated; "
                    "theta-console: 400 `file is required`)", section=SECTION, ref="§3")
def test_file_required(target):
    exchange = target.post("/transcribe", parts={"transcribe_options": '{"suppress_korean": false}'})
    assert 400 <= exchange.status < 500, exchange
    assert isinstance(exchange.body, dict)
    if target.is_emulator:
        assert (exchange.status, exchange.body) == (400, {"detail": "file is required"})
