"""POST /pronunciation-simple (reference §3, §4)."""

from __future__ import annotations

import pytest

import parity_lib as lib
from parity_needs import not_refused_by_plan, require_pronunciation_plan, require_speech

SECTION = "/pronunciation-simple"
HANGUL = range(0xAC00, 0xD7A4)


def score_of(value):
    """A dimension's score: the value itself, or its `score` member (the key names are unstated)."""
    if isinstance(value, dict):
        value = value.get("score")
    return value if lib.is_number(value) else None


@pytest.mark.parity("200 with {language}: a pronunciation score 0–100; stress, pause and speed feedback `null`; "
                    "`user_speech_components` whose words and phonemes carry `is_stressed` and pauses `is_long`",
                    section=SECTION, ref="§3")
@pytest.mark.parametrize("language", ["no language (ko, the default)", "language en"])
def test_success_shape(target, language):
    require_speech(target)
    require_pronunciation_plan(target)
    options = target.speech_options(language="en") if language.endswith("en") else target.speech_options()
    exchange = target.post("/pronunciation-simple", file=target.speech, parts={"options": options})
    not_refused_by_plan(target, exchange)
    assert exchange.status == 200, exchange
    assert exchange.media_type == "application/json"
    body = exchange.body
    assert isinstance(body, dict), body
    lib.check_components(body.get("user_speech_components"), native=False, gold_text=target.speech_text)
    scores = [score_of(v) for k, v in body.items() if "pronunciation" in k.lower() or k == "score"]
    scores = [s for s in scores if s is not None]
    assert scores and all(0 <= s <= 100 for s in scores), f"no pronunciation score 0–100 in {list(body)}"
    nulls = [k for k, v in body.items() if v is None]
    for dimension in ("stress", "pause", "speed"):
        assert any(dimension in k.lower() for k in nulls), f"no null {dimension!r} member: nulls are {nulls}"
    if target.is_emulator:
        assert list(body) == ["pronunciation", "stress", "pause", "speed", "user_speech_components",
                              "response_time_in_sec"]
        assert body["stress"] is None and body["pause"] is None and body["speed"] is None
        korean = any(ord(c) in HANGUL for c in body["pronunciation"]["feedback"])
        assert korean == (not language.endswith("en")), body["pronunciation"]["feedback"]


@pytest.mark.parity("the documentation's example, exactly: `Wow, hi.`, `language` `en`, 1.30 s (all but "
                    "`response_time_in_sec`)", section=SECTION, ref="emulated", emulator_only=True)
def test_documented_example(target):
    exchange = target.post("/pronunciation-simple", file=lib.tone(1.3),
                           parts={"options": '{"gold_text": "Wow, hi.", "language": "en"}'})
    assert exchange.status == 200, exchange
    body = exchange.body
    expected = lib.doc_example("### `POST /pronunciation-simple`")
    assert lib.is_number(body.pop("response_time_in_sec"))
    expected.pop("response_time_in_sec")
    assert body == expected


@pytest.mark.parity("`language` other than `ko` or `en`: 400, `detail` starting `Invalid options: `",
                    section=SECTION, ref="§3, §4")
def test_invalid_language(target):
    require_pronunciation_plan(target)
    exchange = target.post("/pronunciation-simple", file=lib.tone(1),
                           parts={"options": '{"gold_text": "Wow, hi.", "language": "fr"}'})
    not_refused_by_plan(target, exchange)
    assert exchange.status == 400, exchange
    assert set(exchange.body) == {"detail"} and exchange.body["detail"].startswith("Invalid options: "), exchange
    if target.is_emulator:
        assert exchange.body["detail"] == 'Invalid options: language must be "ko" or "en"'
