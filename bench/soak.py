#!/usr/bin/env python3
"""The soak test behind `bench/soak` (which builds a release binary first unless given --binary).

Runs a mixed workload against one theta-console server for MINUTES (default 30) and checks
invariants while it runs, then kills the server with SIGKILL, restarts it on the same database
and checks what survived:

1. money: since the last fixture reset, the ledger's charges equal the credits of the account's
   usage buckets, the balance equals the sum of the ledger's signed amounts (and every
   `balance_after` follows from the one before), each charge is priced from its audio seconds and
   belongs to a key made since the reset, and the charges lie between what the answered 200s
   require and what they allow. All amounts are parsed exactly, as integer micro-credits.
2. no deactivated, expired, rolled-out (grace over), reset or unknown key is answered 200 on a
   speech endpoint for a request sent after the client saw that end acknowledged.
3. after `kill -9` and a restart, every key whose create was acknowledged since the last reset is
   in the database and every acknowledged deactivation is still inactive.
4. the server's RSS and open descriptors stay flat after a warm-up.

Python 3 standard library only. Traffic goes to 127.0.0.1 only. Every random choice comes from a
random.Random seeded with --seed (one per thread), so a run makes the same decisions again;
the interleaving of the threads is up to the scheduler.
"""
import argparse
import calendar
import collections
import datetime
import http.client
import json
import math
import os
import queue
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # bench/__pycache__ is tracked: importing bench must not rewrite it
sys.path.insert(0, BENCH_DIR)
import bench  # noqa: E402  (wav, multipart, BOUNDARY, CONTENT_TYPE; no side effects on import)

MICRO = 1_000_000
MIB = 1024 * 1024
ENDPOINTS = ("/transcribe", "/pronunciation-simple", "/analyze-native", "/pronunciation")
ENDPOINT_WEIGHTS = (40, 20, 20, 20)
RATE_MICRO = {"/transcribe": 400, "/pronunciation-simple": 600, "/analyze-native": 600, "/pronunciation": 600}
DURATIONS = (0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 3.0)
GOLD = {"gold_text": "Hello there"}
STUB_TEXT = "soak stub transcript"
STUB_FILE = "stub.wav"
START_CREDITS = 100_000
FAKE_START = "2030-01-01T00:00:00Z"
HTTP_TIMEOUT = 30
CLI_TIMEOUT = 60
RSS_LIMIT_KIB = 2 * 1024
FD_LIMIT = 8
SAMPLE_EVERY = 2.0
VIOLATIONS_SHOWN = 20  # of each kind, printed; the rest are counted
LEVEL_SAMPLES = 15  # RSS's level: the median of 30 s of samples
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The server's footprint since the warm-up, in KiB and descriptors: the baselines, the largest
# growth of RSS's level and of the descriptor count, and RSS's largest single sample over its
# baseline (reported, not judged).
Footprint = collections.namedtuple("Footprint", "rss0 rss_growth fd0 fd_growth rss_peak")


def now():
    return time.monotonic()


# MARK: - Exact numbers and times


class Num(str):
    """A JSON number with a fraction or exponent, kept as its text (never a float)."""


def loads(data):
    return json.loads(data, parse_float=Num)


def micro(value):
    """Credits as integer micro-credits, parsed from the JSON text; raises on anything inexact."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return value * MICRO
    if isinstance(value, Num):
        match = re.fullmatch(r"(-?)([0-9]+)(?:\.([0-9]{1,6}))?", value)
        if not match:
            raise ValueError(f"not an exact amount with at most 6 decimals: {value}")
        sign, whole, fraction = match.groups()
        amount = int(whole) * MICRO + int((fraction or "").ljust(6, "0"))
        return -amount if sign else amount
    raise ValueError(f"not an amount: {value!r}")


def credits_text(amount):
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}{amount // MICRO}.{amount % MICRO:06d}"


def whole_seconds(value):
    """The clock's `unix` (a number with 3 decimals) as whole seconds; the soak only moves it by whole seconds."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"([0-9]+)(?:\.([0-9]+))?", str(value))
    if not match or (match.group(2) and int(match.group(2)) != 0):
        raise ValueError(f"clock not on a whole second: {value}")
    return int(match.group(1))


def iso(unix):
    return datetime.datetime.fromtimestamp(unix, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    return None if text is None else calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def next_month(unix):
    moment = datetime.datetime.fromtimestamp(unix, datetime.timezone.utc)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return calendar.timegm((year, month, 1, 0, 0, 0))


def cause(reason):
    """A short name for why a key ended, for the summary."""
    for prefix, name in (("deactivated (DELETE", "deactivated by API"), ("deactivated (CLI", "deactivated by CLI"),
                         ("expired", "expired"), ("roll grace over", "roll grace over"),
                         ("rolled with grace 0", "rolled, grace 0"), ("fixture reset", "reset")):
        if (reason or "").startswith(prefix):
            return name
    return reason or "?"


def day_start(unix):
    return unix - unix % 86_400


def secret(rng):
    """A well-formed secret, in the format of bench.unknown_key() (prefix, 32 base62, CRC-32 in 6
    base62 digits), drawn from the seeded generator so that a run is reproducible."""
    return bench.key_from_symbols(rng.randrange(62) for _ in range(32))


# MARK: - Multipart bodies


def part(name, value, filename=None, content_type=None):
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{bench.BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + (value if isinstance(value, bytes) else value.encode()) + b"\r\n"


def speech_body(endpoint, audio, filename, native, bad, rng):
    if endpoint == "/transcribe" and filename == "audio.wav" and not bad and rng.random() < 0.5:
        return bench.multipart(audio)  # bench's own body: one file part named audio.wav
    parts = [part("file", audio, filename, "audio/wav")]
    if endpoint == "/transcribe":
        if bad:
            parts.append(part("transcribe_options", "{not json"))
        elif rng.random() < 0.3:
            parts.append(part("transcribe_options", '{"suppress_korean": false}'))
    else:
        options = dict(GOLD)
        if endpoint == "/pronunciation-simple" and rng.random() < 0.5:
            options["language"] = rng.choice(["en", "ko"])
        parts.append(part("options", "{}" if bad else json.dumps(options)))
        if endpoint == "/pronunciation":
            parts.append(part("native_speech_components_json", native))
    return b"".join(parts) + f"--{bench.BOUNDARY}--\r\n".encode()


# MARK: - Coordination


class Gate:
    """Workload threads pass it around each operation; the checker closes it for a quiet moment."""

    def __init__(self):
        self.condition = threading.Condition()
        self.active = 0
        self.paused = False

    def enter(self, stop):
        with self.condition:
            while self.paused and not stop.is_set():
                self.condition.wait(0.2)
            if stop.is_set():
                return False
            self.active += 1
            return True

    def exit(self):
        with self.condition:
            self.active -= 1
            self.condition.notify_all()

    def pause(self, timeout):
        deadline = now() + timeout
        with self.condition:
            self.paused = True
            while self.active > 0:
                left = deadline - now()
                if left <= 0:
                    return False
                self.condition.wait(left)
            return True

    def resume(self):
        with self.condition:
            self.paused = False
            self.condition.notify_all()


class RWLock:
    """Key writes (API and CLI) share it; a fixture reset takes it alone, so every create or
    deactivation is wholly before or wholly after a reset and its fate is known."""

    def __init__(self):
        self.condition = threading.Condition()
        self.readers = 0
        self.writer = False
        self.writer_waiting = 0

    def acquire_read(self):
        with self.condition:
            while self.writer or self.writer_waiting:
                self.condition.wait()
            self.readers += 1

    def release_read(self):
        with self.condition:
            self.readers -= 1
            self.condition.notify_all()

    def acquire_write(self):
        with self.condition:
            self.writer_waiting += 1
            while self.writer or self.readers:
                self.condition.wait()
            self.writer_waiting -= 1
            self.writer = True

    def release_write(self):
        with self.condition:
            self.writer = False
            self.condition.notify_all()


# MARK: - HTTP


class Client:
    """One keep-alive connection, reopened after any error; every request has a timeout."""

    def __init__(self, port, token):
        self.port = port
        self.token = token
        self.connection = None

    def close(self):
        if self.connection:
            self.connection.close()
            self.connection = None

    def send(self, method, path, body=None, headers=None, admin=True):
        """Returns (status, headers, body); raises on a connection error or a cut answer
        (http.client.IncompleteRead carries the head's status in `.status`)."""
        headers = dict(headers or {})
        if admin:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            try:
                data = response.read()
            except http.client.IncompleteRead as error:
                error.status = response.status
                raise
            if response.will_close:
                self.close()
            return response.status, response.headers, data
        except BaseException:
            self.close()
            raise

    def json(self, method, path, payload=None, retry=False):
        """An admin call; (status, parsed body or None, raw body). `payload` is an object, or bytes
        sent as they are. `retry`: once more on a connection error (for reads, where a stale
        keep-alive connection may have been closed)."""
        body = payload if isinstance(payload, bytes) or payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (0, 1):
            try:
                status, _, data = self.send(method, path, body, headers)
                break
            except (OSError, http.client.HTTPException):
                if not retry or attempt:
                    raise
        try:
            parsed = loads(data) if data else None
        except ValueError:
            parsed = None
        return status, parsed, data


class Server:
    """A `theta-console serve` process with its stderr in a file; reads the port from stdout."""

    def __init__(self, binary, args, stderr_path):
        self.stderr_path = stderr_path
        self.stderr = open(stderr_path, "ab")
        self.process = subprocess.Popen([binary, "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                                        stderr=self.stderr, stdin=subprocess.DEVNULL)
        lines = queue.Queue()

        def drain():
            for line in self.process.stdout:
                lines.put(line.decode(errors="replace"))
            lines.put(None)
        threading.Thread(target=drain, daemon=True).start()
        self.port = None
        deadline = now() + 60
        while self.port is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - now()))
            except queue.Empty:
                line = None
            match = re.search(r"theta-console listening on http://127\.0\.0\.1:(\d+)", line or "")
            if match:
                self.port = int(match.group(1))
            elif line is None:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"theta-console did not start:\n{tail(stderr_path)}")

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def kill9(self):
        if self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout=30):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) if kept else "(empty)"


