// The admin API client. The token is read from this tab's sessionStorage on each call and sent only
// in the Authorization header: never in a URL, never in a cookie, never logged.

const TOKEN_SLOT = 'theta-console.admin-token';

/** The admin token for this tab. */
export const session = {
  token: () => sessionStorage.getItem(TOKEN_SLOT),
  signIn: (token) => sessionStorage.setItem(TOKEN_SLOT, token),
  clear: () => sessionStorage.removeItem(TOKEN_SLOT),
};

/** A refused or failed call: `status` 0 means the server could not be reached. */
export class APIError extends Error {
  constructor(status, detail) {
    super(detail);
    this.name = 'APIError';
    this.status = status;
    this.detail = detail;
  }
}

let onUnauthorized = () => {};

/** Called when a signed-in call gets 401: the token was rotated or is otherwise no longer valid. */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/**
 * Calls the admin API and returns the parsed JSON body. `token` is for checking a token before it is
 * stored (sign-in); otherwise the stored one is used. Throws APIError with the API's `detail`.
 */
export async function call(method, path, { body, token } = {}) {
  const bearer = token ?? session.token();
  if (!bearer) throw new APIError(401, 'not signed in');
  const headers = { Accept: 'application/json', Authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new APIError(0, 'The console cannot reach theta-console. Check that the server is still running.');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const detail = typeof data?.detail === 'string' ? data.detail : `The server answered ${response.status}.`;
    if (response.status === 401 && token === undefined) onUnauthorized();
    throw new APIError(response.status, detail);
  }
  return data;
}

/** `path?query` with empty values left out. */
export function withQuery(path, query) {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') parameters.set(key, String(value));
  }
  const text = parameters.toString();
  return text ? `${path}?${text}` : path;
}
