"""Uploads too large (413), processing too long (504), server errors (500) (reference §1, §4)."""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

import parity_lib as lib

SECTION = "Limits and server errors (413, 500, 504)"


@pytest.mark.parity("a very large upload gets 413 (theta-console: over 50 MiB, refused from `Content-Length` before "
                    "the body, `Upload too large: the limit is 50 MiB.`)", section=SECTION, ref="§1, §4",
                    local_only="the real limit is unstated, and finding it would mean uploading tens of MB")
def test_upload_too_large(target):
    url = urllib.parse.urlsplit(target.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("POST", "/transcribe")
        connection.putheader("x-api-key", target.key.secret)
        connection.putheader("Content-Type", "multipart/form-data; boundary=parity")
        connection.putheader("Content-Length", str(50 * 1024 * 1024 + 1))
        connection.endheaders()  # the head only: the answer must come before any of the body
        response = connection.getresponse()
        status, body = response.status, response.read().decode()
    finally:
        connection.close()
    assert status == 413, body
    assert body == '{"detail":"Upload too large: the limit is 50 MiB."}'


@pytest.mark.parity("processing that takes too long gets 504 (a `timeout` fault, with `--processing-timeout 1`)",
                    section=SECTION, ref="§1, §4", emulator_only=True)
@pytest.mark.theta_console(args=["--processing-timeout", "1"])
def test_processing_timeout(target):
    target.server.add_fault({"timeout": True}, endpoint="/transcribe", times=1)
    exchange = target.post("/transcribe", file=lib.tone(1))
    assert (exchange.status, exchange.body) == (504, {"detail": "Processing took too long: the request timed out."})
    assert exchange.elapsed >= 0.9
    assert target.post("/transcribe", file=lib.tone(1)).status == 200


@pytest.mark.parity("an unexpected server failure is 500 with a JSON message, and is not billed (a fault)",
                    section=SECTION, ref="§4", emulator_only=True)
def test_internal_error(target):
    before = target.account()["balance"]
    target.server.add_fault({"status": 500}, endpoint="/transcribe", times=1)
    exchange = target.post("/transcribe", file=lib.tone(1))
    assert (exchange.status, exchange.body) == (500, {"detail": "Internal server error."})
    assert target.account()["balance"] == before
