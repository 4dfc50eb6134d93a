// The APIs screen: the key list, Create New Key, the one-time key pop-up, Delete (deactivate), and the
// warning about keys that expire within 7 days.
//
// The full key exists in this page only between the 201 and the pop-up's close: it is taken out of the
// response object, written into the pop-up's text, and read back from there by Copy. Closing the
// pop-up empties that text; no variable, storage or long-lived object ever holds it.
import { call, withQuery, APIError } from '../api.js';
import { byId, h, setMessage, whileBusy } from '../dom.js';
import { count, endOfLocalDay, stamp, timeLeft, todayLocal } from '../format.js';
import { iconSpan } from '../icons.js';
import { openModal } from '../dialogs.js';
import { toast } from '../toast.js';
import { PagedTable } from './table.js';

// The documented per-key maximum and the default; a server run with --max-key-rpm allows more,
// and says so in GET /v1/account (max_key_rate_limit_rpm).
const DEFAULT_RPM = 100;
const maxRpm = () => account?.max_key_rate_limit_rpm ?? DEFAULT_RPM;
const STATUS_LABELS = { active: 'Active', inactive: 'Inactive', expired: 'Expired' };
const FIELDS = ['name', 'expires_at', 'rate_limit_rpm'];
// Keys this close to expiry get a badge, and the banner counts them (the API's `expiring_within`).
const WARN_WITHIN = { query: '7d', seconds: 7 * 86400, words: '7 days' };

let account = null;
let status = '';
let table;
let pendingDelete = null;
let expiringGeneration = 0;

const el = {};

export function setUpKeys() {
  for (const id of ['create-key', 'create-dialog', 'create-form', 'create-error', 'create-submit', 'key-name',
    'key-expires', 'key-rpm', 'key-name-error', 'key-expires-error', 'key-rpm-error', 'key-rpm-hint',
    'reveal-dialog', 'reveal-key', 'reveal-name', 'reveal-copy', 'reveal-copy-status', 'confirm-dialog',
    'confirm-name', 'confirm-hint', 'confirm-error', 'confirm-delete', 'plan-usage', 'keys-empty-title',
    'keys-empty-text', 'keys-expiring']) {
    el[id] = byId(id);
  }
  table = new PagedTable({
    prefix: 'keys', errorId: 'keys-error', path: '/v1/keys', row: keyRow, noun: 'key', what: 'API keys',
    columns: 8, query: () => ({ status }),
  });

  for (const radio of document.querySelectorAll('input[name="key-status"]')) {
    radio.addEventListener('change', () => {
      status = radio.value;
      updateEmptyText();
      table.reload();
    });
  }

  el['create-key'].addEventListener('click', openCreate);
  el['create-form'].addEventListener('submit', (event) => {
    event.preventDefault();
    submitCreate();
  });
  for (const field of FIELDS) {
    input(field).addEventListener('input', () => fieldError(field, ''));
  }

  el['reveal-copy'].addEventListener('click', copyKey);
  el['reveal-dialog'].addEventListener('close', forgetKey);
  // Done clears the key at once; the dialog's close event (which also clears it) is dispatched later.
  byId('reveal-done').addEventListener('click', forgetKey);

  el['confirm-delete'].addEventListener('click', () => whileBusy(el['confirm-delete'], deleteKey));
  el['confirm-dialog'].addEventListener('close', () => {
    pendingDelete = null;
  });
}

export async function showKeys() {
  await refreshAccount();
  return Promise.all([table.reload(), refreshExpiring()]);
}

export function resetKeys() {
  table.clear();
  account = null;
  status = '';
  document.querySelector('input[name="key-status"][value=""]').checked = true;
  updateEmptyText();
  el['plan-usage'].hidden = true;
  expiringGeneration += 1;
  showExpiring(0);
  forgetKey();
}

// MARK: - The list

function keyRow(record) {
  const tr = h('tr', { dataset: { keyId: record.id } });
  fillRow(tr, record);
  return tr;
}

