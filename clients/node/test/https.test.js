// HTTPS: startThetaConsole({ tls }) serves TLS beside HTTP with a local CA. fetch trusts it only
// through NODE_EXTRA_CA_CERTS (read at start-up, so in a child node), node:https through `ca`.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";

import { startThetaConsole } from "../index.js";
import { INDEX_URL, runNode } from "../test-support/support.js";

const KEY_FILES = ["ca-key.pem", "server-key.pem"];
const UNTRUSTED = /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|DEPTH_ZERO_SELF_SIGNED_CERT)$/;

/** The app under test, in its own node: GET /healthz, then upload a WAV to /transcribe. */
const APP = `
import { makeWav } from ${JSON.stringify(INDEX_URL)};
const base = process.env.APP_BASE_URL;
try {
  const health = await fetch(base + "/healthz");
  const form = new FormData();
  form.append("file", new Blob([makeWav(1)], { type: "audio/wav" }), "audio.wav");
  const response = await fetch(base + "/transcribe", { method: "POST", headers: { "x-api-key": process.env.APP_API_KEY }, body: form });
  const body = await response.json();
  console.log(JSON.stringify({ health: health.status, transcribe: response.status, text: body.text }));
} catch (error) {
  console.log(JSON.stringify({ error: error.name, code: error.cause?.code ?? null }));
}
`;

/** The environment for the app: this one's, minus any CA setting, plus `extra`. */
function appEnvironment(extra) {
  const environment = { ...process.env, ...extra };
  if (!("NODE_EXTRA_CA_CERTS" in extra)) delete environment.NODE_EXTRA_CA_CERTS;
  return environment;
}

async function runApp(extra) {
  const { code, stdout, stderr } = await runNode(APP, { env: appEnvironment(extra) });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

/** One request with node:https; resolves `{ status, body }`, rejects with the TLS error. */
function httpsRequest(url, { ca, method = "GET", headers = {}, body, servername } = {}) {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers, ca, servername, agent: false, timeout: 10000 }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** The base64 lines of a PEM file: what would show if it leaked into a log. */
function pemBody(path) {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line && !line.startsWith("-----"))
    .join("");
}

describe("a server started with tls: true", () => {
  let server;
  let key;
  before(async () => {
    server = await startThetaConsole({ tls: true, plan: "pro" }); // pro: room for a second key
    key = await server.admin.createKey("https app");
  });
  after(() => server?.stop());

  test("listens on HTTP and HTTPS, and prints the CA it made", () => {
    assert.match(server.httpsURL, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(server.httpsURL).port, new URL(server.baseURL).port);
    assert.notEqual(new URL(server.httpsURL).port, "0");
    assert.match(readFileSync(server.caFile, "utf8"), /^-----BEGIN CERTIFICATE-----/);
    assert.equal(
      server.stdout(),
      `theta-console listening on ${server.baseURL}\n` +
        `theta-console listening on ${server.httpsURL}\n` +
        `theta-console certificate authority: ${server.caFile}\n`,
    );
    const at = server.args.indexOf("--tls-self-signed");
    assert.deepEqual(server.args.slice(at, at + 4), ["--tls-self-signed", dirname(server.caFile), "--tls-port", "0"]);
    assert.deepEqual(server.toJSON(), { baseURL: server.baseURL, httpsURL: server.httpsURL, caFile: server.caFile, pid: server.pid, binary: server.binary });
  });

  test("an app's fetch with NODE_EXTRA_CA_CERTS reaches /healthz and /transcribe over HTTPS", async () => {
    const since = await server.admin.mark();

    const result = await runApp({ NODE_EXTRA_CA_CERTS: server.caFile, APP_BASE_URL: server.httpsURL, APP_API_KEY: key.secret });

    assert.deepEqual(result, { health: 200, transcribe: 200, text: "Welcome to Theta One AI!" });
    await server.admin.verify({ endpoint: "/transcribe", key, status: 200, times: 1, since });
  });

  test("without NODE_EXTRA_CA_CERTS the app's fetch fails on the certificate, and nothing reaches /transcribe", async () => {
    const since = await server.admin.mark();

    const result = await runApp({ APP_BASE_URL: server.httpsURL, APP_API_KEY: key.secret });

    assert.equal(result.error, "TypeError");
    assert.match(String(result.code), UNTRUSTED);
    assert.equal(await server.admin.countRequests({ since }), 0);
  });

  test("node:https with { ca } reaches it in-process, by 127.0.0.1 and by localhost; without it, it refuses", async () => {
    const ca = readFileSync(server.caFile);
    const port = new URL(server.httpsURL).port;

    assert.equal((await httpsRequest(`${server.httpsURL}/healthz`, { ca })).status, 200);
    assert.equal((await httpsRequest(`https://localhost:${port}/healthz`, { ca })).status, 200);
    await assert.rejects(httpsRequest(`${server.httpsURL}/healthz`), (error) => UNTRUSTED.test(error.code));
  });

  test("the admin API answers over HTTPS too", async () => {
    const body = JSON.stringify({ name: "made over https" });
    const created = await httpsRequest(`${server.httpsURL}/v1/keys`, {
      ca: readFileSync(server.caFile),
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      body,
    });

    assert.equal(created.status, 201, created.body);
    const record = JSON.parse(created.body);
    assert.equal(record.name, "made over https");
    assert.ok((await server.admin.listKeys()).data.some((listed) => listed.id === record.id));
  });

  test("the keys are mode 0600, and neither they nor the API key appear in the server's stderr", () => {
    const log = server.stderr();
    assert.match(log, /serving/);
    for (const name of KEY_FILES) {
      const path = join(dirname(server.caFile), name);
      assert.equal(statSync(path).mode & 0o777, 0o600, name);
      assert.ok(!log.includes(pemBody(path)), `${name} is in the log`);
    }
    assert.ok(!log.includes(key.secret), "the API key is in the server's stderr");
  });
});

