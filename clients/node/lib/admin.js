// A client for theta-console's admin API (`/v1/…`, `Authorization: Bearer <token>`), with fetch.
//
// Every method maps to one route of docs/openapi.yaml and resolves with the parsed JSON, except
// those that create or roll a key, which resolve with a CreatedKey so the secret stays out of
// logs. A status other than the route's success status rejects with AdminAPIError, carrying the
// server's `detail`.

import { AssertionError } from "node:assert";
import { inspect } from "node:util";

import { AdminAPIError, ThetaConsoleError } from "./errors.js";
import { journalQuery, verifyFailure, verifyPlan } from "./journal.js";
import { CreatedKey } from "./keys.js";

export const PLANS = Object.freeze(["free", "starter", "pro", "pro_plus", "enterprise"]);

/**
 * An amount of credits as the JSON number the server accepts: plain digits, no exponent.
 * `24`, `"24"`, `"0.0004"` and `0.0004` all work; a number is taken by its shortest form, so
 * `0.1` is `0.1`, and `1e-7` becomes `0.0000001` (which the server refuses: at most 6 decimals).
 */
export function creditsLiteral(value) {
  let text;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`not an amount of credits: ${value}`);
    text = expandExponent(String(value));
  } else if (typeof value === "bigint") {
    text = value.toString();
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    throw new TypeError("credits: a number or a decimal string");
  }
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`not an amount of credits: ${JSON.stringify(value)}`);
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  text = text.replace(/^(-?)0+(?=\d)/, "$1");
  return text === "-0" ? "0" : text;
}

function expandExponent(text) {
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const [, sign, whole, fraction = "", exponentText] = match;
  const exponent = Number(exponentText);
  const digits = whole + fraction;
  const point = whole.length + exponent; // where the decimal point goes in `digits`
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function idOf(value, what) {
  if (typeof value === "string" && value !== "") return value;
  if (value !== null && typeof value === "object" && typeof value.id === "string") return value.id;
  throw new TypeError(`${what}: an id string or an object with an id`);
}

function keyPathId(key) {
  if (key instanceof CreatedKey) return key.id;
  if (typeof key === "string" && key.startsWith("sk-")) {
    throw new TypeError("pass the created key (or its id, key_…), not its secret");
  }
  return idOf(key, "key");
}

function timeValue(value) {
  return value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, "Z") : value;
}

/** The admin API of one theta-console server; usable on its own: `new AdminClient(baseURL, token)`. */
export class AdminClient {
  #token;

  constructor(baseURL, token, { timeoutMs = 30000 } = {}) {
    if (typeof baseURL !== "string" || !/^https?:\/\//.test(baseURL)) {
      throw new TypeError("baseURL: an http:// URL, e.g. http://127.0.0.1:8080");
    }
    if (typeof token !== "string" || token === "") throw new TypeError("token: the admin token");
    this.baseURL = baseURL.replace(/\/+$/, "");
    this.timeoutMs = timeoutMs;
    this.#token = token;
  }

  toString() {
    return `AdminClient(${this.baseURL})`;
  }

  toJSON() {
    return { baseURL: this.baseURL };
  }

  [inspect.custom]() {
    return `AdminClient { baseURL: ${JSON.stringify(this.baseURL)} }`;
  }

  // -- plumbing ------------------------------------------------------------------------------

