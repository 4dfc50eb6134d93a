// The Billing screen: plan, balance, Buy credits (plans that allow top-ups), the balance over time and
// the credits spent per day for this cycle and the one before, the credit lots, and the credit history
// (GET /v1/account, /v1/account/lots, /v1/account/ledger, /v1/account/usage; POST /v1/account/top-ups).
import { call, withQuery, APIError } from '../api.js';
import { byId, h, setMessage, whileBusy } from '../dom.js';
import { credits, dollars, signedCredits, stamp } from '../format.js';
import { barChart, clearChart, DAY, formatDay, formatMoment, lineChart } from '../charts.js';
import { balanceSeries, billingRange, endOfDay, iso, serverNow, startOfDay, usageBuckets } from '../series.js';
import { toast } from '../toast.js';
import { PagedTable } from './table.js';

const STT_PER_SECOND = 0.0004;
const KIND_LABELS = {
  grant: 'Grant', expire: 'Expired', top_up: 'Top-up', adjustment: 'Adjustment', charge: 'Usage', plan_change: 'Plan change',
};
const PLAN_NAMES = { free: 'Free', starter: 'Starter', pro: 'Pro', pro_plus: 'Pro+', enterprise: 'Enterprise' };
const LOT_KINDS = { monthly: 'Monthly credits', top_up: 'Top-up', adjustment: 'Adjustment' };
// The balance line marks what moves it other than usage.
const MARKERS = {
  grant: { label: 'Monthly grant', shape: 'up', tone: 'grant' },
  expire: { label: 'Expiry', shape: 'down', tone: 'expire' },
  top_up: { label: 'Top-up', shape: 'diamond', tone: 'top-up' },
  adjustment: { label: 'Adjustment', shape: 'square', tone: 'adjustment' },
};
// The balance line pages through the ledger back to the previous cycle's start, 100 entries a page,
// at most this many pages (then it starts at the oldest entry read, and says so).
const LEDGER_PAGES = 30;

let table;
let generation = 0;

export function setUpBilling() {
  table = new PagedTable({
    prefix: 'ledger', errorId: 'billing-error', path: '/v1/account/ledger', row: ledgerRow, noun: ['entry', 'entries'],
    what: 'the credit history', columns: 5,
  });
  byId('topup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    whileBusy(byId('topup-submit'), buyCredits);
  });
  byId('topup-amount').addEventListener('input', () => amountError(''));
}

export function showBilling() {
  return Promise.all([loadAccount(), table.reload()]);
}

export function resetBilling() {
  generation += 1;
  table.clear();
  for (const id of ['balance-value', 'plan-value', 'plan-rpm', 'plan-keys', 'plan-pronunciation']) byId(id).textContent = '–';
  byId('balance-foot').textContent = '';
  byId('billing-over-limit').hidden = true;
  byId('topup-card').hidden = true;
  byId('credits-grid').classList.remove('has-top-up');
  byId('topup-form').reset();
  amountError('');
  byId('lots-body').replaceChildren();
  byId('lots-empty').hidden = true;
  for (const id of ['balance-chart', 'spend-chart']) clearChart(byId(id));
  for (const id of ['balance-chart-sub', 'spend-chart-sub']) byId(id).textContent = '';
}

/** The account, then the lots and the charts, which need its cycle. */
async function loadAccount() {
  const mine = ++generation;
  let account;
  try {
    account = await call('GET', '/v1/account');
  } catch {
    return; // The ledger's load reports the error in the banner.
  }
  if (mine !== generation) return;
  showAccount(account);
  let lots;
  try {
    lots = (await call('GET', withQuery('/v1/account/lots', { limit: 100 }))).data;
  } catch (error) {
    if (mine === generation && error.status !== 401) showLotsError(error);
    return;
  }
  if (mine !== generation) return;
  showLots(lots);
  await loadCharts(account, lots, mine);
}

