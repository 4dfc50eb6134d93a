"""POST /analyze-native (reference §3)."""

from __future__ import annotations

import pytest

import parity_lib as lib
from parity_needs import (not_refused_by_plan, remember_native_components, require_pronunciation_plan,
                          require_speech)

SECTION = "/analyze-native"


@pytest.mark.parity("200 `{\"speech_components\": [...]}`: word items with the example's keys (`type`, `word`, "
                    "`start`, `end`, `score`, `is_correct`, `is_stressed`, `feedback`, `syllables`) in the order "
                    "of `gold_text`'s words, pause items with `is_long`", section=SECTION, ref="§3")
def test_success_shape(target):
    require_speech(target)
    require_pronunciation_plan(target)
    exchange = target.post("/analyze-native", file=target.speech, parts={"options": target.speech_options()})
    not_refused_by_plan(target, exchange)
    assert exchange.status == 200, exchange
    assert exchange.media_type == "application/json"
    body = exchange.body
    assert isinstance(body, dict) and "speech_components" in body, body
    lib.check_components(body["speech_components"], native=True, gold_text=target.speech_text)
    remember_native_components(target, body["speech_components"])


@pytest.mark.parity("the documentation's example, exactly: `{\"gold_text\": \"Wow, hi.\"}` and 1.00 s of audio",
                    section=SECTION, ref="emulated", emulator_only=True)
def test_documented_example(target):
    exchange = target.post("/analyze-native", file=lib.tone(1.0), parts={"options": '{"gold_text": "Wow, hi."}'})
    assert exchange.status == 200, exchange
    expected = lib.doc_example("### `POST /analyze-native`")
    assert exchange.body == expected
    assert list(exchange.body["speech_components"][0]) == list(lib.NATIVE_WORD_KEYS)
