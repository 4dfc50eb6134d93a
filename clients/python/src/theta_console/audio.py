"""Audio for requests: theta-console bills by the audio's real duration, so tests need real WAVs."""

from __future__ import annotations

import io
import math
import wave


def make_wav(seconds: float = 1.0, *, sample_rate: int = 16_000, tone_hz: float = 440.0) -> bytes:
    """A mono 16-bit PCM WAV of `seconds` (a quiet sine tone), as bytes.

    theta-console bills ceil(seconds): `make_wav(2)` costs 2 × 0.0004 credits on `/transcribe`.
    """
    frames = int(round(seconds * sample_rate))
    samples = bytearray()
    for n in range(frames):
        value = int(3000 * math.sin(2 * math.pi * tone_hz * n / sample_rate))
        samples += value.to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(bytes(samples))
    return buffer.getvalue()
