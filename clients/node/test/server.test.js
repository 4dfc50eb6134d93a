// startThetaConsole: the command line, the token's path, the ready line, stop, and start failures.

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { AdminAPIError, ServerStartError, TOKEN_VARIABLE, VERSION, startThetaConsole } from "../index.js";
import { INDEX_URL, processGone, runNode, waitUntil } from "../test-support/support.js";

let scratch;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), "theta-node-server-"));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("a started server", () => {
  let server;
  before(async () => {
    server = await startThetaConsole({ plan: "pro", credits: "24", fakeTime: "2030-01-01T00:00:00Z" });
  });
  after(() => server?.stop());

  test("listens on a free port of 127.0.0.1 and answers /healthz", async () => {
    assert.match(server.baseURL, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.baseURL, "http://127.0.0.1:0");
    assert.equal(server.url("/healthz"), `${server.baseURL}/healthz`);
    assert.equal(await server.admin.health(), true);
    assert.equal(server.stdout(), `theta-console listening on ${server.baseURL}\n`);
    assert.match(server.stderr(), /serving/);
  });

  test("runs serve --port 0 --db :memory: with the options, and no token on its command line", () => {
    const argv = readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    assert.deepEqual(argv.slice(1), server.args);
    assert.deepEqual(argv.slice(1, 8), ["serve", "--host", "127.0.0.1", "--port", "0", "--db", ":memory:"]);
    for (const flag of [["--plan", "pro"], ["--credits", "24"], ["--fake-time", "2030-01-01T00:00:00Z"], ["--allow-reset"], ["--record-requests", "1000"]]) {
      const at = argv.indexOf(flag[0]);
      assert.notEqual(at, -1, `no ${flag[0]}`);
      assert.deepEqual(argv.slice(at, at + flag.length), flag);
    }
    assert.ok(!argv.some((arg) => arg.includes(server.adminToken)), "the admin token is on the command line");
  });

  test("hands the random admin token over in THETA_CONSOLE_ADMIN_TOKEN", () => {
    const environment = readFileSync(`/proc/${server.pid}/environ`, "utf8").split("\0");
    const given = environment.filter((entry) => entry.startsWith(`${TOKEN_VARIABLE}=`));
    assert.equal(given.length, 1);
    assert.ok(given[0] === `${TOKEN_VARIABLE}=${server.adminToken}`, "the server's token is not the client's");
    assert.ok(server.adminToken.length >= 16);
  });

  test("the options took effect: plan, credits, fake clock", async () => {
    const account = await server.admin.account();
    assert.equal(account.plan, "pro");
    assert.equal(account.balance, 24);
    assert.deepEqual(await server.admin.clock(), { now: "2030-01-01T00:00:00Z", unix: 1893456000 });
  });

  test("two servers get different ports and different tokens", async () => {
    const second = await startThetaConsole();
    try {
      assert.notEqual(second.baseURL, server.baseURL);
      assert.ok(second.adminToken !== server.adminToken);
      const crossed = await fetch(server.url("/v1/account"), { headers: { authorization: `Bearer ${second.adminToken}` } });
      assert.equal(crossed.status, 401);
    } finally {
      await second.stop();
    }
  });
});

test("stop() sends SIGTERM, waits for the exit, and is idempotent", async () => {
  const server = await startThetaConsole();
  const first = server.stop();
  const second = server.stop();
  assert.equal(first, second, "stop() twice gives the same promise");
  assert.deepEqual(await first, { code: 0, signal: null, killed: false });
  assert.equal(server.running, false);
  assert.ok(processGone(server.pid));
  assert.match(server.stderr(), /signal=15/);
  assert.deepEqual(await server.stop(), { code: 0, signal: null, killed: false });
  await assert.rejects(server.admin.account(), /no answer from/);
});

test("stop() kills a server that does not stop on SIGTERM within stopTimeoutMs", async () => {
  const stubborn = join(scratch, "stubborn");
  writeFileSync(
    stubborn,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo ${VERSION}; exit 0; fi\n` +
      `trap '' TERM\necho 'theta-console listening on http://127.0.0.1:9'\nwhile :; do sleep 1; done\n`,
  );
  chmodSync(stubborn, 0o755);
  const server = await startThetaConsole({ binary: stubborn, stopTimeoutMs: 300 });
  const stopped = await server.stop();
  assert.deepEqual(stopped, { code: null, signal: "SIGKILL", killed: true });
});

test("a server that exits before listening: the error carries its stderr", async () => {
  const error = await startThetaConsole({ extraArgs: ["--no-such-flag"] }).then(
    () => assert.fail("it started"),
    (failure) => failure,
  );
  assert.ok(error instanceof ServerStartError, String(error));
  assert.match(error.message, /exited with status \d+ before listening; its stderr:\n/);
  assert.match(error.message, /--no-such-flag/);
  assert.match(error.stderr, /--no-such-flag/);
  assert.notEqual(error.exitCode, 0);
});

test("a server that never prints its listening line: a timeout, with its stderr", async () => {
  const silent = join(scratch, "silent");
  writeFileSync(
    silent,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo ${VERSION}; exit 0; fi\necho 'warming up, slowly' >&2\nexec sleep 60\n`,
  );
  chmodSync(silent, 0o755);
  const started = Date.now();
  const error = await startThetaConsole({ binary: silent, startupTimeoutMs: 500 }).then(
    () => assert.fail("it started"),
    (failure) => failure,
  );
  assert.ok(error instanceof ServerStartError);
  assert.match(error.message, /did not print its listening line within 500 ms; its stderr:\nwarming up, slowly/);
  assert.equal(error.signal, "SIGKILL");
  assert.ok(Date.now() - started < 10000);
});

test("a binary that cannot be run: ServerStartError", async () => {
  const missing = join(scratch, "missing-binary");
  await assert.rejects(startThetaConsole({ binary: missing }), (error) => {
    assert.ok(error instanceof ServerStartError, String(error));
    assert.match(error.message, /could not be run: spawn .*ENOENT; it printed nothing on stderr$/);
    return true;
  });
});

test("an unknown option is a TypeError, before anything starts", async () => {
  await assert.rejects(startThetaConsole({ recordRequest: 10 }), /unknown option 'recordRequest'/);
});

test("allowReset: false and recordRequests: 0 leave those routes out", async () => {
  const server = await startThetaConsole({ allowReset: false, recordRequests: 0 });
  try {
    assert.ok(!server.args.includes("--allow-reset") && !server.args.includes("--record-requests"));
    await assert.rejects(server.admin.reset(), (error) => error instanceof AdminAPIError && error.status === 404);
    await assert.rejects(server.admin.requests(), (error) => error instanceof AdminAPIError && error.status === 404);
  } finally {
    await server.stop();
  }
});

test("a test process that exits without stop() takes its server with it", async () => {
  const script = `
    import { startThetaConsole } from ${JSON.stringify(INDEX_URL)};
    const server = await startThetaConsole();
    console.log(server.pid);`; // no stop(): the process ends when its work is done
  const result = await runNode(script, { env: process.env, timeoutMs: 20000 });
  assert.equal(result.code, 0, `the process did not end on its own: ${result.stderr}`);
  const pid = Number(result.stdout.trim());
  assert.ok(pid > 0);
  await waitUntil(() => processGone(pid), { what: `server ${pid} to be gone` });
});
