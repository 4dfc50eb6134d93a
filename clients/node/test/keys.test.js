// A key's secret is shown only by `key.secret` and `key.headers`.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { format, inspect } from "node:util";

import { CreatedKey, maskSecret, startThetaConsole } from "../index.js";
import { keyIdOf } from "../lib/journal.js";

const record = {
  id: "key_0123456789abcdefghij",
  name: "ci",
  hint: "sk-theta-AbCd…WxYz",
  status: "active",
  created_at: "2030-01-01T00:00:00Z",
  expires_at: null,
  expires_in_seconds: null,
  last_used_at: null,
  deactivated_at: null,
  rate_limit_rpm: 60,
  requests_2xx: 0,
  requests_4xx: 0,
  rolled_from: null,
  rolled_to: null,
  grace_until: null,
  allowed_cidrs: [],
};

/** Every way a test or a log line turns an object into text. */
function printedForms(key) {
  return {
    inspect: inspect(key),
    "inspect, nested": inspect({ deep: { deeper: [key] } }, { depth: 10 }),
    "inspect, showHidden": inspect(key, { showHidden: true }),
    "format %o": format("%o", key),
    "format %s": format("%s", key),
    "format %j": format("%j", key),
    "JSON.stringify": JSON.stringify(key),
    "JSON.stringify, nested": JSON.stringify({ keys: [key] }),
    String: String(key),
    template: `${key}`,
    "spread, stringified": JSON.stringify({ ...key }),
    "structuredClone, inspected": inspect(structuredClone(key)),
    "Object.entries": JSON.stringify(Object.entries(key)),
    record: inspect(key.record),
  };
}

function assertNoSecret(key, secret) {
  for (const [how, text] of Object.entries(printedForms(key))) {
    assert.ok(!text.includes(secret), `${how} shows the secret`);
    assert.ok(!text.includes(secret.slice(9, 30)), `${how} shows part of the secret`);
  }
}

test("a CreatedKey prints its record and hint, never its secret", () => {
  const secret = `sk-theta-${randomBytes(30).toString("base64url").slice(0, 38)}`;
  const key = new CreatedKey({ ...record, key: secret }, secret);

  assertNoSecret(key, secret);
  assert.equal(key.secret, secret);
  assert.deepEqual(key.headers, { "x-api-key": secret });
  assert.equal(key.id, record.id);
  assert.equal(key.name, "ci");
  assert.equal(key.key, undefined, "the wire's `key` field is not kept as a property");
  assert.deepEqual(key.record, record);
  assert.match(inspect(key), /CreatedKey \{\n {2}id: 'key_0123456789abcdefghij'/);
  assert.equal(String(key), "CreatedKey(id=key_0123456789abcdefghij, hint=sk-theta-AbCd…WxYz)");
});

test("an assertion that fails on a CreatedKey does not print the secret", () => {
  const secret = `sk-theta-${randomBytes(30).toString("base64url").slice(0, 38)}`;
  const key = new CreatedKey(record, secret);
  let failure;
  try {
    assert.deepEqual(key, { id: "another" });
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof assert.AssertionError);
  assert.ok(!failure.message.includes(secret));
  assert.match(failure.message, /key_0123456789abcdefghij/);
});

test("a CreatedKey is frozen: its secret and record cannot be swapped", () => {
  const key = new CreatedKey(record, "sk-theta-secretsecretsecret");
  assert.throws(() => {
    key.id = "key_other";
  }, TypeError);
  assert.throws(() => {
    key.secret = "x";
  }, TypeError);
});

test("maskSecret shows the hint's characters only", () => {
  assert.equal(maskSecret("sk-theta-AbCdEFGHIJKLMNOPQRSTUVWXYZ0123456WxYz"), "sk-theta-AbCd…WxYz");
  assert.equal(maskSecret("short"), "…");
  assert.equal(maskSecret("sk-theta-12345678"), "…");
});

test("a secret passed where a key id belongs is refused without being repeated", () => {
  const secret = "sk-theta-AbCdEFGHIJKLMNOPQRSTUVWXYZ0123456WxYz";
  assert.throws(
    () => keyIdOf(secret),
    (error) => error instanceof TypeError && !error.message.includes("AbCdEFGH") && /not its secret/.test(error.message),
  );
  assert.equal(keyIdOf(new CreatedKey(record, secret)), record.id);
  assert.equal(keyIdOf("key_x"), "key_x");
});

let server;
before(async () => {
  server = await startThetaConsole();
});
after(() => server?.stop());

test("a key created and rolled by the server hides its secret too", async () => {
  const key = await server.admin.createKey({ name: "hidden", rateLimitRpm: 10 });
  assert.match(key.secret, /^sk-theta-[0-9A-Za-z]{38}$/);
  assert.equal(key.hint, maskSecret(key.secret));
  assert.equal(key.rate_limit_rpm, 10);
  assertNoSecret(key, key.secret);

  const rolled = await server.admin.rollKey(key, { graceSeconds: 60 });
  assert.notEqual(rolled.secret, key.secret);
  assert.equal(rolled.rolled_from, key.id);
  assertNoSecret(rolled, rolled.secret);
});

test("the server object shows neither the admin token nor the key", async () => {
  const token = server.adminToken;
  assert.ok(token.length >= 16);
  for (const text of [inspect(server), JSON.stringify(server), String(server), inspect(server.admin), JSON.stringify(server.admin)]) {
    assert.ok(!text.includes(token), `${text} shows the admin token`);
    assert.ok(text.includes(server.baseURL));
  }
});
