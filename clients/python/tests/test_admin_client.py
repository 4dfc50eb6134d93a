"""The admin client against a real server: keys, account, clock, faults, errors; secrets stay masked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import requests

from theta_console import AdminAPIError, AdminClient, CreatedKey, Secret, ThetaConsole, credits_literal, make_wav


def test_createKey_returnsTheSecretOnce_andNeverShowsItInARepr(theta_reset: ThetaConsole) -> None:
    key = theta_reset.create_key("ci bot", rpm=7)

    assert isinstance(key, CreatedKey) and isinstance(key.secret, Secret)
    assert key.secret.startswith("sk-theta-") and len(key.secret) == 47
    assert key["rate_limit_rpm"] == 7 and key["name"] == "ci bot"
    # Booleans first: an assertion message about a leak must not print the leak.
    leaks = [i for i, shown in enumerate((repr(key), repr(key.secret), repr(key.headers), repr([key.secret]),
                                          str(key.record))) if key.secret in shown]
    assert leaks == []
    assert key.hint in repr(key)
    usable_as_a_plain_str = f"{key.secret}" == str(key.secret) == key.headers["x-api-key"]
    assert usable_as_a_plain_str


def test_keys_listGetDeactivateRoll(theta_reset: ThetaConsole) -> None:
    theta_reset.set_account(plan="pro")
    first = theta_reset.create_key("first")
    second = theta_reset.create_key("second", expires_at="2099-12-31", allowed_cidrs=["127.0.0.0/8"])

    assert [k["name"] for k in theta_reset.admin.keys()] == ["second", "first"]
    assert theta_reset.admin.get_key(second.id)["allowed_cidrs"] == ["127.0.0.0/8"]
    assert theta_reset.admin.deactivate_key(first.id)["status"] == "inactive"
    assert [k["id"] for k in theta_reset.admin.keys(status="active")] == [second.id]
    page = theta_reset.admin.list_keys(limit=1)
    assert page["has_more"] and page["next_cursor"] == second.id

    rolled = theta_reset.admin.roll_key(second.id, grace_seconds=60)
    assert rolled.secret != second.secret and rolled["rolled_from"] == second.id
    assert theta_reset.admin.get_key(second.id)["rolled_to"] == rolled.id
    actions = [e["action"] for e in theta_reset.admin.audit_events()["data"]]
    assert actions[:4] == ["key.rolled", "key.deactivated", "key.created", "key.created"]


def test_createKey_withPlan_setsTheAccountsPlanFirst(theta_reset: ThetaConsole, wav_path: Path) -> None:
    key = theta_reset.create_key(plan="starter")

    assert theta_reset.admin.account()["plan"] == "starter"
    answer = requests.post(theta_reset.url("/pronunciation-simple"), headers=key.headers,
                           files={"file": ("audio.wav", wav_path.read_bytes(), "audio/wav")},
                           data={"options": '{"gold_text": "Wow, check out this castle."}'}, timeout=30)
    assert answer.status_code == 200


def test_account_balanceIsSentExactly(theta_reset: ThetaConsole) -> None:
    account = theta_reset.set_account(plan="pro", balance="0.0004")

    assert account["plan"] == "pro" and account["balance"] == 0.0004
    assert theta_reset.set_account(balance=Decimal("24"))["balance"] == 24
    assert theta_reset.set_account(balance=0.1)["balance"] == 0.1
    entries = theta_reset.admin.ledger(limit=2)["data"]
    assert [e["kind"] for e in entries] == ["adjustment", "adjustment"]


@pytest.mark.parametrize("value, literal", [(24, "24"), ("24", "24"), ("0.000400", "0.0004"), (0.1, "0.1"),
                                            (1e-05, "0.00001"), (Decimal("-0.0002"), "-0.0002"), ("100.", "100")])
def test_creditsLiteral_isAPlainJSONNumber(value: object, literal: str) -> None:
    assert credits_literal(value) == literal  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "abc", "NaN", True])
def test_creditsLiteral_refusesWhatIsNotAnAmount(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        credits_literal(value)  # type: ignore[arg-type]


def test_errors_carryStatusAndDetail_neverTheToken(theta_reset: ThetaConsole) -> None:
    with pytest.raises(AdminAPIError) as refused:
        theta_reset.admin.create_key(" ")
    assert refused.value.status == 422 and "name" in (refused.value.detail or "")

    wrong = AdminClient(theta_reset.base_url, "not-the-token-0123456789")
    with pytest.raises(AdminAPIError) as unauthorized:
        wrong.account()
    assert unauthorized.value.status == 401
    token = str(theta_reset.admin_token)
    leaked = token in str(unauthorized.value) or token in repr(theta_reset) + repr(theta_reset.admin)
    assert not leaked


def test_faults_listAndDelete(theta_reset: ThetaConsole) -> None:
    one = theta_reset.add_fault({"status": 502}, endpoint="/transcribe", times=3)
    two = theta_reset.add_fault({"delay_ms": 10}, endpoint="*", probability=0.5, seed=1)

    assert [f["id"] for f in theta_reset.admin.faults()] == [one["id"], two["id"]]
    theta_reset.admin.delete_fault(one["id"])
    assert [f["id"] for f in theta_reset.admin.faults()] == [two["id"]]
    theta_reset.admin.clear_faults()
    assert theta_reset.admin.faults() == []


@pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
def test_clock_movesForwards_andKeysExpireOnIt(theta_reset: ThetaConsole) -> None:
    start = theta_reset.admin.clock()["unix"]
    key = theta_reset.create_key(expires_at=theta_reset.admin.clock()["now"][:10])  # the end of today (UTC)

    assert theta_reset.advance(3600)["unix"] == start + 3600
    theta_reset.admin.set_clock("2031-01-01T00:00:00Z")
    answer = requests.post(theta_reset.url("/transcribe"), headers=key.headers,
                           files={"file": ("a.wav", make_wav(1), "audio/wav")}, timeout=30)
    assert answer.status_code == 401 and answer.json()["detail"] == "API key has expired."
    with pytest.raises(AdminAPIError) as backwards:
        theta_reset.admin.set_clock("2030-01-01T00:00:00Z")
    assert backwards.value.status == 422


def test_health(theta_console: ThetaConsole) -> None:
    assert theta_console.admin.health()
