"""Plans, credits, prices and 402 (reference §2, §4, §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import parity_lib as lib
from parity_needs import empty_account_key, free_plan_key

SECTION = "Plans, credits and billing (402)"
NEEDS_ADMIN = "needs the account's balance and plan, which only theta-console's admin API shows"
MONTHLY = {"free": Decimal("0.2"), "starter": Decimal("5"), "pro": Decimal("24"), "pro_plus": Decimal("360")}


def balance(target) -> Decimal:
    return Decimal(str(target.account()["balance"]))


def send(target, endpoint, *, key=lib.USE_TARGET_KEY, seconds=1.0, file=None):
    parts = {}
    if endpoint != "/transcribe":
        parts["options"] = '{"gold_text": "Wow, hi."}'
    if endpoint == "/pronunciation":
        parts["native_speech_components_json"] = lib.native_example()
    return target.post(endpoint, file=file or lib.tone(seconds), parts=parts, key=key)


@pytest.mark.parity("the Free plan lacks {endpoint}: 402 (theta-console: `Your plan (Free) does not include "
                    "{endpoint}. Upgrade to Starter or higher.`)", section=SECTION, ref="§2, §4, §6")
@pytest.mark.parametrize("endpoint", lib.PRONUNCIATION_ENDPOINTS)
def test_free_plan_lacks_pronunciation(target, endpoint):
    exchange = send(target, endpoint, key=free_plan_key(target))
    assert exchange.status == 402, exchange
    assert isinstance(exchange.body, dict) and exchange.body, exchange
    if target.is_emulator:
        detail = f"Your plan (Free) does not include {endpoint}. Upgrade to Starter or higher."
        assert exchange.body == {"detail": detail}


@pytest.mark.parity("the Free plan includes STT: `/transcribe` answers 200", section=SECTION, ref="§6")
def test_free_plan_includes_transcribe(target):
    exchange = send(target, "/transcribe", key=free_plan_key(target))
    assert exchange.status == 200, exchange


@pytest.mark.parity("{plan} includes the pronunciation endpoints: `/pronunciation-simple` answers 200", section=SECTION,
                    ref="§6", local_only="needs an account on each plan")
@pytest.mark.parametrize("plan", ["starter", "pro", "pro_plus", "enterprise"])
def test_paid_plans_include_pronunciation(target, plan):
    target.set_plan(plan)
    if plan == "enterprise":
        target.set_credits("10")
    exchange = send(target, "/pronunciation-simple")
    assert exchange.status == 200, exchange


@pytest.mark.parity("at zero balance, API calls return 402 ({endpoint}; theta-console: `Out of credits: the balance "
                    "is 0 credits.`)", section=SECTION, ref="§2, §4, §6")
@pytest.mark.parametrize("endpoint", ["/transcribe", "/pronunciation-simple"])
def test_zero_balance(target, endpoint):
    exchange = send(target, endpoint, key=empty_account_key(target))
    assert exchange.status == 402, exchange
    assert isinstance(exchange.body, dict) and exchange.body, exchange
    if target.is_emulator:
        assert exchange.body == {"detail": "Out of credits: the balance is 0 credits."}


@pytest.mark.parity("a new account starts on Free with 0.20 credits", section=SECTION, ref="§6",
                    local_only=NEEDS_ADMIN)
@pytest.mark.fresh_account
def test_new_account(target):
    account = target.account()
    assert (account["plan"], balance(target)) == ("free", Decimal("0.2"))


@pytest.mark.parity("monthly credits and RPM cap per plan: Free 0.20/30, Starter 5/100, Pro 24/500, Pro+ 360/500",
                    section=SECTION, ref="§5, §6", local_only=NEEDS_ADMIN)
def test_monthly_credits(target):
    caps = {"free": 30, "starter": 100, "pro": 500, "pro_plus": 500}
    for plan, credits in MONTHLY.items():
        account = target.set_plan(plan)
        assert (Decimal(str(account["balance"])), account["monthly_credits"], account["rpm_cap"]) == (
            credits, float(credits) if plan == "free" else int(credits), caps[plan]), plan


PRICE_CASES = {
    "10 s of STT costs 0.004": ("/transcribe", 10.0, Decimal("0.004")),
    "10 s of pronunciation feedback costs 0.006": ("/pronunciation-simple", 10.0, Decimal("0.006")),
    "10 s of /analyze-native costs 0.006": ("/analyze-native", 10.0, Decimal("0.006")),
}


@pytest.mark.parity("prices per second of audio: {case}", section=SECTION, ref="§6", local_only=NEEDS_ADMIN)
@pytest.mark.parametrize("case", list(PRICE_CASES))
def test_price(target, case):
    endpoint, seconds, cost = PRICE_CASES[case]
    before = balance(target)
    assert send(target, endpoint, seconds=seconds).status == 200
    assert before - balance(target) == cost


@pytest.mark.parity("one hour of STT costs 1.44 (8 kHz 8-bit WAV, 28.8 MB)", section=SECTION, ref="§6",
                    local_only=NEEDS_ADMIN + "; and an hour of audio is not a cheap call")
def test_price_one_hour(target):
    hour = lib.File(lib.make_wav(3600, sample_rate=8000, sample_width=1, tone_hz=None), "wav, 3600 s silence")
    before = balance(target)
    assert send(target, "/transcribe", file=hour).status == 200
    assert before - balance(target) == Decimal("1.44")


@pytest.mark.parity("billing rounds up to whole seconds and bills only 200s (1.5 s costs 2 × 0.0004; a 400 costs "
                    "nothing)", section=SECTION, ref="emulated", emulator_only=True)
def test_rounding_and_failed_calls(target):
    before = balance(target)
    assert send(target, "/transcribe", seconds=1.5).status == 200
    assert before - balance(target) == Decimal("0.0008")
    refused = target.post("/transcribe", file=lib.tone(1), parts={"transcribe_options": "{"})
    assert refused.status == 400
    assert before - balance(target) == Decimal("0.0008")


@pytest.mark.parity("extra credits: not on Free or Starter (402), Pro from $10 (9.99 refused)", section=SECTION,
                    ref="§6", local_only=NEEDS_ADMIN + " (buying credits is a console action)")
def test_top_ups(target):
    admin = target.admin
    for plan in ("free", "starter"):
        target.set_plan(plan)
        admin.request("POST", "/v1/account/top-ups", json_body={"amount": 10}, expect=(402,))  # else AdminAPIError
    target.set_plan("pro")
    too_small = admin.request("POST", "/v1/account/top-ups", json_body={"amount": "9.99"}, expect=(422,))
    assert "amount" in too_small["detail"]
    bought = admin.request("POST", "/v1/account/top-ups", json_body={"amount": 10}, expect=(201,))
    assert Decimal(str(bought["balance"])) == Decimal("34")


@pytest.mark.parity("credits that carry an expiry (monthly) are spent before top-ups", section=SECTION, ref="§6",
                    local_only=NEEDS_ADMIN)
def test_spend_order(target):
    target.admin.request("POST", "/v1/account/top-ups", json_body={"amount": 10}, expect=(201,))
    assert send(target, "/transcribe").status == 200
    lots = {lot["kind"]: lot for lot in target.admin.request("GET", "/v1/account/lots")["data"] if not lot["expired"]}
    assert Decimal(str(lots["monthly"]["remaining"])) == Decimal("23.9996"), lots
    assert Decimal(str(lots["top_up"]["remaining"])) == Decimal("10"), lots
