// Type declarations for theta-console's Node helper (index.js). Written by hand: keep them in
// step with lib/*.js (test/declarations.test.js checks that every export and every AdminClient
// method is declared here).

/// <reference types="node" />

/** The release this client belongs to (package.json's version, `theta-console --version`). */
export declare const VERSION: string;

/** The environment variable that names the binary: `THETA_CONSOLE_BIN`. */
export declare const BINARY_VARIABLE: "THETA_CONSOLE_BIN";
/** The environment variable the admin token is handed over in: `THETA_CONSOLE_ADMIN_TOKEN`. */
export declare const TOKEN_VARIABLE: "THETA_CONSOLE_ADMIN_TOKEN";
/** Where a bundled binary would be: `bin/theta-console` in this package's folder. */
export declare const BUNDLED_BINARY: string;

export type Endpoint = "/transcribe" | "/analyze-native" | "/pronunciation" | "/pronunciation-simple";
export declare const ENDPOINTS: readonly Endpoint[];

export type Plan = "free" | "starter" | "pro" | "pro_plus" | "enterprise";
export declare const PLANS: readonly Plan[];

/** Why the emulated API answered as it did (a journal entry's `reason`). */
export type Reason =
  | "ok"
  | "stub"
  | "fault"
  | "key_missing"
  | "key_duplicate"
  | "key_unknown"
  | "key_inactive"
  | "key_expired"
  | "address_not_allowed"
  | "plan_excludes_endpoint"
  | "out_of_credits"
  | "rate_limited"
  | "invalid_request"
  | "too_large"
  | "unavailable"
  | "upstream"
  | "upstream_failed"
  | "replayed"
  | "no_recording";
export declare const REASONS: readonly Reason[];

/** An amount of credits: a number, or a decimal string for exact values (`"0.0004"`). */
export type Credits = number | string | bigint;

// -- errors ------------------------------------------------------------------------------------

/** The base class of every error this package throws (verify's failures are assert.AssertionError). */
export declare class ThetaConsoleError extends Error {
  constructor(message?: string, options?: ErrorOptions);
}

/** No theta-console binary: not in THETA_CONSOLE_BIN, not bundled, not on PATH, no checkout to build. */
export declare class BinaryNotFoundError extends ThetaConsoleError {}

