"""Probes the real binary for statuses that docs/openapi.yaml does not list under the operation.

    python check_statuses.py BINARY docs/openapi.yaml

For every operation in the document it sends the requests that are cheap to make and that a route
answers with something other than success: no or a wrong admin token (401), a foreign `Host`,
`Origin` or `Sec-Fetch-Site` (403), a declared body over the route's limit (413), a body that is
not JSON by type (415), by syntax (400) or by shape (422), a query value of the wrong form (422),
an id that names nothing (404), the routes that need a flag on a server without it (404); on the
emulated endpoints also missing, repeated and unknown keys (401), a body that is not multipart
(400), no credits and a plan without the endpoint (402), a rate limit (429), and every fault
status (429, 500, 502, 503, 504). Each probe expects one status; the run fails when a probe gets
another, when the status it got is not listed under the operation's `responses`, when a header
the listed response marks required is missing, or when its content type is not the listed one.
It also asks every path with a method the document does not list for it: the 405's `Allow` must
name exactly the document's methods (plus HEAD with GET, and OPTIONS), so a route the server has
and the document lacks is found.

Statuses no request can provoke cheaply (500, 503 from a busy or unreadable database, 507 from
a full disk) are listed by the rule in docs/decisions.md, not probed. Hand-written HTTP on
purpose: the probes are requests a generated client would refuse to make.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ruamel.yaml import YAML

from served import ServedBinary

METHODS = ("get", "post", "patch", "delete", "put")
SPEECH = ("/transcribe", "/analyze-native", "/pronunciation", "/pronunciation-simple")
GOLD = json.dumps({"gold_text": "Wow, check out this castle."})


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


@dataclass
class Probe:
    method: str
    path: str  # the document's path, e.g. /v1/keys/{id}
    target: str  # what is sent, e.g. /v1/keys/key_000…?limit=0
    expected: int
    why: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    declared_length: int | None = None  # a Content-Length sent without its body
    host: str | None = None  # a Host other than the server's address


class Server(ServedBinary):
    def __init__(self, binary: str, flags: list[str]) -> None:
        super().__init__(binary, flags, token_prefix="statuses-")

    def __enter__(self) -> Server:
        return self

    def send(self, method: str, target: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"",
             declared_length: int | None = None, host: str | None = None) -> Answer:
        """One request on its own connection (`Connection: close`); the answer read to EOF."""
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host or f'{self.host}:{self.port}'}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers or []]
        if declared_length is not None:
            lines.append(f"Content-Length: {declared_length}")
        elif body or method in ("POST", "PATCH", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        with socket.create_connection((self.host, self.port), timeout=30) as connection:
            connection.sendall(head + (b"" if declared_length is not None else body))
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
        head_bytes, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
        parsed: dict[str, list[str]] = {}
        for header_line in header_lines:
            name, _, value = header_line.partition(":")
            parsed.setdefault(name.strip().lower(), []).append(value.strip())
        return Answer(int(status_line.split(" ")[1]), parsed, rest)

    def admin(self, method: str, target: str, body: Any = None) -> Answer:
        data = b"" if body is None else json.dumps(body).encode()
        headers = [("Authorization", f"Bearer {self.token}")]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        return self.send(method, target, headers, data)

    def create_key(self, name: str, rpm: int = 100) -> tuple[str, str]:
        answer = self.admin("POST", "/v1/keys", {"name": name, "rate_limit_rpm": rpm})
        if answer.status != 201:
            raise SystemExit(f"FAIL: could not create a key: {answer.status} {answer.body[:200]!r}")
        created = json.loads(answer.body)
        return created["id"], created["key"]


def wav(seconds: float) -> bytes:
    frames = int(16_000 * seconds)
    data = b"\0\0" * frames
    return (b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
            + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (16_000).to_bytes(4, "little")
            + (32_000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
            + b"data" + len(data).to_bytes(4, "little") + data)


def multipart(endpoint: str) -> tuple[str, bytes]:
    """A valid form for `endpoint`: the content type and the body."""
    boundary = "statuses-boundary"
    parts = [(b'name="file"; filename="a.wav"', wav(2.0))]
    if endpoint != "/transcribe":
        parts.append((b'name="options"', GOLD.encode()))
    if endpoint == "/pronunciation":
        native = [{"type": "word", "word": "Wow", "start": 0.0, "end": 0.5}]
        parts.append((b'name="native_speech_components_json"', json.dumps(native).encode()))
    body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; " + disposition
                    + b"\r\n\r\n" + content + b"\r\n" for disposition, content in parts)
    return f"multipart/form-data; boundary={boundary}", body + b"--" + boundary.encode() + b"--\r\n"


class Document:
    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as file:
            self.root: Any = YAML(typ="safe").load(file)

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            reference: str = node["$ref"]
            node = self.root
            for part in reference.removeprefix("#/").split("/"):
                node = node[part]
        return node

    def operations(self) -> list[tuple[str, str]]:
        return [(path, method) for path, item in self.root["paths"].items() for method in METHODS if method in item]

    def operation(self, path: str, method: str) -> Any:
        return self.root["paths"][path][method]

    def response(self, path: str, method: str, status: int) -> Any | None:
        responses = self.operation(path, method)["responses"]
        return self.resolve(responses[str(status)]) if str(status) in responses else None

    def parameters(self, path: str, method: str) -> list[Any]:
        item = self.root["paths"][path]
        return [self.resolve(p) for p in item.get("parameters", []) + self.operation(path, method).get("parameters", [])]

    def bad_value(self, schema: Any) -> str | None:
        """A query value its schema refuses, or None when every string is allowed."""
        schema = self.resolve(schema)
        if "anyOf" in schema:
            for option in schema["anyOf"]:
                if "const" not in option:
                    return self.bad_value(option)
        if "enum" in schema:
            return "bogus"
        if schema.get("type") == "integer":
            return "x"
        if schema.get("format") == "date-time":
            return "yesterday"
        if "pattern" in schema:
            return "!"
        return None


def probes(document: Document, admin_token: str, key_id: str) -> list[Probe]:
    """Every cheap probe of every operation, on a server with every flag."""
    result: list[Probe] = []
    ids = {"/v1/keys/{id}": "key_" + "0" * 20, "/v1/keys/{id}/roll": "key_" + "0" * 20,
           "/v1/keys/{id}/usage": "key_" + "0" * 20, "/v1/faults/{id}": "flt_none", "/v1/stubs/{id}": "stb_none"}
    for path, method in document.operations():
        verb = method.upper()
        target = path.replace("{id}", ids.get(path, ""))
        operation = document.operation(path, method)
        add = result.append
        add(Probe(verb, path, target, 403, "a Host that is not allowed", host="evil.example"))
        if not path.startswith("/v1/"):
            continue
        token = [("Authorization", f"Bearer {admin_token}")]
        add(Probe(verb, path, target, 401, "no admin token"))
        add(Probe(verb, path, target, 401, "a wrong admin token", [("Authorization", "Bearer wrong-token-0123456789")]))
        add(Probe(verb, path, target, 403, "a foreign Origin", token + [("Origin", "http://evil.example")]))
        add(Probe(verb, path, target, 403, "Sec-Fetch-Site: cross-site", token + [("Sec-Fetch-Site", "cross-site")]))
        limit = 1024 * 1024 if path == "/v1/leaks" else 64 * 1024
        add(Probe(verb, path, target, 413, "a declared body over the limit", token + [("Content-Type", "application/json")],
                  declared_length=limit + 1))
        if method in ("post", "patch"):
            add(Probe(verb, path, target, 415, "a body that is not JSON by type", token + [("Content-Type", "text/plain")],
                      b"{}"))
        if "requestBody" in operation and path != "/v1/keys/{id}/roll":
            json_type = token + [("Content-Type", "application/json")]
            add(Probe(verb, path, target, 400, "malformed JSON", json_type, b"{"))
            add(Probe(verb, path, target, 422, "JSON that is not an object", json_type, b"[]"))
        if path in ids:
            add(Probe(verb, path, target, 404, "an id that names nothing", token))
        for parameter in document.parameters(path, method):
            if parameter["in"] != "query":
                continue
            bad = document.bad_value(parameter["schema"])
            if bad is not None:
                query_target = path.replace("{id}", key_id) + f"?{parameter['name']}={bad}"
                add(Probe(verb, path, query_target, 422, f"{parameter['name']}={bad}", token))
    return result


def speech_probes(server: Server, secret: str) -> list[tuple[Probe, Answer]]:
    """The emulated endpoints: keys, form, size, plan, credits, rate limit and every fault status."""
    observed: list[tuple[Probe, Answer]] = []

    def run(probe: Probe) -> None:
        observed.append((probe, server.send(probe.method, probe.target, probe.headers, probe.body, probe.declared_length,
                                            probe.host)))

    admin = server.admin
    for endpoint in SPEECH:
        content_type, body = multipart(endpoint)
        form = [("Content-Type", content_type)]
        run(Probe("POST", endpoint, endpoint, 401, "no x-api-key", form, body))
        run(Probe("POST", endpoint, endpoint, 401, "two x-api-key headers",
                  form + [("x-api-key", secret), ("x-api-key", secret)], body))
        run(Probe("POST", endpoint, endpoint, 401, "an unknown key", form + [("x-api-key", "sk-theta-" + "A" * 38)], body))
        # On Free, only /transcribe: the others are refused for the plan.
        expected = 200 if endpoint == "/transcribe" else 402
        run(Probe("POST", endpoint, endpoint, expected, "the Free plan", form + [("x-api-key", secret)], body))
    if admin("PATCH", "/v1/account", {"plan": "enterprise", "balance": 0}).status != 200:
        raise SystemExit("FAIL: could not set the account")
    for endpoint in SPEECH:
        content_type, body = multipart(endpoint)
        run(Probe("POST", endpoint, endpoint, 402, "no credits", [("Content-Type", content_type), ("x-api-key", secret)],
                  body))
    if admin("PATCH", "/v1/account", {"balance": 100}).status != 200:
        raise SystemExit("FAIL: could not set the balance")
    for endpoint in SPEECH:
        content_type, body = multipart(endpoint)
        keyed = [("x-api-key", secret)]
        run(Probe("POST", endpoint, endpoint, 200, "a valid request", keyed + [("Content-Type", content_type)], body))
        run(Probe("POST", endpoint, endpoint, 400, "not multipart", keyed + [("Content-Type", "text/plain")], b"x"))
        run(Probe("POST", endpoint, endpoint, 400, "a form without its file", keyed + [("Content-Type", content_type)],
                  b"--statuses-boundary--\r\n"))
        run(Probe("POST", endpoint, endpoint, 413, "a declared upload over 50 MiB",
                  keyed + [("Content-Type", content_type)], declared_length=50 * 1024 * 1024 + 1))
        run(Probe("POST", endpoint, endpoint, 403, "a Host that is not allowed", host="evil.example"))
        for status in (429, 500, 502, 503, 504):
            rule = admin("POST", "/v1/faults", {"endpoint": endpoint, "times": 1, "action": {"status": status}})
            if rule.status != 201:
                raise SystemExit(f"FAIL: could not make a {status} fault: {rule.status}")
            run(Probe("POST", endpoint, endpoint, status, f"a {status} fault", keyed + [("Content-Type", content_type)],
                      body))
        timeout = admin("POST", "/v1/faults", {"endpoint": endpoint, "times": 1, "action": {"timeout": True}})
        if timeout.status != 201:
            raise SystemExit("FAIL: could not make a timeout fault")
        run(Probe("POST", endpoint, endpoint, 504, "a timeout fault (--processing-timeout 0.2)",
                  keyed + [("Content-Type", content_type)], body))
    _, limited = server.create_key("limited", rpm=1)
    content_type, body = multipart("/transcribe")
    for expected in (200, 429):
        run(Probe("POST", "/transcribe", "/transcribe", expected, "a key with 1 request a minute",
                  [("x-api-key", limited), ("Content-Type", content_type)], body))
    return observed


def judge(document: Document, probe: Probe, answer: Answer, failures: list[str]) -> None:
    where = f"{probe.method} {probe.target} ({probe.why})"
    if answer.status != probe.expected:
        failures.append(f"{where}: expected {probe.expected}, got {answer.status}: {answer.body[:200]!r}")
    declared = document.response(probe.path, probe.method.lower(), answer.status)
    if declared is None:
        failures.append(f"{where}: {answer.status} is not listed under {probe.method} {probe.path}")
        return
    for name, header in (declared.get("headers") or {}).items():
        if document.resolve(header).get("required") and answer.header(name) is None:
            failures.append(f"{where}: the listed {answer.status} requires {name}, which is missing")
    content = declared.get("content")
    if content:
        sent = (answer.header("Content-Type") or "").split(";")[0]
        if sent not in content:
            failures.append(f"{where}: Content-Type {sent!r} is not listed for {answer.status}")
    elif answer.body:
        failures.append(f"{where}: the listed {answer.status} has no body, but one came")


def main() -> None:
    binary, spec = sys.argv[1], sys.argv[2]
    document = Document(spec)
    failures: list[str] = []
    count = 0
    started = time.monotonic()
    flags = ["--allow-reset", "--record-requests", "100", "--fake-time", "2030-01-01T00:00:00Z",
             "--processing-timeout", "0.2"]
    with Server(binary, flags) as server:
        key_id, secret = server.create_key("statuses")
        for probe in probes(document, server.token, key_id):
            answer = server.send(probe.method, probe.target, probe.headers, probe.body, probe.declared_length, probe.host)
            judge(document, probe, answer, failures)
            count += 1
        for probe, answer in speech_probes(server, secret):
            judge(document, probe, answer, failures)
            count += 1
        # A method the document does not list: 405, and Allow names exactly the document's methods.
        for path, item in document.root["paths"].items():
            target = path.replace("{id}", "key_" + "0" * 20)
            methods = {method.upper() for method in METHODS if method in item}
            unlisted = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in methods)
            answer = server.send(unlisted, target, [("Authorization", f"Bearer {server.token}")])
            count += 1
            expected_allow = methods | ({"HEAD"} if "GET" in methods else set()) | {"OPTIONS"}
            allow = {m.strip() for m in (answer.header("Allow") or "").split(",") if m.strip()}
            if answer.status != 405 or allow != expected_allow:
                failures.append(f"{unlisted} {path}: expected 405 with Allow {sorted(expected_allow)}, "
                                f"got {answer.status} with Allow {sorted(allow)}")
    with Server(binary, []) as plain:
        token = [("Authorization", f"Bearer {plain.token}")]
        for method, path, why in [("GET", "/v1/clock", "without --fake-time"), ("POST", "/v1/clock", "without --fake-time"),
                                  ("POST", "/v1/reset", "without --allow-reset"),
                                  ("GET", "/v1/requests", "without --record-requests"),
                                  ("GET", "/v1/requests/count", "without --record-requests")]:
            body = b'{"advance_seconds": 1}' if path == "/v1/clock" and method == "POST" else b""
            headers = token + ([("Content-Type", "application/json")] if body else [])
            probe = Probe(method, path, path, 404, why, headers, body)
            judge(document, probe, plain.send(method, path, headers, body), failures)
            count += 1
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"check_statuses.py: {count} probes, every status listed, in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
