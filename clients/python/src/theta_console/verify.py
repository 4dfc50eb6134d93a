"""Verification against the request journal (`GET /v1/requests`), the way WireMock does it.

`AdminClient.verify(...)` asks the server for the entries that match, counts them, and on a wrong
count raises `VerificationError`. Its message says what was expected and what was found, then
shows the nearest recorded requests and what differs in each: the entries (since the mark) that
did not match, fewest differences first, then newest. When there were too many, it lists the
matching entries instead. Only key ids are ever shown, never a secret.

Everything here is pure (entries in, text out), so the ranking and the wording are tested without
a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

Entry = Mapping[str, Any]

REASONS = (
    "ok", "stub", "fault", "key_missing", "key_duplicate", "key_unknown", "key_inactive", "key_expired",
    "address_not_allowed", "plan_excludes_endpoint", "out_of_credits", "rate_limited", "invalid_request",
    "too_large", "unavailable", "upstream", "upstream_failed", "replayed", "no_recording",
)
"""The `reason` values a journal entry can carry (the server checks a `reason` filter against its own list)."""

NEAREST = 3
"""How many near misses a failure message shows."""
LISTED = 10
"""How many matching entries a "too many" message lists."""


class VerificationError(AssertionError):
    """A `verify(...)` or `assert_all_stubs_used()` that failed; the message explains what differs.

    `matches`: the entries that matched (newest first); `nearest`: the near misses shown, each an
    `(entry, differences)` pair; `unused_stubs`: for `assert_all_stubs_used()`, the stubs never hit.
    """

    def __init__(self, message: str, *, matches: Sequence[Entry] = (),
                 nearest: Sequence[Tuple[Entry, List[str]]] = (), unused_stubs: Sequence[Entry] = ()) -> None:
        super().__init__(message)
        self.matches = list(matches)
        self.nearest = list(nearest)
        self.unused_stubs = list(unused_stubs)


@dataclass(frozen=True)
class Criteria:
    """What an entry must have to match (None: anything). `since` is a mark: only entries after it count."""

    endpoint: Optional[str] = None
    status: Optional[int] = None
    reason: Optional[str] = None
    key_id: Optional[str] = None
    since: Optional[int] = None

    def query(self) -> Dict[str, Any]:
        """The `GET /v1/requests` filters these criteria make."""
        return {"endpoint": self.endpoint, "status": self.status, "reason": self.reason, "key_id": self.key_id,
                "after": self.since}


@dataclass(frozen=True)
class Count:
    """How many matching entries are expected: `exactly`, `at least` or `at most` `n`."""

    kind: str
    n: int

    @classmethod
    def of(cls, times: Optional[int], at_least: Optional[int], at_most: Optional[int]) -> "Count":
        """At most one of the three may be given; none means exactly once."""
        given = [(kind, n) for kind, n in (("exactly", times), ("at least", at_least), ("at most", at_most))
                 if n is not None]
        if len(given) > 1:
            raise ValueError("give one of times, at_least and at_most, not " + " and ".join(
                {"exactly": "times", "at least": "at_least", "at most": "at_most"}[k] for k, _ in given))
        kind, n = given[0] if given else ("exactly", 1)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"a count must be an integer >= 0, not {n!r}")
        return cls(kind, n)

    def accepts(self, found: int) -> bool:
        if self.kind == "exactly":
            return found == self.n
        return found >= self.n if self.kind == "at least" else found <= self.n

    def too_many(self, found: int) -> bool:
        return found > self.n and self.kind != "at least"

    def __str__(self) -> str:
        return f"{self.kind} {self.n} request{'' if self.n == 1 else 's'}"


def short_key(key_id: Optional[str]) -> str:
    """`key_SvPS00av…` (a key id is no secret, but the whole one makes long lines); `no key id` for none."""
    if key_id is None:
        return "no key id"
    return key_id[:12] + "\u2026" if len(key_id) > 13 else key_id


def entry_line(entry: Entry) -> str:
    """`#12 2026-12-07T01:02:03Z /transcribe key_ab12cd34… status 200 reason ok`."""
    seq = f"#{entry['seq']} " if entry.get("seq") is not None else ""
    reason = f" reason {entry['reason']}" if entry.get("reason") is not None else ""
    return (f"{seq}{entry.get('time')} {entry.get('endpoint')} {short_key(entry.get('key_id'))} "
            f"status {entry.get('status')}{reason}")


def differences(entry: Entry, criteria: Criteria) -> List[str]:
    """What keeps `entry` from matching, one phrase per criterion missed: `status is 200, not 503`."""
    found: List[str] = []
    if criteria.endpoint is not None and entry.get("endpoint") != criteria.endpoint:
        found.append(f"endpoint is {entry.get('endpoint')}, not {criteria.endpoint}")
    if criteria.key_id is not None and entry.get("key_id") != criteria.key_id:
        actual, wanted = short_key(entry.get("key_id")), short_key(criteria.key_id)
        if actual == wanted:  # two ids alike in their first characters: show both whole
            actual, wanted = str(entry.get("key_id")), criteria.key_id
        found.append(f"no key id, not {wanted}" if entry.get("key_id") is None else f"key is {actual}, not {wanted}")
    if criteria.status is not None and entry.get("status") != criteria.status:
        found.append(f"status is {entry.get('status')}, not {criteria.status}")
    if criteria.reason is not None and entry.get("reason") != criteria.reason:
        found.append(f"reason is {entry.get('reason')}, not {criteria.reason}")
    return found


def nearest(candidates: Iterable[Entry], criteria: Criteria, limit: int = NEAREST) -> List[Tuple[Entry, List[str]]]:
    """The near misses among `candidates` (entries that did not match): fewest differences first,
    then newest (highest `seq`). An entry with no difference the client can name is left out."""
    ranked = [(entry, differences(entry, criteria)) for entry in candidates]
    ranked = [pair for pair in ranked if pair[1]]
    ranked.sort(key=lambda pair: (len(pair[1]), -_seq(pair[0])))
    return ranked[:limit]


def _seq(entry: Entry) -> int:
    seq = entry.get("seq")
    return seq if isinstance(seq, int) else 0


def describe(criteria: Criteria, count: Count) -> str:
    """`exactly 1 request to /transcribe with status 503 and key key_ab12cd34… since mark 4`."""
    text = str(count) + (f" to {criteria.endpoint}" if criteria.endpoint else "")
    conditions = []
    if criteria.status is not None:
        conditions.append(f"status {criteria.status}")
    if criteria.reason is not None:
        conditions.append(f"reason {criteria.reason}")
    if criteria.key_id is not None:
        conditions.append(f"key {criteria.key_id}")
    if conditions:
        text += " with " + (", ".join(conditions[:-1]) + " and " + conditions[-1] if len(conditions) > 1
                            else conditions[0])
    return text + (f" since mark {criteria.since}" if criteria.since is not None else "")


def failure_message(criteria: Criteria, count: Count, matches: Sequence[Entry], others: Sequence[Entry]) -> str:
    """The message of a failed `verify`: expected, found, then the matches (too many) or the near misses.

    `matches` are the entries that matched; `others` every other entry in scope (since the mark).
    """
    found = len(matches)
    lines = [f"expected {describe(criteria, count)}, found {found}"]
    scope = f" since mark {criteria.since}" if criteria.since is not None else ""
    if count.too_many(found):
        lines[0] += ":"
        lines += ["  " + entry_line(entry) for entry in matches[:LISTED]]
        if found > LISTED:
            lines.append(f"  \u2026 and {found - LISTED} more")
        return "\n".join(lines)
    near = nearest(others, criteria)
    other = "other " if found else ""
    if not others:
        lines.append(f"No {other}request was recorded{scope}.")
        return "\n".join(lines)
    if not near:  # the server's match and the client's differences disagree: say so, show nothing
        lines.append(f"{_requests(len(others), other)} recorded{scope}, none with a difference to show.")
        return "\n".join(lines)
    if len(others) == 1:
        lines.append(f"The only {other}request recorded{scope}:")
    elif len(near) < len(others):
        lines.append(f"The nearest {len(near)} of the {_requests(len(others), other)} recorded{scope}, "
                     "fewest differences first:")
    else:
        lines.append(f"The {_requests(len(others), other)} recorded{scope}, fewest differences first:")
    lines += [f"  {entry_line(entry)} \u2014 {'; '.join(diffs)}" for entry, diffs in near]
    return "\n".join(lines)


def _requests(n: int, other: str = "") -> str:
    return f"{n} {other}request{'' if n == 1 else 's'}"


def stub_line(stub: Entry) -> str:
    """`stub_ab12 /transcribe match filename='korean.wav'` (`match every request` without one)."""
    match = stub.get("match")
    shown = ", ".join(f"{k}={v!r}" for k, v in match.items()) if isinstance(match, Mapping) and match else \
        "every request"
    return f"{stub.get('id')} {stub.get('endpoint')} match {shown}"


def unused_stubs_message(unused: Sequence[Entry], total: int) -> str:
    """`2 of 3 stubs were never used:` and a line per stub."""
    head = f"{len(unused)} of {total} stub{'' if total == 1 else 's'} {'was' if len(unused) == 1 else 'were'} " \
           "never used:"
    return "\n".join([head] + ["  " + stub_line(stub) for stub in unused])
