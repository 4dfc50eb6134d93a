// AdminClient: one method per route of docs/openapi.yaml, errors as AdminAPIError.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { AdminAPIError, AdminClient, CreatedKey, creditsLiteral, makeWav, startThetaConsole } from "../index.js";
import { postAudio } from "../test-support/support.js";

let server;
let admin;
before(async () => {
  server = await startThetaConsole({ fakeTime: "2030-01-01T00:00:00Z" });
  admin = server.admin;
});
after(() => server?.stop());
beforeEach(() => admin.reset());

describe("keys", () => {
  test("create, list, get, roll and deactivate", async () => {
    await admin.updateAccount({ plan: "pro" });
    const key = await admin.createKey("ci", { rateLimitRpm: 30, expiresAt: new Date("2030-06-01T00:00:00Z"), allowedCidrs: ["127.0.0.0/8"] });
    assert.ok(key instanceof CreatedKey);
    assert.equal(key.name, "ci");
    assert.equal(key.rate_limit_rpm, 30);
    assert.equal(key.expires_at, "2030-06-01T00:00:00Z");
    assert.deepEqual(key.allowed_cidrs, ["127.0.0.0/8"]);

    const other = await admin.createKey({ name: "other" });
    const page = await admin.listKeys({ limit: 1 });
    assert.deepEqual(page.data.map((k) => k.id), [other.id]);
    assert.equal(page.has_more, true);
    assert.deepEqual((await admin.keys()).map((k) => k.id), [other.id, key.id]);

    assert.equal((await admin.getKey(key)).id, key.id);
    assert.equal((await admin.getKey(key.id)).name, "ci");
    assert.equal((await admin.getKey(key)).key, undefined, "a record never has the secret");

    const rolled = await admin.rollKey(key, { graceSeconds: 0 });
    assert.equal(rolled.rolled_from, key.id);
    assert.equal((await admin.getKey(key)).status, "inactive");

    const deactivated = await admin.deactivateKey(rolled);
    assert.equal(deactivated.status, "inactive");
    assert.deepEqual((await admin.keys({ status: "active" })).map((k) => k.id), [other.id]);
  });

  test("the created key works against the emulated API; a deactivated one gets 401", async () => {
    const key = await admin.createKey();
    assert.equal((await postAudio(server.baseURL, "/transcribe", { apiKey: key.secret, wav: makeWav(1) })).status, 200);
    await admin.deactivateKey(key);
    const refused = await postAudio(server.baseURL, "/transcribe", { apiKey: key.secret, wav: makeWav(1) });
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).detail, "API key is inactive.");
  });

  test("a key's secret is never taken where its id belongs", async () => {
    const key = await admin.createKey();
    await assert.rejects(admin.getKey(key.secret), (error) => error instanceof TypeError && !error.message.includes(key.secret));
  });
});

describe("errors", () => {
  test("a refused call is an AdminAPIError with method, path, status and the server's detail", async () => {
    const error = await admin.getKey("key_00000000000000000000").then(
      () => assert.fail("found"),
      (failure) => failure,
    );
    assert.ok(error instanceof AdminAPIError);
    assert.equal(error.method, "GET");
    assert.equal(error.path, "/v1/keys/key_00000000000000000000");
    assert.equal(error.status, 404);
    assert.equal(typeof error.detail, "string");
    assert.equal(error.message, `GET /v1/keys/key_00000000000000000000 answered 404: ${error.detail}`);
  });

  test("a 422 names the field", async () => {
    await assert.rejects(admin.createKey({ name: "x", rateLimitRpm: 0 }), (error) => {
      assert.ok(error instanceof AdminAPIError);
      assert.equal(error.status, 422);
      assert.match(error.detail, /rate_limit_rpm/);
      return true;
    });
  });

  test("a wrong token: 401", async () => {
    const stranger = new AdminClient(server.baseURL, "not-the-token-at-all");
    await assert.rejects(stranger.account(), (error) => error instanceof AdminAPIError && error.status === 401);
  });
});

describe("account and clock", () => {
  test("plan and an exact balance", async () => {
    const account = await admin.updateAccount({ plan: "starter", balance: "0.0004" });
    assert.equal(account.plan, "starter");
    assert.equal(account.balance, 0.0004);
    assert.equal((await admin.updateAccount({ balance: 1e-6 })).balance, 0.000001);
    assert.equal((await admin.account()).plan, "starter");
    await assert.rejects(admin.updateAccount({ balance: 1e-7 }), (error) => error.status === 422);
  });

  test("a top-up on Pro", async () => {
    await admin.updateAccount({ plan: "pro", balance: 0 });
    assert.equal((await admin.topUp(10)).balance, 10);
    assert.equal((await admin.ledger()).data[0].kind, "top_up");
  });

  test("the fake clock moves forwards by seconds and to a time", async () => {
    const before = await admin.clock();
    const advanced = await admin.advanceClock(61);
    assert.equal(advanced.unix, before.unix + 61);
    const set = await admin.setClock(new Date(Date.parse(advanced.now) + 3600_000));
    assert.equal(Date.parse(set.now), Date.parse(advanced.now) + 3600_000);
    await assert.rejects(admin.setClock("2000-01-01T00:00:00Z"), (error) => error.status === 422);
  });

  test("without --fake-time the clock route is a 404", async () => {
    const plain = await startThetaConsole();
    try {
      await assert.rejects(plain.admin.clock(), (error) => error instanceof AdminAPIError && error.status === 404);
    } finally {
      await plain.stop();
    }
  });
});

