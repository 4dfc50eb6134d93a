"""A small client for theta-console's admin API (`/v1/…`, `Authorization: Bearer <token>`).

Every method maps to one route of docs/openapi.yaml and returns the parsed JSON (dicts and
lists, numbers as `int`/`float`), except the ones that create or roll a key, which return a
`CreatedKey` so the secret stays out of reprs. A status other than the route's success status
raises `AdminAPIError` with the server's `detail`. On top of the routes: `keys()` (every page),
`verify()`, `mark()`, `unused_stubs()` and `assert_all_stubs_used()` (see `theta_console.verify`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union, cast

import requests

from .errors import AdminAPIError, ThetaConsoleError
from .keys import CreatedKey
from .verify import Count, Criteria, VerificationError, failure_message, nearest, unused_stubs_message

JSON = Dict[str, Any]
Number = Union[int, float, str, Decimal]
KeyRef = Union[CreatedKey, str, None]
"""A key for a filter: a `CreatedKey`, or its id (`key_…`)."""
TimeRef = Union[str, datetime, None]
"""A time for a filter: RFC 3339 text, or an aware `datetime`."""

PLANS = ("free", "starter", "pro", "pro_plus", "enterprise")
ENDPOINTS = ("/transcribe", "/analyze-native", "/pronunciation", "/pronunciation-simple")


def credits_literal(value: Number) -> str:
    """An amount of credits as the JSON number the server accepts: plain digits, no exponent.

    `24`, `"24"`, `Decimal("0.0004")` and `0.0004` all work; a float is taken by its shortest
    repr, so `0.1` is `0.1`, not `0.1000000000000000055…`.
    """
    if isinstance(value, bool):
        raise TypeError("credits must be a number, not a bool")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except Exception as error:  # decimal.InvalidOperation, ValueError
        raise ValueError(f"not an amount of credits: {value!r}") from error
    if not number.is_finite():
        raise ValueError(f"not an amount of credits: {value!r}")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


class AdminClient:
    """The admin API of one theta-console server.

    Usable on its own against any server: `AdminClient("http://127.0.0.1:8080", token)`.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 session: Optional[requests.Session] = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"AdminClient({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    # -- plumbing -------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json_body: Optional[Any] = None, raw_json: Optional[str] = None,
                params: Optional[Mapping[str, Any]] = None, expect: Sequence[int] = (200,)) -> Any:
        """Calls `path` and returns its JSON (None for an empty answer); raises `AdminAPIError` otherwise."""
        headers = {}
        data: Optional[bytes] = None
        if raw_json is not None or json_body is not None:
            headers["Content-Type"] = "application/json"
            data = (raw_json if raw_json is not None else json.dumps(json_body)).encode()
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._session.request(method, self.base_url + path, data=data, params=query,
                                         headers=headers, timeout=self.timeout)
        if response.status_code not in expect:
            detail: Optional[str]
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:200] or None
            raise AdminAPIError(method, path, response.status_code, detail)
        if not response.content:
            return None
        return response.json()

    def _object(self, method: str, path: str, **options: Any) -> JSON:
        return cast(JSON, self.request(method, path, **options))

    def _data(self, path: str, **options: Any) -> List[JSON]:
        return cast(List[JSON], self.request("GET", path, **options)["data"])

    # -- keys ------------------------------------------------------------------------------------

    def create_key(self, name: str = "test key", *, rate_limit_rpm: Optional[int] = None,
                   expires_at: Optional[str] = None, allowed_cidrs: Optional[Sequence[str]] = None,
                   key: Optional[str] = None) -> CreatedKey:
        """POST /v1/keys. With `key` (an import, needs `serve --allow-key-import`) the secret is yours."""
        body: JSON = {"name": name}
        if rate_limit_rpm is not None:
            body["rate_limit_rpm"] = rate_limit_rpm
        if expires_at is not None:
            body["expires_at"] = expires_at
        if allowed_cidrs is not None:
            body["allowed_cidrs"] = list(allowed_cidrs)
        if key is not None:
            body["key"] = key
        record = self.request("POST", "/v1/keys", json_body=body, expect=(201,))
        return CreatedKey(record, key if key is not None else record["key"])

    def list_keys(self, *, status: Optional[str] = None, limit: Optional[int] = None,
                  after: Optional[str] = None) -> JSON:
        """GET /v1/keys: one page, `{"data", "has_more", "next_cursor"}`, newest first."""
        return self._object("GET", "/v1/keys", params={"status": status, "limit": limit, "after": after})

    def keys(self, *, status: Optional[str] = None) -> List[JSON]:
        """Every key (all pages), newest first."""
        found: List[JSON] = []
        after: Optional[str] = None
        while True:
            page = self.list_keys(status=status, limit=100, after=after)
            found += page["data"]
            if not page["has_more"]:
                return found
            after = page["next_cursor"]

    def get_key(self, key_id: str) -> JSON:
        """GET /v1/keys/{id}."""
        return self._object("GET", f"/v1/keys/{key_id}")

    def deactivate_key(self, key_id: str) -> JSON:
        """DELETE /v1/keys/{id}: the key becomes inactive, for good."""
        return self._object("DELETE", f"/v1/keys/{key_id}")

    def roll_key(self, key_id: str, *, grace_seconds: Optional[int] = None) -> CreatedKey:
        """POST /v1/keys/{id}/roll: a new key now; the old one works for `grace_seconds` more."""
        body: JSON = {} if grace_seconds is None else {"grace_seconds": grace_seconds}
        record = self.request("POST", f"/v1/keys/{key_id}/roll", json_body=body, expect=(200, 201))
        return CreatedKey(record, record["key"])

    def audit_events(self, *, limit: Optional[int] = None, after: Optional[str] = None) -> JSON:
        """GET /v1/audit-events: one page, newest first."""
        return self._object("GET", "/v1/audit-events", params={"limit": limit, "after": after})

    # -- account ---------------------------------------------------------------------------------

    def account(self) -> JSON:
        """GET /v1/account: plan, balance, limits."""
        return self._object("GET", "/v1/account")

    def update_account(self, *, plan: Optional[str] = None, balance: Optional[Number] = None) -> JSON:
        """PATCH /v1/account. `balance` is sent as an exact number (`"0.0004"` stays 0.0004)."""
        fields = []
        if plan is not None:
            fields.append(f'"plan": {json.dumps(plan)}')
        if balance is not None:
            fields.append(f'"balance": {credits_literal(balance)}')
        return self._object("PATCH", "/v1/account", raw_json="{" + ", ".join(fields) + "}")

    def ledger(self, *, limit: Optional[int] = None, after: Optional[str] = None) -> JSON:
        """GET /v1/account/ledger: one page of credit changes, newest first."""
        return self._object("GET", "/v1/account/ledger", params={"limit": limit, "after": after})

    # -- clock (only under `serve --fake-time`) --------------------------------------------------

    def clock(self) -> JSON:
        """GET /v1/clock: `{"now", "unix"}`. 404 unless the server runs with a fake clock."""
        return self._object("GET", "/v1/clock")

    def advance_clock(self, seconds: float) -> JSON:
        """POST /v1/clock `{"advance_seconds": seconds}`: rate-limit windows slide, keys expire."""
        return self._object("POST", "/v1/clock", json_body={"advance_seconds": seconds})

    def set_clock(self, now: str) -> JSON:
        """POST /v1/clock `{"now": RFC 3339}`; never backwards."""
        return self._object("POST", "/v1/clock", json_body={"now": now})

    # -- faults ----------------------------------------------------------------------------------

    def add_fault(self, action: Mapping[str, Any], *, endpoint: str = "*", times: Optional[int] = None,
                  probability: Optional[float] = None, seed: Optional[int] = None,
                  key_id: Optional[str] = None) -> JSON:
        """POST /v1/faults. `action` is one of `{"status": 503}` (with `detail`, `retry_after`),
        `{"delay_ms": n}`, `{"reset": True}`, `{"truncate": True}`, `{"timeout": True}`."""
        body: JSON = {"endpoint": endpoint, "action": dict(action)}
        for field, value in (("times", times), ("probability", probability), ("seed", seed), ("key_id", key_id)):
            if value is not None:
                body[field] = value
        return self._object("POST", "/v1/faults", json_body=body, expect=(201,))

    def faults(self) -> List[JSON]:
        """GET /v1/faults: the rules left, oldest first, with `hits` and `times` left."""
        return self._data("/v1/faults")

    def delete_fault(self, fault_id: str) -> None:
        """DELETE /v1/faults/{id}."""
        self.request("DELETE", f"/v1/faults/{fault_id}", expect=(204,))

    def clear_faults(self) -> None:
        """DELETE /v1/faults: every rule."""
        self.request("DELETE", "/v1/faults", expect=(204,))

    # -- stubs -----------------------------------------------------------------------------------

    def add_stub(self, endpoint: str, response: Mapping[str, Any], *, filename: Optional[str] = None,
                 gold_text: Optional[str] = None, audio_sha256: Optional[str] = None) -> JSON:
        """POST /v1/stubs: a matching request that would get 200 gets `response` as its body instead.

        `response` must fit the endpoint's documented 200 schema (else 422); gates, 400s, billing
        and headers stay those of the real answer. No match argument: every request matches.
        """
        match = {k: v for k, v in (("filename", filename), ("gold_text", gold_text), ("audio_sha256", audio_sha256))
                 if v is not None}
        body: JSON = {"endpoint": endpoint, "response": dict(response)}
        if match:
            body["match"] = match
        return self._object("POST", "/v1/stubs", json_body=body, expect=(201,))

    def stubs(self) -> List[JSON]:
        """GET /v1/stubs."""
        return self._data("/v1/stubs")

    def unused_stubs(self) -> List[JSON]:
        """The stubs no request has matched yet (`hits` 0), oldest first."""
        return [stub for stub in self.stubs() if stub.get("hits") == 0]

    def assert_all_stubs_used(self) -> None:
        """Raises `VerificationError` naming each stub no request matched (id, endpoint, match)."""
        __tracebackhide__ = True
        stubs = self.stubs()
        unused = [stub for stub in stubs if stub.get("hits") == 0]
        if unused:
            raise VerificationError(unused_stubs_message(unused, len(stubs)), unused_stubs=unused)

    def delete_stub(self, stub_id: str) -> None:
        """DELETE /v1/stubs/{id}."""
        self.request("DELETE", f"/v1/stubs/{stub_id}", expect=(204,))

    def clear_stubs(self) -> None:
        """DELETE /v1/stubs."""
        self.request("DELETE", "/v1/stubs", expect=(204,))

    # -- reset and recorded requests -------------------------------------------------------------

    def reset(self) -> None:
        """POST /v1/reset (needs `serve --allow-reset`): no keys, the start plan and credits, an
        empty ledger, no faults, stubs or recorded requests. The admin token and the clock stay."""
        self.request("POST", "/v1/reset", expect=(204,))

    def recorded_requests(self, *, endpoint: Optional[str] = None, key: KeyRef = None, key_id: Optional[str] = None,
                          status: Optional[int] = None, reason: Optional[str] = None, since: TimeRef = None,
                          until: TimeRef = None, after: Optional[int] = None,
                          limit: Optional[int] = None) -> List[JSON]:
        """GET /v1/requests (needs `serve --record-requests N`): the speech requests the server
        answered, newest first: `seq`, `time`, `endpoint`, `key_id`, `status`, `reason`, `parts`, `detail`.

        Filters, all optional and combined with AND: `endpoint`; `key` (a `CreatedKey` or a key id;
        `key_id` is the same filter); `status` (0: a connection reset by a fault); `reason` (see
        `theta_console.verify.REASONS`); `since`/`until`, times (RFC 3339 text or an aware
        `datetime`, whole seconds, `until` excluded); `after`, a mark from `mark()`; `limit`, the
        newest this many. A filter the server cannot read raises `AdminAPIError` (422).
        """
        query = _filters(endpoint, key, key_id, status, reason, since, until, after)
        return cast(List[JSON], self._journal(query, limit=limit, filtered=bool(query))["data"])

    def count_requests(self, *, endpoint: Optional[str] = None, key: KeyRef = None, key_id: Optional[str] = None,
                       status: Optional[int] = None, reason: Optional[str] = None, since: TimeRef = None,
                       until: TimeRef = None, after: Optional[int] = None) -> int:
        """GET /v1/requests/count: how many recorded requests match (the filters of `recorded_requests`)."""
        query = _filters(endpoint, key, key_id, status, reason, since, until, after)
        return int(self._object("GET", "/v1/requests/count", params=query)["count"])

    def mark(self) -> int:
        """The journal's mark: the `seq` of the newest request recorded so far (0 if none).

        Pass it as `verify(..., since=mark)` or `recorded_requests(after=mark)` to look only at what
        came after this point. Marks keep counting across resets.
        """
        return int(self._object("GET", "/v1/requests/count")["mark"])

    def verify(self, endpoint: Optional[str] = None, *, status: Optional[int] = None, reason: Optional[str] = None,
               key: KeyRef = None, times: Optional[int] = None, at_least: Optional[int] = None,
               at_most: Optional[int] = None, since: Optional[int] = None) -> List[JSON]:
        """Checks how many recorded requests match, and returns them (newest first).

        The criteria (all optional): `endpoint`, `status`, `reason`, `key` (a `CreatedKey` or a key
        id), and `since`, a mark from `mark()` (only requests after it count). The count: one of
        `times` (exactly; the default is `times=1`), `at_least` or `at_most`.

        A wrong count raises `VerificationError` (an `AssertionError`): what was expected, what was
        found, then the nearest recorded requests and what differs in each, or, when there were
        too many, the matching ones. It shows key ids, never a secret.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        count = Count.of(times, at_least, at_most)
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            raise TypeError(f"since must be a mark (an int from mark()), not {type(since).__name__}")
        if since is not None and since < 0:
            raise ValueError(f"since must be a mark (>= 0), not {since}")
        criteria = Criteria(endpoint=endpoint, status=status, reason=reason, key_id=_key_id(key, None), since=since)
        answer = self._journal(_query(criteria.query()), filtered=True)
        matches: List[JSON] = answer["data"]
        lost = int(answer.get("overflowed") or 0)
        if lost > (since or 0) and not (count.kind == "at least" and count.accepts(len(matches))):
            # Requests after the mark fell out of the journal: no count over them can be trusted.
            raise VerificationError(
                f"cannot verify: the journal dropped requests up to #{lost} for lack of room, after "
                f"{'the mark #' + str(since) if since else 'the last reset'}; start the server with a larger "
                f"--record-requests, or verify with since= a mark taken after #{lost}", matches=matches)
        if count.accepts(len(matches)):
            return matches
        # Everything else in scope, up to the same mark, so both lists describe one moment.
        mark = answer.get("mark")
        seen = {entry.get("seq") for entry in matches}
        others = [entry for entry in self._data("/v1/requests", params={"after": since})
                  if entry.get("seq") not in seen and (mark is None or entry.get("seq", 0) <= mark)]
        message = failure_message(criteria, count, matches, others)
        raise VerificationError(message, matches=matches, nearest=nearest(others, criteria))

    def _journal(self, query: Mapping[str, Any], *, limit: Optional[int] = None, filtered: bool) -> JSON:
        answer = self._object("GET", "/v1/requests", params={**query, "limit": limit})
        if filtered and "mark" not in answer:  # it would have ignored the filters
            raise ThetaConsoleError(f"{self.base_url} runs a theta-console that predates filters on GET /v1/requests "
                                    "(its answer has no mark): use a newer binary")
        return answer

    # -- service ---------------------------------------------------------------------------------

    def health(self) -> bool:
        """GET /healthz answered 200."""
        return self._session.get(self.base_url + "/healthz", timeout=self.timeout).status_code == 200


# -- journal filters -----------------------------------------------------------------------------


def _key_id(key: KeyRef, key_id: Optional[str]) -> Optional[str]:
    """The key id a filter names; a secret is refused (and not repeated in the error)."""
    if isinstance(key, CreatedKey):
        key = key.id
    elif key is not None and not isinstance(key, str):
        raise TypeError(f"key must be a CreatedKey or a key id, not {type(key).__name__}")
    if key is not None and key.startswith("sk-"):
        raise ValueError("key must be a CreatedKey or a key id (key_…), not a secret")
    if key is not None and key_id is not None and key != key_id:
        raise ValueError(f"key ({key}) and key_id ({key_id}) name two keys; give one")
    return key if key is not None else key_id


def _time(value: TimeRef, name: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime (with tzinfo), or RFC 3339 text")
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise TypeError(f"{name} must be RFC 3339 text or a datetime, not {type(value).__name__}")


def _filters(endpoint: Optional[str], key: KeyRef, key_id: Optional[str], status: Optional[int],
             reason: Optional[str], since: TimeRef, until: TimeRef, after: Optional[int]) -> Dict[str, Any]:
    return _query({"endpoint": endpoint, "key_id": _key_id(key, key_id), "status": status, "reason": reason,
                   "since": _time(since, "since"), "until": _time(until, "until"), "after": after})


def _query(filters: Mapping[str, Any]) -> Dict[str, Any]:
    """Query parameters as the server reads them (booleans are no numbers; None is left out)."""
    query: Dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            raise TypeError(f"{name} must not be a bool")
        query[name] = value
    return query