function fillRow(tr, record) {
  const cap = account?.rpm_cap;
  const capped = cap != null && record.rate_limit_rpm > cap;
  const deleteButton = record.status === 'active'
    ? h('button', {
      type: 'button', class: 'btn btn-quiet-danger btn-sm', 'aria-label': `Delete key ${record.name}`,
      dataset: { action: 'delete' },
      onclick: (event) => confirmDelete(record, tr, event.currentTarget),
    }, iconSpan('trash'), 'Delete')
    : null;
  tr.replaceChildren(
    h('th', { scope: 'row', 'data-label': 'Name' },
      h('span', { class: 'cell-main', text: record.name }),
      h('span', { class: 'cell-sub', text: record.id })),
    h('td', { 'data-label': 'Key' }, h('code', { class: 'key-hint', text: record.hint })),
    h('td', { 'data-label': 'Status' }, statusBadge(record)),
    h('td', { 'data-label': 'Rate limit' }, h('div', {},
      h('span', { class: 'rpm', text: `${record.rate_limit_rpm} / min` }),
      capped ? h('span', { class: 'rpm-note', text: `capped at ${cap} (${account.plan_name})` }) : null)),
    h('td', { 'data-label': 'Created' }, stamp(record.created_at)),
    h('td', { 'data-label': 'Expires' }, expiryCell(record)),
    h('td', { 'data-label': 'Last used' }, stamp(record.last_used_at)),
    h('td', { class: 'actions', 'data-label': '' }, deleteButton),
  );
  tr.dataset.status = record.status;
}

function statusBadge(record) {
  let title = null;
  if (record.status === 'inactive' && record.deactivated_at) title = `Deleted ${record.deactivated_at} (UTC)`;
  if (record.status === 'expired' && record.expires_at) title = `Expired ${record.expires_at} (UTC)`;
  return h('span', { class: `badge badge-${record.status}`, title, text: STATUS_LABELS[record.status] ?? record.status });
}

/**
 * The expiry date, with a "3 days left" badge on an active key that expires within 7 days and has not
 * been rolled (its successor gets the badge): the keys `expiring_within` lists. The badge abbreviates
 * ("23 hrs left") to keep the table within 1280 px; a screen reader gets the words.
 */
function expiryCell(record) {
  const when = stamp(record.expires_at, { endOfDay: true });
  const left = record.expires_in_seconds;
  if (record.status !== 'active' || record.rolled_to || left == null || left > WARN_WITHIN.seconds) return when;
  const { short, long } = timeLeft(left);
  return h('div', { class: 'expiry' }, when,
    h('span', { class: 'badge badge-expiring' },
      h('span', { 'aria-hidden': 'true', text: `${short} left` }),
      h('span', { class: 'visually-hidden', text: `${long} left` })));
}

/**
 * The banner counts every active key the API says expires within 7 days, following its cursor past
 * the first page: not the rows on screen, which may be filtered or not loaded yet.
 */
async function refreshExpiring() {
  const generation = ++expiringGeneration;
  let total = 0;
  let after;
  try {
    do {
      const page = await call('GET', withQuery('/v1/keys', { expiring_within: WARN_WITHIN.query, limit: 100, after }));
      if (generation !== expiringGeneration) return;
      total += page.data.length;
      after = page.has_more ? page.next_cursor : null;
    } while (after);
  } catch {
    if (generation === expiringGeneration) showExpiring(0); // The list shows the error.
    return;
  }
  showExpiring(total);
}

function showExpiring(total) {
  const slot = el['keys-expiring'];
  if (total === 0) {
    slot.replaceChildren();
    return;
  }
  const verb = total === 1 ? 'expires' : 'expire';
  slot.replaceChildren(h('p', { class: 'banner banner-warning' }, iconSpan('alert'),
    h('span', {},
      h('strong', { text: `${count(total, 'key')} ${verb} within ${WARN_WITHIN.words}.` }),
      ` Create ${total === 1 ? 'a replacement' : 'replacements'} before ${total === 1 ? 'it stops' : 'they stop'} working.`)));
}

