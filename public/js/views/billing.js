// The Billing screen: plan, balance, and the credit history (GET /v1/account, /v1/account/ledger).
import { call } from '../api.js';
import { byId, h } from '../dom.js';
import { credits, dollars, signedCredits, stamp } from '../format.js';
import { PagedTable } from './table.js';

const STT_PER_SECOND = 0.0004;
const KIND_LABELS = { grant: 'Grant', adjustment: 'Adjustment', charge: 'Usage', plan_change: 'Plan change' };
const PLAN_NAMES = { free: 'Free', starter: 'Starter', pro: 'Pro', pro_plus: 'Pro+', enterprise: 'Enterprise' };

let table;

export function setUpBilling() {
  table = new PagedTable({
    prefix: 'ledger', errorId: 'billing-error', path: '/v1/account/ledger', row: ledgerRow, noun: ['entry', 'entries'],
    what: 'the credit history', columns: 5,
  });
}

export function showBilling() {
  return Promise.all([loadAccount(), table.reload()]);
}

export function resetBilling() {
  table.clear();
  for (const id of ['balance-value', 'plan-value', 'plan-rpm', 'plan-keys', 'plan-pronunciation']) byId(id).textContent = '–';
  byId('balance-foot').textContent = '';
  byId('billing-over-limit').hidden = true;
}

async function loadAccount() {
  let account;
  try {
    account = await call('GET', '/v1/account');
  } catch {
    return; // The ledger's load reports the error in the banner.
  }
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
}

/** How much transcription the balance buys, in words. */
function speechTime(balance) {
  const seconds = Math.floor(balance / STT_PER_SECOND + 1e-9);
  if (seconds < 120) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 180) return `${minutes} minutes`;
  return `${Math.floor(minutes / 60).toLocaleString()} hours`;
}

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