describe("faults", () => {
  test("add, list, delete and clear", async () => {
    const key = await admin.createKey();
    const first = await admin.addFault({ endpoint: "/transcribe", times: 2, action: { status: 503, retry_after: 0 } });
    const second = await admin.addFault({ action: { delay_ms: 10 }, probability: 0.5, seed: 7, key });
    assert.match(first.id, /^flt_/);
    assert.equal(second.endpoint, "*");
    assert.equal(second.key_id, key.id);
    assert.deepEqual((await admin.faults()).map((f) => f.id), [first.id, second.id]);

    const answered = await postAudio(server.baseURL, "/transcribe", { apiKey: key.secret, wav: makeWav(1) });
    assert.equal(answered.status, 503);
    assert.equal(answered.headers.get("retry-after"), "0");
    assert.deepEqual((await admin.faults()).map((f) => [f.hits, f.times]), [[1, 1], [0, null]]);

    await admin.deleteFault(first);
    assert.deepEqual((await admin.faults()).map((f) => f.id), [second.id]);
    await assert.rejects(admin.deleteFault(first.id), (error) => error.status === 404);
    await admin.clearFaults();
    assert.deepEqual(await admin.faults(), []);
  });

  test("a fault needs an action", async () => {
    await assert.rejects(admin.addFault({ endpoint: "/transcribe" }), TypeError);
  });
});

describe("stubs", () => {
  const korean = { text: "안녕하세요", text_type: "ko", metadata: {}, response_time_in_sec: 0.2 };

  test("add, list, delete and clear; a matching request gets the stub's body", async () => {
    const key = await admin.createKey();
    const stub = await admin.addStub({ endpoint: "/transcribe", response: korean, match: { filename: "korean.wav" } });
    const any = await admin.addStub({ endpoint: "/transcribe", response: { ...korean, text: "any" } });
    assert.match(stub.id, /^stb_/);
    assert.deepEqual(stub.match, { filename: "korean.wav" });

    const answered = await postAudio(server.baseURL, "/transcribe", { apiKey: key.secret, wav: makeWav(1), filename: "korean.wav" });
    assert.equal(JSON.parse(answered.body).text, "안녕하세요");
    assert.deepEqual((await admin.stubs()).map((s) => [s.id, s.hits]), [[stub.id, 1], [any.id, 0]]);

    await admin.deleteStub(stub);
    assert.deepEqual((await admin.stubs()).map((s) => s.id), [any.id]);
    await admin.clearStubs();
    assert.deepEqual(await admin.stubs(), []);
  });

  test("a body the endpoint's schema does not allow: 422", async () => {
    await assert.rejects(admin.addStub({ endpoint: "/transcribe", response: { text: 1 } }), (error) => error.status === 422);
  });
});

test("reset: no keys, faults or stubs, the start plan and credits", async () => {
  await admin.updateAccount({ plan: "pro", balance: 100 });
  await admin.createKey();
  await admin.addFault({ action: { status: 500 } });
  await admin.addStub({ endpoint: "/transcribe", response: { text: "x", text_type: "en", metadata: {}, response_time_in_sec: 0.1 } });

  await admin.reset();

  assert.deepEqual(await admin.keys(), []);
  assert.deepEqual(await admin.faults(), []);
  assert.deepEqual(await admin.stubs(), []);
  const account = await admin.account();
  assert.equal(account.plan, "free");
  assert.equal(account.balance, 0.2);
});

test("creditsLiteral: plain digits, exact, no exponent", () => {
  assert.equal(creditsLiteral(24), "24");
  assert.equal(creditsLiteral("24.500"), "24.5");
  assert.equal(creditsLiteral(0.1), "0.1");
  assert.equal(creditsLiteral(0.0004), "0.0004");
  assert.equal(creditsLiteral(1e-7), "0.0000001");
  assert.equal(creditsLiteral(1.5e21), "1500000000000000000000");
  assert.equal(creditsLiteral(-0.25), "-0.25");
  assert.equal(creditsLiteral("007"), "7");
  assert.equal(creditsLiteral(10n), "10");
  assert.throws(() => creditsLiteral(NaN), RangeError);
  assert.throws(() => creditsLiteral("1e3"), RangeError);
  assert.throws(() => creditsLiteral(true), TypeError);
});