function showAccount(account) {
  const balance = Number(account.balance);
  const value = byId('balance-value');
  value.textContent = credits(balance);
  value.parentElement.classList.toggle('is-negative', balance <= 0);
  const foot = byId('balance-foot');
  foot.classList.toggle('is-warning', balance <= 0);
  foot.textContent = balance <= 0
    ? 'Out of credits: API calls get 402 Payment Required until the balance is raised.'
    : `≈ ${dollars(balance)} · about ${speechTime(balance)} of speech to text`;

  byId('plan-value').textContent = account.plan_name;
  byId('plan-rpm').textContent = account.rpm_cap == null ? 'Unlimited' : `${account.rpm_cap} requests / min per key`;
  byId('plan-keys').textContent = account.key_limit == null
    ? `${account.active_keys} active · no limit`
    : `${account.active_keys} of ${account.key_limit} active`;
  byId('plan-pronunciation').textContent = account.includes_pronunciation ? 'Included' : 'Not included';

  // A downgrade keeps every key working, but reports the keys past the new plan's limit.
  const over = byId('billing-over-limit');
  const excess = account.over_key_limit || 0;
  over.hidden = excess === 0;
  over.textContent = excess === 0 ? '' :
    `${account.active_keys} active keys, but ${account.plan_name} allows ${account.key_limit}: ` +
    `${excess} over the limit. They keep working; no new key can be created until ${excess === 1 ? 'one is' : `${excess} are`} deactivated.`;

  // Buy credits only where the plan allows it (Pro and above).
  byId('topup-card').hidden = !account.allows_top_ups;
  byId('credits-grid').classList.toggle('has-top-up', account.allows_top_ups);
}

/** How much transcription the balance buys, in words. */
function speechTime(balance) {
  const seconds = Math.floor(balance / STT_PER_SECOND + 1e-9);
  if (seconds < 120) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 180) return `${minutes} minutes`;
  return `${Math.floor(minutes / 60).toLocaleString()} hours`;
}

// MARK: - Buy credits

