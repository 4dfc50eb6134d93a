// Usage and balance shaped for the charts: UTC days and hours, the billing range (this cycle and the
// one before), the balance line from the ledger, the usage API's buckets, request outcomes. Pure functions:
// no DOM, no fetch.
import { DAY, HOUR } from './charts.js';

export const startOfDay = (t) => Math.floor(t / DAY) * DAY;
export const startOfHour = (t) => Math.floor(t / HOUR) * HOUR;
/** The first UTC midnight at or after `t`. */
export const endOfDay = (t) => Math.ceil(t / DAY) * DAY;
/** RFC 3339 UTC with whole seconds, as the admin API takes it. */
export const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const time = (value) => (typeof value === 'number' ? value : Date.parse(value));

/**
 * The latest moment known to have passed on the server's clock: the browser's clock, or any of `times`
 * (RFC 3339 or Unix ms) the server has written, whichever is later. Under `serve --fake-time` the
 * server's clock is not the browser's; the times it wrote (a cycle's start, a key's last use) are
 * lower bounds on it.
 */
export function serverNow(...times) {
  return Math.max(Date.now(), ...times.filter((t) => t != null).map(time));
}

/** One calendar month before `t` (UTC), on the same day or, in a shorter month, on its last day. */
export function monthBefore(t) {
  const date = new Date(t);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() - 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay),
    date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds());
}

/**
 * The Billing charts' range: the previous cycle (when there is one) and the current one. The previous
 * cycle began when its monthly lot was granted; without that lot (a plan with no monthly credits), a
 * calendar month before this cycle. `{ start, previousStart, currentStart, end }` in Unix ms.
 */
export function billingRange(account, lots) {
  const currentStart = time(account.cycle_start);
  const end = time(account.cycle_end);
  let previousStart = null;
  if (account.cycle > 0) {
    const lot = lots.find((l) => l.kind === 'monthly' && l.cycle === account.cycle - 1);
    previousStart = lot ? time(lot.granted_at) : monthBefore(currentStart);
    if (previousStart > currentStart) previousStart = monthBefore(currentStart);
  }
  return { start: previousStart ?? currentStart, previousStart, currentStart, end };
}

/**
 * The balance from `start` to `now`, from ledger entries listed newest first (as the API pages them)
 * reaching back past `start`, or to the account's first entry (`complete`), or as far as was read.
 * `points` `[{ t, value, entry }]` form a step line; the first holds the balance at the line's start,
 * which is `start` unless the entries stop short of it (`complete` false): then the oldest entry read.
 */
export function balanceSeries(entries, { start, now, complete = true }) {
  const chronological = [...entries].reverse();
  const inRange = chronological.filter((entry) => time(entry.time) >= start && time(entry.time) <= now);
  const before = chronological.filter((entry) => time(entry.time) < start).at(-1);
  const reachesStart = Boolean(before) || complete;
  let initial;
  if (before) initial = Number(before.balance_after);
  else if (inRange.length > 0) initial = roundCredits(Number(inRange[0].balance_after) - Number(inRange[0].amount));
  else initial = 0;
  const lineStart = reachesStart || inRange.length === 0 ? start : time(inRange[0].time);
  const points = [{ t: lineStart, value: initial, entry: null }];
  for (const entry of inRange) points.push({ t: time(entry.time), value: Number(entry.balance_after), entry });
  const last = points[points.length - 1];
  if (now > last.t) points.push({ t: now, value: last.value, entry: null });
  return { points, lineStart };
}

/** Credits are exact to 6 decimals: sums are made in millionths, so 0.0004 × 3 is 0.0012, not 0.0012000000000000001. */
export const toMicro = (credits) => Math.round(Number(credits) * 1e6);
export const roundCredits = (credits) => toMicro(credits) / 1e6;

/** Zero-filled buckets of `step` ms from `from` to `to` (exclusive): `[{ start, end, values: {} }]`. */
export function emptyBuckets(from, to, step) {
  const buckets = [];
  for (let start = from; start < to; start += step) buckets.push({ start, end: start + step, values: {} });
  return buckets;
}

/** Exactly the buckets of `[from, to)` by `step`: the API's where it has them, zero-filled elsewhere. */
export function fillBuckets(buckets, from, to, step) {
  const byStart = new Map(buckets.map((bucket) => [bucket.start, bucket]));
  return emptyBuckets(from, to, step).map((empty) => byStart.get(empty.start) ?? empty);
}

/** The outcome groups of the request stack, in stacking order (bottom first). */
export const OUTCOMES = ['ok', 'client', 'limited', 'other'];

/** `{"200": 3, "400": 1, "429": 2}` → `{ ok: 3, client: 1, limited: 2, other: 0 }`. */
export function outcomes(requests) {
  const values = { ok: 0, client: 0, limited: 0, other: 0 };
  for (const [status, count] of Object.entries(requests ?? {})) {
    const code = Number(status);
    const group = code >= 200 && code < 300 ? 'ok'
      : code === 429 ? 'limited'
        : code >= 400 && code < 500 ? 'client' : 'other';
    values[group] += Number(count) || 0;
  }
  return values;
}

/**
 * The usage API's buckets (`{ start, requests, audio_seconds, credits }`, `granularity` 'hour' or 'day')
 * as chart buckets: request outcomes and credits in `values`.
 */
export function usageBuckets(answer) {
  const step = answer.granularity === 'hour' ? HOUR : DAY;
  return (answer.buckets ?? []).map((bucket) => {
    const start = time(bucket.start);
    return {
      start, end: start + step, values: { ...outcomes(bucket.requests), credits: roundCredits(bucket.credits ?? 0) },
    };
  });
}
