"""A client as an app would write it, to test against theta-console: `/transcribe` with retries.

It retries 429 and 5xx answers after `Retry-After` seconds (exponential back-off when absent),
and a dropped or cut-off connection, up to `attempts` tries. `sleep` is injectable, so a test
can count the waits, or move theta-console's fake clock instead of waiting.
"""

from __future__ import annotations

import time
from typing import Callable, List, Optional

import requests

RETRIED_STATUSES = {429, 500, 502, 503, 504}


def transcribe(base_url: str, api_key: str, audio: bytes, *, attempts: int = 4,
               sleep: Callable[[float], object] = time.sleep, timeout: float = 30,
               waits: Optional[List[float]] = None) -> requests.Response:
    """POST /transcribe; returns the last answer (raises the last connection error if none came)."""
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(f"{base_url}/transcribe", headers={"x-api-key": api_key},
                                     files={"file": ("audio.wav", audio, "audio/wav")}, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError):
            if attempt == attempts:
                raise
            delay = 0.1 * 2 ** attempt
        else:
            if response.status_code not in RETRIED_STATUSES or attempt == attempts:
                return response
            retry_after = response.headers.get("Retry-After")
            delay = float(retry_after) if retry_after is not None else 0.1 * 2 ** attempt
        if waits is not None:
            waits.append(delay)
        sleep(delay)
    raise AssertionError("unreachable")