  /**
   * Calls `path` and resolves with its JSON (null for an empty answer). `body` is sent as JSON
   * (`rawJSON`: as given); `query` is an object or URLSearchParams (undefined values left out);
   * `expect` lists the success statuses.
   */
  async request(method, path, { body, rawJSON, query, expect = [200] } = {}) {
    const headers = { authorization: `Bearer ${this.#token}` };
    let payload;
    if (rawJSON !== undefined || body !== undefined) {
      headers["content-type"] = "application/json";
      payload = rawJSON !== undefined ? rawJSON : JSON.stringify(body);
    }
    let search = "";
    if (query !== undefined) {
      const params = new URLSearchParams();
      const entries = query instanceof URLSearchParams ? query.entries() : Object.entries(query);
      for (const [name, value] of entries) if (value !== undefined && value !== null) params.append(name, String(value));
      search = params.size > 0 ? `?${params}` : "";
    }
    const target = path + search;
    let response;
    try {
      response = await fetch(this.baseURL + target, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const why = error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(error);
      throw new ThetaConsoleError(`${method} ${target}: no answer from ${this.baseURL} (${why})`, { cause: error });
    }
    const text = await response.text();
    if (!expect.includes(response.status)) {
      let detail = null;
      try {
        detail = JSON.parse(text).detail ?? null;
      } catch {
        detail = text.slice(0, 200) || null;
      }
      throw new AdminAPIError(method, target, response.status, detail);
    }
    return text === "" ? null : JSON.parse(text);
  }

  async #data(path, query) {
    return (await this.request("GET", path, { query })).data;
  }

  // -- keys ----------------------------------------------------------------------------------

  /**
   * POST /v1/keys → a CreatedKey. `createKey("ci")`, or `createKey({ name, rateLimitRpm, expiresAt,
   * allowedCidrs, key })`; `key` imports a secret of your own (needs `serve --allow-key-import`).
   */
  async createKey(nameOrOptions = "test key", options = {}) {
    const given = typeof nameOrOptions === "object" && nameOrOptions !== null ? nameOrOptions : { ...options, name: nameOrOptions };
    const { name = "test key", rateLimitRpm, expiresAt, allowedCidrs, key } = given;
    const body = { name };
    if (rateLimitRpm !== undefined) body.rate_limit_rpm = rateLimitRpm;
    if (expiresAt !== undefined) body.expires_at = timeValue(expiresAt);
    if (allowedCidrs !== undefined) body.allowed_cidrs = [...allowedCidrs];
    if (key !== undefined) body.key = key;
    const record = await this.request("POST", "/v1/keys", { body, expect: [201] });
    return new CreatedKey(record, key !== undefined ? key : record.key);
  }

  /** GET /v1/keys: one page, `{ data, has_more, next_cursor }`, newest first. */
  async listKeys({ status, limit, after, expiringWithin } = {}) {
    return this.request("GET", "/v1/keys", { query: { status, limit, after, expiring_within: expiringWithin } });
  }

  /** Every key (all pages), newest first. */
  async keys({ status } = {}) {
    const found = [];
    for (let after; ; ) {
      const page = await this.listKeys({ status, limit: 100, after });
      found.push(...page.data);
      if (!page.has_more) return found;
      after = page.next_cursor;
    }
  }

  /** GET /v1/keys/{id}: the record, never the secret. */
  async getKey(key) {
    return this.request("GET", `/v1/keys/${encodeURIComponent(keyPathId(key))}`);
  }

  /** DELETE /v1/keys/{id}: the key becomes inactive, for good; resolves with its record. */
  async deactivateKey(key) {
    return this.request("DELETE", `/v1/keys/${encodeURIComponent(keyPathId(key))}`);
  }

  /** POST /v1/keys/{id}/roll → the new key; the old one works `graceSeconds` more (default 0). */
  async rollKey(key, { graceSeconds } = {}) {
    const body = graceSeconds === undefined ? {} : { grace_seconds: graceSeconds };
    const record = await this.request("POST", `/v1/keys/${encodeURIComponent(keyPathId(key))}/roll`, {
      body,
      expect: [201],
    });
    return new CreatedKey(record, record.key);
  }

  /** GET /v1/audit-events: one page, newest first. */
  async auditEvents({ limit, after } = {}) {
    return this.request("GET", "/v1/audit-events", { query: { limit, after } });
  }

  // -- account -------------------------------------------------------------------------------

  /** GET /v1/account: plan, balance, limits. */
  async account() {
    return this.request("GET", "/v1/account");
  }

  /** PATCH /v1/account. `balance` is sent as an exact number (`"0.0004"` stays 0.0004). */
  async updateAccount({ plan, balance } = {}) {
    const fields = [];
    if (plan !== undefined) {
      if (!PLANS.includes(plan)) throw new TypeError(`plan: one of ${PLANS.join(", ")}`);
      fields.push(`"plan": ${JSON.stringify(plan)}`);
    }
    if (balance !== undefined) fields.push(`"balance": ${creditsLiteral(balance)}`);
    return this.request("PATCH", "/v1/account", { rawJSON: `{${fields.join(", ")}}` });
  }