function updateEmptyText() {
  const filtered = status !== '';
  el['keys-empty-title'].textContent = filtered ? `No ${STATUS_LABELS[status].toLowerCase()} keys` : 'No API keys yet';
  el['keys-empty-text'].textContent = filtered
    ? 'Choose “All” to see every key.'
    : 'Create a key to start calling the Theta One API.';
}

async function refreshAccount() {
  try {
    account = await call('GET', '/v1/account');
  } catch {
    return; // The list shows the error; the plan line is a nicety.
  }
  const usage = el['plan-usage'];
  const limit = account.key_limit;
  const parts = [h('strong', { text: `${account.plan_name} plan` }), ' · '];
  if (limit == null) {
    parts.push(`${count(account.active_keys, 'active key')}, no limit`);
  } else {
    const share = Math.min(account.active_keys / limit, 1);
    const step = [0, 10, 20, 25, 30, 33, 40, 50, 60, 67, 70, 75, 80, 90, 100]
      .reduce((best, s) => (Math.abs(s - share * 100) < Math.abs(best - share * 100) ? s : best), 0);
    parts.push(`${account.active_keys} of ${count(limit, 'active key')} used `,
      h('span', { class: 'meter', 'aria-hidden': 'true' },
        h('span', { class: `meter-fill w-${step}${share >= 1 ? ' is-full' : ''}` })));
  }
  usage.replaceChildren(...parts);
  usage.hidden = false;
}

// MARK: - Create New Key

function input(field) {
  return { name: el['key-name'], expires_at: el['key-expires'], rate_limit_rpm: el['key-rpm'] }[field];
}

function fieldError(field, message) {
  const target = input(field);
  const slot = el[{ name: 'key-name-error', expires_at: 'key-expires-error', rate_limit_rpm: 'key-rpm-error' }[field]];
  setMessage(slot, message);
  if (message) target.setAttribute('aria-invalid', 'true');
  else target.removeAttribute('aria-invalid');
}

function openCreate() {
  el['create-form'].reset();
  for (const field of FIELDS) fieldError(field, '');
  setMessage(el['create-error'], '');
  el['key-expires'].min = todayLocal();
  el['key-rpm'].value = String(Math.min(DEFAULT_RPM, maxRpm()));
  updateRateHint();
  openModal(el['create-dialog'], el['create-key']);
  el['key-name'].focus();
  // The plan may have changed elsewhere (CLI, API) since the list was loaded.
  refreshAccount().then(updateRateHint);
}

function updateRateHint() {
  const cap = account?.rpm_cap;
  const max = maxRpm();
  el['key-rpm'].max = String(max);
  el['key-rpm-hint'].textContent = cap != null && cap < max
    ? `Requests per minute, from 1 to ${max}. Your ${account.plan_name} plan serves at most ${cap} per key.`
    : `Requests per minute, from 1 to ${max}.`;
}

/** The form's values, or the first problem per field; the server checks again and has the last word. */
function readForm() {
  const errors = {};
  const name = el['key-name'].value.trim();
  if (!name) errors.name = 'Enter a name for the key.';
  else if ([...name].length > 100) errors.name = 'Use at most 100 characters.';

  const expires = el['key-expires'];
  let expiresAt;
  if (expires.validity.badInput) {
    errors.expires_at = 'Enter a complete date, or leave the field empty.';
  } else if (expires.value) {
    if (expires.value < todayLocal()) errors.expires_at = 'Choose today or a later date: a key cannot expire in the past.';
    else expiresAt = endOfLocalDay(expires.value);
  }

  const rpmText = el['key-rpm'].value.trim();
  const rpm = Number(rpmText);
  if (el['key-rpm'].validity.badInput || rpmText === '' || !Number.isInteger(rpm) || rpm < 1 || rpm > maxRpm()) {
    errors.rate_limit_rpm = `Enter a whole number from 1 to ${maxRpm()}.`;
  }
  return { errors, body: { name, expires_at: expiresAt, rate_limit_rpm: rpm } };
}

