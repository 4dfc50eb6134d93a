"""API keys as the console documents them (reference §2). The real console has no API, so these
run against theta-console only."""

from __future__ import annotations

import re

import pytest

import parity_lib as lib

SECTION = "API keys (console)"
CONSOLE = "the real console has no API to check it with (theta-console's admin API stands in for it)"


@pytest.mark.parity("a key is `sk-theta-` followed by a random string", section=SECTION, ref="§1",
                    local_only=CONSOLE)
def test_key_format(target):
    one, two = target.make_key(label="a"), target.make_key(label="b")
    assert re.fullmatch(r"sk-theta-[0-9A-Za-z]{20,}", one.secret)
    assert one.secret != two.secret


@pytest.mark.parity("the full key is shown once, at creation: never in a key's record or the list", section=SECTION,
                    ref="§2", local_only=CONSOLE)
def test_shown_once(target):
    key = target.make_key(label="shown once")
    record = target.admin.request("GET", f"/v1/keys/{key.id}")
    listing = target.admin.request("GET", "/v1/keys")
    assert "key" not in record
    text = str(record) + str(listing)
    assert key.secret not in text and key.secret[9:] not in text


@pytest.mark.parity("delete keeps the row, status `inactive`, the key stops working, and it never comes back",
                    section=SECTION, ref="§2", local_only=CONSOLE)
def test_delete_deactivates(target):
    key = target.make_key(label="to delete")
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 200
    assert target.deactivate(key)["status"] == "inactive"
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 401
    listed = {k["id"]: k for k in target.admin.keys()}
    assert listed[key.id]["status"] == "inactive"
    assert target.deactivate(key)["status"] == "inactive"  # deleting again changes nothing
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 401


@pytest.mark.parity("Expires At is optional; after it the key is deactivated (status `expired`, 401)", section=SECTION,
                    ref="§2", local_only=CONSOLE)
@pytest.mark.theta_console(fake_time="2030-01-01T00:00:00Z")
def test_expires_at(target):
    key = target.make_key(expires_at=target.clock_plus(60), label="expires in a minute")
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 200
    target.advance(60)
    assert target.post("/transcribe", file=lib.tone(1), key=key).status == 401
    assert target.admin.get_key(key.id)["status"] == "expired"
    assert target.post("/transcribe", file=lib.tone(1)).status == 200  # the key without expiry still works


@pytest.mark.parity("keys per plan: Free 1, Starter 3, Pro unlimited (one more is refused)", section=SECTION, ref="§2",
                    local_only=CONSOLE)
@pytest.mark.fresh_account
def test_keys_per_plan(target):
    def refused():  # an AdminAPIError, naming the status, for anything but 403
        return target.admin.request("POST", "/v1/keys", json_body={"name": "one too many"}, expect=(403,))

    assert "allows 1 active API key" in refused()["detail"]  # Free: the main key is the one
    target.set_plan("starter")
    target.make_key(label="2 of 3")
    target.make_key(label="3 of 3")
    assert "allows 3 active API keys" in refused()["detail"]
    target.set_plan("pro")
    for n in range(5):
        target.make_key(label=f"pro {n}")
    assert target.account()["active_keys"] == 8
