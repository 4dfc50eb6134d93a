// One key's page (#/keys/key_…), opened from its row in the list: its details, its requests per hour
// over the last 24 hours stacked by outcome, and its credits per day over the last 30 days
// (GET /v1/keys/{id}, GET /v1/keys/{id}/usage). Esc, the back link or the browser's Back returns to the
// list, with the focus on the key's row.
import { call, withQuery } from '../api.js';
import { byId, h, setMessage } from '../dom.js';
import { count, credits, stamp } from '../format.js';
import { barChart, clearChart, DAY, formatDay, formatHour, HOUR } from '../charts.js';
import { fillBuckets, iso, serverNow, startOfDay, startOfHour, usageBuckets } from '../series.js';

const STATUS_LABELS = { active: 'Active', inactive: 'Inactive', expired: 'Expired' };
// The request stack, bottom first. Patterns and labels tell the outcomes apart without their colour.
const OUTCOME_SERIES = [
  { key: 'ok', label: '200 OK', tone: 'ok', pattern: 'solid' },
  { key: 'client', label: '4xx refused', tone: 'client', pattern: 'diagonal' },
  { key: 'limited', label: '429 rate limited', tone: 'limited', pattern: 'crosshatch' },
  { key: 'other', label: '5xx and other', tone: 'other', pattern: 'horizontal', hideWhenZero: true },
];
const HOURS = 24;
const DAYS = 30;

let generation = 0;
let cameFromList = false;

export function setUpKeyDetail() {
  byId('key-back').addEventListener('click', (event) => {
    event.preventDefault();
    goBack();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented || byId('view-key').hidden || byId('app').hidden) return;
    // Esc belongs to an open dialog, or to the drawer, first.
    if (document.querySelector('dialog[open]') || byId('sidebar').classList.contains('is-open')) return;
    event.preventDefault();
    goBack();
  });
}

/** Back to the list: the browser's Back when the list opened this page (so history does not grow), else to #/apis. */
function goBack() {
  if (cameFromList) history.back();
  else location.hash = '#/apis';
}

export function showKeyDetail({ from, id }) {
  cameFromList = from === 'apis';
  const mine = ++generation;
  clear();
  byId('key-title').textContent = 'API key';
  return load(id, mine);
}

export function resetKeyDetail() {
  generation += 1;
  cameFromList = false;
  clear();
}

function clear() {
  byId('key-sub').replaceChildren();
  byId('key-facts').replaceChildren();
  setMessage(byId('key-error'), '');
  for (const id of ['key-hours-chart', 'key-days-chart']) clearChart(byId(id));
  byId('key-hours-sub').textContent = 'The last 24 hours, by outcome.';
  byId('key-days-sub').textContent = 'The last 30 days.';
}

async function load(id, mine) {
  let record;
  try {
    record = await call('GET', `/v1/keys/${encodeURIComponent(id)}`);
  } catch (error) {
    if (mine !== generation || error.status === 401) return;
    setMessage(byId('key-error'), error.status === 404 ? `There is no key ${id}.` : `Could not load the key: ${error.detail}`);
    return;
  }
  if (mine !== generation) return;
  showRecord(record);

  // The windows end with the server's current hour and day, on its clock, which may be a fake one (serve
  // --fake-time): the hours are asked for without a range, so the API's default ends with the hour in progress
  // (30 days of them; the last 24 are drawn), and that hour gives the day.
  const path = `/v1/keys/${encodeURIComponent(id)}/usage`;
  let hours;
  let days;
  try {
    const recent = usageBuckets(await call('GET', withQuery(path, { granularity: 'hour' })));
    if (mine !== generation) return;
    const hoursTo = recent.length ? recent[recent.length - 1].end : startOfHour(serverNow(record.last_used_at)) + HOUR;
    const hoursFrom = hoursTo - HOURS * HOUR;
    hours = { domain: [hoursFrom, hoursTo], buckets: fillBuckets(recent, hoursFrom, hoursTo, HOUR) };
    const daysTo = startOfDay(hoursTo - 1) + DAY;
    const daysFrom = daysTo - DAYS * DAY;
    const answer = await call('GET', withQuery(path, { granularity: 'day', from: iso(daysFrom), to: iso(daysTo) }));
    days = { domain: [daysFrom, daysTo], buckets: fillBuckets(usageBuckets(answer), daysFrom, daysTo, DAY) };
  } catch (error) {
    if (mine !== generation || error.status === 401) return;
    const message = error.status === 404
      ? 'Usage per key is not available from this server (GET /v1/keys/{id}/usage answered 404).'
      : `Could not load the key's usage: ${error.detail}`;
    for (const host of ['key-hours-chart', 'key-days-chart']) byId(host).replaceChildren(h('p', { class: 'chart-empty', text: message }));
    return;
  }
  if (mine !== generation) return;
  drawHours(hours.buckets, hours.domain);
  drawDays(days.buckets, days.domain);
}