  /** POST /v1/account/top-ups (Pro, Pro+, Enterprise; at least 10 credits) → the account. */
  async topUp(amount) {
    return this.request("POST", "/v1/account/top-ups", {
      rawJSON: `{"amount": ${creditsLiteral(amount)}}`,
      expect: [201],
    });
  }

  /** GET /v1/account/ledger: one page of credit changes, newest first. */
  async ledger({ limit, after } = {}) {
    return this.request("GET", "/v1/account/ledger", { query: { limit, after } });
  }

  // -- clock (only under `serve --fake-time`; 404 otherwise) ---------------------------------

  /** GET /v1/clock: `{ now, unix }`. */
  async clock() {
    return this.request("GET", "/v1/clock");
  }

  /** POST /v1/clock `{ advance_seconds }`: rate-limit windows slide, keys expire. */
  async advanceClock(seconds) {
    return this.request("POST", "/v1/clock", { body: { advance_seconds: seconds } });
  }

  /** POST /v1/clock `{ now }` (a Date or RFC 3339 string); never backwards. */
  async setClock(now) {
    return this.request("POST", "/v1/clock", { body: { now: timeValue(now) } });
  }

  // -- faults --------------------------------------------------------------------------------

  /**
   * POST /v1/faults. `action` is the wire's: `{ status: 503 }` (with `detail`, `retry_after`),
   * `{ delay_ms }`, `{ reset: true }`, `{ truncate: true }` or `{ timeout: true }`. `endpoint`
   * defaults to "*"; `key` (a CreatedKey or key id) limits the rule to one key.
   */
  async addFault({ action, endpoint = "*", times, probability, seed, key } = {}) {
    if (action === null || typeof action !== "object") throw new TypeError("addFault: an action object, e.g. { status: 503 }");
    const body = { endpoint, action: { ...action } };
    if (times !== undefined) body.times = times;
    if (probability !== undefined) body.probability = probability;
    if (seed !== undefined) body.seed = seed;
    if (key !== undefined) body.key_id = keyPathId(key);
    return this.request("POST", "/v1/faults", { body, expect: [201] });
  }

  /** GET /v1/faults: the rules left, oldest first, with `hits` and `times` left. */
  async faults() {
    return this.#data("/v1/faults");
  }

  /** DELETE /v1/faults/{id} (an id or the rule addFault returned). */
  async deleteFault(fault) {
    await this.request("DELETE", `/v1/faults/${encodeURIComponent(idOf(fault, "fault"))}`, { expect: [204] });
  }

  /** DELETE /v1/faults: every rule. */
  async clearFaults() {
    await this.request("DELETE", "/v1/faults", { expect: [204] });
  }

  // -- stubs ---------------------------------------------------------------------------------

  /**
   * POST /v1/stubs: a matching request that would get 200 gets `response` as its body instead.
   * `match` is the wire's (`filename`, `gold_text`, `audio_sha256`); none matches every request.
   */
  async addStub({ endpoint, response, match } = {}) {
    const body = { endpoint, response };
    if (match !== undefined) body.match = match;
    return this.request("POST", "/v1/stubs", { body, expect: [201] });
  }

  /** GET /v1/stubs: oldest first, each with `hits`. */
  async stubs() {
    return this.#data("/v1/stubs");
  }

  /** DELETE /v1/stubs/{id} (an id or the stub addStub returned). */
  async deleteStub(stub) {
    await this.request("DELETE", `/v1/stubs/${encodeURIComponent(idOf(stub, "stub"))}`, { expect: [204] });
  }

  /** DELETE /v1/stubs: every stub. */
  async clearStubs() {
    await this.request("DELETE", "/v1/stubs", { expect: [204] });
  }

  /** The stubs no request has used yet (`hits` 0), oldest first. */
  async unusedStubs() {
    return (await this.stubs()).filter((stub) => stub.hits === 0);
  }

