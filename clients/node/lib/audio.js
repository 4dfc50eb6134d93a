// Audio for requests: theta-console bills by the audio's real duration, so tests need real WAVs.

/**
 * A mono 16-bit PCM WAV of `seconds` (a quiet sine tone, as the Python client's `make_wav`), as a
 * Buffer. theta-console bills ceil(seconds): `makeWav(2)` costs 2 × 0.0004 credits on `/transcribe`.
 * `toneHz: 0` gives silence.
 */
export function makeWav(seconds = 1, { sampleRate = 16000, toneHz = 440 } = {}) {
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new RangeError("seconds must be a number >= 0");
  if (!(Number.isInteger(sampleRate) && sampleRate > 0)) throw new RangeError("sampleRate must be a positive integer");
  const frames = Math.round(seconds * sampleRate);
  const dataSize = frames * 2;
  const wav = Buffer.alloc(44 + dataSize);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + dataSize, 4);
  wav.write("WAVE", 8, "ascii");
  wav.write("fmt ", 12, "ascii");
  wav.writeUInt32LE(16, 16); // the fmt chunk's size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(dataSize, 40);
  for (let n = 0; n < frames; n++) {
    const value = toneHz === 0 ? 0 : Math.trunc(3000 * Math.sin((2 * Math.PI * toneHz * n) / sampleRate));
    wav.writeInt16LE(value, 44 + 2 * n);
  }
  return wav;
}
