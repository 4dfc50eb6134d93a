// Shared by the tests in ../test (kept outside that folder: `node --test` runs every .js file in
// a folder named test). The server is found as users find it: THETA_CONSOLE_BIN in CI.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPOSITORY = dirname(dirname(PACKAGE_DIR));
export const INDEX_URL = new URL("../index.js", import.meta.url).href;

/** The app's upload: POST `path` with `wav` as the multipart `file` part. */
export async function postAudio(baseURL, path, { apiKey, wav, filename = "audio.wav", fields = {} }) {
  const form = new FormData();
  form.append("file", new Blob([wav], { type: "audio/wav" }), filename);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const headers = apiKey === undefined ? {} : { "x-api-key": apiKey };
  const response = await fetch(baseURL + path, { method: "POST", headers, body: form });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body };
}

/** Runs an ES module script with node; resolves with `{ code, stdout, stderr }` (never rejects). */
export function runNode(script, { env, timeoutMs = 30000, cwd } = {}) {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { env, cwd, timeout: timeoutMs },
      (error, stdout, stderr) => done({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
    );
  });
}

/** Whether process `pid` is gone (or only a zombie waiting to be reaped). */
export function processGone(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code === "ESRCH") return true;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(condition, { timeoutMs = 10000, what = "the condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function readRepositoryFile(...parts) {
  return readFileSync(join(REPOSITORY, ...parts), "utf8");
}
