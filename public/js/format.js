// Dates in the user's local time (with the UTC RFC 3339 value on hover), credits, plural words.
import { h } from './dom.js';

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/**
 * `<time>` for an RFC 3339 UTC timestamp: date and time in local time, the UTC value in `datetime` and
 * `title`. `null` gives a muted "Never" (or `none`). With `endOfDay`, a local midnight reads as the end of
 * the day before (an expiry picked as "Dec 31" is stored as Jan 1, 00:00, and should read as Dec 31).
 */
export function stamp(iso, { none = 'Never', endOfDay = false } = {}) {
  if (!iso) return h('span', { class: 'muted', text: none });
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', { text: iso });
  const atMidnight = date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0;
  const shown = endOfDay && atMidnight ? new Date(date.getTime() - 1000) : date;
  return h('time', { class: 'stamp', datetime: iso, title: `${iso} (UTC) · ${fullFormat.format(date)}` },
    h('span', { class: 'd', text: dateFormat.format(shown) }),
    h('span', { class: 't', text: endOfDay && atMidnight ? 'end of day' : timeFormat.format(date) }));
}

const momentFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const momentYearFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});

/**
 * An inline `<time>` for an RFC 3339 UTC timestamp, date and time on one line in local time ("Jan 5, 2:30 PM";
 * the year too when it is not this year), the UTC value in `datetime` and `title`.
 */
export function moment(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', { text: iso });
  const format = date.getFullYear() === new Date().getFullYear() ? momentFormat : momentYearFormat;
  return h('time', { class: 'moment', datetime: iso, title: `${iso} (UTC) · ${fullFormat.format(date)}`, text: format.format(date) });
}

const creditFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 6 });
const signedCreditFormat = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2, maximumFractionDigits: 6, signDisplay: 'exceptZero',
});
const dollarFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });

/** `0.1996` → "0.1996"; `0.2` → "0.20". The API sends exact decimals of at most 6 places. */
export const credits = (value) => creditFormat.format(Number(value));
/** `-0.0004` → "−0.0004", `0.2` → "+0.20". */
export const signedCredits = (value) => signedCreditFormat.format(Number(value));
/** 1 credit = $1. */
export const dollars = (value) => dollarFormat.format(Number(value));

/** "1 key", "2 keys". */
export function count(n, singular, plural = `${singular}s`) {
  return `${n.toLocaleString()} ${n === 1 ? singular : plural}`;
}

/**
 * `seconds` rounded down to whole days, hours, minutes or seconds, short for a badge ("23 hrs") and in
 * words for a screen reader ("23 hours").
 */
export function timeLeft(seconds) {
  const [value, short, long] =
    seconds >= 86400 ? [Math.floor(seconds / 86400), ['day', 'days'], ['day', 'days']]
      : seconds >= 3600 ? [Math.floor(seconds / 3600), ['hr', 'hrs'], ['hour', 'hours']]
        : seconds >= 60 ? [Math.floor(seconds / 60), ['min', 'min'], ['minute', 'minutes']]
          : [seconds, ['sec', 'sec'], ['second', 'seconds']];
  return { short: count(value, ...short), long: count(value, ...long) };
}

/** `3600` → "1 hour", `900` → "15 minutes", `86400` → "24 hours": a grace period in words. */
export function duration(seconds) {
  if (seconds % 3600 === 0) return count(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return count(seconds / 60, 'minute');
  return count(seconds, 'second');
}

/** The end of a local calendar day `YYYY-MM-DD`, as RFC 3339 UTC: when a key given that date stops working. */
export function endOfLocalDay(yyyyMMdd) {
  const [year, month, day] = yyyyMMdd.split('-').map(Number);
  const end = new Date(year, month - 1, day + 1, 0, 0, 0);
  return end.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Today as `YYYY-MM-DD` in local time, for `<input type="date" min>`. */
export function todayLocal() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
