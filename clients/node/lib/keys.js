// Keys as the admin API returns them, with the secret kept out of every printed form.

import { inspect } from "node:util";

const PREFIX = "sk-theta-";

/**
 * The key's hint, as the API shows it: `sk-theta-`, 4 characters, `…`, the last 4.
 * Anything else becomes `…`, so a masked value never shows more than the hint would.
 */
export function maskSecret(secret) {
  const text = String(secret);
  if (text.startsWith(PREFIX) && text.length > PREFIX.length + 8) {
    return `${PREFIX}${text.slice(PREFIX.length, PREFIX.length + 4)}\u2026${text.slice(-4)}`;
  }
  return "\u2026";
}

/**
 * A key just created or rolled: its record (every field of the answer but `key`, as own
 * properties) and its secret, which only `key.secret` and `key.headers` give.
 *
 * `util.inspect`, `console.log`, `JSON.stringify`, `String(key)`, template literals, spreading and
 * `structuredClone` show the record and the hint, never the secret, so a failing assertion or a
 * log line cannot print a working key. (Python's `CreatedKey` does the same with its masked
 * `Secret`; a JavaScript string cannot mask itself, so the secret is a private field here.)
 */
export class CreatedKey {
  #secret;

  constructor(record, secret) {
    if (typeof secret !== "string" || secret === "") {
      throw new TypeError("CreatedKey needs the key's secret");
    }
    for (const [field, value] of Object.entries(record)) {
      if (field !== "key") this[field] = value;
    }
    if (typeof this.id !== "string") throw new TypeError("CreatedKey needs a record with an id");
    if (typeof this.hint !== "string") this.hint = maskSecret(secret);
    this.#secret = secret;
    Object.freeze(this);
  }

  /** The full secret, `sk-theta-…`: send it as `x-api-key`. Never log it. */
  get secret() {
    return this.#secret;
  }

  /** `{ "x-api-key": secret }`, ready for `fetch(url, { headers: key.headers })`. */
  get headers() {
    return { "x-api-key": this.#secret };
  }

  /** The record without the secret (a plain object). */
  get record() {
    return { ...this };
  }

  toJSON() {
    return { ...this };
  }

  toString() {
    return `CreatedKey(id=${this.id}, hint=${this.hint})`;
  }

  [inspect.custom](depth, options, inspectFn = inspect) {
    if (depth < 0) return options.stylize(`[CreatedKey ${this.id}]`, "special");
    return `CreatedKey ${inspectFn({ ...this }, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
  }
}
