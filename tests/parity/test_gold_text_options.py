"""The `options` part of the three pronunciation endpoints: the documented 400s (reference §4)."""

from __future__ import annotations

import json

import pytest

import parity_lib as lib
from parity_needs import not_refused_by_plan, require_pronunciation_plan


def send(target, endpoint, options, seconds=1.0):
    parts = {"options": options}
    if endpoint == "/pronunciation":
        parts["native_speech_components_json"] = lib.Described(lib.native_example(),
                                                               "<the /analyze-native example's components>")
    exchange = target.post(endpoint, file=lib.tone(seconds), parts=parts)
    not_refused_by_plan(target, exchange)
    return exchange


@pytest.mark.parity("`options` not JSON: 400 `Invalid options format. Must be a valid JSON string.`",
                    section="{endpoint}", ref="§4")
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_options_not_json(target, endpoint):
    require_pronunciation_plan(target)
    exchange = send(target, endpoint, "{'gold_text': 'Wow, hi.'}")
    assert exchange.status == 400, exchange
    assert exchange.body == {"detail": "Invalid options format. Must be a valid JSON string."}


@pytest.mark.parity("`options` with an unknown field: 400, `detail` starting `Invalid options: ` (the reason is "
                    "emulated)", section="{endpoint}", ref="§4")
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_options_unknown_field(target, endpoint):
    require_pronunciation_plan(target)
    exchange = send(target, endpoint, '{"gold_text": "Wow, hi.", "gold_txt": "Wow, hi."}')
    assert exchange.status == 400, exchange
    assert set(exchange.body) == {"detail"} and exchange.body["detail"].startswith("Invalid options: "), exchange
    if target.is_emulator:
        assert exchange.body["detail"] == 'Invalid options: unknown field "gold_txt"'


@pytest.mark.parity("`options` without `gold_text`: 400 `gold_text is required`", section="{endpoint}", ref="§4")
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_gold_text_required(target, endpoint):
    require_pronunciation_plan(target)
    exchange = send(target, endpoint, "{}")
    assert exchange.status == 400, exchange
    assert exchange.body == {"detail": "gold_text is required"}


@pytest.mark.parity("1 s of audio for a 12-word `gold_text`: 400 `Not all words are spoken.`", section="{endpoint}",
                    ref="§4")
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_not_all_words_spoken(target, endpoint):
    require_pronunciation_plan(target)
    exchange = send(target, endpoint, json.dumps({"gold_text": lib.TOO_MANY_WORDS}))
    assert exchange.status == 400, exchange
    assert exchange.body == {"detail": "Not all words are spoken."}


@pytest.mark.parity("the 200 ms-per-word edge: 5 words pass with 1.000 s and fail with 0.999 s", section="{endpoint}",
                    ref="emulated", emulator_only=True)
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_not_all_words_edge(target, endpoint):
    passing = send(target, endpoint, json.dumps({"gold_text": lib.GOLD_TEXT}), seconds=1.0)
    failing = send(target, endpoint, json.dumps({"gold_text": lib.GOLD_TEXT}), seconds=0.999)
    assert passing.status == 200, passing
    assert (failing.status, failing.body) == (400, {"detail": "Not all words are spoken."})


EMULATED_REASONS = [
    ('["Wow"]', "Invalid options: options must be a JSON object, not array"),
    ('{"gold_text": 5}', "Invalid options: gold_text must be a string, not number"),
    ('{"gold_text": "..."}', "Invalid options: gold_text must contain at least one word"),
    (lib.Described(json.dumps({"gold_text": "a" * 1001}), '{"gold_text": "a" × 1001}'),
     "Invalid options: gold_text must be at most 1000 characters"),
    ('{"gold_text": null}', "gold_text is required"),
]


@pytest.mark.parity("the emulated `Invalid options: <reason>` texts (not an object, mistyped, no word, over 1,000 "
                    "characters; `null` counts as absent)", section="{endpoint}", ref="emulated", emulator_only=True)
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_emulated_reasons(target, endpoint):
    for options, detail in EMULATED_REASONS:
        exchange = send(target, endpoint, options)
        assert (exchange.status, exchange.body) == (400, {"detail": detail}), options
