// The request journal (GET /v1/requests): filters, and verify's criteria and near-miss report.
// Pure functions, no I/O: AdminClient calls them.

import { AssertionError } from "node:assert";

import { CreatedKey } from "./keys.js";

export const ENDPOINTS = Object.freeze(["/transcribe", "/analyze-native", "/pronunciation", "/pronunciation-simple"]);

/** Every `reason` a journal entry can carry (docs/openapi.yaml, RecordedRequest). */
export const REASONS = Object.freeze([
  "ok",
  "stub",
  "fault",
  "key_missing",
  "key_duplicate",
  "key_unknown",
  "key_inactive",
  "key_expired",
  "address_not_allowed",
  "plan_excludes_endpoint",
  "out_of_credits",
  "rate_limited",
  "invalid_request",
  "too_large",
  "unavailable",
  "upstream",
  "upstream_failed",
  "replayed",
  "no_recording",
]);

const FILTERS = new Set(["endpoint", "key", "status", "reason", "since", "until", "after", "limit"]);
const CRITERIA = new Set(["endpoint", "key", "status", "reason", "since", "until", "times", "atLeast", "atMost"]);

/** A key id from a CreatedKey or an id string; a secret is refused without being repeated. */
export function keyIdOf(key) {
  if (key instanceof CreatedKey) return key.id;
  if (typeof key === "string" && key !== "") {
    if (key.startsWith("sk-")) {
      throw new TypeError("key: pass the created key (or its id, key_…), not its secret");
    }
    return key;
  }
  throw new TypeError("key: a CreatedKey or a key id string (key_…)");
}

function timeText(value, name) {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`${name}: an invalid Date`);
    return value.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  if (typeof value === "string" && value !== "") return value;
  throw new TypeError(`${name}: a Date or an RFC 3339 time string`);
}

function markOf(value, name) {
  if (Number.isSafeInteger(value) && value >= 0) return value;
  throw new TypeError(`${name}: a mark (an integer >= 0, from admin.mark())`);
}

function check(options, allowed, what) {
  if (options === null || typeof options !== "object") throw new TypeError(`${what}: an options object`);
  for (const name of Object.keys(options)) {
    if (!allowed.has(name)) throw new TypeError(`${what}: unknown option '${name}' (known: ${[...allowed].join(", ")})`);
  }
}

/**
 * The query of GET /v1/requests (and /count) for `filters`:
 * `endpoint`; `key` (a CreatedKey or key id); `status`; `reason`; `since`: a mark (a number, from
 * `mark()`: entries after it) or a time (a Date or RFC 3339 string: entries at or after it);
 * `until` (a time: entries before it); `after` (a mark, the wire's own name); `limit`.
 */
export function journalQuery(filters = {}, { allowLimit = true } = {}) {
  check(filters, FILTERS, "requests");
  const query = new URLSearchParams();
  const { endpoint, key, status, reason, since, until, after, limit } = filters;
  if (endpoint !== undefined) {
    if (!ENDPOINTS.includes(endpoint)) throw new TypeError(`endpoint: one of ${ENDPOINTS.join(", ")}`);
    query.set("endpoint", endpoint);
  }
  if (key !== undefined) query.set("key_id", keyIdOf(key));
  if (status !== undefined) {
    if (!(Number.isInteger(status) && status >= 0 && status <= 599)) {
      throw new TypeError("status: an integer from 0 to 599 (0: a connection reset by a fault)");
    }
    query.set("status", String(status));
  }
  if (reason !== undefined) {
    if (!REASONS.includes(reason)) throw new TypeError(`reason: one of ${REASONS.join(", ")}`);
    query.set("reason", reason);
  }
  if (since !== undefined) {
    if (typeof since === "number") query.set("after", String(markOf(since, "since")));
    else query.set("since", timeText(since, "since"));
  }
  if (after !== undefined) {
    if (since !== undefined && typeof since === "number") throw new TypeError("give a mark as since or after, not both");
    query.set("after", String(markOf(after, "after")));
  }
  if (until !== undefined) query.set("until", timeText(until, "until"));
  if (limit !== undefined) {
    if (!allowLimit) throw new TypeError("limit: not with a count");
    if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new TypeError("limit: an integer >= 1");
    query.set("limit", String(limit));
  }
  return query;
}

function countOf(value, name) {
  if (Number.isSafeInteger(value) && value >= 0) return value;
  throw new TypeError(`${name}: an integer >= 0`);
}

/**
 * verify's criteria, checked: `{ filters, scope, min, max, expectation }`. `filters` select the
 * matching entries; `scope` (since/until only) selects the entries near misses are drawn from.
 */