function showRecord(record) {
  byId('key-title').textContent = record.name;
  document.title = `${record.name} · API Keys · Theta One Console`;
  byId('key-sub').replaceChildren(
    h('code', { class: 'key-hint', text: record.hint }),
    h('span', { class: 'key-id', text: record.id }),
    h('span', { class: `badge badge-${record.status}`, text: STATUS_LABELS[record.status] ?? record.status }));
  const cidrs = record.allowed_cidrs ?? [];
  const facts = [
    ['Rate limit', `${record.rate_limit_rpm} requests / min`],
    ['Created', stamp(record.created_at)],
    ['Last used', stamp(record.last_used_at)],
    ['Expires', stamp(record.expires_at, { endOfDay: true })],
    ['Requests', `${count(record.requests_2xx ?? 0, 'accepted', 'accepted')} · ${count(record.requests_4xx ?? 0, 'refused', 'refused')}`],
    ['Allowed from', cidrs.length ? cidrs.join(', ') : 'Any address'],
  ];
  if (record.rolled_to) facts.push(['Rolled to', h('code', { class: 'key-ref', text: record.rolled_to })]);
  if (record.rolled_from) facts.push(['Rolled from', h('code', { class: 'key-ref', text: record.rolled_from })]);
  byId('key-facts').replaceChildren(...facts.map(([term, value]) => h('div', {}, h('dt', { text: term }), h('dd', {}, value))));
}

const hourSpan = (bucket) => `${formatDay(bucket.start)}, ${formatHour(bucket.start)}–${formatHour(bucket.end)} UTC`;

function drawHours(buckets, domain) {
  const totals = Object.fromEntries(OUTCOME_SERIES.map((s) => [s.key, buckets.reduce((sum, b) => sum + (b.values[s.key] ?? 0), 0)]));
  const all = Object.values(totals).reduce((a, b) => a + b, 0);
  const span = `${formatDay(domain[0])}, ${formatHour(domain[0])} – ${formatDay(domain[1])}, ${formatHour(domain[1])} UTC`;
  const parts = OUTCOME_SERIES.filter((s) => totals[s.key] || !s.hideWhenZero).map((s) => `${totals[s.key]} ${s.label}`);
  byId('key-hours-sub').textContent = `${span}, stacked by outcome: ${count(all, 'request')}.`;
  barChart(byId('key-hours-chart'), {
    label: 'Requests per hour',
    summary: all > 0 ? `Requests per hour, ${span}: ${count(all, 'request')} (${parts.join(', ')}).` : 'Requests per hour: no usage yet.',
    unit: 'requests', timeUnit: 'hour', domain, buckets, integer: true, format: (n) => n.toLocaleString(),
    series: OUTCOME_SERIES, bucketLabel: hourSpan, bucketHeading: 'Hour (UTC)', tableCaption: 'Requests per hour by outcome (UTC)',
    empty: 'No usage yet',
  });
}

function drawDays(buckets, domain) {
  const total = buckets.reduce((sum, b) => sum + Math.round((b.values.credits ?? 0) * 1e6), 0) / 1e6;
  const span = `${formatDay(domain[0])} – ${formatDay(domain[1] - 1)} (UTC)`;
  byId('key-days-sub').textContent = `${span}: ${credits(total)} credits in all.`;
  barChart(byId('key-days-chart'), {
    label: 'Credits per day',
    summary: total > 0 ? `Credits per day, ${span}: ${credits(total)} credits in all.` : 'Credits per day: no usage yet.',
    unit: 'credits', timeUnit: 'day', domain, buckets, format: credits,
    series: [{ key: 'credits', label: 'Credits spent', tone: 'spend', pattern: 'solid' }],
    bucketLabel: (bucket) => formatDay(bucket.start), bucketHeading: 'Day (UTC)', tableCaption: 'Credits per day (UTC)',
    empty: 'No usage yet',
  });
}
