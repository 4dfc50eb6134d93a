// Errors. None of them ever carries the admin token or a full API key.

/** The base class of every error this package throws (verify's failures are assert.AssertionError). */
export class ThetaConsoleError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No theta-console binary: not in THETA_CONSOLE_BIN, not bundled, not on PATH, no checkout to build. */
export class BinaryNotFoundError extends ThetaConsoleError {}

/** The server exited, or did not print its listening line in time. The message holds its stderr. */
export class ServerStartError extends ThetaConsoleError {
  constructor(message, { stderr = "", exitCode = null, signal = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.stderr = stderr;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** An admin (`/v1/…`) call answered with a status other than the route's success status. */
export class AdminAPIError extends ThetaConsoleError {
  constructor(method, path, status, detail) {
    super(`${method} ${path} answered ${status}: ${detail ?? "(no detail)"}`);
    this.method = method;
    this.path = path;
    this.status = status;
    this.detail = detail;
  }
}
