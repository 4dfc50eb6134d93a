// The done-means test: the app's first call fails with 503, and the test verifies that it
// retried exactly once.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";

import { makeWav, startThetaConsole } from "../index.js";

/**
 * The code under test, as an app would have it: transcribe `wav`, and on a 503 retry once after
 * the server's Retry-After (in seconds). `sleep` is injectable so the test need not wait.
 */
async function transcribe(baseURL, apiKey, wav, { sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)) } = {}) {
  for (let attempt = 1; ; attempt++) {
    const form = new FormData();
    form.append("file", new Blob([wav], { type: "audio/wav" }), "audio.wav");
    const response = await fetch(`${baseURL}/transcribe`, { method: "POST", headers: { "x-api-key": apiKey }, body: form });
    if (response.status !== 503 || attempt === 2) return response;
    await response.arrayBuffer();
    await sleep(Number(response.headers.get("retry-after") ?? "1") * 1000);
  }
}

let theta;
before(async () => {
  theta = await startThetaConsole();
});
after(() => theta?.stop());
beforeEach(() => theta.admin.reset());

test("the app retries a 503 exactly once, after Retry-After", async () => {
  const key = await theta.admin.createKey("app");
  await theta.admin.addFault({ endpoint: "/transcribe", times: 1, action: { status: 503, retry_after: 2 } });
  const since = await theta.admin.mark();
  const waited = [];

  const response = await transcribe(theta.baseURL, key.secret, makeWav(1), { sleep: async (ms) => void waited.push(ms) });

  assert.equal(response.status, 200);
  assert.equal((await response.json()).text, "Welcome to Theta One AI!");
  assert.deepEqual(waited, [2000], "the app waited as Retry-After said");
  await theta.admin.verify({ endpoint: "/transcribe", key, status: 503, reason: "fault", times: 1, since });
  await theta.admin.verify({ endpoint: "/transcribe", key, status: 200, reason: "ok", times: 1, since });
  const all = await theta.admin.verify({ endpoint: "/transcribe", times: 2, since });
  assert.deepEqual(all.map((entry) => [entry.status, entry.reason]), [[200, "ok"], [503, "fault"]]);
});

test("the same verify fails for an app that does not retry", async () => {
  const key = await theta.admin.createKey("app");
  await theta.admin.addFault({ endpoint: "/transcribe", times: 1, action: { status: 503, retry_after: 0 } });
  const form = new FormData();
  form.append("file", new Blob([makeWav(1)], { type: "audio/wav" }), "audio.wav");
  const once = await fetch(`${theta.baseURL}/transcribe`, { method: "POST", headers: key.headers, body: form });
  assert.equal(once.status, 503);

  await theta.admin.verify({ endpoint: "/transcribe", status: 503, reason: "fault", times: 1 });
  await assert.rejects(theta.admin.verify({ endpoint: "/transcribe", status: 200, reason: "ok", times: 1 }), assert.AssertionError);
});

test("the same verify fails for an app that retries twice", async () => {
  const key = await theta.admin.createKey("app");
  await theta.admin.addFault({ endpoint: "/transcribe", times: 2, action: { status: 503, retry_after: 0 } });
  const retryTwice = async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const form = new FormData();
      form.append("file", new Blob([makeWav(1)], { type: "audio/wav" }), "audio.wav");
      const response = await fetch(`${theta.baseURL}/transcribe`, { method: "POST", headers: key.headers, body: form });
      await response.arrayBuffer();
      if (response.status !== 503) return response.status;
    }
    return 503;
  };
  assert.equal(await retryTwice(), 200);

  await assert.rejects(theta.admin.verify({ endpoint: "/transcribe", status: 503, reason: "fault", times: 1 }), (error) => {
    assert.ok(error instanceof assert.AssertionError);
    assert.match(error.message, /expected exactly 1 request matching endpoint \/transcribe, status 503, reason fault, but 2 matched/);
    return true;
  });
});