export function verifyPlan(criteria = {}) {
  check(criteria, CRITERIA, "verify");
  const { times, atLeast, atMost, ...filters } = criteria;
  if (times !== undefined && (atLeast !== undefined || atMost !== undefined)) {
    throw new TypeError("verify: times, or atLeast and/or atMost, not both");
  }
  let min;
  let max;
  let expectation;
  if (atLeast !== undefined || atMost !== undefined) {
    min = atLeast === undefined ? 0 : countOf(atLeast, "atLeast");
    max = atMost === undefined ? Infinity : countOf(atMost, "atMost");
    if (min > max) throw new TypeError("verify: atLeast is more than atMost");
    expectation =
      atMost === undefined ? `at least ${min}` : atLeast === undefined ? `at most ${max}` : `between ${min} and ${max}`;
  } else {
    min = max = times === undefined ? 1 : countOf(times, "times");
    expectation = `exactly ${min}`;
  }
  journalQuery(filters); // checks every filter's value now, before any request is made
  const scope = {};
  if (filters.since !== undefined) scope.since = filters.since;
  if (filters.until !== undefined) scope.until = filters.until;
  return { filters, scope, min, max, expectation };
}

const CRITERION_FIELDS = [
  ["endpoint", "endpoint", (value) => value],
  ["key", "key_id", keyIdOf],
  ["status", "status", (value) => value],
  ["reason", "reason", (value) => value],
];

function wanted(filters) {
  return CRITERION_FIELDS.filter(([name]) => filters[name] !== undefined).map(([name, field, convert]) => ({
    name,
    field,
    value: convert(filters[name]),
  }));
}

function shown(value) {
  return value === null || value === undefined ? "none" : String(value);
}

/** What `entry` does not meet among `filters`' endpoint, key, status and reason: one text each. */
export function differences(entry, filters) {
  return wanted(filters)
    .filter(({ field, value }) => entry[field] !== value)
    .map(({ name, field, value }) => `${name} is ${shown(entry[field])}, not ${value}`);
}

/** `#seq time endpoint key status reason`: one journal entry on one line. */
export function describeEntry(entry) {
  return [
    `#${entry.seq ?? "?"}`,
    entry.time,
    entry.endpoint,
    entry.key_id ?? "(no key)",
    entry.status,
    entry.reason ?? "(no reason)",
  ].join(" ");
}

function describeCriteria(filters) {
  const parts = wanted(filters).map(({ name, value }) => `${name} ${value}`);
  if (typeof filters.since === "number") parts.push(`after mark ${filters.since}`);
  else if (filters.since !== undefined) parts.push(`since ${timeText(filters.since, "since")}`);
  if (filters.until !== undefined) parts.push(`until ${timeText(filters.until, "until")}`);
  return parts.length === 0 ? "any request" : parts.join(", ");
}

/**
 * The near misses among `entries` (the journal in verify's scope, newest first): those that do not
 * match, ranked by how many criteria they miss, then newest first; at most `count`.
 */
export function nearMisses(entries, filters, count = 3) {
  return entries
    .map((entry, index) => ({ entry, index, misses: differences(entry, filters) }))
    .filter(({ misses }) => misses.length > 0)
    .sort((a, b) => a.misses.length - b.misses.length || a.index - b.index)
    .slice(0, count);
}

/** verify's failure: an AssertionError whose message names the matches and the nearest misses. */
export function verifyFailure(plan, matching, scoped) {
  const { filters, min, max, expectation } = plan;
  const noun = (n) => (n === 1 ? "request" : "requests");
  const lines = [
    `verify: expected ${expectation} ${noun(max === Infinity ? min : max)} matching ${describeCriteria(filters)}, ` +
      `but ${matching.length} matched.`,
  ];
  if (matching.length > 0) {
    const listed = matching.slice(0, 10);
    lines.push(`Matching (${listed.length === matching.length ? matching.length : `newest ${listed.length} of ${matching.length}`}):`);
    for (const entry of listed) lines.push(`  ${describeEntry(entry)}`);
  }
  if (matching.length < min) {
    const misses = nearMisses(scoped, filters);
    if (scoped.length === 0) {
      lines.push(`No requests were recorded${describeScope(filters)}.`);
    } else if (misses.length === 0) {
      lines.push(`Every request recorded${describeScope(filters)} matched.`);
    } else {
      const others = scoped.length - matching.length;
      lines.push(`Nearest misses (${misses.length} of ${others} recorded${describeScope(filters)} that did not match):`);
      for (const { entry, misses: what } of misses) lines.push(`  ${describeEntry(entry)}: ${what.join("; ")}`);
    }
  }
  return new AssertionError({
    message: lines.join("\n"),
    actual: matching.length,
    expected: min === max ? min : { atLeast: min, atMost: max },
    operator: "verify",
  });
}

function describeScope(filters) {
  let scope = "";
  if (typeof filters.since === "number") scope += ` after mark ${filters.since}`;
  else if (filters.since !== undefined) scope += ` since ${timeText(filters.since, "since")}`;
  if (filters.until !== undefined) scope += ` until ${timeText(filters.until, "until")}`;
  return scope;
}