# MARK: - What the client knows about keys


class Key:
    def __init__(self, id, secret, source, epoch, expires_at, acked):
        self.id = id
        self.secret = secret
        self.source = source        # api, import, roll, cli
        self.epoch = epoch          # resets seen when it was created
        self.expires_at = expires_at  # unix seconds or None
        self.acked = acked          # monotonic time the create was acknowledged
        self.dead_since = None      # monotonic time from which it must never be answered 200
        self.dead_reason = None
        self.deactivation_tried = False
        self.deactivation_acked = False
        self.rolled = False         # a roll was tried (its grace, if any, is in grace_until)
        self.rolled_to = None
        self.grace_until = None
        self.grace_pending = False  # rolled with a grace, grace_until not read yet


class Tracker:
    def __init__(self, clock):
        self.lock = threading.Lock()
        self.epoch = 0
        self.keys = {}
        self.live = []
        self.dead = collections.deque(maxlen=400)
        self.clock = clock          # the last clock the server acknowledged
        self.clock_upper = clock    # the clock a move in flight may have set
        self.epoch_clock = clock    # the clock at the last reset
        self.reset_send = None
        self.reset_ack = None
        self.resetting = False

    def register(self, key):
        with self.lock:
            self.keys[key.id] = key
            self.live.append(key)
            if key.expires_at is not None and key.expires_at <= self.clock:
                # Not key.acked: the clock move that passed the expiry may have been acknowledged
                # after the create was; now is after both.
                self._kill(key, now(), f"expired at {iso(key.expires_at)} (clock already {iso(self.clock)})")

    def _kill(self, key, moment, reason):
        if key.dead_since is None:
            key.dead_since = moment
            key.dead_reason = reason
            if key in self.live:
                self.live.remove(key)
            self.dead.append(key)

    def kill(self, key, moment, reason):
        with self.lock:
            self._kill(key, moment, reason)

    def set_grace(self, key, grace_until, moment):
        with self.lock:
            key.grace_until = grace_until
            key.grace_pending = False
            if grace_until <= self.clock:
                self._kill(key, moment, f"roll grace over at {iso(grace_until)} (clock {iso(self.clock)})")

    def clock_moving(self, target):
        with self.lock:
            self.clock_upper = max(self.clock_upper, target)

    def clock_acked(self, clock, moment):
        with self.lock:
            self.clock = max(self.clock, clock)
            self.clock_upper = max(self.clock_upper, self.clock)
            for key in list(self.live):
                if key.expires_at is not None and key.expires_at <= self.clock:
                    self._kill(key, moment, f"expired at {iso(key.expires_at)} (clock moved to {iso(self.clock)})")
                elif key.grace_until is not None and key.grace_until <= self.clock:
                    self._kill(key, moment, f"roll grace over at {iso(key.grace_until)} (clock moved to {iso(self.clock)})")

    def reset_begin(self, moment):
        with self.lock:
            self.resetting = True
            self.reset_send = moment

    def reset_acked(self, moment):
        with self.lock:
            for key in list(self.live):
                self._kill(key, moment, f"fixture reset #{self.epoch + 1}")
            self.epoch += 1
            self.epoch_clock = self.clock
            self.reset_ack = moment
            self.resetting = False

    def reset_failed(self):
        with self.lock:
            self.resetting = False

    def pick_live(self, rng, usable=None):
        with self.lock:
            candidates = [k for k in self.live if usable is None or usable(k)]
            return rng.choice(candidates) if candidates else None

    def pick_dead(self, rng, epoch_only=False):
        with self.lock:
            candidates = [k for k in self.dead if not epoch_only or k.epoch == self.epoch]
            return rng.choice(candidates) if candidates else None

    def current_keys(self):
        with self.lock:
            return [k for k in self.keys.values() if k.epoch == self.epoch]


# MARK: - The soak


