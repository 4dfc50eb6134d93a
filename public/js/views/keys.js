// The APIs screen: the key list, Create New Key, the one-time key pop-up, Roll (a new key, the old one
// working for a grace period), Delete (deactivate), and the warning about keys that expire within 7 days.
//
// The full key (created or rolled) exists in this page only between the 201 and the pop-up's close: it is taken out of the
// response object, written into the pop-up's text, and read back from there by Copy. Closing the
// pop-up empties that text; no variable, storage or long-lived object ever holds it.
import { call, withQuery, APIError } from '../api.js';
import { byId, h, setMessage, whileBusy } from '../dom.js';
import { count, duration, endOfLocalDay, moment, stamp, timeLeft, todayLocal } from '../format.js';
import { iconSpan } from '../icons.js';
import { openModal } from '../dialogs.js';
import { toast } from '../toast.js';
import { PagedTable } from './table.js';

// The documented per-key maximum and the default; a server run with --max-key-rpm allows more,
// and says so in GET /v1/account (max_key_rate_limit_rpm).
const DEFAULT_RPM = 100;
const maxRpm = () => account?.max_key_rate_limit_rpm ?? DEFAULT_RPM;
const STATUS_LABELS = { active: 'Active', inactive: 'Inactive', expired: 'Expired' };
const FIELDS = ['name', 'expires_at', 'rate_limit_rpm', 'allowed_cidrs'];
// The API's limit on a key's allowlist; the row shows this many ranges before "+N more".
const MAX_CIDRS = 32;
const CIDRS_SHOWN = 2;
// Keys this close to expiry get a badge, and the banner counts them (the API's `expiring_within`).
const WARN_WITHIN = { query: '7d', seconds: 7 * 86400, words: '7 days' };

let account = null;
let status = '';
let table;
let pendingDelete = null;
let pendingRoll = null;
let expiringGeneration = 0;
// The key whose page was opened from the list last: its row gets the focus back.
let lastOpened = null;

const el = {};

