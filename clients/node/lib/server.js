// Running one theta-console server: start on a free port, read the ready line, stop.

import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { inspect } from "node:util";

import { AdminClient } from "./admin.js";
import { findBinary } from "./binary.js";
import { ServerStartError, ThetaConsoleError } from "./errors.js";
import { VERSION } from "./version.js";

export const TOKEN_VARIABLE = "THETA_CONSOLE_ADMIN_TOKEN";
const READY_LINE = /^theta-console listening on (http:\/\/\S+)$/;
const HTTPS_LINE = /^theta-console listening on (https:\/\/\S+)$/;
const CA_LINE = /^theta-console certificate authority: (.+)$/;
const STDERR_LIMIT = 8 * 1024 * 1024; // keep the last 8 MiB of the server's log

const running = new Set(); // children to kill if this process exits with them still up
const temporaryDirs = new Set(); // `tls: true` folders to remove then, if stop() has not
let exitHandlerInstalled = false;

function installExitHandler() {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers must be synchronous: a kill is. SIGKILL, as there is no waiting for a clean
  // stop here, and the database is in memory, so nothing is lost.
  process.on("exit", () => {
    for (const child of running) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  });
}

const versions = new Map();

function binaryVersion(binary) {
  if (!versions.has(binary)) {
    versions.set(
      binary,
      new Promise((done) => {
        execFile(binary, ["--version"], { timeout: 30000 }, (error, stdout) => done(error ? null : stdout.trim()));
      }),
    );
  }
  return versions.get(binary);
}

/**
 * The `serve` arguments for `options` (never the admin token). `tlsDir`, the folder that
 * `startThetaConsole` settled on for its `tls` option, adds `--tls-self-signed DIR --tls-port 0`.
 */
export function serveArguments(options = {}, tlsDir = undefined) {
  const { plan, credits, fakeTime, recordRequests = 1000, allowReset = true, extraArgs = [] } = options;
  const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--db", ":memory:"];
  if (plan !== undefined) args.push("--plan", plan);
  if (credits !== undefined) args.push("--credits", String(credits));
  if (fakeTime !== undefined) args.push("--fake-time", fakeTime instanceof Date ? fakeTime.toISOString() : fakeTime);
  if (allowReset) args.push("--allow-reset");
  if (recordRequests > 0) args.push("--record-requests", String(recordRequests));
  if (tlsDir !== undefined) args.push("--tls-self-signed", tlsDir, "--tls-port", "0");
  return args.concat(extraArgs.map(String));
}

/**
 * The `tls` option: false/undefined (HTTP only), true (a new temporary folder, removed after
 * `stop()`) or `{ dir }` (a folder of yours; its CA is made once and reused by later servers).
 */
function checkTLS(tls) {
  if (tls === undefined || typeof tls === "boolean") return;
  if (typeof tls === "object" && tls !== null && typeof tls.dir === "string" && tls.dir !== "") {
    if (Object.keys(tls).every((name) => name === "dir")) return;
  }
  throw new TypeError("startThetaConsole: tls must be true, false or { dir: string }");
}

function tlsFolder(tls) {
  if (tls === undefined || tls === false) return { dir: undefined, temporary: false };
  if (tls === true) {
    const dir = mkdtempSync(join(tmpdir(), "theta-console-tls-"));
    temporaryDirs.add(dir);
    return { dir, temporary: true };
  }
  return { dir: resolvePath(tls.dir), temporary: false };
}