  /** Throws an AssertionError naming every stub no request has used. */
  async assertAllStubsUsed() {
    const unused = await this.unusedStubs();
    if (unused.length === 0) return;
    const lines = unused.map(
      (stub) => `  ${stub.id} ${stub.endpoint} match ${Object.keys(stub.match ?? {}).length === 0 ? "any request" : JSON.stringify(stub.match)}`,
    );
    throw new AssertionError({
      message: `${unused.length} ${unused.length === 1 ? "stub was" : "stubs were"} never used:\n${lines.join("\n")}`,
      actual: unused.map((stub) => stub.id),
      expected: [],
      operator: "assertAllStubsUsed",
    });
  }

  // -- reset, the request journal, verify ------------------------------------------------------

  /**
   * POST /v1/reset (needs `serve --allow-reset`): no keys, the start plan and credits, no faults,
   * stubs or recorded requests. The admin token and the clock stay.
   */
  async reset() {
    await this.request("POST", "/v1/reset", { expect: [204] });
  }

  /**
   * GET /v1/requests (needs `serve --record-requests N`): the journal entries that match every
   * filter given, newest first. Filters: `endpoint`, `key`, `status`, `reason`, `since` (a mark
   * from `mark()`, or a time), `until` (a time), `limit`.
   */
  async requests(filters = {}) {
    return (await this.#journal(filters)).data;
  }

  /** GET /v1/requests/count: how many entries match (the filters of `requests` but `limit`). */
  async countRequests(filters = {}) {
    return (await this.request("GET", "/v1/requests/count", { query: journalQuery(filters, { allowLimit: false }) })).count;
  }

  /** A mark: the journal's newest entry so far. Pass it as `since` to look only at later requests. */
  async mark() {
    return (await this.request("GET", "/v1/requests/count")).mark;
  }

  /**
   * Checks that the journal holds the expected number of requests matching `endpoint`, `key`,
   * `status` and `reason`, (`since` a mark or a time, `until` a time): `times` (default 1),
   * or `atLeast` and/or `atMost`. Resolves with the matching entries, newest first; rejects with
   * an AssertionError that lists the matches and the nearest misses, and what differs in each.
   */
  async verify(criteria = {}) {
    const plan = verifyPlan(criteria);
    const answer = await this.#journal(plan.filters);
    const matching = answer.data;
    // Requests after the mark that fell out of the journal: no count over them can be trusted
    // (but for "at least", a count already reached). A time as `since` is not compared with seqs.
    const since = criteria.since;
    const lost = answer.overflowed ?? 0;
    if ((since === undefined || typeof since === "number") && lost > (since ?? 0)
        && !(plan.max === Infinity && matching.length >= plan.min)) {
      throw new AssertionError({
        message: `verify: cannot judge: the journal dropped requests up to #${lost} for lack of room, after ` +
          `${since ? `the mark #${since}` : "the last reset"}; start the server with a larger recordRequests ` +
          `(--record-requests), or verify with since: a mark taken after #${lost}`,
        actual: matching.length,
        expected: plan.min,
        operator: "verify",
      });
    }
    if (matching.length >= plan.min && matching.length <= plan.max) return matching;
    // Near misses come from the same moment: nothing recorded after the first answer's mark.
    const scoped = (await this.#journal(plan.scope)).data.filter((entry) => entry.seq <= answer.mark);
    throw verifyFailure(plan, matching, scoped);
  }

  async #journal(filters) {
    const query = journalQuery(filters);
    const answer = await this.request("GET", "/v1/requests", { query });
    if (typeof answer.mark !== "number") {
      // A server older than the journal's filters ignores them and would answer everything.
      throw new ThetaConsoleError(
        `${this.baseURL} runs a theta-console whose GET /v1/requests predates filters and marks: use a newer binary`,
      );
    }
    return answer;
  }

  // -- service -------------------------------------------------------------------------------

  /** GET /healthz answered 200. */
  async health() {
    try {
      const response = await fetch(`${this.baseURL}/healthz`, { signal: AbortSignal.timeout(this.timeoutMs) });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }
}