async function submitCreate() {
  setMessage(el['create-error'], '');
  const { errors, body } = readForm();
  for (const field of FIELDS) fieldError(field, errors[field] ?? '');
  const firstBad = FIELDS.find((field) => errors[field]);
  if (firstBad) {
    input(firstBad).focus();
    return;
  }
  await whileBusy(el['create-submit'], async () => {
    let created;
    try {
      created = await call('POST', '/v1/keys', { body });
    } catch (error) {
      showCreateError(error);
      return;
    }
    const { id, name } = created;
    showKey(name, created.key);
    delete created.key;
    created = null;
    toast(`Key “${name}” created.`);
    await refreshAccount();
    await Promise.all([table.reload(), refreshExpiring()]);
    highlight(document.querySelector(`#keys-body tr[data-key-id="${CSS.escape(id)}"]`));
  });
}

function showCreateError(error) {
  if (!(error instanceof APIError)) throw error;
  if (error.status === 422) {
    // The API's detail names the field it is about ("rate_limit_rpm must be …").
    const field = FIELDS.find((f) => error.detail.startsWith(`${f} `)) ?? FIELDS.find((f) => error.detail.includes(f));
    if (field) {
      fieldError(field, error.detail);
      input(field).focus();
      return;
    }
  }
  let message = error.detail;
  if (error.status === 403) {
    message = `You cannot create another key: ${error.detail}.`;
  }
  setMessage(el['create-error'], message);
}

// MARK: - The one-time pop-up

function showKey(name, secret) {
  el['create-dialog'].close('created');
  el['reveal-name'].textContent = name;
  el['reveal-key'].textContent = secret;
  setMessage(el['reveal-copy-status'], '');
  el['reveal-copy-status'].hidden = false;
  byId('reveal-copy-label').textContent = 'Copy';
  openModal(el['reveal-dialog'], el['create-key']);
  el['reveal-copy'].focus();
}

async function copyKey() {
  const status = el['reveal-copy-status'];
  try {
    await navigator.clipboard.writeText(el['reveal-key'].textContent);
    status.textContent = 'Copied to the clipboard.';
    byId('reveal-copy-label').textContent = 'Copied';
  } catch {
    // No clipboard access (permissions, an insecure origin): select the key for Ctrl+C / ⌘C.
    const range = document.createRange();
    range.selectNodeContents(el['reveal-key']);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    status.textContent = 'The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
  }
}

function forgetKey() {
  const selection = getSelection();
  if (selection && el['reveal-dialog'].contains(selection.anchorNode)) selection.removeAllRanges();
  el['reveal-key'].textContent = '';
  el['reveal-name'].textContent = '';
  el['reveal-copy-status'].textContent = '';
}

// MARK: - Delete

function confirmDelete(record, tr, button) {
  pendingDelete = { id: record.id, tr };
  el['confirm-name'].textContent = `“${record.name}”`;
  el['confirm-hint'].textContent = record.hint;
  setMessage(el['confirm-error'], '');
  // Focus goes back to the row's name afterwards if the button is gone (it is, once the key is inactive).
  openModal(el['confirm-dialog'], () => (button.isConnected ? button : rowHeading(tr)));
}

/** A brief tint on a row that just changed. */
function highlight(tr) {
  if (!tr) return;
  tr.classList.remove('is-new');
  void tr.offsetWidth; // restart the animation
  tr.classList.add('is-new');
}

function rowHeading(tr) {
  const heading = tr.querySelector('th');
  if (!heading) return null;
  heading.tabIndex = -1;
  return heading;
}

async function deleteKey() {
  if (!pendingDelete) return;
  const { id, tr } = pendingDelete;
  try {
    const record = await call('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
    fillRow(tr, record);
    highlight(tr);
    el['confirm-dialog'].close('deleted');
    toast(`Key “${record.name}” deleted. It stopped working and is now inactive.`);
    refreshAccount();
    refreshExpiring();
  } catch (error) {
    if (error.status === 401) return;
    setMessage(el['confirm-error'], `The key was not deleted: ${error.detail}`);
  }
}
