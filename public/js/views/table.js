// A paged table: first page on show, "Load more" follows the API's next_cursor, stale answers dropped.
import { call, withQuery } from '../api.js';
import { h, setMessage, whileBusy } from '../dom.js';
import { iconSpan } from '../icons.js';
import { count } from '../format.js';

export class PagedTable {
  /**
   * `prefix`: of the element ids (`-body`, `-empty`, `-more`, `-count`); `errorId`: the error banner;
   * `path`: the list endpoint; `row(item)`: its <tr>; `noun`: for "Showing 3 keys"; `what`: for
   * "Could not load …"; `query()`: extra parameters; `columns`: the loading row's colspan.
   */
  constructor({ prefix, errorId, path, row, noun, query = () => ({}), columns, pageSize = 20, what }) {
    this.path = path;
    this.row = row;
    this.noun = noun;
    this.query = query;
    this.columns = columns;
    this.pageSize = pageSize;
    this.what = what;
    this.body = document.getElementById(`${prefix}-body`);
    this.empty = document.getElementById(`${prefix}-empty`);
    this.more = document.getElementById(`${prefix}-more`);
    this.counter = document.getElementById(`${prefix}-count`);
    this.error = document.getElementById(errorId);
    this.generation = 0;
    this.cursor = null;
    this.shown = 0;
    this.hasMore = false;
    this.more.addEventListener('click', () => whileBusy(this.more, () => this.load({ append: true })));
  }

  /** Loads the first page again. */
  reload() {
    return this.load({ append: false });
  }

  /** Forgets everything shown (on sign-out). */
  clear() {
    this.generation += 1;
    this.body.replaceChildren();
    this.empty.hidden = true;
    this.more.hidden = true;
    this.counter.textContent = '';
    setMessage(this.error, '');
    this.cursor = null;
    this.shown = 0;
  }

  async load({ append }) {
    const generation = append ? this.generation : ++this.generation;
    if (!append) {
      if (!this.body.firstChild) {
        this.body.replaceChildren(h('tr', { class: 'loading-row' }, h('td', { colspan: this.columns, text: 'Loading…' })));
      }
      this.body.setAttribute('aria-busy', 'true');
    }
    try {
      const after = append ? this.cursor : undefined;
      const page = await call('GET', withQuery(this.path, { ...this.query(), limit: this.pageSize, after }));
      if (generation !== this.generation) return;
      if (!append) {
        this.body.replaceChildren();
        this.shown = 0;
      }
      for (const item of page.data) this.body.append(this.row(item));
      this.shown += page.data.length;
      this.cursor = page.next_cursor;
      this.hasMore = Boolean(page.has_more && page.next_cursor);
      this.more.hidden = !this.hasMore;
      this.empty.hidden = this.shown > 0;
      if (this.shown === 0) this.counter.textContent = '';
      else if (this.hasMore) this.counter.textContent = `Showing the latest ${count(this.shown, ...[this.noun].flat())}`;
      else this.counter.textContent = `${count(this.shown, ...[this.noun].flat())} in all`;
      this.hideError();
    } catch (error) {
      if (generation !== this.generation) return;
      if (!append) {
        this.body.replaceChildren();
        this.more.hidden = true;
        this.counter.textContent = '';
      }
      if (error.status !== 401) this.showError(`Could not load ${this.what}: ${error.detail}`);
    } finally {
      if (generation === this.generation) this.body.removeAttribute('aria-busy');
    }
  }

  showError(message) {
    const retry = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', onclick: () => this.reload() },
      iconSpan('retry'), 'Retry');
    this.error.replaceChildren(iconSpan('alert'), h('span', { text: message }), retry);
    this.error.hidden = false;
  }

  hideError() {
    this.error.replaceChildren();
    this.error.hidden = true;
  }
}
