// Record and replay from Node: a proxy in front of a second theta-console over HTTPS (its own CA,
// its key in the proxy's environment only) records each 200; a replaying server gives the same
// bytes back with no upstream, and with --replay-strict names a request it has no recording for.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { makeWav, startThetaConsole } from "../index.js";

const folder = mkdtempSync(join(tmpdir(), "theta-record-"));
after(() => rmSync(folder, { recursive: true, force: true }));

async function transcribe(server, key, audio, options) {
  const form = new FormData();
  form.append("file", new Blob([audio], { type: "audio/wav" }), "hello.wav");
  if (options !== undefined) form.append("transcribe_options", options);
  const response = await fetch(server.baseURL + "/transcribe", { method: "POST", headers: key.headers, body: form });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

function filesUnder(path) {
  return statSync(path).isDirectory() ? readdirSync(path).flatMap((name) => filesUnder(join(path, name))) : [path];
}

test("a recording made through a TLS upstream replays byte for byte, and the upstream key is in no file", async () => {
  const upstream = await startThetaConsole({ plan: "pro", tls: { dir: join(folder, "tls") } });
  const recordings = join(folder, "recordings");
  const audio = makeWav(1.5);
  let recorded;
  let realSecret;
  try {
    const real = await upstream.admin.createKey("the real one");
    realSecret = real.secret;
    const proxy = await startThetaConsole({
      plan: "pro",
      extraArgs: ["--upstream", upstream.httpsURL.replace("127.0.0.1", "localhost"), "--upstream-ca", upstream.caFile,
        "--record", recordings],
      env: { THETA_ONE_API_KEY: real.secret },
    });
    try {
      const local = await proxy.admin.createKey("local");
      recorded = await transcribe(proxy, local, audio);
      assert.equal(recorded.status, 200, recorded.bytes.toString());
      await proxy.admin.verify({ endpoint: "/transcribe", reason: "upstream", status: 200 });
      assert.ok(!proxy.stderr().includes(real.secret));
    } finally {
      await proxy.stop();
    }
  } finally {
    await upstream.stop();
  }
  const files = readdirSync(recordings);
  assert.equal(files.length, 1);
  assert.match(files[0], /^transcribe-[0-9a-f]{16}-[0-9a-f]{16}\.json$/);
  for (const path of filesUnder(folder)) {
    assert.ok(!readFileSync(path).includes(realSecret), `the upstream key is in ${path}`);
  }

  const replay = await startThetaConsole({ plan: "pro", extraArgs: ["--replay", recordings, "--replay-strict"] });
  try {
    const key = await replay.admin.createKey();
    const again = await transcribe(replay, key, audio);
    assert.equal(again.status, 200);
    assert.deepEqual(again.bytes, recorded.bytes);
    await replay.admin.verify({ reason: "replayed" });
    const other = await transcribe(replay, key, audio, '{"suppress_korean": true}');
    assert.equal(other.status, 404);
    assert.match(JSON.parse(other.bytes).detail, /^No recording for \/transcribe with audio_sha256 [0-9a-f]{64} and options_sha256 [0-9a-f]{64}\./);
  } finally {
    await replay.stop();
  }
});
