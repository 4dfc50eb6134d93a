import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { makeWav, startThetaConsole } from "../index.js";
import { postAudio } from "../test-support/support.js";

test("makeWav: a 16-bit mono PCM WAV of the length asked", () => {
  const wav = makeWav(1);
  assert.equal(wav.length, 44 + 16000 * 2);
  assert.equal(wav.toString("ascii", 0, 4), "RIFF");
  assert.equal(wav.readUInt32LE(4), wav.length - 8);
  assert.equal(wav.toString("ascii", 8, 16), "WAVEfmt ");
  assert.deepEqual([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)], [1, 1, 16000, 16]);
  assert.equal(wav.toString("ascii", 36, 40), "data");
  assert.equal(wav.readUInt32LE(40), 32000);
  assert.notEqual(wav.readInt16LE(44 + 2 * 9), 0, "a tone, not silence");
  assert.ok(makeWav(0.5, { sampleRate: 8000, toneHz: 0 }).subarray(44).every((byte) => byte === 0));
  assert.equal(makeWav(0.5, { sampleRate: 8000 }).readUInt32LE(40), 8000);
  assert.throws(() => makeWav(-1), RangeError);
});

let theta;
before(async () => {
  theta = await startThetaConsole();
});
after(() => theta?.stop());

test("theta-console bills makeWav(2) as 2 seconds of audio", async () => {
  const key = await theta.admin.createKey();
  const answer = await postAudio(theta.baseURL, "/transcribe", { apiKey: key.secret, wav: makeWav(2) });
  assert.equal(answer.status, 200, answer.body);
  const [charge] = (await theta.admin.ledger()).data.filter((entry) => entry.kind === "charge");
  assert.equal(charge.audio_seconds, 2);
  assert.equal(charge.key_id, key.id);
});
