// The Audit screen: admin events, newest first (GET /v1/audit-events).
import { h } from '../dom.js';
import { stamp } from '../format.js';
import { PagedTable } from './table.js';

const ACTIONS = {
  'key.created': 'Key created',
  'key.deactivated': 'Key deleted',
  'key.rolled': 'Key rolled',
  'admin.auth_failed': 'Sign-in refused',
  'account.updated': 'Account changed',
};
const ACTORS = { api: 'Admin API', cli: 'CLI', console: 'Console' };

let table;

export function setUpAudit() {
  table = new PagedTable({
    prefix: 'audit', errorId: 'audit-error', path: '/v1/audit-events', row: auditRow, noun: 'event',
    what: 'the audit log', columns: 6, pageSize: 25,
  });
}

export const showAudit = () => table.reload();
export const resetAudit = () => table.clear();

function auditRow(event) {
  return h('tr', { dataset: { action: event.action } },
    h('th', { scope: 'row', class: 'cell-time', 'data-label': 'Time' }, stamp(event.time)),
    h('td', { class: 'cell-action', 'data-label': 'Action' }, h('div', {},
      h('span', { class: 'cell-main', text: ACTIONS[event.action] ?? event.action }),
      h('span', { class: 'action-code', text: event.action }))),
    h('td', { class: `cell-key${event.key_id ? '' : ' is-empty'}`, 'data-label': 'Key' },
      event.key_id ? h('span', { class: 'mono-sm', text: event.key_id }) : dash()),
    h('td', { class: 'cell-actor', 'data-label': 'Actor' }, ACTORS[event.actor] ?? event.actor),
    h('td', { class: 'cell-from', 'data-label': 'From' },
      event.remote_addr ? h('span', { class: 'mono-sm', text: event.remote_addr }) : dash()),
    h('td', { class: 'cell-detail', 'data-label': 'Detail' },
      event.detail ? h('span', { class: 'detail-text', text: event.detail }) : dash()),
  );
}

const dash = () => h('span', { class: 'muted', text: '—' });