class Soak:
    def __init__(self, args):
        self.args = args
        self.binary = os.path.abspath(args.binary)
        self.duration = args.seconds if args.seconds is not None else args.minutes * 60
        self.seed = args.seed
        self.stop = threading.Event()
        self.gate = Gate()
        self.keylock = RWLock()
        self.stats_lock = threading.Lock()
        self.requests = collections.Counter()       # (endpoint, status label)
        self.dead_answers = collections.Counter()   # status label of requests sent with a dead key
        self.dead_by_reason = collections.Counter()
        self.ops = collections.Counter()
        self.notes = collections.Counter()          # suspicious but not an invariant
        self.note_examples = collections.defaultdict(list)
        self.outcomes = []                          # (send, answer, kind, micro) of speech requests
        self.outcome_lock = threading.Lock()
        self.violations = []
        self.violation_lock = threading.Lock()
        self.checks = collections.Counter()         # (invariant, passed?) -> count
        self.check_log = []
        self.native = None                          # speech_components JSON for /pronunciation
        self.native_lock = threading.Lock()
        self.real_bodies = {}                       # endpoint -> a real 200 body, for stubs
        self.samples = []                           # (elapsed, rss KiB, fds)
        self.ledger_cache = None                    # (epoch, [entries oldest first], ids)
        self.faults = []
        self.stubs = []
        self.stderr_shown = False
        self.started = None
        self.warmup = 60.0 if self.duration >= 180 else self.duration / 3
        self.reset_interval = max(self.duration / 30, 15.0)
        self.threads = []
        self.server = None

    # MARK: reporting

    def elapsed(self):
        return now() - self.started if self.started else 0.0

    def log(self, message):
        print(f"[{self.elapsed():7.1f}s] {message}", flush=True)

    def violate(self, kind, message):
        with self.violation_lock:
            self.violations.append((kind, message))
            first = not self.stderr_shown
            self.stderr_shown = True
            shown = sum(1 for k, _ in self.violations if k == kind)
        if shown <= VIOLATIONS_SHOWN:
            print(f"VIOLATION [{kind}] at {self.elapsed():.1f}s: {message}", flush=True)
        elif shown == VIOLATIONS_SHOWN + 1:
            print(f"VIOLATION [{kind}]: more than {VIOLATIONS_SHOWN}; the rest are only counted", flush=True)
        if first and self.server is not None:
            print(f"--- server stderr (tail of {self.server.stderr_path}) ---\n{tail(self.server.stderr_path)}\n---", flush=True)

    def check(self, invariant, name, ok, detail=""):
        self.checks[(invariant, bool(ok))] += 1
        if not ok:
            self.violate(invariant, f"{name}: {detail}")
        return ok

    def note(self, kind, example):
        with self.stats_lock:
            self.notes[kind] += 1
            if len(self.note_examples[kind]) < 5:
                self.note_examples[kind].append(example)

    def count(self, op, n=1):
        with self.stats_lock:
            self.ops[op] += n

    # MARK: set-up

    def start(self):
        self.work = self.args.workdir or tempfile.mkdtemp(prefix="theta-soak-")
        os.makedirs(self.work, exist_ok=True)
        self.db = os.path.join(self.work, "soak.sqlite3")
        self.token = "theta-admin-" + "".join(ALPHABET[b % 62] for b in os.urandom(40))
        self.token_file = os.path.join(self.work, "admin-token")
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.token + "\n")
        os.chmod(self.token_file, 0o600)
        self.stderr_path = os.path.join(self.work, "server.stderr")
        self.serve_args = ["--db", self.db, "--admin-token-file", self.token_file, "--plan", "enterprise",
                           "--credits", str(START_CREDITS), "--max-key-rpm", "100000", "--fake-time", FAKE_START,
                           "--allow-reset", "--allow-key-import", "--record-requests", "1000", "--log-level", "warning"]
        self.server = Server(self.binary, self.serve_args, self.stderr_path)
        self.port = self.server.port
        self.waves = {d: bench.wav(d) for d in DURATIONS}
        client = Client(self.port, self.token)
        status, clock, _ = client.json("GET", "/v1/clock")
        if status != 200:
            raise RuntimeError(f"GET /v1/clock answered {status}")
        self.tracker = Tracker(whole_seconds(clock["unix"]))
        # Start as every later epoch starts: from a reset, so the ledger is one grant.
        status, _, data = client.json("POST", "/v1/reset")
        if status != 204:
            raise RuntimeError(f"POST /v1/reset answered {status}: {data[:200]!r}")
        self.tracker.reset_begin(now())
        self.tracker.reset_acked(now())
        self.count("start-up reset")
        # A native reference for /pronunciation, from a 200 of /analyze-native.
        status, created, _ = client.json("POST", "/v1/keys", {"name": "soak-setup"})
        if status != 201:
            raise RuntimeError(f"POST /v1/keys answered {status}")
        self.tracker.register(Key(created["id"], created["key"], "api", self.tracker.epoch, None, now()))
        self.count("creates (API)")
        body = speech_body("/analyze-native", self.waves[1.0], "audio.wav", None, False, random.Random(0))
        status, _, data = client.send("POST", "/analyze-native", body,
                                      {"Content-Type": bench.CONTENT_TYPE, "x-api-key": created["key"]}, admin=False)
        if status != 200:
            raise RuntimeError(f"/analyze-native answered {status}: {data[:200]!r}")
        self.native = json.dumps(json.loads(data)["speech_components"], separators=(",", ":"))
        self.record_outcome(now(), now(), "ok", RATE_MICRO["/analyze-native"])
        self.requests[("/analyze-native", "200")] += 1
        client.close()

    # MARK: the threads

    def run_loop(self, name, step, pause):
        rng = random.Random(f"{self.seed}/{name}")
        client = Client(self.port, self.token)
        try:
            while not self.stop.is_set():
                if not self.gate.enter(self.stop):
                    break
                try:
                    step(rng, client)
                except (OSError, http.client.HTTPException) as error:
                    # Not expected on admin routes (faults only touch the speech endpoints); the
                    # write's outcome is unknown, so nothing is expected of it.
                    self.note(f"connection error on an admin or CLI call ({name})", f"{type(error).__name__}: {error}")
                except Exception:
                    self.violate("harness", f"thread {name} raised:\n{traceback.format_exc()}")
                    self.stop.set()
                finally:
                    self.gate.exit()
                delay = pause(rng)
                if delay:
                    self.stop.wait(delay)
        finally:
            client.close()

    def spawn(self, name, step, pause):
        thread = threading.Thread(target=self.run_loop, args=(name, step, pause), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    # speech

    def record_outcome(self, sent, answered, kind, cost):
        with self.outcome_lock:
            self.outcomes.append((sent, answered, kind, cost))

    def speech_step(self, rng, client):
        endpoint = rng.choices(ENDPOINTS, ENDPOINT_WEIGHTS)[0]
        roll = rng.random()
        key = None
        if roll < 0.76:
            key = self.tracker.pick_live(rng)
        elif roll < 0.95:
            key = self.tracker.pick_dead(rng)
        secret_used = key.secret if key else secret(rng)
        duration = rng.choice(DURATIONS)
        filename = STUB_FILE if rng.random() < 0.2 else "audio.wav"
        bad = rng.random() < 0.03
        with self.native_lock:
            native = self.native
        body = speech_body(endpoint, self.waves[duration], filename, native, bad, rng)
        cost = math.ceil(duration) * RATE_MICRO[endpoint]
        with self.tracker.lock:
            dead_at_send = key is None or key.dead_since is not None
            reason = "unknown key" if key is None else key.dead_reason
        headers = {"Content-Type": bench.CONTENT_TYPE, "x-api-key": secret_used}
        sent = now()
        status, data, label = None, b"", None
        try:
            status, _, data = client.send("POST", endpoint, body, headers, admin=False)
            label = str(status)
        except http.client.IncompleteRead as error:
            status = getattr(error, "status", None)
            label = f"{status} cut"
        except (OSError, http.client.HTTPException) as error:
            label = "closed" if isinstance(error, (ConnectionResetError, http.client.RemoteDisconnected,
                                                    BrokenPipeError)) else type(error).__name__
        answered = now()
        with self.stats_lock:
            self.requests[(endpoint, label)] += 1
            if dead_at_send:
                self.dead_answers[label] += 1
                self.dead_by_reason[cause(reason)] += 1
        complete = label == str(status)
        self.record_outcome(sent, answered,
                            "ok" if complete and status == 200 else "no" if complete else "unknown", cost)
        if status == 200:
            self.after_200(key, endpoint, sent, answered, filename, data, complete)
        elif status == 401 and key is not None:
            self.after_401(key, sent, data)

    def after_200(self, key, endpoint, sent, answered, filename, data, complete):
        with self.tracker.lock:
            dead_since, reason = (float("-inf"), "unknown key") if key is None else (key.dead_since, key.dead_reason)
        if dead_since is not None and dead_since < sent:
            who = "an unknown secret" if key is None else f"{key.id} ({key.source}, epoch {key.epoch})"
            when = "" if key is None else f" {sent - dead_since:.3f}s after the key ended"
            self.violate("dead key answered 200",
                         f"{endpoint} with {who} answered 200 to a request sent{when} ({reason}); "
                         f"sent at {sent - self.started:.3f}s, answered at "
                         f"{answered - self.started:.3f}s; body: {data[:160]!r}"
                         + (self.recent_requests_evidence() if self.dead200_evidence < 5 else ""))
            self.dead200_evidence += 1
        if not complete:
            return
        try:
            parsed = loads(data)
        except ValueError:
            self.note("200 with a body that is not JSON", f"{endpoint}: {data[:120]!r}")
            return
        if endpoint == "/transcribe":
            text = parsed.get("text")
            if text == STUB_TEXT:
                self.count("stub answers seen")
                if filename != STUB_FILE:
                    self.note("stub answered a request it does not match", f"filename {filename}")
        elif endpoint == "/analyze-native" and isinstance(parsed.get("speech_components"), list):
            components = json.loads(data)["speech_components"]  # floats here: only passed on, never summed
            with self.native_lock:
                self.native = json.dumps(components, separators=(",", ":"))
        if endpoint not in self.real_bodies and filename != STUB_FILE:
            self.real_bodies[endpoint] = data  # the raw bytes: numbers stay as the server wrote them

    def after_401(self, key, sent, data):
        """A 401 for a key the client believes works, with nothing in flight that could end it:
        not an invariant (a clock move or reset may race), but worth a note."""
        with self.tracker.lock:
            t = self.tracker
            believed_live = (key.dead_since is None and not key.deactivation_tried and not key.rolled
                             and key.epoch == t.epoch and not t.resetting and key.acked < sent
                             and (t.reset_ack is None or t.reset_ack < sent)
                             and (key.expires_at is None or key.expires_at > t.clock_upper))
        if believed_live:
            self.note("401 for a key believed live", f"{key.id} ({key.source}): {data[:100]!r}")

    def recent_requests_evidence(self):
        try:
            status, parsed, _ = Client(self.port, self.token).json("GET", "/v1/requests?limit=8")
            return f"\n  last recorded requests (GET /v1/requests?limit=8, {status}): {json.dumps(parsed)[:1500]}"
        except Exception as error:  # evidence only
            return f"\n  (GET /v1/requests failed: {error})"

    # admin writes

    def admin_step(self, rng, client):
        op = rng.choices(["create", "import", "deactivate", "roll", "redelete"], [35, 15, 22, 20, 8])[0]
        self.keylock.acquire_read()
        try:
            getattr(self, f"op_{op}")(rng, client)
        finally:
            self.keylock.release_read()

    def key_request(self, rng, name):
        body = {"name": name}
        expires = None
        if rng.random() < 0.4:
            with self.tracker.lock:
                expires = self.tracker.clock + rng.randint(60, 900)
            body["expires_at"] = iso(expires)
        if rng.random() < 0.3:
            body["rate_limit_rpm"] = rng.choice([5, 20, 60, 1000, 50000])
        return body, expires

    def op_create(self, rng, client):
        body, expires = self.key_request(rng, f"soak api {rng.randrange(10**6)}")
        status, record, data = client.json("POST", "/v1/keys", body)
        acked = now()
        self.count(f"creates (API) {status}" if status != 201 else "creates (API)")
        if status == 201:
            self.tracker.register(Key(record["id"], record["key"], "api", self.tracker.epoch,
                                      parse_iso(record["expires_at"]), acked))
            if parse_iso(record["expires_at"]) != expires or record["name"] != body["name"]:
                self.note("create answered another name or expiry", json.dumps(record)[:200])
        elif status != 422:  # 422: the expiry passed meanwhile (a clock move raced)
            self.note("create refused", f"{status} {data[:160]!r}")

    def op_import(self, rng, client):
        body, expires = self.key_request(rng, f"soak import {rng.randrange(10**6)}")
        body["key"] = secret(rng)
        status, record, data = client.json("POST", "/v1/keys", body)
        acked = now()
        self.count(f"imports {status}" if status != 201 else "imports")
        if status == 201:
            if "key" in record:
                self.note("import echoed the secret", record["id"])
            self.tracker.register(Key(record["id"], body["key"], "import", self.tracker.epoch,
                                      parse_iso(record["expires_at"]), acked))
        elif status != 422:
            self.note("import refused", f"{status} {data[:160]!r}")

    def op_deactivate(self, rng, client):
        key = self.tracker.pick_live(rng, lambda k: k.id != "")
        if key is None:
            return
        key.deactivation_tried = True
        status, record, data = client.json("DELETE", f"/v1/keys/{key.id}")
        acked = now()
        self.count(f"deactivations (API) {status}" if status != 200 else "deactivations (API)")
        if status == 200:
            key.deactivation_acked = True
            self.tracker.kill(key, acked, "deactivated (DELETE /v1/keys/{id} answered 200)")
            if record.get("status") != "inactive":
                self.violate("deactivation", f"DELETE /v1/keys/{key.id} answered 200 with status {record.get('status')}")
        else:
            self.note("deactivation refused", f"{status} {data[:160]!r}")

    def op_redelete(self, rng, client):
        key = self.tracker.pick_dead(rng, epoch_only=rng.random() < 0.7)
        if key is None:
            return
        key.deactivation_tried = True
        status, record, data = client.json("DELETE", f"/v1/keys/{key.id}")
        self.count("deactivations of ended keys")
        expected = 200 if key.epoch == self.tracker.epoch else 404
        if status == 200 and expected == 200:
            key.deactivation_acked = True
        if status != expected:
            self.note("repeated deactivation answered unexpectedly", f"{key.id} epoch {key.epoch}: {status} {data[:120]!r}")

    def op_roll(self, rng, client):
        key = self.tracker.pick_live(rng, lambda k: not k.rolled and not k.deactivation_tried)
        if key is None:
            return
        grace = rng.choice([0, 0, 30, 120, 600, 3600])
        key.rolled = True
        key.grace_pending = grace > 0
        status, record, data = client.json("POST", f"/v1/keys/{key.id}/roll", {"grace_seconds": grace})
        acked = now()
        self.count(f"rolls {status}" if status != 201 else "rolls")
        if status != 201:
            key.grace_pending = False
            if status != 409:  # 409: expired meanwhile
                self.note("roll refused", f"{status} {data[:160]!r}")
            return
        key.rolled_to = record["id"]
        self.tracker.register(Key(record["id"], record["key"], "roll", self.tracker.epoch,
                                  parse_iso(record["expires_at"]), acked))
        if grace == 0:
            key.deactivation_acked = True
            self.tracker.kill(key, acked, "rolled with grace 0 (201)")
            return
        status, old, data = client.json("GET", f"/v1/keys/{key.id}", retry=True)
        if status == 200 and old.get("grace_until"):
            self.tracker.set_grace(key, parse_iso(old["grace_until"]), now())
        else:
            self.note("rolled key unreadable", f"{status} {data[:160]!r}")

    # CLI writes, from a second process

    def cli(self, *arguments):
        started = now()
        try:
            result = subprocess.run([self.binary, *arguments, "--db", self.db], capture_output=True,
                                    timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.note("CLI run timed out", " ".join(arguments))
            return None, b"", now() - started
        if result.returncode != 0:
            self.note(f"CLI {arguments[0]} {arguments[1]} exited {result.returncode}",
                      result.stderr.decode(errors="replace")[-300:])
        return result.returncode, result.stdout, now() - started

    def cli_step(self, rng, client):
        self.keylock.acquire_read()
        try:
            key = self.tracker.pick_live(rng) if rng.random() < 0.45 else None
            if key is None:
                name = f"soak cli {rng.randrange(10**6)}"
                extra = ["--rpm", str(rng.choice([30, 100]))] if rng.random() < 0.3 else []
                code, out, took = self.cli("keys", "create", "--name", name, "--json", *extra)
                acked = now()
                self.count("CLI runs")
                if code == 0:
                    record = loads(out)
                    self.tracker.register(Key(record["id"], record["key"], "cli", self.tracker.epoch, None, acked))
                    self.count("creates (CLI)")
            else:
                key.deactivation_tried = True
                code, out, took = self.cli("keys", "deactivate", key.id)
                acked = now()
                self.count("CLI runs")
                if code == 0:
                    key.deactivation_acked = True
                    self.tracker.kill(key, acked, "deactivated (CLI keys deactivate exited 0)")
                    self.count("deactivations (CLI)")
        finally:
            self.keylock.release_read()

    # fixtures: resets, clock, faults, stubs

    def fixture_step(self, rng, client):
        if now() >= self.next_reset:
            self.next_reset += self.reset_interval
            self.do_reset(client)
            return
        op = rng.choices(["clock", "fault", "unfault", "stub", "unstub"], [45, 20, 12, 12, 11])[0]
        getattr(self, f"fx_{op}")(rng, client)

    def do_reset(self, client):
        self.keylock.acquire_write()
        try:
            self.tracker.reset_begin(now())
            try:
                status, _, data = client.json("POST", "/v1/reset")
            except (OSError, http.client.HTTPException) as error:
                self.tracker.reset_failed()
                self.note("reset failed", str(error))
                return
            acked = now()
            if status == 204:
                self.tracker.reset_acked(acked)
                self.count("resets")
                self.faults.clear()
                self.stubs.clear()  # a reset removes the stubs too (FixtureAPI.reset)
                with self.outcome_lock:
                    self.outcomes = [o for o in self.outcomes if o[1] >= self.tracker.reset_send]
            else:
                self.tracker.reset_failed()
                self.note("reset refused", f"{status} {data[:160]!r}")
        finally:
            self.keylock.release_write()

    def fx_clock(self, rng, client):
        with self.tracker.lock:
            clock = self.tracker.clock
        month = rng.random() < 0.08
        advance = next_month(clock) - clock + rng.randint(1, 3600) if month else rng.randint(5, 180)
        self.tracker.clock_moving(clock + advance)
        status, moved, data = client.json("POST", "/v1/clock", {"advance_seconds": advance})
        acked = now()
        if status != 200:
            self.note("clock move refused", f"{status} {data[:160]!r}")
            return
        new = whole_seconds(moved["unix"])
        self.tracker.clock_acked(new, acked)
        self.count("clock moves")
        if month:
            self.count("clock moves across a month")
        status, read, _ = client.json("GET", "/v1/clock", retry=True)
        if new != clock + advance or status != 200 or whole_seconds(read["unix"]) != new:
            self.violate("clock", f"advance_seconds {advance} from {iso(clock)} answered {iso(new)}; "
                                  f"GET /v1/clock then answered {status} {read}")

    def fx_fault(self, rng, client):
        endpoint = rng.choice(ENDPOINTS + ("*",))
        kind = rng.choice(["503", "delay", "flaky500", "reset", "truncate", "429", "keyed"])
        rule = {"endpoint": endpoint, "times": 1, "action": {"status": 503}}
        if kind == "delay":
            rule = {"endpoint": endpoint, "times": rng.randint(1, 5), "action": {"delay_ms": rng.randint(10, 200)}}
        elif kind == "flaky500":
            rule = {"endpoint": endpoint, "probability": 0.3, "seed": rng.randrange(1000), "action": {"status": 500}}
        elif kind == "reset":
            rule["action"] = {"reset": True}
        elif kind == "truncate":
            rule["action"] = {"truncate": True}
        elif kind == "429":
            rule["action"] = {"status": 429, "retry_after": 2}
        elif kind == "keyed":
            key = self.tracker.pick_live(rng)
            rule = {"endpoint": "*", "key_id": key.id if key else None, "times": 3, "action": {"status": 502}}
        status, fault, data = client.json("POST", "/v1/faults", rule)
        self.count("faults added")
        if status == 201:
            self.faults.append(fault["id"])
        else:
            self.note("fault refused", f"{status} {data[:160]!r}")

    def fx_unfault(self, rng, client):
        if self.faults and rng.random() < 0.7:
            fault = self.faults.pop(rng.randrange(len(self.faults)))
            status, _, _ = client.json("DELETE", f"/v1/faults/{fault}")
            if status not in (204, 404):  # 404: used up
                self.note("fault delete answered", str(status))
        else:
            status, _, _ = client.json("DELETE", "/v1/faults")
            self.faults.clear()
            if status != 204:
                self.note("fault delete answered", str(status))
        self.count("fault deletes")

    def fx_stub(self, rng, client):
        others = [e for e in ENDPOINTS[1:] if e in self.real_bodies]
        if rng.random() < 0.6 or not others:
            endpoint = "/transcribe"
            stub = json.dumps({"endpoint": endpoint, "match": {"filename": STUB_FILE},
                               "response": {"text": STUB_TEXT, "text_type": "en", "metadata": {},
                                            "response_time_in_sec": 0.2}}).encode()
        else:
            # A real 200 of the endpoint, as the server wrote it, as the stub's answer.
            endpoint = rng.choice(others)
            head = json.dumps({"endpoint": endpoint, "match": {"filename": STUB_FILE, "gold_text": GOLD["gold_text"]}})
            stub = head[:-1].encode() + b', "response": ' + self.real_bodies[endpoint] + b"}"
        status, created, data = client.json("POST", "/v1/stubs", stub)
        self.count("stubs added")
        if status == 201:
            self.stubs.append(created["id"])
        else:
            self.note("stub refused", f"{endpoint}: {status} {data[:200]!r}")

    def fx_unstub(self, rng, client):
        if self.stubs and rng.random() < 0.7:
            stub = self.stubs.pop(rng.randrange(len(self.stubs)))
            status, _, _ = client.json("DELETE", f"/v1/stubs/{stub}")
            if status != 204:
                self.note("stub delete answered", str(status))
        else:
            status, _, _ = client.json("DELETE", "/v1/stubs")
            self.stubs.clear()
            if status != 204:
                self.note("stub delete answered", str(status))
        self.count("stub deletes")

    # admin reads

    def read_step(self, rng, client):
        self.keylock.acquire_read()
        try:
            with self.tracker.lock:
                epoch_clock = self.tracker.epoch_clock
            key = self.tracker.pick_live(rng) or self.tracker.pick_dead(rng, epoch_only=True)
            choice = rng.choice(["keys", "key", "account", "ledger", "usage", "key usage", "audit", "clock"])
            if choice in ("key", "key usage") and key is None:
                choice = "keys"
            granularity = rng.choice(["minute", "hour", "day"])
            path = {
                "keys": "/v1/keys?limit=" + str(rng.choice([20, 100])) + rng.choice(["", "&status=active", "&status=inactive", "&status=expired", "&expiring_within=1h"]),
                "key": f"/v1/keys/{key.id}" if key else "",
                "account": "/v1/account",
                "ledger": f"/v1/account/ledger?limit={rng.choice([20, 100])}",
                "usage": f"/v1/account/usage?granularity={granularity}",
                "key usage": f"/v1/keys/{key.id}/usage?granularity=day&from={iso(epoch_clock)}" if key else "",
                "audit": f"/v1/audit-events?limit={rng.choice([20, 100])}",
                "clock": "/v1/clock",
            }[choice]
            status, _, data = client.json("GET", path, retry=True)
            self.count("admin reads")
            if status != 200:
                self.note("admin read not 200", f"GET {path}: {status} {data[:160]!r}")
        finally:
            self.keylock.release_read()

    # memory and descriptors

    def sample_loop(self):
        pid = self.server.pid
        while not self.stop.is_set():
            try:
                with open(f"/proc/{pid}/status") as f:
                    rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
                fds = len(os.listdir(f"/proc/{pid}/fd"))
                self.samples.append((self.elapsed(), rss, fds))
            except (OSError, AttributeError):
                pass
            self.stop.wait(SAMPLE_EVERY)

    def growth(self):
        """The Footprint since the warm-up, or None before the baseline.

        RSS is judged by its level, the median of each run of LEVEL_SAMPLES samples (30 s), not by
        single samples: a leak raises the level and keeps it raised, while a burst of working
        memory (a large sort in SQLite, a long ledger read) lifts one or two samples and is given
        back. The baseline is the first level after the warm-up. The peak is reported, not
        judged. Descriptors are judged sample by sample against the median of the first run."""
        later = [s for s in self.samples if s[0] >= self.warmup]
        if len(later) < LEVEL_SAMPLES:
            return None
        levels = [statistics.median(s[1] for s in later[i:i + LEVEL_SAMPLES])
                  for i in range(len(later) - LEVEL_SAMPLES + 1)]
        rss0 = levels[0]
        fd0 = statistics.median(s[2] for s in later[:LEVEL_SAMPLES])
        return Footprint(rss0=rss0, rss_growth=max(levels) - rss0, fd0=fd0,
                         fd_growth=max(s[2] for s in later) - fd0, rss_peak=max(s[1] for s in later) - rss0)

    def check_memory(self, final=False):
        """Judges the footprint (unless --no-footprint) and returns it, for the progress line."""
        growth = self.growth()
        if self.args.no_footprint:
            return growth  # a sanitizer's shadow memory and quarantine grow by design
        if growth is None:
            if final:
                self.check("rss/fds", "enough samples after the warm-up", False,
                           f"only {len(self.samples)} samples; the run is too short")
            return None
        self.check("rss/fds", "RSS growth", growth.rss_growth <= RSS_LIMIT_KIB,
                   f"RSS's level (30 s median) grew {growth.rss_growth / 1024:.2f} MiB over its baseline {growth.rss0 / 1024:.1f} MiB (limit 2 MiB)")
        self.check("rss/fds", "fd growth", growth.fd_growth <= FD_LIMIT,
                   f"open descriptors grew by {growth.fd_growth} over a baseline of {growth.fd0} (limit {FD_LIMIT})")
        return growth

    # MARK: invariant 1: money

    def read_ledger(self, client, full):
        """The ledger since the last reset, oldest first. Incremental: entries are appended at the
        head (newest first by insertion), so pages are read until a known entry."""
        epoch = self.tracker.epoch
        cached = self.ledger_cache if self.ledger_cache and self.ledger_cache[0] == epoch and not full else None
        known = cached[2] if cached else set()
        fresh, after = [], ""
        while True:
            status, page, data = client.json("GET", f"/v1/account/ledger?limit=100{after}", retry=True)
            if status != 200:
                raise RuntimeError(f"GET /v1/account/ledger answered {status}: {data[:160]!r}")
            stop = False
            for entry in page["data"]:
                if entry["id"] in known:
                    stop = True
                    break
                fresh.append(entry)
            if stop or not page["has_more"]:
                break
            after = f"&after={page['next_cursor']}"
        fresh.reverse()
        entries = (cached[1] if cached else []) + fresh
        self.ledger_cache = (epoch, entries, known | {e["id"] for e in fresh})
        return entries, len(fresh)

    def usage_total(self, client, path):
        status, usage, data = client.json("GET", path, retry=True)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {data[:160]!r}")
        credits = sum(micro(b["credits"]) for b in usage["buckets"])
        ok = sum(b["requests"]["200"] for b in usage["buckets"])
        return credits, ok

    def check_money(self, client, full=False, label="money"):
        t = self.tracker
        with t.lock:
            epoch, epoch_clock, reset_send, reset_ack = t.epoch, t.epoch_clock, t.reset_send, t.reset_ack
            epoch_ids = {k.id for k in t.keys.values() if k.epoch == epoch}
        status, account, data = client.json("GET", "/v1/account", retry=True)
        if status != 200:
            return self.check(label, "GET /v1/account", False, f"{status} {data[:160]!r}")
        balance = micro(account["balance"])
        if full and self.ledger_cache:
            cached = list(self.ledger_cache[1]) if self.ledger_cache[0] == epoch else None
        else:
            cached = None
        entries, _ = self.read_ledger(client, full)
        if cached is not None:
            self.check(label, "the ledger read whole equals the ledger read page by page", entries == cached or
                       entries[:len(cached)] == cached, "entries changed since they were first read")
        since = iso(day_start(epoch_clock))
        usage_credits, usage_200 = self.usage_total(client, f"/v1/account/usage?granularity=day&from={since}")
        status, account2, _ = client.json("GET", "/v1/account", retry=True)
        balance2 = micro(account2["balance"]) if status == 200 else None

        charges = [e for e in entries if e["kind"] == "charge"]
        charged = sum(-micro(e["amount"]) for e in charges)
        total = sum(micro(e["amount"]) for e in entries)
        self.check(label, "quiet (the balance did not move while it was read)", balance == balance2,
                   f"{credits_text(balance)} then {credits_text(balance2 or 0)}")
        self.check(label, "ledger charges == account usage credits", charged == usage_credits,
                   f"ledger charges {credits_text(charged)} ({len(charges)} entries), usage credits "
                   f"{credits_text(usage_credits)} (from {since}, epoch {epoch})")
        self.check(label, "usage 200s == ledger charges", usage_200 == len(charges),
                   f"usage counts {usage_200} answered 200, the ledger has {len(charges)} charges")
        self.check(label, "balance == sum of ledger amounts", balance == total,
                   f"balance {credits_text(balance)}, ledger sums to {credits_text(total)} over {len(entries)} entries")
        # The chain: each balance_after follows from the previous one; the first is the reset's grant.
        problem = None
        if not entries or entries[0]["kind"] != "grant" or micro(entries[0]["amount"]) != START_CREDITS * MICRO:
            problem = f"the first entry since the reset is not the {START_CREDITS} grant: {json.dumps(entries[:1])[:200]}"
        running = 0
        for entry in entries:
            running += micro(entry["amount"])
            if problem is None and micro(entry["balance_after"]) != running:
                problem = (f"entry {entry['id']} ({entry['kind']} {entry['amount']}) has balance_after "
                           f"{entry['balance_after']}, the entries before it give {credits_text(running)}")
        if problem is None and entries and micro(entries[-1]["balance_after"]) != balance:
            problem = f"the last balance_after {entries[-1]['balance_after']} is not the balance {credits_text(balance)}"
        self.check(label, "balance_after chain", problem is None, problem or "")
        # Every charge priced from its seconds, with a key of this epoch, and only expected kinds.
        problem = None
        for entry in entries:
            if entry["kind"] not in ("grant", "expire", "charge"):
                problem = f"unexpected ledger kind since the reset: {json.dumps(entry)[:200]}"
            elif entry["kind"] == "charge":
                seconds = entry["audio_seconds"]
                rate = RATE_MICRO.get(entry["endpoint"])
                if rate is None or seconds not in (1, 2, 3) or micro(entry["amount"]) != -seconds * rate:
                    problem = f"charge not priced as documented: {json.dumps(entry)[:240]}"
                elif entry["key_id"] not in epoch_ids:
                    problem = (f"charge for {entry['key_id']}, which is not a key made since the last reset "
                               f"(a request of an earlier epoch billed to this one?): {json.dumps(entry)[:240]}")
            if problem:
                break
        self.check(label, "charges priced and owned by this epoch's keys", problem is None, problem or "")
        # What the answered 200s require (sent after the reset was acknowledged) and allow.
        with self.outcome_lock:
            outcomes = list(self.outcomes)
        need = [o for o in outcomes if o[2] == "ok" and o[0] > reset_ack]
        allow = [o for o in outcomes if o[2] in ("ok", "unknown") and o[1] >= reset_send]
        low, high = sum(o[3] for o in need), sum(o[3] for o in allow)
        self.check(label, "charges match the answered 200s",
                   len(need) <= len(charges) <= len(allow) and low <= charged <= high,
                   f"{len(charges)} charges of {credits_text(charged)}; the client saw {len(need)} 200s of "
                   f"{credits_text(low)} sent after the reset and at most {len(allow)} of {credits_text(high)}")
        # Per key: the key's usage credits == its charges (a sample of keys with charges).
        by_key = collections.Counter()
        for entry in charges:
            by_key[entry["key_id"]] += -micro(entry["amount"])
        rng = random.Random(f"{self.seed}/money/{len(self.check_log)}")
        sample = rng.sample(sorted(by_key), min(3, len(by_key)))
        for key_id in sample:
            credits, _ = self.usage_total(client, f"/v1/keys/{key_id}/usage?granularity=day&from={since}")
            self.check(label, "key usage credits == key's ledger charges", credits == by_key[key_id],
                       f"{key_id}: usage {credits_text(credits)}, ledger {credits_text(by_key[key_id])}")
        self.check_log.append((self.elapsed(), len(entries), len(charges), charged, balance))
        return entries, balance

    # MARK: the periodic check

    def periodic_check(self, final=False):
        if not self.gate.pause(CLI_TIMEOUT * 2 + 30):
            self.check("harness", "workload quiesced", False, "a workload thread did not finish its operation in time")
            self.gate.resume()
            return
        try:
            if not self.check("server", "server running", self.server.alive(),
                              f"theta-console exited with {self.server.process.returncode}"):
                self.stop.set()
                return
            client = Client(self.port, self.token)
            try:
                self.check_money(client, full=final)
            except (RuntimeError, KeyError, ValueError, TypeError, OSError, http.client.HTTPException) as error:
                self.check("money", "money could be read", False, f"{type(error).__name__}: {error}")
            finally:
                client.close()
            with self.violation_lock:
                dead200 = sum(1 for kind, _ in self.violations if kind == "dead key answered 200")
            self.check("dead keys", "no ended key answered 200", dead200 == self.dead200_seen,
                       f"{dead200 - self.dead200_seen} new 200s for ended keys (above)")
            self.dead200_seen = dead200
            growth = self.check_memory(final=final)
            with self.stats_lock:
                total = sum(self.requests.values())
            self.log(f"check: {total} speech requests, epoch {self.tracker.epoch}, "
                     f"{len(self.tracker.current_keys())} keys this epoch, ledger {self.check_log[-1][1] if self.check_log else '?'} entries"
                     + (f", RSS level +{growth.rss_growth / 1024:.2f} MiB (peak {growth.rss_peak / 1024:+.2f}), fds +{growth.fd_growth}"
                        if growth else ", (warming up)"))
        finally:
            self.gate.resume()

    # MARK: invariant 3: kill -9, restart

    def expected_keys(self):
        t = self.tracker
        with t.lock:
            current = [k for k in t.keys.values() if k.epoch == t.epoch]
            earlier = {k.id for k in t.keys.values() if k.epoch != t.epoch}
            clock = t.clock
        return current, earlier, clock

    def check_keys(self, records, where, clock, exact_status):
        current, earlier, _ = self.expected_keys()
        by_id = {r["id"]: r for r in records}
        missing = [k.id for k in current if k.id not in by_id]
        self.check("durability", f"every acknowledged create is in the database ({where})", not missing,
                   f"{len(missing)} of {len(current)} missing: {missing[:10]}")
        survivors = sorted(earlier & set(by_id))
        self.check("durability", f"no key from before the last reset ({where})", not survivors,
                   f"{len(survivors)} keys of earlier epochs remain: {survivors[:10]}")
        wrong = []
        for key in current:
            record = by_id.get(key.id)
            if record is None or not key.deactivation_acked:
                continue
            if record["status"] == "inactive":
                continue
            grace = parse_iso(record.get("grace_until"))
            if not exact_status and grace is not None and grace <= clock:
                continue  # the CLI judges the grace by the real clock, which is years before the fake one
            wrong.append(f"{key.id} ({key.dead_reason}): {record['status']}")
        self.check("durability", f"every acknowledged deactivation is inactive ({where})", not wrong,
                   f"{len(wrong)}: {wrong[:10]}")
        if exact_status:
            wrong = []
            for key in current:
                record = by_id.get(key.id)
                if record is None or key.deactivation_tried or key.deactivation_acked:
                    continue
                expires, grace = parse_iso(record.get("expires_at")), parse_iso(record.get("grace_until"))
                if (key.expires_at != expires) or (key.rolled_to and record.get("rolled_to") != key.rolled_to):
                    wrong.append(f"{key.id}: expires_at {record.get('expires_at')}, rolled_to {record.get('rolled_to')}")
                    continue
                if key.rolled and not key.rolled_to:
                    continue  # a roll whose answer was lost
                expected = ("inactive" if grace is not None and grace <= clock else
                            "expired" if expires is not None and expires <= clock else "active")
                if record["status"] != expected:
                    wrong.append(f"{key.id} ({key.source}): {record['status']}, expected {expected}")
            self.check("durability", f"every other key has the status its expiry and grace give ({where})", not wrong,
                       f"{len(wrong)}: {wrong[:10]}")

    def final_phase(self, entries, balance):
        _, _, clock = self.expected_keys()
        client = Client(self.port, self.token)
        status, moved, _ = client.json("GET", "/v1/clock", retry=True)
        client.close()
        self.check("durability", "the clock is where the client left it", status == 200 and whole_seconds(moved["unix"]) == clock,
                   f"GET /v1/clock: {status} {moved}")
        self.log(f"kill -9 {self.server.pid}")
        self.server.kill9()
        self.count("kill -9")
        code, out, _ = self.cli("keys", "list", "--json")
        if self.check("durability", "keys list after kill -9", code == 0, f"exit {code}"):
            self.check_keys(loads(out), "CLI after kill -9", clock, exact_status=False)
        # Restart on the same file, at the same fake time; without --plan/--credits, which would
        # set the account again.
        self.server = Server(self.binary, ["--db", self.db, "--admin-token-file", self.token_file,
                                           "--fake-time", iso(clock), "--log-level", "warning"], self.stderr_path)
        self.port = self.server.port
        self.log(f"restarted on port {self.port} (pid {self.server.pid})")
        client = Client(self.port, self.token)
        try:
            records, after = [], ""
            while True:
                status, page, data = client.json("GET", f"/v1/keys?limit=100{after}", retry=True)
                if status != 200:
                    raise RuntimeError(f"GET /v1/keys answered {status}: {data[:160]!r}")
                records += page["data"]
                if not page["has_more"]:
                    break
                after = f"&after={page['next_cursor']}"
            self.check_keys(records, "API after restart", clock, exact_status=True)
            self.ledger_cache = None
            after_entries, after_balance = self.check_money(client, full=True, label="money after restart")
            self.check("money after restart", "ledger after restart == ledger before kill -9",
                       [e["id"] for e in after_entries] == [e["id"] for e in entries] and after_balance == balance,
                       f"{len(entries)} entries and balance {credits_text(balance)} before, {len(after_entries)} "
                       f"and {credits_text(after_balance)} after")
        except (RuntimeError, KeyError, ValueError, TypeError, OSError, http.client.HTTPException) as error:
            self.check("durability", "the restarted server could be read", False, f"{type(error).__name__}: {error}")
        finally:
            client.close()
        code = self.server.terminate()
        self.check("durability", "SIGTERM stops the restarted server with exit 0", code == 0, f"exit {code}")
        code, out, _ = self.cli("db", "check")
        self.check("durability", "db check", code == 0 and out.strip() == b"ok", f"exit {code}: {out[:200]!r}")

    # MARK: the run

    def run(self):
        self.start()
        self.started = now()
        self.dead200_seen = 0
        self.dead200_evidence = 0
        self.next_reset = self.started + self.reset_interval
        self.log(f"theta-console pid {self.server.pid} on port {self.port}; work folder {self.work}")
        sampler = threading.Thread(target=self.sample_loop, name="sampler", daemon=True)
        sampler.start()
        for i in range(self.args.speech_threads):
            self.spawn(f"speech-{i}", self.speech_step, lambda rng: rng.uniform(0, 0.01))
        self.spawn("admin", self.admin_step, lambda rng: rng.uniform(0.05, 0.3))
        self.spawn("fixtures", self.fixture_step, lambda rng: rng.uniform(0.3, 1.2))
        self.spawn("cli", self.cli_step, lambda rng: rng.uniform(0.5, 2.0))
        self.spawn("reads", self.read_step, lambda rng: rng.uniform(0.05, 0.3))
        deadline = self.started + self.duration
        next_check = self.started + self.args.check_interval
        while not self.stop.is_set() and now() < deadline:
            self.stop.wait(max(0.0, min(next_check, deadline) - now()))
            if now() >= next_check and now() < deadline and not self.stop.is_set():
                self.periodic_check()
                next_check = now() + self.args.check_interval
        workload_ended = self.elapsed()
        self.stop.set()
        for thread in self.threads:
            thread.join(CLI_TIMEOUT * 2 + 30)
        sampler.join(5)
        self.gate.resume()
        if any(t.is_alive() for t in self.threads):
            self.check("harness", "workload threads stopped", False, "a thread is still running")
        if self.server.alive():
            self.periodic_check(final=True)
            entries, balance = (self.ledger_cache[1], self.check_log[-1][4]) if self.check_log else ([], 0)
            if self.server.alive():
                self.final_phase(entries, balance)
        else:
            self.check("server", "server running", False, f"theta-console exited with {self.server.process.returncode}")
        return workload_ended

    def summary(self, workload_ended):
        if getattr(self, "work", None) and os.path.isdir(self.work):
            with open(os.path.join(self.work, "samples.tsv"), "w") as f:
                f.write("seconds\trss_kib\tfds\n")
                for elapsed, rss, fds in self.samples:
                    f.write(f"{elapsed:.1f}\t{rss}\t{fds}\n")
        print()
        print(f"soak summary: {workload_ended:.0f} s of workload (asked {self.duration:.0f} s), seed {self.seed}, "
              f"binary {self.binary}")
        print(f"work folder {self.work}; server stderr {self.stderr_path}")
        total = sum(self.requests.values())
        print(f"speech requests: {total} ({total / max(workload_ended, 1):.0f}/s)")
        for endpoint in ENDPOINTS:
            counts = {label: n for (e, label), n in self.requests.items() if e == endpoint}
            listed = "  ".join(f"{label}: {counts[label]}" for label in sorted(counts))
            print(f"  {endpoint:22} {sum(counts.values()):7}   {listed}")
        dead = sum(self.dead_answers.values())
        print(f"  sent with an ended or unknown key: {dead} ("
              + ", ".join(f"{label}: {n}" for label, n in sorted(self.dead_answers.items())) + "); by cause: "
              + ", ".join(f"{cause}: {n}" for cause, n in sorted(self.dead_by_reason.items())) + ")")
        ops = self.ops
        print("admin and CLI: " + ", ".join(f"{name} {ops[name]}" for name in sorted(ops)))
        print(f"resets every {self.reset_interval:.0f} s; invariant checks at most every {self.args.check_interval:.0f} s, "
              f"{len(self.check_log)} money checks, the last over {self.check_log[-1][1] if self.check_log else 0} ledger entries")
        growth = self.growth()
        if growth:
            rss0, rss_growth, fd0, fd_growth, rss_peak = growth
            rss_max = max(s[1] for s in self.samples)
            print(f"RSS: baseline {rss0 / 1024:.2f} MiB (median of the first {LEVEL_SAMPLES} samples after {self.warmup:.0f} s), "
                  f"largest growth of its 30 s median {rss_growth / 1024:.2f} MiB (limit 2 MiB); "
                  f"largest single sample {rss_peak / 1024:+.2f} MiB over the baseline (not judged), max {rss_max / 1024:.2f} MiB; "
                  f"{len(self.samples)} samples every {SAMPLE_EVERY:.0f} s")
            print(f"fds: baseline {fd0:g}, max growth {fd_growth:g} (limit {FD_LIMIT}), "
                  f"range {min(s[2] for s in self.samples)}–{max(s[2] for s in self.samples)}")
        else:
            print(f"RSS/fds: no baseline ({len(self.samples)} samples)")
        if self.notes:
            print("noted (not invariants):")
            for kind, n in sorted(self.notes.items()):
                print(f"  {kind}: {n}; e.g. {self.note_examples[kind][:2]}")
        by_invariant = collections.defaultdict(lambda: [0, 0])
        for (invariant, ok), n in self.checks.items():
            by_invariant[invariant][0 if ok else 1] += n
        print("invariant checks: " + ", ".join(f"{inv} {p} passed/{f} failed" for inv, (p, f) in sorted(by_invariant.items())))
        if self.violations:
            print(f"\n{len(self.violations)} violations:")
            kinds = collections.Counter(kind for kind, _ in self.violations)
            listed = collections.Counter()
            for kind, message in self.violations:
                listed[kind] += 1
                if listed[kind] <= VIOLATIONS_SHOWN:
                    print(f"  [{kind}] {message}")
            for kind, n in kinds.items():
                if n > VIOLATIONS_SHOWN:
                    print(f"  [{kind}] … {n - VIOLATIONS_SHOWN} more")
            print(f"\n--- server stderr (tail of {self.stderr_path}) ---\n{tail(self.stderr_path)}\n---")
        passed = sum(n for (_, ok), n in self.checks.items() if ok)
        failed = sum(n for (_, ok), n in self.checks.items() if not ok)
        print(f"soak: {passed} passed, {failed} failed")
        return failed == 0 and not self.violations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("minutes", nargs="?", type=float, default=30.0, help="how long the workload runs (default 30)")
    parser.add_argument("--seconds", type=float, help="the workload's length in seconds instead (for short checks)")
    parser.add_argument("--binary", required=True, help="the theta-console binary")
    parser.add_argument("--seed", type=int, default=1, help="seeds every random choice (default 1)")
    parser.add_argument("--speech-threads", type=int, default=4)
    parser.add_argument("--check-interval", type=float, default=10.0, help="seconds between invariant checks")
    parser.add_argument("--workdir", help="the work folder (default: a new one under $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder after a clean run")
    parser.add_argument("--no-footprint", action="store_true",
                        help="skip the RSS and descriptor checks (for a binary built with a sanitizer)")
    args = parser.parse_args()
    soak = Soak(args)
    workload_ended = 0.0
    try:
        workload_ended = soak.run()
    except KeyboardInterrupt:
        soak.stop.set()
        soak.check("harness", "not interrupted", False, "interrupted")
    except Exception:
        soak.stop.set()
        soak.check("harness", "ran to the end", False, traceback.format_exc())
    finally:
        if soak.server is not None and soak.server.alive():
            soak.server.kill9()
    ok = soak.summary(workload_ended)
    if ok and not args.keep and not args.workdir and getattr(soak, "work", None):
        shutil.rmtree(soak.work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
