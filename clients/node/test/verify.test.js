// The request journal: filters, marks, verify with near misses, unused stubs.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { AdminAPIError, REASONS, makeWav, startThetaConsole } from "../index.js";
import { describeEntry, nearMisses, verifyFailure, verifyPlan } from "../lib/journal.js";
import { postAudio } from "../test-support/support.js";

const ENTRY = /#\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;

describe("near misses, without a server", () => {
  const entry = (seq, endpoint, keyId, status, reason) => ({
    seq,
    time: `2030-01-01T00:00:0${seq}Z`,
    endpoint,
    key_id: keyId,
    status,
    reason,
    parts: [],
    detail: null,
  });
  const journal = [
    entry(6, "/transcribe", "key_b", 200, "ok"),
    entry(5, "/transcribe", "key_a", 500, "fault"),
    entry(4, "/pronunciation", "key_a", 503, "fault"),
    entry(3, "/transcribe", null, 401, "key_missing"),
    entry(2, "/transcribe", "key_a", 200, "ok"),
    entry(1, "/transcribe", "key_a", 503, "fault"),
  ];

  test("ranked by how many criteria they miss, then newest first; at most 3", () => {
    const filters = { endpoint: "/transcribe", key: "key_a", status: 503, reason: "fault" };
    const ranked = nearMisses(journal, filters).map(({ entry: e, misses }) => [e.seq, misses]);
    assert.deepEqual(ranked, [
      [5, ["status is 500, not 503"]],
      [4, ["endpoint is /pronunciation, not /transcribe"]],
      [2, ["status is 200, not 503", "reason is ok, not fault"]],
    ]);
  });

  test("each line: #seq time endpoint key status reason: what differs", () => {
    const plan = verifyPlan({ endpoint: "/transcribe", key: "key_a", status: 503, times: 2, since: 0 });
    const error = verifyFailure(plan, [journal[5]], journal);
    assert.ok(error instanceof assert.AssertionError);
    assert.equal(
      error.message,
      [
        "verify: expected exactly 2 requests matching endpoint /transcribe, key key_a, status 503, after mark 0, but 1 matched.",
        "Matching (1):",
        "  #1 2030-01-01T00:00:01Z /transcribe key_a 503 fault",
        "Nearest misses (3 of 5 recorded after mark 0 that did not match):",
        "  #5 2030-01-01T00:00:05Z /transcribe key_a 500 fault: status is 500, not 503",
        "  #4 2030-01-01T00:00:04Z /pronunciation key_a 503 fault: endpoint is /pronunciation, not /transcribe",
        "  #2 2030-01-01T00:00:02Z /transcribe key_a 200 ok: status is 200, not 503",
      ].join("\n"),
    );
    assert.equal(error.actual, 1);
    assert.equal(error.expected, 2);
  });

  test("a request without a key reads as none", () => {
    const plan = verifyPlan({ key: "key_a", times: 1 });
    const error = verifyFailure(plan, [], [journal[3]]);
    assert.match(error.message, /#3 \S+ \/transcribe \(no key\) 401 key_missing: key is none, not key_a$/);
  });

  test("too many: the matches are listed, no near misses", () => {
    const plan = verifyPlan({ reason: "fault", atMost: 1 });
    const matches = journal.filter((e) => e.reason === "fault");
    const message = verifyFailure(plan, matches, journal).message;
    assert.match(message, /^verify: expected at most 1 request matching reason fault, but 3 matched\.\nMatching \(3\):\n/);
    assert.doesNotMatch(message, /Nearest/);
  });

  test("nothing recorded: said so", () => {
    const message = verifyFailure(verifyPlan({ since: 7 }), [], []).message;
    assert.equal(message, "verify: expected exactly 1 request matching after mark 7, but 0 matched.\nNo requests were recorded after mark 7.");
  });

  test("describeEntry", () => {
    assert.equal(describeEntry(journal[0]), "#6 2030-01-01T00:00:06Z /transcribe key_b 200 ok");
  });

  test("verify's criteria are checked before any request", () => {
    assert.deepEqual([verifyPlan({}).min, verifyPlan({}).max], [1, 1]);
    assert.deepEqual([verifyPlan({ atLeast: 2 }).min, verifyPlan({ atLeast: 2 }).max], [2, Infinity]);
    assert.deepEqual([verifyPlan({ atMost: 2 }).min, verifyPlan({ atMost: 2 }).max], [0, 2]);
    assert.throws(() => verifyPlan({ times: 1, atLeast: 1 }), /times, or atLeast/);
    assert.throws(() => verifyPlan({ atLeast: 3, atMost: 2 }), /atLeast is more than atMost/);
    assert.throws(() => verifyPlan({ time: 1 }), /unknown option 'time'/);
    assert.throws(() => verifyPlan({ reason: "faulted" }), /reason: one of ok, stub, fault/);
    assert.throws(() => verifyPlan({ endpoint: "transcribe" }), /endpoint: one of/);
    assert.throws(() => verifyPlan({ status: "503" }), /status: an integer/);
    assert.throws(() => verifyPlan({ since: -1 }), /since: a mark/);
    assert.throws(() => verifyPlan({ times: 1.5 }), /times: an integer/);
  });
});

describe("against the server", () => {
  let theta;
  let admin;
  const wav = makeWav(1);
  const send = (path, apiKey, options = {}) => postAudio(theta.baseURL, path, { apiKey, wav, ...options });

  before(async () => {
    theta = await startThetaConsole({ plan: "pro" });
    admin = theta.admin;
  });
  after(() => theta?.stop());
  beforeEach(() => admin.reset());

  test("filters: endpoint, key, status, reason, limit; newest first", async () => {
    const a = await admin.createKey("a");
    const b = await admin.createKey("b");
    assert.equal((await send("/transcribe", a.secret)).status, 200);
    assert.equal((await send("/transcribe", b.secret)).status, 200);
    assert.equal((await send("/transcribe", undefined)).status, 401);

    assert.equal((await admin.requests()).length, 3);
    assert.deepEqual((await admin.requests({ key: a })).map((e) => e.key_id), [a.id]);
    assert.deepEqual((await admin.requests({ key: b.id, status: 200, reason: "ok" })).map((e) => e.key_id), [b.id]);
    assert.deepEqual((await admin.requests({ reason: "key_missing" })).map((e) => e.key_id), [null]);
    assert.deepEqual((await admin.requests({ endpoint: "/pronunciation" })), []);
    const newest = await admin.requests({ limit: 2 });
    assert.deepEqual(newest.map((e) => e.key_id), [null, b.id]);
    assert.ok(newest[0].seq > newest[1].seq);
    assert.equal(await admin.countRequests({ status: 200 }), 2);
    assert.ok(REASONS.includes(newest[0].reason));
  });

  test("since and until as times", async () => {
    const key = await admin.createKey();
    await send("/transcribe", key.secret);
    const [entry] = await admin.requests();
    assert.equal(await admin.countRequests({ since: entry.time }), 1);
    assert.equal(await admin.countRequests({ since: new Date(Date.parse(entry.time) + 1000) }), 0);
    assert.equal(await admin.countRequests({ until: entry.time }), 0);
    assert.equal(await admin.countRequests({ until: new Date(Date.parse(entry.time) + 1000) }), 1);
  });

  test("a filter the server cannot read: 422 naming it", async () => {
    await assert.rejects(admin.request("GET", "/v1/requests", { query: { status: "abc" } }), (error) => {
      assert.ok(error instanceof AdminAPIError);
      assert.equal(error.status, 422);
      assert.match(error.detail, /status/);
      return true;
    });
  });

  test("a mark: requests before it are not counted", async () => {
    const key = await admin.createKey();
    await send("/transcribe", key.secret);
    const mark = await admin.mark();
    assert.ok(mark >= 1);
    await send("/transcribe", key.secret);

    assert.equal(await admin.countRequests({ endpoint: "/transcribe" }), 2);
    assert.equal(await admin.countRequests({ endpoint: "/transcribe", since: mark }), 1);
    const [after] = await admin.verify({ endpoint: "/transcribe", key, since: mark });
    assert.equal(after.seq, mark + 1);
    await admin.verify({ endpoint: "/transcribe", times: 2 });
    await assert.rejects(admin.verify({ endpoint: "/transcribe", times: 2, since: mark }), /but 1 matched/);
    assert.equal(await admin.mark(), mark + 1);
  });

  test("after a reset, earlier requests are never counted; marks keep counting", async () => {
    const key = await admin.createKey();
    await send("/transcribe", key.secret);
    const before = await admin.mark();
    await admin.reset();

    assert.equal(await admin.countRequests(), 0);
    await admin.verify({ endpoint: "/transcribe", times: 0 });
    assert.equal(await admin.mark(), before);
    const again = await admin.createKey();
    await send("/transcribe", again.secret);
    const [entry] = await admin.verify({ endpoint: "/transcribe" });
    assert.equal(entry.seq, before + 1);
  });

  test("verify counts: times, atLeast, atMost", async () => {
    const key = await admin.createKey();
    for (let i = 0; i < 3; i++) await send("/transcribe", key.secret);
    assert.equal((await admin.verify({ key, times: 3 })).length, 3);
    await admin.verify({ key, atLeast: 2 });
    await admin.verify({ key, atMost: 3 });
    await admin.verify({ key, atLeast: 1, atMost: 5 });
    await admin.verify({ endpoint: "/pronunciation", times: 0 });
    await assert.rejects(admin.verify({ key, atMost: 2 }), /expected at most 2 requests matching key key_\w+, but 3 matched/);
    await assert.rejects(admin.verify({ key, atLeast: 4 }), /expected at least 4 requests/);
    await assert.rejects(admin.verify({ key }), /expected exactly 1 request matching key key_\w+, but 3 matched/);
  });

  test("a failed verify lists the nearest recorded requests and what differs in each", async () => {
    const a = await admin.createKey("a");
    const b = await admin.createKey("b");
    const since = await admin.mark();
    await send("/transcribe", a.secret); // 1: 200 ok — status and reason differ
    await send("/transcribe", undefined); // 2: 401 key_missing — key, status and reason differ
    await send("/transcribe", b.secret); // 3: 200 ok with b — key, status and reason differ
    await admin.addFault({ endpoint: "/transcribe", times: 1, action: { status: 500 } });
    await send("/transcribe", a.secret); // 4: 500 fault — only the status differs

    const error = await admin.verify({ endpoint: "/transcribe", key: a, status: 503, reason: "fault", since }).then(
      () => assert.fail("verify passed"),
      (failure) => failure,
    );
    assert.ok(error instanceof assert.AssertionError);
    const lines = error.message.split("\n");
    assert.equal(
      lines[0],
      `verify: expected exactly 1 request matching endpoint /transcribe, key ${a.id}, status 503, reason fault, after mark ${since}, but 0 matched.`,
    );
    assert.equal(lines[1], `Nearest misses (3 of 4 recorded after mark ${since} that did not match):`);
    const seq = (n) => `#${since + n} `;
    assert.ok(lines[2].startsWith(`  ${seq(4)}`), lines[2]);
    assert.match(lines[2], new RegExp(`${ENTRY.source} /transcribe ${a.id} 500 fault: status is 500, not 503$`));
    assert.ok(lines[3].startsWith(`  ${seq(1)}`), lines[3]);
    assert.match(lines[3], new RegExp(` /transcribe ${a.id} 200 ok: status is 200, not 503; reason is ok, not fault$`));
    assert.ok(lines[4].startsWith(`  ${seq(3)}`), lines[4]);
    assert.match(lines[4], new RegExp(` ${b.id} 200 ok: key is ${b.id}, not ${a.id}; status is 200, not 503; reason is ok, not fault$`));
    assert.equal(lines.length, 5);
    assert.ok(!error.message.includes(a.secret) && !error.message.includes(b.secret));
  });

  test("unusedStubs and assertAllStubsUsed", async () => {
    const key = await admin.createKey();
    const body = (text) => ({ text, text_type: "en", metadata: {}, response_time_in_sec: 0.1 });
    const used = await admin.addStub({ endpoint: "/transcribe", response: body("used"), match: { filename: "used.wav" } });
    const unused = await admin.addStub({ endpoint: "/transcribe", response: body("unused"), match: { filename: "never.wav" } });
    assert.equal(JSON.parse((await send("/transcribe", key.secret, { filename: "used.wav" })).body).text, "used");
    await admin.verify({ endpoint: "/transcribe", reason: "stub" });

    assert.deepEqual((await admin.unusedStubs()).map((s) => s.id), [unused.id]);
    await assert.rejects(admin.assertAllStubsUsed(), (error) => {
      assert.ok(error instanceof assert.AssertionError);
      assert.equal(error.message, `1 stub was never used:\n  ${unused.id} /transcribe match {"filename":"never.wav"}`);
      assert.ok(!error.message.includes(used.id));
      return true;
    });

    assert.equal(JSON.parse((await send("/transcribe", key.secret, { filename: "never.wav" })).body).text, "unused");
    assert.deepEqual(await admin.unusedStubs(), []);
    await admin.assertAllStubsUsed();
  });
});

describe("a journal that dropped requests after the mark", () => {
  test("is not judged, and says why; a count already reached still passes", async () => {
    const theta = await startThetaConsole({ recordRequests: 2 });
    try {
      for (let i = 0; i < 3; i++) {
        await postAudio(theta.baseURL, "/transcribe", { wav: makeWav(1) }); // 401s: seq 1 goes for lack of room
      }
      await assert.rejects(theta.admin.verify({ endpoint: "/transcribe", times: 3 }), (error) => {
        assert.match(error.message, /dropped requests up to #1 .*--record-requests/s);
        return true;
      });
      assert.equal((await theta.admin.verify({ endpoint: "/transcribe", atLeast: 2 })).length, 2);
      assert.equal((await theta.admin.verify({ endpoint: "/transcribe", since: 1, times: 2 })).length, 2);
    } finally {
      await theta.stop();
    }
  });
});