export function setUpKeys() {
  for (const id of ['create-key', 'create-dialog', 'create-form', 'create-error', 'create-submit', 'key-name',
    'key-expires', 'key-rpm', 'key-cidrs', 'key-name-error', 'key-expires-error', 'key-rpm-error', 'key-rpm-hint',
    'key-cidrs-error', 'reveal-dialog', 'reveal-key', 'reveal-name', 'reveal-rolled', 'reveal-copy',
    'reveal-copy-status', 'confirm-dialog', 'confirm-name', 'confirm-hint', 'confirm-error', 'confirm-delete',
    'roll-dialog', 'roll-name', 'roll-hint', 'roll-grace-hint', 'roll-error', 'roll-submit', 'plan-usage',
    'keys-empty-title', 'keys-empty-text', 'keys-expiring']) {
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

  for (const radio of graceChoices()) radio.addEventListener('change', updateGraceHint);
  el['roll-submit'].addEventListener('click', () => whileBusy(el['roll-submit'], rollKey));
  el['roll-dialog'].addEventListener('close', () => {
    pendingRoll = null;
  });
}

/**
 * Loads the list. Back from a key's page (`from` 'key') with the list still there, it stays as it was (its
 * pages and its place), that key's row is brought up to date and gets the focus.
 */
export async function showKeys({ from, focus } = {}) {
  const back = from === 'key' ? lastOpened : null;
  const row = back ? keyRowById(back) : null;
  if (row) {
    if (focus) row.querySelector('.key-link')?.focus();
    refreshRow(back);
    refreshAccount();
    return refreshExpiring();
  }
  if (from === 'key' && focus) byId('apis-title').focus();
  await refreshAccount();
  return Promise.all([table.reload(), refreshExpiring()]);
}

/** Rewrites one row from the API (its last use, its status), keeping its place in the list. */
async function refreshRow(id) {
  let record;
  try {
    record = await call('GET', `/v1/keys/${encodeURIComponent(id)}`);
  } catch {
    return;
  }
  const tr = keyRowById(id);
  if (!tr) return;
  const hadFocus = tr.contains(document.activeElement) && document.activeElement.classList.contains('key-link');
  fillRow(tr, record);
  if (hadFocus) tr.querySelector('.key-link')?.focus();
}

export function resetKeys() {
  table.clear();
  account = null;
  status = '';
  document.querySelector('input[name="key-status"][value=""]').checked = true;
  updateEmptyText();
  el['plan-usage'].hidden = true;
  expiringGeneration += 1;
  lastOpened = null;
  showExpiring(0);
  forgetKey();
}

// MARK: - The list

function keyRow(record) {
  const tr = h('tr', { class: 'is-linked', dataset: { keyId: record.id } });
  fillRow(tr, record);
  // A click anywhere on the row opens the key's page, as its name's link does; not a click on a button or a
  // link, nor the end of selecting text to copy.
  tr.addEventListener('click', (event) => {
    if (!(event.target instanceof Element) || event.target.closest('a, button, input, label, summary')) return;
    if (!getSelection().isCollapsed && tr.contains(getSelection().anchorNode)) return;
    tr.querySelector('.key-link')?.click();
  });
  return tr;
}

function fillRow(tr, record) {
  const cap = account?.rpm_cap;
  const capped = cap != null && record.rate_limit_rpm > cap;
  // A key can be rolled once, while it works: its successor is the one to roll next.
  const rollButton = record.status === 'active' && !record.rolled_to
    ? h('button', {
      type: 'button', class: 'btn btn-quiet btn-sm', 'aria-label': `Roll key ${record.name}`,
      dataset: { action: 'roll' },
      onclick: (event) => confirmRoll(record, tr, event.currentTarget),
    }, iconSpan('roll'), 'Roll')
    : null;
  const deleteButton = record.status === 'active'
    ? h('button', {
      type: 'button', class: 'btn btn-quiet-danger btn-sm', 'aria-label': `Delete key ${record.name}`,
      dataset: { action: 'delete' },
      onclick: (event) => confirmDelete(record, tr, event.currentTarget),
    }, iconSpan('trash'), 'Delete')
    : null;
  tr.replaceChildren(
    h('th', { scope: 'row', 'data-label': 'Name' },
      h('a', {
        class: 'cell-main key-link', href: `#/keys/${encodeURIComponent(record.id)}`, text: record.name,
        onclick: () => {
          lastOpened = record.id;
        },
      }),
      h('span', { class: 'cell-sub', text: record.id })),
    h('td', { 'data-label': 'Key' }, h('div', { class: 'key-cell' },
      h('code', { class: 'key-hint', text: record.hint }), allowlist(record.allowed_cidrs ?? []))),
    h('td', { 'data-label': 'Status' }, h('div', { class: 'status-cell' }, statusBadge(record), rollNotes(record))),
    h('td', { 'data-label': 'Rate limit' }, h('div', {},
      h('span', { class: 'rpm', text: `${record.rate_limit_rpm} / min` }),
      capped ? h('span', { class: 'rpm-note', text: `capped at ${cap} (${account.plan_name})` }) : null)),
    h('td', { 'data-label': 'Created' }, stamp(record.created_at)),
    h('td', { 'data-label': 'Expires' }, expiryCell(record)),
    h('td', { 'data-label': 'Last used' }, stamp(record.last_used_at)),
    h('td', { class: 'actions', 'data-label': '' },
      rollButton || deleteButton ? h('div', { class: 'row-actions' }, rollButton, deleteButton) : null),
  );
  tr.dataset.status = record.status;
}

function statusBadge(record) {
  let title = null;
  if (record.status === 'inactive' && record.deactivated_at) {
    title = record.rolled_to && record.deactivated_at === record.grace_until
      ? `Stopped working ${record.deactivated_at} (UTC), after it was rolled`
      : `Deleted ${record.deactivated_at} (UTC)`;
  }
  if (record.status === 'expired' && record.expires_at) title = `Expired ${record.expires_at} (UTC)`;
  return h('span', { class: `badge badge-${record.status}`, title, text: STATUS_LABELS[record.status] ?? record.status });
}

/**
 * Where a key's roll chain goes, under its status: "Rolled from key_…" on a successor, "Rolled to key_…" on the
 * key it replaced, and "works until …" (the API's `grace_until`) while that one still works.
 */
function rollNotes(record) {
  const notes = [];
  if (record.rolled_to) {
    notes.push(h('span', { class: 'roll-note', dataset: { rolledTo: record.rolled_to } }, 'Rolled to ', keyRef(record.rolled_to)));
    if (record.status === 'active' && record.grace_until) {
      notes.push(h('span', { class: 'roll-note roll-grace' }, 'works until ', moment(record.grace_until)));
    }
  }
  if (record.rolled_from) {
    notes.push(h('span', { class: 'roll-note', dataset: { rolledFrom: record.rolled_from } }, 'Rolled from ', keyRef(record.rolled_from)));
  }
  return notes;
}

/**
 * Another key's id, shortened like a key hint ("key_H8f8…EtLv") to keep the Status column narrow; the full
 * id is in the title and is what a screen reader reads.
 */
function keyRef(id) {
  return h('code', { class: 'key-ref', title: id },
    h('span', { 'aria-hidden': 'true', text: id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id }),
    h('span', { class: 'visually-hidden', text: id }));
}

/**
 * The key's allowed address ranges, compact: "Any address" when there are none, else the first two and
 * "+N more", with the whole list in the title and for screen readers.
 */
function allowlist(cidrs) {
  if (cidrs.length === 0) {
    return h('span', { class: 'allowlist muted' }, h('span', { class: 'visually-hidden', text: 'Allowed from: ' }), 'Any address');
  }
  const shown = cidrs.slice(0, CIDRS_SHOWN);
  const rest = cidrs.length - shown.length;
  return h('span', { class: 'allowlist', title: `Allowed from: ${cidrs.join(', ')}` },
    h('span', { class: 'visually-hidden', text: `Allowed from ${count(cidrs.length, 'range')}: ${cidrs.join(', ')}` }),
    h('span', { 'aria-hidden': 'true' },
      shown.map((cidr) => h('code', { class: 'cidr', text: cidr })),
      rest > 0 ? h('span', { class: 'cidr-more', text: `+${rest} more` }) : null));
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
  return { name: el['key-name'], expires_at: el['key-expires'], rate_limit_rpm: el['key-rpm'], allowed_cidrs: el['key-cidrs'] }[field];
}

function fieldError(field, message) {
  const target = input(field);
  const slot = el[{
    name: 'key-name-error', expires_at: 'key-expires-error', rate_limit_rpm: 'key-rpm-error', allowed_cidrs: 'key-cidrs-error',
  }[field]];
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

  // One range per line or separated by commas; the API parses each one and names a bad one.
  const cidrs = el['key-cidrs'].value.split(/[\s,]+/).filter(Boolean);
  if (cidrs.length > MAX_CIDRS) errors.allowed_cidrs = `Enter at most ${MAX_CIDRS} ranges (there are ${cidrs.length}).`;
  return { errors, body: { name, expires_at: expiresAt, rate_limit_rpm: rpm, allowed_cidrs: cidrs } };
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
    showKey(name, created.key, { opener: el['create-key'] });
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
    // The API's detail names the field it is about ("rate_limit_rpm must be …", "allowed_cidrs[2]: …").
    const field = FIELDS.find((f) => error.detail.startsWith(`${f} `) || error.detail.startsWith(`${f}[`))
      ?? FIELDS.find((f) => error.detail.includes(f));
    if (field) {
      // "allowed_cidrs[1]: …" counts from 0 in the list sent, which is the ranges in the field in order.
      fieldError(field, error.detail.replace(/^allowed_cidrs\[(\d+)\]: /, (_, index) => `Range ${Number(index) + 1}: `));
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

/**
 * Opens the pop-up with a new key's secret (from a create or a roll). `opener` gets focus when it closes;
 * `rolled`, for a roll, says what happens to the old key.
 */
function showKey(name, secret, { opener, rolled = '' }) {
  for (const dialog of [el['create-dialog'], el['roll-dialog']]) {
    if (dialog.open) dialog.close('created');
  }
  el['reveal-name'].textContent = name;
  el['reveal-key'].textContent = secret;
  setMessage(el['reveal-rolled'], rolled);
  setMessage(el['reveal-copy-status'], '');
  el['reveal-copy-status'].hidden = false;
  byId('reveal-copy-label').textContent = 'Copy';
  openModal(el['reveal-dialog'], opener);
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
  setMessage(el['reveal-rolled'], '');
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
  const heading = tr?.querySelector('th');
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

// MARK: - Roll

const graceChoices = () => el['roll-dialog'].querySelectorAll('input[name="roll-grace"]');
const graceSeconds = () => Number(el['roll-dialog'].querySelector('input[name="roll-grace"]:checked').value);

function confirmRoll(record, tr, button) {
  pendingRoll = { id: record.id, name: record.name, hint: record.hint };
  el['roll-name'].textContent = `“${record.name}”`;
  el['roll-hint'].textContent = record.hint;
  setMessage(el['roll-error'], '');
  // An hour unless chosen otherwise: long enough to move a client over, and nothing stops at once by accident.
  el['roll-dialog'].querySelector('input[name="roll-grace"][value="3600"]').checked = true;
  updateGraceHint();
  // Focus returns to the Roll button, or to the row's name if the list was reloaded meanwhile (after a 409).
  openModal(el['roll-dialog'], () => (button.isConnected ? button : rowHeading(keyRowById(record.id) ?? tr)));
  // The one choice the dialog asks for has focus (Enter there does nothing; Esc cancels).
  el['roll-dialog'].querySelector('input[name="roll-grace"]:checked').focus();
}

function updateGraceHint() {
  const seconds = graceSeconds();
  el['roll-grace-hint'].textContent = seconds === 0
    ? 'At once: every request that sends the old key gets 401 Unauthorized.'
    : `The old key keeps working for ${duration(seconds)} after the roll, then gets 401 Unauthorized. Move your clients to the new key before then.`;
}

async function rollKey() {
  if (!pendingRoll) return;
  const { id, hint } = pendingRoll;
  const grace = graceSeconds();
  let created;
  try {
    created = await call('POST', `/v1/keys/${encodeURIComponent(id)}/roll`, { body: { grace_seconds: grace } });
  } catch (error) {
    if (error.status === 401) return;
    setMessage(el['roll-error'], `The key was not rolled: ${error.detail}`);
    // Deleted, rolled or expired elsewhere (409), or gone (404): show the list as it is now, behind the dialog.
    if (error.status === 409 || error.status === 404) {
      refreshAccount();
      table.reload();
      refreshExpiring();
    }
    return;
  }
  const { id: newId, name } = created;
  const rolled = grace === 0
    ? `The old key, ${hint}, has stopped working.`
    : `The old key, ${hint}, keeps working for ${duration(grace)}; then it gets 401 Unauthorized.`;
  // Focus goes to the new key's row when the pop-up closes (the list is reloaded meanwhile).
  showKey(name, created.key, {
    opener: () => rowHeading(keyRowById(newId)) ?? el['create-key'],
    rolled,
  });
  delete created.key;
  created = null;
  toast(`Key “${name}” rolled.`);
  await refreshAccount();
  await Promise.all([table.reload(), refreshExpiring()]);
  for (const key of [id, newId]) highlight(keyRowById(key));
}

function keyRowById(id) {
  return document.querySelector(`#keys-body tr[data-key-id="${CSS.escape(id)}"]`);
}