describe("tls: { dir }", () => {
  let dir;
  before(() => {
    dir = join(mkdtempSync(join(tmpdir(), "theta-node-https-")), "certs");
  });
  after(() => rmSync(dirname(dir), { recursive: true, force: true }));

  test("a second server on the same folder reuses the CA, and the old CA still verifies it", async () => {
    const first = await startThetaConsole({ tls: { dir } });
    let firstFiles;
    try {
      assert.equal(first.caFile, join(dir, "ca.pem"));
      firstFiles = Object.fromEntries(["ca.pem", "server.pem", ...KEY_FILES].map((name) => [name, readFileSync(join(dir, name))]));
    } finally {
      await first.stop();
    }
    assert.ok(existsSync(first.caFile), "stop() removed a folder it did not make");

    const second = await startThetaConsole({ tls: { dir } });
    try {
      assert.equal(second.caFile, first.caFile);
      for (const [name, bytes] of Object.entries(firstFiles)) assert.ok(readFileSync(join(dir, name)).equals(bytes), `${name} changed`);
      assert.equal((await httpsRequest(`${second.httpsURL}/healthz`, { ca: firstFiles["ca.pem"] })).status, 200);
      for (const name of KEY_FILES) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
    } finally {
      await second.stop();
    }
  });
});

test("stop() removes the folder that tls: true made", async () => {
  const server = await startThetaConsole({ tls: true });
  const folder = dirname(server.caFile);
  assert.ok(existsSync(folder));

  await server.stop();

  assert.ok(!existsSync(folder), `${folder} is still there`);
});

test("without tls: no HTTPS URL, no CA, one listening line", async () => {
  const server = await startThetaConsole({ recordRequests: 0 });
  try {
    assert.equal(server.httpsURL, null);
    assert.equal(server.caFile, null);
    assert.ok(!server.args.includes("--tls-self-signed"));
    assert.equal(server.stdout(), `theta-console listening on ${server.baseURL}\n`);
  } finally {
    await server.stop();
  }
});

test("a tls option that is neither a boolean nor { dir } is a TypeError, before anything starts", async () => {
  for (const tls of ["yes", { directory: "/tmp/x" }, { dir: "" }, null]) {
    await assert.rejects(startThetaConsole({ tls, binary: "/nonexistent/theta-console" }), TypeError);
  }
});