function amountError(message) {
  const input = byId('topup-amount');
  setMessage(byId('topup-amount-error'), message);
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** Sends the amount as typed (the API checks it exactly: at least 10, at most 6 decimals); its 422 or 402 shows under the field. */
async function buyCredits() {
  const input = byId('topup-amount');
  const amount = input.value.trim();
  if (!amount) {
    amountError('Enter an amount of credits, at least 10.');
    input.focus();
    return;
  }
  let account;
  try {
    account = await call('POST', '/v1/account/top-ups', { body: { amount } });
  } catch (error) {
    if (!(error instanceof APIError) || error.status === 401) return;
    amountError(error.status === 402 ? `${error.detail} Your plan cannot buy credits.` : error.detail);
    input.focus();
    return;
  }
  amountError('');
  toast(`${credits(amount)} credits added. They never expire.`);
  showAccount(account);
  await Promise.all([loadAccount(), table.reload()]);
}

// MARK: - Credit lots

function showLots(lots) {
  // What the balance is made of now: the lots with credits left that have not expired (the rest are in the history).
  const current = lots.filter((lot) => !lot.expired && Number(lot.remaining) > 0);
  byId('lots-body').replaceChildren(...current.map(lotRow));
  byId('lots-empty').hidden = current.length > 0;
  byId('lots-error').hidden = true;
}

function showLotsError(error) {
  setMessage(byId('lots-error'), `Could not load the credit lots: ${error.detail}`);
}

function lotRow(lot) {
  const name = lot.kind === 'monthly' && lot.cycle != null ? `${LOT_KINDS.monthly} · cycle ${lot.cycle}` : LOT_KINDS[lot.kind] ?? lot.kind;
  const spent = Number(lot.remaining) <= 0;
  return h('tr', { dataset: { lot: lot.id, kind: lot.kind } },
    h('th', { scope: 'row', class: 'cell-lot', 'data-label': 'Credits' },
      h('span', { class: 'cell-main', text: name }), h('span', { class: 'cell-sub', text: lot.id })),
    h('td', { class: 'cell-granted', 'data-label': 'Granted' }, stamp(lot.granted_at)),
    h('td', { class: 'cell-amount num', 'data-label': 'Amount' }, credits(lot.amount)),
    h('td', { class: `cell-left num${spent ? ' muted' : ''}`, 'data-label': 'Left' }, credits(lot.remaining)),
    h('td', { class: 'cell-expires', 'data-label': 'Expires' }, stamp(lot.expires_at)),
  );
}

// MARK: - Charts

/** Ledger entries newest first, back past `start` (one entry before it, for the balance there), or as far as allowed. */
async function ledgerSince(start) {
  const entries = [];
  let after;
  for (let page = 0; page < LEDGER_PAGES; page += 1) {
    const answer = await call('GET', withQuery('/v1/account/ledger', { limit: 100, after }));
    entries.push(...answer.data);
    const oldest = answer.data.at(-1);
    if (!answer.has_more || !answer.next_cursor) return { entries, complete: true };
    if (oldest && Date.parse(oldest.time) < start) return { entries, complete: true };
    after = answer.next_cursor;
  }
  return { entries, complete: false };
}

async function loadCharts(account, lots, mine) {
  const range = billingRange(account, lots);
  let ledger;
  let days;
  try {
    // The days run from the range's first to the server's today: the usage API's default end.
    [ledger, days] = await Promise.all([
      ledgerSince(range.start),
      call('GET', withQuery('/v1/account/usage', { granularity: 'day', from: iso(startOfDay(range.start)) })),
    ]);
  } catch (error) {
    if (mine !== generation || error.status === 401) return;
    for (const id of ['balance-chart', 'spend-chart']) {
      clearChart(byId(id));
      byId(id).append(h('p', { class: 'chart-empty', text: `Could not load the credit history: ${error.detail}` }));
    }
    return;
  }
  if (mine !== generation) return;
  const buckets = usageBuckets(days);
  // The server's clock may be a fake one: now is at least the newest time it wrote (its today, the newest
  // entry), and within this cycle.
  const now = Math.min(range.end, serverNow(account.cycle_start, ledger.entries[0]?.time, buckets.at(-1)?.start));
  const domain = [startOfDay(range.start), endOfDay(range.end)];
  const guides = [];
  if (range.previousStart != null && range.previousStart < range.currentStart) {
    guides.push({ t: range.previousStart, label: `Cycle ${account.cycle - 1}` });
  }
  guides.push({ t: range.currentStart, label: `Cycle ${account.cycle} (current)` });
  const span = `${formatDay(range.start)} – ${formatDay(range.end - 1)}`;
  const cycles = range.previousStart != null ? 'the previous cycle and this one' : 'this cycle';

  drawBalance(account, ledger, { range, now, domain, guides, span, cycles });
  drawSpend(buckets, { domain, guides, span, cycles });
}

function drawBalance(account, ledger, { range, now, domain, guides, span, cycles }) {
  const { points, lineStart } = balanceSeries(ledger.entries, { start: range.start, now, complete: ledger.complete });
  const events = points.filter((point) => point.entry && MARKERS[point.entry.kind])
    .map((point) => ({ t: point.t, value: point.value, kind: point.entry.kind, amount: point.entry.amount }));
  const stops = points.filter((point, index) => point.entry || index === 0).map((point) => stopFor(point, lineStart));
  const counts = Object.fromEntries(Object.keys(MARKERS).map((kind) => [kind, events.filter((e) => e.kind === kind).length]));
  const first = points[0].value;
  const last = points[points.length - 1].value;
  byId('balance-chart-sub').textContent = lineStart > range.start
    ? `Since ${formatMoment(lineStart)} UTC (the oldest of the ${ledger.entries.length.toLocaleString()} entries read), to now.`
    : `${cycles[0].toUpperCase()}${cycles.slice(1)}, ${span} (UTC). The balance after each change.`;
  lineChart(byId('balance-chart'), {
    label: 'Balance over time',
    summary: `Balance over time, ${span} (UTC): from ${credits(first)} to ${credits(last)} credits; `
      + `${plural(counts.grant, 'grant')}, ${plural(counts.expire, 'expiry', 'expiries')}, ${plural(counts.top_up, 'top-up')}.`,
    unit: 'credits', timeUnit: 'day', domain, guides, points, events, stops, markers: MARKERS, lineLabel: 'Balance',
    table: dailyBalances(points, events, { from: startOfDay(lineStart), to: startOfDay(now) + DAY }),
  });
}

function stopFor(point, lineStart) {
  if (!point.entry) return { t: point.t, value: point.value, title: `${formatMoment(lineStart)} UTC`, lines: [`Balance: ${credits(point.value)} credits`] };
  const { entry } = point;
  const what = entry.kind === 'charge'
    ? `Usage ${signedCredits(entry.amount)}${entry.endpoint ? ` (${entry.endpoint})` : ''}`
    : `${KIND_LABELS[entry.kind] ?? entry.kind} ${signedCredits(entry.amount)}`;
  return { t: point.t, value: point.value, title: `${formatMoment(point.t)} UTC`, lines: [what, `Balance: ${credits(point.value)} credits`] };
}

/** The table under the line: each UTC day's closing balance, and the grants, expiries and top-ups that day. */
function dailyBalances(points, events, { from, to }) {
  const rows = [];
  let index = 0;
  for (let day = from; day < to; day += DAY) {
    while (index + 1 < points.length && points[index + 1].t < day + DAY) index += 1;
    const that = events.filter((event) => event.t >= day && event.t < day + DAY)
      .map((event) => `${MARKERS[event.kind].label} ${signedCredits(event.amount)}`);
    rows.push([formatDay(day), credits(points[index].value), that.join(', ') || '—']);
  }
  return { caption: 'Balance at the end of each day (UTC)', head: ['Day (UTC)', 'Balance (credits)', 'Grants, expiries, top-ups'], rows };
}

function drawSpend(buckets, { domain, guides, span, cycles }) {
  const total = buckets.reduce((sum, bucket) => sum + Math.round(bucket.values.credits * 1e6), 0) / 1e6;
  const top = buckets.reduce((best, bucket) => (bucket.values.credits > best.values.credits ? bucket : best), buckets[0]);
  byId('spend-chart-sub').textContent = `${cycles[0].toUpperCase()}${cycles.slice(1)}, ${span} (UTC): ${credits(total)} credits in all.`;
  barChart(byId('spend-chart'), {
    label: 'Credits spent per day',
    summary: total > 0
      ? `Credits spent per day, ${span} (UTC): ${credits(total)} credits in all; the most on ${formatDay(top.start)}, ${credits(top.values.credits)} credits.`
      : 'Credits spent per day: no usage yet.',
    unit: 'credits', timeUnit: 'day', domain, guides, buckets, format: credits,
    series: [{ key: 'credits', label: 'Credits spent', tone: 'spend', pattern: 'solid' }],
    bucketLabel: (bucket) => formatDay(bucket.start), bucketHeading: 'Day (UTC)', tableCaption: 'Credits spent per day (UTC)',
    empty: 'No usage yet',
  });
}

function plural(n, singular, pluralForm = `${singular}s`) {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

// MARK: - Credit history

function ledgerRow(entry) {
  const amount = Number(entry.amount);
  return h('tr', { dataset: { kind: entry.kind } },
    h('th', { scope: 'row', class: 'cell-time', 'data-label': 'Time' }, stamp(entry.time)),
    h('td', { class: 'cell-type', 'data-label': 'Type' },
      h('span', { class: `badge badge-plain badge-${entry.kind}`, text: KIND_LABELS[entry.kind] ?? entry.kind })),
    h('td', { class: 'cell-details', 'data-label': 'Details' }, h('div', {}, details(entry))),
    h('td', { class: `cell-amount num ${amount > 0 ? 'amount-pos' : 'amount-neg'}`, 'data-label': 'Amount' },
      signedCredits(amount)),
    h('td', { class: 'cell-balance num', 'data-label': 'Balance after' }, credits(entry.balance_after)),
  );
}

function details(entry) {
  switch (entry.kind) {
    case 'charge': {
      const parts = [h('span', { class: 'cell-main' }, h('code', { text: entry.endpoint ?? 'request' }),
        entry.audio_seconds != null ? ` · ${entry.audio_seconds} s of audio` : '')];
      if (entry.key_id) parts.push(h('span', { class: 'cell-sub', text: entry.key_id }));
      return parts;
    }
    case 'plan_change':
      return [h('span', { class: 'cell-main', text: `Plan changed to ${PLAN_NAMES[entry.plan] ?? entry.plan}` }),
        entry.detail ? h('span', { class: 'detail-text', text: entry.detail }) : null];
    case 'grant':
      return h('span', { class: 'detail-text', text: capitalise(entry.detail ?? 'Plan credits') });
    default:
      return h('span', { class: 'detail-text', text: capitalise(entry.detail ?? 'Balance adjusted') });
  }
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
