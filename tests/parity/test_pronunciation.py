"""POST /pronunciation (reference §3, §4)."""

from __future__ import annotations

import json

import pytest

import parity_lib as lib
from parity_needs import native_components, not_refused_by_plan, require_pronunciation_plan, require_speech

SECTION = "/pronunciation"
DIMENSIONS = ("pronunciation", "stress", "pause", "speed")


@pytest.mark.parity("200 with the four dimensions (Pronunciation, Stress, Pause, Speed: each a score and a text) and "
                    "`user_speech_components` (phoneme-level detail); the reference is `/analyze-native`'s "
                    "`speech_components`, unmodified (key names other than `user_speech_components` are unstated: "
                    "a top-level key naming each dimension is looked for)", section=SECTION, ref="§3")
def test_success_shape(target):
    require_speech(target)
    require_pronunciation_plan(target)
    reference = lib.Described(json.dumps(native_components(target)), "<speech_components of /analyze-native>")
    exchange = target.post("/pronunciation", file=target.speech,
                           parts={"options": target.speech_options(), "native_speech_components_json": reference})
    not_refused_by_plan(target, exchange)
    assert exchange.status == 200, exchange
    assert exchange.media_type == "application/json"
    body = exchange.body
    assert isinstance(body, dict), body
    lib.check_components(body.get("user_speech_components"), native=False, gold_text=target.speech_text)
    for dimension in DIMENSIONS:
        named = [k for k in body if dimension in k.lower() and k != "user_speech_components"]
        assert named, f"no top-level key names {dimension!r}: {list(body)}"
    if target.is_emulator:
        assert list(body) == [*DIMENSIONS, "user_speech_components", "response_time_in_sec"]
        for dimension in DIMENSIONS:
            assert set(body[dimension]) == {"score", "feedback"}
            assert lib.is_number(body[dimension]["score"]) and 0 <= body[dimension]["score"] <= 100
            assert isinstance(body[dimension]["feedback"], str) and body[dimension]["feedback"]


@pytest.mark.parity("the documentation's example, exactly: `Wow, hi.`, the /analyze-native example as the reference, "
                    "1.30 s of student audio (all but `response_time_in_sec`)", section=SECTION, ref="emulated",
                    emulator_only=True)
def test_documented_example(target):
    exchange = target.post("/pronunciation", file=lib.tone(1.3),
                           parts={"options": '{"gold_text": "Wow, hi."}',
                                  "native_speech_components_json": lib.native_example()})
    assert exchange.status == 200, exchange
    expected = lib.doc_example("### `POST /pronunciation`")
    body = exchange.body
    assert lib.is_number(body.pop("response_time_in_sec"))
    expected.pop("response_time_in_sec")
    assert body == expected


@pytest.mark.parity("`native_speech_components_json` not JSON: 400 `Invalid native_speech_components_json format. "
                    "Must be a valid JSON string.`", section=SECTION, ref="§4")
def test_native_components_not_json(target):
    require_pronunciation_plan(target)
    exchange = target.post("/pronunciation", file=lib.tone(1),
                           parts={"options": '{"gold_text": "Wow, hi."}',
                                  "native_speech_components_json": '[{"type": "word", "word": "Wow"'})
    not_refused_by_plan(target, exchange)
    assert exchange.status == 400, exchange
    assert exchange.body == {"detail": "Invalid native_speech_components_json format. Must be a valid JSON string."}


@pytest.mark.parity("`native_speech_components_json` valid JSON of the wrong shape (the whole /analyze-native answer "
                    "instead of its array): 400 `Invalid native_speech_components format`", section=SECTION, ref="§4")
def test_native_components_wrong_shape(target):
    require_pronunciation_plan(target)
    whole_answer = json.dumps({"speech_components": json.loads(lib.native_example())})
    exchange = target.post("/pronunciation", file=lib.tone(1),
                           parts={"options": '{"gold_text": "Wow, hi."}',
                                  "native_speech_components_json": whole_answer})
    not_refused_by_plan(target, exchange)
    assert exchange.status == 400, exchange
    assert exchange.body == {"detail": "Invalid native_speech_components format"}