/** The server exited, or did not print its listening line in time. The message holds its stderr. */
export declare class ServerStartError extends ThetaConsoleError {
  constructor(
    message: string,
    details?: { stderr?: string; exitCode?: number | null; signal?: NodeJS.Signals | null; cause?: unknown },
  );
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** An admin call answered with a status other than the route's success status. */
export declare class AdminAPIError extends ThetaConsoleError {
  constructor(method: string, path: string, status: number, detail: string | null);
  readonly method: string;
  /** The path, with its query string if it had one. */
  readonly path: string;
  readonly status: number;
  /** The server's `detail`, or null. */
  readonly detail: string | null;
}

// -- records -----------------------------------------------------------------------------------

export type KeyStatus = "active" | "inactive" | "expired";

/** A key as the admin API shows it (never with its secret). */
export interface KeyRecord {
  id: string;
  name: string;
  hint: string;
  status: KeyStatus;
  created_at: string;
  expires_at: string | null;
  expires_in_seconds: number | null;
  last_used_at: string | null;
  deactivated_at: string | null;
  rate_limit_rpm: number;
  requests_2xx: number;
  requests_4xx: number;
  rolled_from: string | null;
  rolled_to: string | null;
  grace_until: string | null;
  allowed_cidrs: string[];
}

/** The key's hint, as the API shows it: `sk-theta-ABCD…WXYZ` (`…` for anything else). */
export declare function maskSecret(secret: string): string;

/**
 * A key just created or rolled: its record's fields as own properties, and its secret, which only
 * `secret` and `headers` give. `util.inspect`, `JSON.stringify`, `String()` and spreading never
 * show the secret.
 */
export declare class CreatedKey implements KeyRecord {
  constructor(record: KeyRecord | (KeyRecord & { key: string }), secret: string);
  readonly id: string;
  readonly name: string;
  readonly hint: string;
  readonly status: KeyStatus;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly expires_in_seconds: number | null;
  readonly last_used_at: string | null;
  readonly deactivated_at: string | null;
  readonly rate_limit_rpm: number;
  readonly requests_2xx: number;
  readonly requests_4xx: number;
  readonly rolled_from: string | null;
  readonly rolled_to: string | null;
  readonly grace_until: string | null;
  readonly allowed_cidrs: string[];
  /** The full secret, `sk-theta-…`: send it as `x-api-key`. Never log it. */
  readonly secret: string;
  /** `{ "x-api-key": secret }`, for `fetch(url, { headers: key.headers })`. */
  readonly headers: { "x-api-key": string };
  /** The record without the secret, as a plain object. */
  readonly record: KeyRecord;
  toJSON(): KeyRecord;
  toString(): string;
}

/** A key: the CreatedKey, or its id (`key_…`). Never its secret. */
export type KeyRef = CreatedKey | string;

export interface KeyPage {
  data: KeyRecord[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface Account {
  plan: Plan;
  plan_name: "Free" | "Starter" | "Pro" | "Pro+" | "Enterprise";
  balance: number;
  rpm_cap: number | null;
  max_key_rate_limit_rpm: number;
  key_limit: number | null;
  active_keys: number;
  over_key_limit: number;
  includes_pronunciation: boolean;
  cycle: number;
  cycle_start: string;
  cycle_end: string;
  monthly_credits: number;
  allows_top_ups: boolean;
}

export interface Clock {
  now: string;
  unix: number;
}

/** A fault's action: exactly one of `status`, `delay_ms`, `reset`, `truncate`, `timeout`. */
export type FaultAction =
  | { status: 429 | 500 | 502 | 503 | 504; detail?: string; retry_after?: number }
  | { delay_ms: number }
  | { reset: true }
  | { truncate: true }
  | { timeout: true };

export interface FaultRule {
  action: FaultAction;
  /** Default `"*"`: every emulated endpoint. */
  endpoint?: Endpoint | "*";
  /** How many requests to fault, then the rule goes; absent for no end. */
  times?: number;
  /** The chance a matching request is faulted (default 1). */
  probability?: number;
  /** Seeds the rule's dice, so a flaky pattern repeats exactly. */
  seed?: number;
  /** Only requests with this key. */
  key?: KeyRef;
}

export interface Fault {
  id: string;
  endpoint: string;
  key_id: string | null;
  times: number | null;
  probability: number;
  seed: number;
  action: FaultAction;
  hits: number;
  created_at: string;
}

/** Which requests a stub answers (the wire's names); none given matches every request. */
export interface StubMatch {
  filename?: string;
  gold_text?: string;
  audio_sha256?: string;
}

export interface StubRule {
  endpoint: Endpoint;
  /** The 200 body; must fit the endpoint's documented 200 schema (else 422). */
  response: Record<string, unknown>;
  match?: StubMatch;
}

export interface Stub {
  id: string;
  endpoint: Endpoint;
  match: StubMatch;
  response: Record<string, unknown>;
  hits: number;
  created_at: string;
}

/** One request the emulated API answered, as the journal (GET /v1/requests) keeps it. */
export interface JournalEntry {
  /** 1, 2, 3…: never reused, and still counting after a reset. */
  seq: number;
  time: string;
  endpoint: Endpoint;
  key_id: string | null;
  /** The status answered; 0 when a `reset` fault closed the connection. */
  status: number;
  reason: Reason;
  parts: { name: string; filename: string | null; size: number }[];
  detail: string | null;
}

/** A point in the journal (the seq of its newest entry then), from `mark()`. */
export type Mark = number;

export interface JournalFilters {
  endpoint?: Endpoint;
  key?: KeyRef;
  status?: number;
  reason?: Reason;
  /** A mark (entries after it), or a time (entries at or after it). */
  since?: Mark | Date | string;
  /** A time: entries before it. */
  until?: Date | string;
  /** A mark, by the wire's name (entries after it). */
  after?: Mark;
}

export interface VerifyCriteria {
  endpoint?: Endpoint;
  key?: KeyRef;
  status?: number;
  reason?: Reason;
  /** A mark (only requests after it count), or a time. */
  since?: Mark | Date | string;
  until?: Date | string;
  /** Exactly this many (the default, when no count is given, is 1). */
  times?: number;
  atLeast?: number;
  atMost?: number;
}

export interface CreateKeyOptions {
  name?: string;
  rateLimitRpm?: number;
  /** A Date, an RFC 3339 time or a date `YYYY-MM-DD`. */
  expiresAt?: Date | string;
  allowedCidrs?: string[];
  /** Import this secret (needs `serve --allow-key-import`). */
  key?: string;
}

export interface RequestOptions {
  body?: unknown;
  rawJSON?: string;
  query?: Record<string, string | number | boolean | null | undefined> | URLSearchParams;
  expect?: number[];
}

/** The admin API of one theta-console server. */
export declare class AdminClient {
  constructor(baseURL: string, token: string, options?: { timeoutMs?: number });
  readonly baseURL: string;
  timeoutMs: number;
  /** Calls `path`; resolves with its JSON (null if empty); rejects with AdminAPIError on another status. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<T>;

  createKey(name?: string, options?: Omit<CreateKeyOptions, "name">): Promise<CreatedKey>;
  createKey(options: CreateKeyOptions): Promise<CreatedKey>;
  listKeys(options?: { status?: KeyStatus | ""; limit?: number; after?: string; expiringWithin?: string }): Promise<KeyPage>;
  keys(options?: { status?: KeyStatus }): Promise<KeyRecord[]>;
  getKey(key: KeyRef): Promise<KeyRecord>;
  deactivateKey(key: KeyRef): Promise<KeyRecord>;
  rollKey(key: KeyRef, options?: { graceSeconds?: number }): Promise<CreatedKey>;
  auditEvents(options?: { limit?: number; after?: string }): Promise<{ data: Record<string, unknown>[]; has_more: boolean; next_cursor: string | null }>;

  account(): Promise<Account>;
  updateAccount(changes: { plan?: Plan; balance?: Credits }): Promise<Account>;
  topUp(amount: Credits): Promise<Account>;
  ledger(options?: { limit?: number; after?: string }): Promise<{ data: Record<string, unknown>[]; has_more: boolean; next_cursor: string | null }>;

  clock(): Promise<Clock>;
  advanceClock(seconds: number): Promise<Clock>;
  setClock(now: Date | string): Promise<Clock>;

  addFault(rule: FaultRule): Promise<Fault>;
  faults(): Promise<Fault[]>;
  deleteFault(fault: Fault | string): Promise<void>;
  clearFaults(): Promise<void>;

  addStub(rule: StubRule): Promise<Stub>;
  stubs(): Promise<Stub[]>;
  deleteStub(stub: Stub | string): Promise<void>;
  clearStubs(): Promise<void>;
  /** The stubs with `hits` 0. */
  unusedStubs(): Promise<Stub[]>;
  /** Rejects with an AssertionError naming every unused stub. */
  assertAllStubsUsed(): Promise<void>;

  reset(): Promise<void>;
  /** The journal entries matching every filter, newest first. */
  requests(filters?: JournalFilters & { limit?: number }): Promise<JournalEntry[]>;
  countRequests(filters?: JournalFilters): Promise<number>;
  /** The journal's newest seq so far: pass it as `since` to look only at later requests. */
  mark(): Promise<Mark>;
  /**
   * Resolves with the matching entries if their number is as expected (`times`, default 1, or
   * `atLeast`/`atMost`); else rejects with an AssertionError listing the matches and the
   * nearest misses, and what differs in each.
   */
  verify(criteria?: VerifyCriteria): Promise<JournalEntry[]>;

  health(): Promise<boolean>;
  toJSON(): { baseURL: string };
  toString(): string;
}

/** An amount of credits as the plain JSON number the server takes (no exponent). */
export declare function creditsLiteral(value: Credits): string;

// -- the server --------------------------------------------------------------------------------

export interface StartOptions {
  /** The binary; default: found as `findBinary()` does. */
  binary?: string;
  /** `--plan`: the plan at start and after every reset. */
  plan?: Plan;
  /** `--credits`: the balance at start and after every reset. */
  credits?: Credits;
  /** `--fake-time`: the clock then moves only through `advanceClock`/`setClock`. */
  fakeTime?: Date | string;
  /** `--record-requests N` (0: off). Default 1000. */
  recordRequests?: number;
  /** `--allow-reset`. Default true. */
  allowReset?: boolean;
  /** More `serve` arguments, as given. */
  extraArgs?: string[];
  /** Variables added to this process's environment for the server. */
  env?: Record<string, string | undefined>;
  /** How long to wait for the listening line. Default 30000. */
  startupTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. Default 10000. */
  stopTimeoutMs?: number;
  /**
   * Also serve HTTPS (`--tls-self-signed DIR --tls-port 0`): a local CA and a certificate for
   * localhost, 127.0.0.1 and ::1. `true`: in a new temporary folder, removed by `stop()`;
   * `{ dir }`: in your folder, made the first time and reused after. Default: HTTP only.
   */
  tls?: boolean | { dir: string };
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True if SIGTERM was not enough and it had to be killed. */
  killed: boolean;
}

/** A running theta-console, from `startThetaConsole`. */
export declare class ThetaConsoleServer {
  private constructor();
  /** `http://127.0.0.1:PORT`. */
  readonly baseURL: string;
  /** `https://127.0.0.1:PORT` with the `tls` option; null without it. */
  readonly httpsURL: string | null;
  /**
   * The local CA's certificate (a PEM file) with the `tls` option, to trust through
   * NODE_EXTRA_CA_CERTS or `https.request`'s `ca`; null without it.
   */
  readonly caFile: string | null;
  /** The admin token (random, made for this server; not shown by inspect or JSON). */
  readonly adminToken: string;
  readonly admin: AdminClient;
  readonly binary: string;
  /** The `serve` arguments it was started with (never the token). */
  readonly args: string[];
  readonly pid: number;
  readonly running: boolean;
  /** `baseURL + path`. */
  url(path?: string): string;
  /** Its stderr (the log) so far. */
  stderr(): string;
  /** Its stdout so far (the listening line; with `tls`, also the HTTPS and CA lines). */
  stdout(): string;
  /** SIGTERM, then SIGKILL after `stopTimeoutMs`; the same promise on every call. */
  stop(): Promise<StopResult>;
  toJSON(): { baseURL: string; httpsURL?: string; caFile?: string; pid: number; binary: string };
  toString(): string;
}

/**
 * Starts theta-console (`serve --port 0 --db :memory:`, a random admin token in the environment)
 * and resolves once it listens. Rejects with a ServerStartError holding its stderr if it exits
 * first or does not listen within `startupTimeoutMs`.
 */
export declare function startThetaConsole(options?: StartOptions): Promise<ThetaConsoleServer>;

/**
 * The binary to run: THETA_CONSOLE_BIN (set but unusable is an error), the bundled
 * bin/theta-console, theta-console on PATH, then a build of the source checkout (`build: false`
 * stops before it). Rejects with BinaryNotFoundError naming all four ways.
 */
export declare function findBinary(options?: { build?: boolean }): Promise<string>;

/** A mono 16-bit PCM WAV of `seconds` (a quiet sine tone; `toneHz: 0` for silence). */
export declare function makeWav(seconds?: number, options?: { sampleRate?: number; toneHz?: number }): Buffer;