function removeFolder(dir) {
  temporaryDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

const OPTIONS = new Set([
  "binary",
  "plan",
  "credits",
  "fakeTime",
  "recordRequests",
  "allowReset",
  "extraArgs",
  "env",
  "startupTimeoutMs",
  "stopTimeoutMs",
  "tls",
]);

/**
 * A running theta-console: `baseURL`, `adminToken`, `admin`, `stop()`, `stderr()`; with the `tls`
 * option also `httpsURL` and `caFile` (null without it).
 * Made by `startThetaConsole`; the admin token is not shown by `util.inspect` or `JSON.stringify`.
 */
export class ThetaConsoleServer {
  #child;
  #token;
  #stderr;
  #stdout;
  #exited;
  #stopping = null;
  #stopTimeoutMs;
  #temporaryDir;

  constructor({ child, token, baseURL, httpsURL = null, caFile = null, temporaryDir, binary, args, stderr, stdout, exited,
    stopTimeoutMs }) {
    this.#child = child;
    this.#token = token;
    this.#stderr = stderr;
    this.#stdout = stdout;
    this.#exited = exited;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.#temporaryDir = temporaryDir;
    this.baseURL = baseURL;
    this.httpsURL = httpsURL;
    this.caFile = caFile;
    this.binary = binary;
    this.args = args;
    this.pid = child.pid;
    this.admin = new AdminClient(baseURL, token);
  }

  /** The admin token (random, made for this server). */
  get adminToken() {
    return this.#token;
  }

  /** `baseURL + path`. */
  url(path = "/") {
    return this.baseURL + path;
  }

  /** Everything the server wrote on stderr (its log) so far. */
  stderr() {
    return this.#stderr.text();
  }

  /** Everything it wrote on stdout (its listening line). */
  stdout() {
    return this.#stdout.join("");
  }

  /** Whether the process is still running. */
  get running() {
    return this.#exited.done === false;
  }

  /**
   * Stops the server: SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves with
   * `{ code, signal, killed }` once it has exited. Calling it again gives the same promise.
   */
  stop() {
    this.#stopping ??= (async () => {
      const child = this.#child;
      child.ref();
      child.stdout.ref?.();
      child.stderr.ref?.();
      let killed = false;
      if (!this.#exited.done) {
        child.kill("SIGTERM");
        let timer;
        const late = new Promise((done) => {
          timer = setTimeout(done, this.#stopTimeoutMs, "late");
        });
        if ((await Promise.race([this.#exited.promise, late])) === "late") {
          killed = true;
          child.kill("SIGKILL");
        }
        clearTimeout(timer);
      }
      const { code, signal } = await this.#exited.promise;
      if (this.#temporaryDir !== undefined) removeFolder(this.#temporaryDir);
      return { code, signal, killed };
    })();
    return this.#stopping;
  }

  toJSON() {
    const tls = this.httpsURL === null ? {} : { httpsURL: this.httpsURL, caFile: this.caFile };
    return { baseURL: this.baseURL, ...tls, pid: this.pid, binary: this.binary };
  }

  toString() {
    return `ThetaConsoleServer(${this.baseURL})`;
  }

  [inspect.custom]() {
    const tls = this.httpsURL === null ? "" : `, httpsURL: ${JSON.stringify(this.httpsURL)}`;
    return `ThetaConsoleServer { baseURL: ${JSON.stringify(this.baseURL)}${tls}, pid: ${this.pid} }`;
  }
}

class TailBuffer {
  #chunks = [];
  #size = 0;
  #dropped = 0;

  push(chunk) {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > STDERR_LIMIT && this.#chunks.length > 1) {
      const first = this.#chunks.shift();
      this.#size -= first.length;
      this.#dropped += first.length;
    }
  }

  text() {
    const text = Buffer.concat(this.#chunks).toString("utf8");
    return this.#dropped > 0 ? `[${this.#dropped} earlier bytes dropped]\n${text}` : text;
  }
}

/**
 * Starts theta-console on a free port with an in-memory database and a random admin token (handed
 * over in THETA_CONSOLE_ADMIN_TOKEN, never on the command line), and resolves once it prints
 * `theta-console listening on http://HOST:PORT`. It is killed when this process exits, if
 * `stop()` has not stopped it before. A failure to start rejects with a ServerStartError whose
 * message holds the server's stderr.
 *
 * With `tls` (true, or `{ dir }`) it also serves HTTPS (`--tls-self-signed DIR --tls-port 0`) and
 * resolves once it has printed the HTTPS and certificate authority lines too (within the same
 * `startupTimeoutMs`): `httpsURL` and `caFile` (the CA, for NODE_EXTRA_CA_CERTS or `https`'s `ca`).
 */
export async function startThetaConsole(options = {}) {
  for (const name of Object.keys(options)) {
    if (!OPTIONS.has(name)) throw new TypeError(`startThetaConsole: unknown option '${name}' (known: ${[...OPTIONS].join(", ")})`);
  }
  const { startupTimeoutMs = 30000, stopTimeoutMs = 10000, env } = options;
  checkTLS(options.tls);
  const binary = options.binary ?? (await findBinary());
  const version = await binaryVersion(binary);
  if (version !== null && version !== VERSION) {
    process.emitWarning(`${binary} is theta-console ${version}; this client is ${VERSION}`, {
      code: "THETA_CONSOLE_VERSION",
    });
  }
  const token = `node-admin-${randomBytes(24).toString("base64url")}`;
  const environment = { ...process.env, ...env, [TOKEN_VARIABLE]: token };

  installExitHandler();
  const tls = tlsFolder(options.tls);
  const args = serveArguments(options, tls.dir);
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], env: environment });
  const stderr = new TailBuffer();
  const stdout = [];
  running.add(child);
  const exited = { done: false };
  exited.promise = new Promise((done) => {
    const finish = (code, signal) => {
      exited.done = true;
      running.delete(child);
      done({ code, signal });
    };
    child.on("close", finish);
    // A binary that cannot be run at all has no pid, and may never report 'close'.
    child.on("error", () => child.pid === undefined && finish(null, null));
  });
  child.stderr.on("data", (chunk) => stderr.push(chunk));

  const described = `theta-console (${[binary, ...args].join(" ")})`;
  const listening = { baseURL: undefined, httpsURL: undefined, caFile: undefined };
  const awaited = () => {
    if (listening.baseURL === undefined) return "listening line";
    return listening.httpsURL === undefined ? "HTTPS listening line" : "certificate authority line";
  };
  const removeTemporary = () => tls.temporary && removeFolder(tls.dir);
  await new Promise((resolve, reject) => {
    let pending = "";
    let settled = false;
    const fail = async (reason, cause) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!exited.done) child.kill("SIGKILL");
      const { code, signal } = await exited.promise;
      removeTemporary();
      const log = stderr.text().trim();
      const status = reason ?? (signal ? `was killed by ${signal} before listening` : `exited with status ${code} before listening`);
      reject(
        new ServerStartError(`${described} ${status}` + (log ? `; its stderr:\n${log}` : "; it printed nothing on stderr"), {
          stderr: log,
          exitCode: code,
          signal,
          cause,
        }),
      );
    };
    const timer = setTimeout(() => fail(`did not print its ${awaited()} within ${startupTimeoutMs} ms`), startupTimeoutMs);
    child.on("error", (error) => fail(`could not be run: ${error.message}`, error));
    child.on("close", () => fail(null));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text) => {
      stdout.push(text);
      if (settled) return;
      pending += text;
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (listening.baseURL === undefined) {
          listening.baseURL = READY_LINE.exec(line)?.[1];
        } else if (tls.dir !== undefined && listening.httpsURL === undefined) {
          listening.httpsURL = HTTPS_LINE.exec(line)?.[1];
        } else if (tls.dir !== undefined && listening.caFile === undefined) {
          listening.caFile = CA_LINE.exec(line)?.[1];
        }
        if (listening.baseURL !== undefined && (tls.dir === undefined || listening.caFile !== undefined)) {
          settled = true;
          clearTimeout(timer);
          resolve();
          return;
        }
      }
    });
  });

  // Running now: the test process may exit without stop(), and must not be held open by it.
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();
  if (exited.done) {
    removeTemporary();
    throw new ThetaConsoleError(`${described} exited right after printing its listening line`);
  }
  const { baseURL, httpsURL = null, caFile = null } = listening;
  const temporaryDir = tls.temporary ? tls.dir : undefined;
  return new ThetaConsoleServer({
    child, token, baseURL, httpsURL, caFile, temporaryDir, binary, args, stderr, stdout, exited, stopTimeoutMs,
  });
}
