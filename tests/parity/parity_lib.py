"""The parity suite's plumbing: audio, requests, the two targets, snapshots and the report.

Nothing here knows pytest fixtures; conftest.py wires it in. Kept free of the `theta_console`
package so that a run against the real service needs only `pytest` and `requests`.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import secrets
import string
import time
import wave
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import requests

HERE = Path(__file__).resolve().parent
SNAPSHOTS = HERE / "snapshots"
REPORT = HERE / "report.md"
LOCAL = "theta-console"
REAL = "real"

ENDPOINTS = ("/transcribe", "/analyze-native", "/pronunciation", "/pronunciation-simple")
PRONUNCIATION_ENDPOINTS = ENDPOINTS[1:]
TEXT_TYPES = {"en", "ko", "codeswitched"}
PLANS = ("free", "starter", "pro", "pro_plus", "enterprise")

# Documented prices, credits per second of audio (reference §6).
PRICE = {"/transcribe": Decimal("0.0004"), "/analyze-native": Decimal("0.0006"),
         "/pronunciation": Decimal("0.0006"), "/pronunciation-simple": Decimal("0.0006")}

# The documentation's own example sentence: 5 words, so 1.0 s of audio is enough for the
# emulator's 200 ms per word, and a comma, so a pause item appears.
GOLD_TEXT = "Wow, check out this castle."
TOO_MANY_WORDS = "one two three four five six seven eight nine ten eleven twelve"

# The headers a snapshot records (other headers, such as Date or Server, are the transport's).
SNAPSHOT_HEADERS = ("Content-Type", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                    "X-RateLimit-Reset", "WWW-Authenticate")
# Body members whose value is kept in a snapshot of a 2xx answer; every other scalar becomes its
# type, since the real service hears the audio and the emulator does not.
KEPT_VALUES = {"type", "text_type"}


# -- audio ---------------------------------------------------------------------------------------

def make_wav(seconds: float = 1.0, *, sample_rate: int = 16_000, sample_width: int = 2,
             tone_hz: Optional[float] = 440.0) -> bytes:
    """A mono PCM WAV of `seconds`: a quiet sine tone, or silence with `tone_hz=None`."""
    frames = int(round(seconds * sample_rate))
    if tone_hz is None:
        silence = b"\x80" if sample_width == 1 else b"\x00" * sample_width
        samples = silence * frames
    else:
        out = bytearray()
        for n in range(frames):
            value = int(3000 * math.sin(2 * math.pi * tone_hz * n / sample_rate))
            out += value.to_bytes(2, "little", signed=True)
        samples = bytes(out)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(sample_width)
        wav.setframerate(sample_rate)
        wav.writeframes(samples)
    return buffer.getvalue()


def make_mp3(frames: int = 41) -> bytes:
    """Silent MPEG-1 Layer III: 48 kHz mono 128 kbit/s frames of 384 bytes, 24 ms each (41: 0.984 s).

    Side information of zeros means no coded samples, which every decoder plays as silence.
    """
    header = bytes([0xFF, 0xFB, 0x94, 0xC0])
    return (header + bytes(384 - len(header))) * frames


def wav_seconds(data: bytes) -> Optional[float]:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError):
        return None


# -- keys ----------------------------------------------------------------------------------------

def mask_secret(secret: str) -> str:
    """The key's hint, `sk-theta-ABCD…WXYZ`: theta_console.keys.mask, copied so that a run against
    the real service needs no theta_console package (see the module's docstring)."""
    prefix = "sk-theta-"
    if secret.startswith(prefix) and len(secret) > len(prefix) + 8:
        return f"{prefix}{secret[len(prefix):len(prefix) + 4]}\u2026{secret[-4:]}"
    return "\u2026"


class Secret(str):
    """A `str` whose repr is masked, so that a failing test's report (even with `--showlocals`)
    never prints a whole key: dicts of headers and objects holding one show only the hint."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({mask_secret(self)!r})"


class Key:
    """An API key to send, with a label for snapshots and reports; its repr never shows the secret."""

    __slots__ = ("secret", "label", "id")

    def __init__(self, secret: str, label: str, key_id: Optional[str] = None) -> None:
        self.secret = Secret(secret)
        self.label = label
        self.id = key_id

    def __repr__(self) -> str:
        return f"Key({self.label!r}, {mask_secret(self.secret)!r})"


def random_key() -> str:
    """A well-formed key nobody has: `sk-theta-` and 38 random base62 characters."""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    return "sk-theta-" + "".join(secrets.choice(alphabet) for _ in range(38))


# -- exchanges -----------------------------------------------------------------------------------

@dataclass
class File:
    """The `file` part: the bytes, and how a snapshot names them (never by their content)."""

    data: bytes
    label: str
    filename: str = "audio.wav"
    content_type: str = "audio/wav"
    duration: Optional[float] = None
    """Seconds of audio, when it is not a WAV whose header says so."""

    @property
    def seconds(self) -> float:
        if self.duration is not None:
            return self.duration
        return wav_seconds(self.data) or 0.0


def tone(seconds: float = 1.0) -> File:
    return File(make_wav(seconds), f"wav, {seconds:g} s tone")


@dataclass
class Exchange:
    """One request and its answer."""

    method: str
    path: str
    request: Dict[str, Any]
    status: int
    headers: requests.structures.CaseInsensitiveDict
    text: str
    elapsed: float = 0.0

    @property
    def body(self) -> Any:
        """The parsed JSON body (an assertion error, with the text, if it is not JSON)."""
        try:
            return json.loads(self.text)
        except ValueError:
            raise AssertionError(f"{self.method} {self.path} answered {self.status} with a body that is not JSON: "
                                 f"{self.text[:300]!r}") from None

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} → {self.status} {self.text[:200]!r}>"


class CallBudgetExceeded(Exception):
    pass


class Pacer:
    """Spaces calls to the real service (at most `rpm` a minute) and stops at `max_calls`."""

    def __init__(self, rpm: float, max_calls: int) -> None:
        self.interval = 60.0 / rpm if rpm > 0 else 0.0
        self.max_calls = max_calls
        self.calls = 0
        self._last: Optional[float] = None
        self._hold_until = 0.0

    def cool_down(self, seconds: float) -> None:
        """Holds the next call for `seconds` (after a 429 made on purpose, so later tests are not refused)."""
        self._hold_until = time.monotonic() + seconds

    def wait(self) -> None:
        if self.calls >= self.max_calls:
            raise CallBudgetExceeded(f"the run's budget of {self.max_calls} calls to the real service is spent "
                                     "(THETA_ONE_PARITY_MAX_CALLS)")
        if self._last is not None and self.interval:
            pause = self._last + self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # pacing for the real service's rate limit, not waiting for a state
        if self._hold_until > time.monotonic():
            time.sleep(self._hold_until - time.monotonic())
        self._last = time.monotonic()
        self.calls += 1


@dataclass
class CallLog:
    """Every call of the session: for the report's cost lines."""

    calls: List[Tuple[str, int, float]] = field(default_factory=list)  # (path, status, audio seconds)

    def add(self, path: str, status: int, seconds: float) -> None:
        self.calls.append((path, status, seconds))

    def audio_seconds(self) -> float:
        return sum(s for _, _, s in self.calls)

    def credits(self, *, billed_only: bool) -> Decimal:
        total = Decimal(0)
        for path, status, seconds in self.calls:
            if path in PRICE and (status == 200 or not billed_only):
                total += PRICE[path] * Decimal(str(round(seconds, 3)))
        return total


class Described(str):
    """A text part whose snapshot shows `label` instead of its value (the speech sample's options,
    whose sentence differs from one run against the real service to the next)."""

    label: str

    def __new__(cls, value: str, label: str) -> "Described":
        text = super().__new__(cls, value)
        text.label = label
        return text


def describe_parts(file: Optional[File], parts: Mapping[str, Optional[str]]) -> Dict[str, Any]:
    described: Dict[str, Any] = {}
    if file is not None:
        described["file"] = file.label
    for name, value in parts.items():
        if value is not None:
            described[name] = value.label if isinstance(value, Described) else value
    return described


# -- snapshots -----------------------------------------------------------------------------------

def mask_body(value: Any, *, status: int, key: Optional[str] = None) -> Any:
    """A body with what varies between runs and between services replaced by a type tag.

    2xx: every scalar becomes `<number>`/`<bool>`/`<string>` (nulls stay null), except the values
    of `type` and `text_type`; `feedback`, a string or null by the data, becomes `<string|null>`.
    An array becomes one merged item per `type` (see `merge_items`), so a longer sentence, one
    more pause or one more incorrect word is not a different shape. Errors: `detail` strings are
    kept, with their numbers (amounts, limits) masked.
    """
    if isinstance(value, dict):
        return {k: mask_body(v, status=status, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return merge_items([mask_body(item, status=status, key=key) for item in value])
    if status >= 300 and key == "detail" and isinstance(value, str):
        return re.sub(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w)", "<n>", value)
    if status < 300 and key in NULLABLE and (value is None or isinstance(value, str)):
        return "<string|null>"
    if value is None:
        return None
    if isinstance(value, bool):
        return "<bool>"
    if isinstance(value, (int, float)):
        return "<number>"
    if isinstance(value, str):
        return value if (key in KEPT_VALUES and status < 300) else "<string>"
    return value


NULLABLE = {"feedback"}


def merge_items(items: List[Any]) -> List[Any]:
    """Masked array items, merged: objects by their `type` (all objects without one together),
    other values kept once each, in the order first seen."""
    merged: List[Any] = []
    slots: Dict[Any, int] = {}
    for item in items:
        if isinstance(item, dict):
            slot = ("object", json.dumps(item.get("type")))
            if slot in slots:
                merged[slots[slot]] = _merge(merged[slots[slot]], item)
                continue
            slots[slot] = len(merged)
            merged.append(item)
        elif item not in merged:
            merged.append(item)
    return merged


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(a[k], v) if k in a else v
        return out
    if isinstance(a, list) and isinstance(b, list):
        return merge_items(a + b)
    if a == b:
        return a
    tags = set()
    for v in (a, b):
        tags.update(str(v).split("|") if isinstance(v, str) else [json.dumps(v)])
    return "|".join(sorted(tags))


def mask_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    masked: Dict[str, str] = {}
    for name in SNAPSHOT_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        if name == "Content-Type":
            masked[name] = value.split(";")[0].strip().lower()
        elif name == "WWW-Authenticate":
            masked[name] = value
        else:
            masked[name] = "<integer>" if value.strip().isdigit() else "<not an integer>"
    return masked


def snapshot_of(exchange: Exchange) -> Dict[str, Any]:
    try:
        body: Any = mask_body(json.loads(exchange.text), status=exchange.status)
    except ValueError:
        body = "<not JSON>" if exchange.text else "<empty>"
    return {
        "request": {"method": exchange.method, "path": exchange.path, **exchange.request},
        "response": {"status": exchange.status, "headers": mask_headers(exchange.headers), "body": body},
    }


def snapshot_name(nodeid: str) -> str:
    """`test_auth.py::test_missing_key[/transcribe]` → `test_auth.test_missing_key-transcribe`."""
    module, _, name = nodeid.rpartition("::")
    module = Path(module).stem
    name = name.replace("[", "-").replace("]", "")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    return f"{module}.{name}"


def snapshot_path(target_name: str, nodeid: str) -> Path:
    return SNAPSHOTS / target_name / f"{snapshot_name(nodeid)}.json"


def read_snapshot(path: Path) -> Optional[List[Dict[str, Any]]]:
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["exchanges"]


def write_snapshot(path: Path, nodeid: str, target_name: str, exchanges: List[Dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"test": nodeid, "target": target_name, "exchanges": exchanges}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def diff_snapshots(expected: List[Dict[str, Any]], actual: List[Dict[str, Any]], limit: int = 12) -> List[str]:
    """Human-readable differences, as `path: expected → actual` lines."""
    lines: List[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(lines) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in list(a) + [k for k in b if k not in a]:
                if k not in b:
                    lines.append(f"{where}.{k}: {json.dumps(a[k], ensure_ascii=False)[:80]} → (absent)")
                elif k not in a:
                    lines.append(f"{where}.{k}: (absent) → {json.dumps(b[k], ensure_ascii=False)[:80]}")
                else:
                    walk(a[k], b[k], f"{where}.{k}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            before, after = json.dumps(a, ensure_ascii=False)[:80], json.dumps(b, ensure_ascii=False)[:80]
            lines.append(f"{where}: {before} → {after}")

    walk(expected, actual, "exchanges")
    return lines


# -- the targets ---------------------------------------------------------------------------------

USE_TARGET_KEY = object()


class Target:
    """Where the suite sends its requests: the emulator (`is_real` False) or the real service.

    `key` is a valid key. The local-only helpers (`make_key`, `set_plan`, `set_credits`, …) skip the
    test when the target is the real service, which has no admin API.
    """

    name: str
    base_url: str
    key: Key
    is_real: bool
    plan: Optional[str] = None
    """The account's plan: theta-console's, or THETA_ONE_PLAN's (None: unknown)."""
    has_speech: bool = True
    """Whether `speech` is a recording of `speech_text` (against the real service: THETA_ONE_SPEECH_WAV)."""

    def __init__(self, *, name: str, base_url: str, key: Key, is_real: bool, skip: Callable[[str], Any],
                 log: CallLog, pacer: Optional[Pacer] = None, timeout: float = 30.0) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.is_real = is_real
        self._skip = skip
        self._log = log
        self.pacer = pacer
        self.timeout = timeout
        self.recorded: List[Exchange] = []
        self.session = requests.Session()
        self.speech: File = File(make_wav(1.0), "speech sample")
        self.speech_text: str = GOLD_TEXT

    @property
    def is_emulator(self) -> bool:
        return not self.is_real

    def __repr__(self) -> str:
        return f"Target({self.name!r}, {self.base_url!r})"

    def skip(self, reason: str) -> Any:
        return self._skip(reason)

    def require_local(self, why: str) -> None:
        """Skips on the real service, naming what the check would need there."""
        if self.is_real:
            self.skip(why)

    # -- the speech API --

    def post(self, path: str, *, file: Optional[File] = None, parts: Optional[Mapping[str, Optional[str]]] = None,
             key: Any = USE_TARGET_KEY, headers: Optional[Mapping[str, str]] = None, method: str = "POST",
             record: bool = True) -> Exchange:
        """Sends a multipart request (`file` and text `parts`) and returns the exchange.

        `key`: the target's valid key by default; a `Key`; or None for no `x-api-key` at all.
        `record=False` keeps it out of the test's snapshot (filler requests).
        """
        send_headers: Dict[str, str] = {}
        label = "none"
        if key is USE_TARGET_KEY:
            key = self.key
        if key is not None:
            send_headers["x-api-key"] = key.secret
            label = key.label
        send_headers.update(headers or {})
        parts = dict(parts or {})
        files: List[Tuple[str, Tuple[Optional[str], Any, Optional[str]]]] = []
        if file is not None:
            files.append(("file", (file.filename, file.data, file.content_type)))
        for name, value in parts.items():
            if value is not None:
                files.append((name, (None, value.encode("utf-8"), None)))
        description: Dict[str, Any] = {"x-api-key": label}
        extra = sorted(h for h in (headers or {}) if h.lower() != "x-api-key")
        if extra:
            description["headers"] = extra
        if any(h.lower() == "x-api-key" for h in (headers or {})) and key is None:
            description["x-api-key"] = "sent under another spelling"
        description["parts"] = describe_parts(file, parts)
        if self.pacer is not None:
            try:
                self.pacer.wait()
            except CallBudgetExceeded as error:
                self.skip(str(error))
        started = time.monotonic()
        response = self.session.request(method, self.base_url + path, headers=send_headers,
                                        files=files or None, timeout=self.timeout)
        seconds = file.seconds if file is not None else 0.0
        exchange = Exchange(method, path, description, response.status_code, response.headers, response.text,
                            elapsed=time.monotonic() - started)
        self._log.add(path, response.status_code, seconds)
        if record:
            self.recorded.append(exchange)
        return exchange

    def speech_options(self, **extra: Any) -> Described:
        """`options` with the speech sample's `gold_text` (and `extra` members)."""
        members = {"gold_text": self.speech_text, **extra}
        label = json.dumps({"gold_text": "<the speech sample's text>", **extra}, ensure_ascii=False)
        return Described(json.dumps(members, ensure_ascii=False), label)

    # -- local-only set-up (overridden by LocalTarget) --

    def make_key(self, *, rpm: Optional[int] = None, expires_at: Optional[str] = None,
                 label: str = "another key") -> Key:
        self.require_local("needs a second key, made through the admin API (the real console has none)")
        raise NotImplementedError

    def set_plan(self, plan: str) -> Dict[str, Any]:
        self.require_local("needs another plan, set through the admin API")
        raise NotImplementedError

    def set_credits(self, credits: str) -> Dict[str, Any]:
        self.require_local("needs an account with a chosen balance, set through the admin API")
        raise NotImplementedError


class LocalTarget(Target):
    """theta-console, started by the plugin; `server` is its `ThetaConsole`."""

    def __init__(self, server: Any, key: Key, **kwargs: Any) -> None:
        super().__init__(name=LOCAL, base_url=server.base_url, key=key, is_real=False, **kwargs)
        self.server = server
        self.admin = server.admin

    def make_key(self, *, rpm: Optional[int] = None, expires_at: Optional[str] = None,
                 label: str = "another key") -> Key:
        created = self.server.create_key("parity " + label, rpm=rpm, expires_at=expires_at)
        return Key(str(created.secret), label, created.id)

    def set_plan(self, plan: str) -> Dict[str, Any]:
        return self.server.set_account(plan=plan)

    def set_credits(self, credits: str) -> Dict[str, Any]:
        return self.server.set_account(balance=credits)

    def deactivate(self, key: Key) -> Dict[str, Any]:
        assert key.id is not None
        return self.admin.deactivate_key(key.id)

    def account(self) -> Dict[str, Any]:
        return self.admin.account()

    def clock_plus(self, seconds: int) -> str:
        """The fake clock's now plus `seconds`, as RFC 3339 (the clock carries over between tests)."""
        now = datetime.datetime.fromisoformat(self.admin.clock()["now"].replace("Z", "+00:00"))
        return (now + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def advance(self, seconds: float) -> Dict[str, Any]:
        return self.server.advance(seconds)


# -- the documentation's own examples ------------------------------------------------------------

EMULATED_RESPONSES = HERE.parent.parent / "docs" / "emulated-responses.md"


def doc_example(heading: str) -> Any:
    """The first ```json block after `heading` in docs/emulated-responses.md, parsed."""
    lines = EMULATED_RESPONSES.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    opening = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```json")
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].strip() == "```")
    return json.loads("\n".join(lines[opening + 1:closing]))


def native_example() -> str:
    """The /analyze-native example's `speech_components`, as `native_speech_components_json`."""
    return json.dumps(doc_example("### `POST /analyze-native`")["speech_components"])


def words_of(text: str) -> List[str]:
    """gold_text's words as the reference shows them: whitespace tokens, punctuation trimmed."""
    words = []
    for token in text.split():
        word = re.sub(r"^[^\w]+|[^\w]+$", "", token)
        if word:
            words.append(word)
    return words


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- shapes the reference documents ---------------------------------------------------------------

NATIVE_WORD_KEYS = ("type", "word", "start", "end", "score", "is_correct", "is_stressed", "feedback", "syllables")


def check_native_word(item: Dict[str, Any]) -> None:
    """A word item as the /analyze-native example shows it (reference §3)."""
    missing = [k for k in NATIVE_WORD_KEYS if k not in item]
    assert not missing, f"word item without {missing}: {item}"
    assert isinstance(item["word"], str) and item["word"], item
    assert is_number(item["start"]) and is_number(item["end"]) and item["start"] <= item["end"], item
    assert is_number(item["score"]), item
    assert isinstance(item["is_correct"], bool) and isinstance(item["is_stressed"], bool), item
    assert item["feedback"] is None or isinstance(item["feedback"], str), item
    assert isinstance(item["syllables"], list), item


def check_pause(item: Dict[str, Any]) -> None:
    assert isinstance(item.get("is_long"), bool), f"pause item without a boolean is_long: {item}"


def phoneme_items(value: Any) -> List[Dict[str, Any]]:
    """Objects nested anywhere in `value` that name a phoneme (their key names are unstated)."""
    found: List[Dict[str, Any]] = []
    if isinstance(value, dict):
        if any("phoneme" in k.lower() and not isinstance(v, (list, dict)) for k, v in value.items()):
            found.append(value)
        for v in value.values():
            found += phoneme_items(v)
    elif isinstance(value, list):
        for v in value:
            found += phoneme_items(v)
    return found


def check_components(items: Any, *, native: bool, gold_text: Optional[str] = None) -> None:
    """`speech_components` / `user_speech_components`: word and pause items (`type`), in order.

    Native items have the example's keys; student items carry `is_stressed` on words and
    phonemes and `is_long` on pauses (reference §3, /pronunciation-simple).
    """
    assert isinstance(items, list) and items, f"expected a non-empty array, got {items!r}"
    words = []
    for item in items:
        assert isinstance(item, dict) and item.get("type") in ("word", "pause"), f"not a word or pause item: {item}"
        if item["type"] == "pause":
            check_pause(item)
            continue
        if native:
            check_native_word(item)
        else:
            assert isinstance(item.get("word"), str), item
            assert isinstance(item.get("is_stressed"), bool), f"student word without is_stressed: {item}"
            phonemes = phoneme_items(item)
            assert phonemes, f"no phoneme-level detail in {item}"
            assert all(isinstance(p.get("is_stressed"), bool) for p in phonemes), phonemes
        words.append(item["word"])
    if gold_text is not None:
        assert [w.lower() for w in words] == [w.lower() for w in words_of(gold_text)], (words, gold_text)
