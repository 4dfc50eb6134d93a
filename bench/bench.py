#!/usr/bin/env python3
"""The benchmark driver behind `bench/run` (which builds the binaries first).

Runs scenarios A–G (E with its concurrent variant E8 and B-during-E8), S (the leak scanner), R
(fixture reset), U (usage over time) and T (HTTPS: A and B over TLS, new TLS connections, RSS with
idle TLS connections) against a release theta-console and the baselines, prints a table, and rewrites the generated part of
docs/benchmarks.md. Every time comparison is a ratio against a baseline run in the same
invocation, interleaved with it (baseline, server, baseline, server, …), so that load from
elsewhere on the machine hits both alike. The server under test and the baseline run on core
1, the load generator on core 0. Traffic goes to 127.0.0.1 only.
"""
import argparse
import datetime
import http.client
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
SERVER_CORE = 1
LOAD_CORE = 0
TOKEN = "theta-admin-bench0000000000000000000000000000000000"
BOUNDARY = "theta-bench-boundary-7MA4YWxkTrZu0gW"
NGINX_BODY = b'{"text":"Welcome to Theta One AI!","text_type":"en","metadata":{},"response_time_in_sec":0.001}'
MIB = 1024 * 1024
CREATE_CLIENTS = 8  # E8's concurrent clients
# What --only selects: one character per scenario; "8" is E8 and B-during-E8 (`--only E8` runs E too).
SCENARIOS = "ABCDE8FGSRUT"
RESET_KEYS = 100  # R: keys, charges and audit events a test might leave behind before each reset
USAGE_KEYS = 10  # U: keys with a year of usage each, every minute of it
SCAN_FILES = 16  # S: the generated text is split over this many files
TLS_IDLE_CONNECTIONS = 1000  # T: idle TLS connections held open while the server's RSS is read


def pinned(core):
    return lambda: os.sched_setaffinity(0, {core})


def log(message):
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# MARK: - Request bodies


def wav(seconds, rate=16_000):
    """A 16-bit mono PCM WAV of a quiet 440 Hz tone; 1 s at 16 kHz is 32,044 bytes."""
    frames = int(round(seconds * rate))
    samples = bytearray(frames * 2)
    for i in range(frames):
        value = int(math.sin(i * 2 * math.pi * 440 / rate) * 2000) & 0xFFFF
        samples[2 * i] = value & 0xFF
        samples[2 * i + 1] = value >> 8
    return wav_header(len(samples), rate) + bytes(samples)


def wav_header(data_bytes, rate=16_000):
    import struct
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", data_bytes))


def multipart_head():
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode()


def multipart_tail():
    return f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart(audio):
    return multipart_head() + audio + multipart_tail()


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def unknown_key():
    """A well-formed key (prefix, base62, CRC-32 checksum) that no database holds."""
    return key_from_symbols(b % 62 for b in os.urandom(32))


def key_from_symbols(symbols):
    """The key whose 32 random base62 symbols are `symbols` (numbers 0-61), with its CRC-32."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    body = "sk-theta-" + "".join(alphabet[n] for n in symbols)
    crc = zlib.crc32(body.encode())
    digits = ""
    for _ in range(6):
        digits = alphabet[crc % 62] + digits
        crc //= 62
    return body + digits


# MARK: - Processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Theta:
    """A theta-console `serve` process; reads its port from the line it prints, and with TLS flags
    in `args` its HTTPS port (`tls_port`) from the next."""

    def __init__(self, binary, db, args=(), core=SERVER_CORE, threads=1):
        command = [binary, "serve", "--port", "0", "--db", db, "--log-level", "warning"]
        if threads is not None:
            command += ["--threads", str(threads)]
        command += list(args)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        preexec_fn=pinned(core) if core is not None else None)
        self.port = self.tls_port = None
        tls = "--tls-cert" in command or "--tls-self-signed" in command
        deadline = time.time() + 30
        while self.port is None or (tls and self.tls_port is None):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"theta-console did not start: {self.process.stderr.read().decode()[-2000:]}")
            line = self.process.stdout.readline().decode()
            match = re.search(r"listening on (https?)://127\.0\.0\.1:(\d+)", line)
            if match and match.group(1) == "http":
                self.port = int(match.group(2))
            elif match:
                self.tls_port = int(match.group(2))
        # Drain stdout and stderr so a chatty log can never block the server.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Nginx:
    """nginx from apt, one worker, daemon off, under its own prefix (not the system service).
    With `tls` (certificate file, key file) it also listens with ssl on `tls_port`, same routes."""

    def __init__(self, prefix, key, tls=None):
        self.prefix = prefix
        self.port = free_port()
        self.tls_port = None
        tls_lines = ""
        if tls:
            # TLS 1.2 and 1.3, as theta-console; everything else nginx's defaults (ciphers, session
            # tickets on, no shared session cache).
            self.tls_port = free_port()
            certificate, key_file = tls
            # One line: the template's header comment names @TLS@ too.
            tls_lines = (f"listen 127.0.0.1:{self.tls_port} ssl backlog=1024; ssl_certificate {certificate}; "
                         f"ssl_certificate_key {key_file}; ssl_protocols TLSv1.2 TLSv1.3;")
        os.makedirs(prefix, exist_ok=True)
        with open(os.path.join(BENCH, "nginx.conf.template")) as f:
            conf = f.read()
        conf = conf.replace("@PREFIX@", prefix).replace("@PORT@", str(self.port)).replace("@KEY@", key)
        conf = conf.replace("@TLS@", tls_lines)
        path = os.path.join(prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        # master_process off: one process, which is the worker; its pid is the one to measure.
        self.process = subprocess.Popen(["nginx", "-p", prefix, "-c", path], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, preexec_fn=pinned(SERVER_CORE))
        self.pid = self.process.pid
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {self.process.stderr.read().decode()[-2000:]}")
                time.sleep(0.01)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# MARK: - HTTP helpers (setup and checks only; load comes from wrk)


def request(port, method, path, body=None, headers=None, token=True, tls=None):
    """One request on a new connection; over HTTPS when `tls` is an ssl.SSLContext."""
    if tls:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=tls)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {TOKEN}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def create_key(port, name, rpm):
    status, data = request(port, "POST", "/v1/keys", json.dumps({"name": name, "rate_limit_rpm": rpm}),
                           {"Content-Type": "application/json"})
    if status != 201:
        raise RuntimeError(f"creating a key failed: {status} {data[:200]!r}")
    return json.loads(data)["key"]


def seed_keys(port, count, workers=4):
    """POST /v1/keys `count` times over keep-alive connections, the way a client would."""
    body = json.dumps({"name": "seeded key"})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    errors = []

    def work(n):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(n):
            connection.request("POST", "/v1/keys", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                errors.append(response.status)
                return
        connection.close()

    threads = [threading.Thread(target=work, args=(count // workers + (i < count % workers),)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"seeding keys failed with status {errors[0]}")


# MARK: - wrk


class Load:
    def __init__(self, args):
        self.connections = args.connections
        self.duration = args.duration
        self.repeats = args.repeats

    def wrk(self, *args, **kwargs):
        return self.start(*args, **kwargs).result()

    def start(self, port, path, method="GET", body_file="-", headers=(), connections=None, duration=None,
              pace_ms=None, scheme="http"):
        """A wrk run in the background; `result()` waits for it and reads its summary. With
        scheme "https", wrk speaks TLS (no certificate check; each connection's handshake once,
        then keep-alive, unless a "Connection: close" header makes every request a new one)."""
        environment = dict(os.environ)
        environment.pop("BENCH_PACE_MS", None)
        if pace_ms:
            environment["BENCH_PACE_MS"] = str(pace_ms)
        command = ["wrk", "-t1", "-c", str(connections or self.connections), "-d", f"{duration or self.duration}s",
                   "--timeout", "5s", "-s", os.path.join(BENCH, "request.lua"), f"{scheme}://127.0.0.1:{port}{path}",
                   "--", method, body_file, *headers]
        return WrkRun(command, environment)


class WrkRun:
    def __init__(self, command, environment):
        self.command = command
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        preexec_fn=pinned(LOAD_CORE), env=environment)

    def result(self):
        output, errors = self.process.communicate()
        if self.process.returncode != 0:
            raise subprocess.CalledProcessError(self.process.returncode, self.command, output, errors)
        match = re.search(r"^BENCH (\{.*\})$", output, re.M)
        if not match:
            raise RuntimeError(f"wrk printed no summary:\n{output}")
        result = json.loads(match.group(1))
        result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
        result["socket_errors"] = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        return result

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def median(values):
    return statistics.median(values)


def check_statuses(result, expect_errors, label):
    """wrk counts responses with status > 399 as errors.status; each run must be all-or-nothing."""
    wanted = result["requests"] if expect_errors else 0
    # A request cut off at the end of the run may be counted without its status; allow a handful.
    if abs(result["status_errors"] - wanted) > max(64, result["requests"] // 1000) or result["socket_errors"] > 64:
        raise RuntimeError(f"{label}: unexpected statuses or socket errors: {result}")


# MARK: - Scenarios


def cpu_seconds(pid):
    """User + system CPU time of every thread of `pid` so far."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass  # a thread that ended meanwhile
    return total / os.sysconf("SC_CLK_TCK")


def measured(load, pid, *args, **kwargs):
    """A wrk run, with the CPU time the server used during it: requests per CPU-second shows
    the cost of a request even when other work on the core takes some of its time."""
    before = cpu_seconds(pid)
    result = load.wrk(*args, **kwargs)
    result["cpu_s"] = cpu_seconds(pid) - before
    result["per_cpu_s"] = result["requests"] / result["cpu_s"] if result["cpu_s"] > 0 else float("nan")
    return result


def run_pair(load, label, theta, nginx, path, body_file, headers, expect_errors, pace_ms=None, method="POST",
             tls=False):
    """Interleaved runs: nginx, theta, nginx, theta, … Each side gets a short warm-up first. With
    `tls`, to each server's HTTPS port."""
    scheme = "https" if tls else "http"

    def port(server):
        return server.tls_port if tls else server.port

    load.wrk(port(nginx), path, method, body_file, headers, duration=1, scheme=scheme)
    load.wrk(port(theta), path, method, body_file, headers, duration=1, scheme=scheme)
    runs = {"nginx": [], "theta": []}
    for i in range(load.repeats):
        for side, server in (("nginx", nginx), ("theta", theta)):
            result = measured(load, server.pid, port(server), path, method, body_file, headers, pace_ms=pace_ms,
                              scheme=scheme)
            check_statuses(result, expect_errors, f"{label} {side}")
            runs[side].append(result)
            log(f"{label} {side} run {i + 1}: {result['rps']:.0f} rps, p99 {result['p99_us'] / 1000:.2f} ms, "
                f"{result['per_cpu_s']:.0f} requests per CPU-second")
    return runs


lost_sigterms = []


def scenario_startup(binary, workdir, runs, prefix="startup"):
    """F: from exec to the first 200 from /healthz, on a new database each time."""
    times = []
    for i in range(runs):
        db = os.path.join(workdir, f"{prefix}-{i}.sqlite3")
        started = time.perf_counter()
        process = subprocess.Popen([binary, "serve", "--port", "0", "--db", db, "--log-level", "warning"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, preexec_fn=pinned(SERVER_CORE))
        port = None
        buffer = b""
        while port is None:
            ready, _, _ = select.select([process.stdout], [], [], 10)
            if not ready:
                raise RuntimeError("theta-console did not start")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("theta-console exited during start-up")
            buffer += chunk
            match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", buffer)
            if match:
                port = int(match.group(1))
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                reply = s.recv(4096)
                s.close()
                if reply.startswith(b"HTTP/1.1 200"):
                    break
            except OSError:
                pass
        times.append((time.perf_counter() - started) * 1000)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            # A SIGTERM this soon after start-up can be lost (see docs/benchmarks.md); count it.
            lost_sigterms.append(i)
            process.kill()
            process.wait()
    return times


def scenario_reset(binary, rounds):
    """R: POST /v1/reset on a :memory: server, after a test's worth of state (keys, uploads, a
    fault), one connection, one at a time: what a suite pays to reset before every test."""
    theta = Theta(binary, ":memory:", ["--admin-token", TOKEN, "--allow-reset", "--plan", "enterprise",
                                       "--credits", "1000", "--max-key-rpm", "100000"])
    try:
        connection = http.client.HTTPConnection("127.0.0.1", theta.port, timeout=30)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        payload = multipart(wav(1))
        times = []
        for _ in range(rounds):
            for i in range(RESET_KEYS // 10):
                key = create_key(theta.port, f"reset {i}", 100_000)
                status, _ = request(theta.port, "POST", "/transcribe", payload,
                                    {"Content-Type": CONTENT_TYPE, "x-api-key": key}, token=False)
                assert status == 200, status
            started = time.perf_counter()
            connection.request("POST", "/v1/reset", headers=auth)
            response = connection.getresponse()
            response.read()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status == 204, response.status
        return times
    finally:
        theta.stop()


def seed_usage(db, key_ids, now):
    """U: a year of usage for each key, as the server leaves it: minute rows since the start of
    the hour 48 hours ago, hour rows since the start of the UTC day 90 days ago, day rows for the
    year, each wider row the sum of the narrower ones where both are kept, and the account's rows
    (key_id '*') the sums over the keys. Every minute has requests (a key used every minute: the
    most rows a key can have). Written straight into the file with Python's sqlite3, in the
    schema of migration 0005: a year of requests through the API would take a year."""
    import random
    import sqlite3
    rng = random.Random(20261127)
    minute_since = now // 3600 * 3600 - 48 * 3600
    hour_since = now // 86400 * 86400 - 90 * 86400
    day_since = now // 86400 * 86400 - 365 * 86400
    end = now // 60 * 60 + 60
    rows = {}  # (key, width, start) -> [200, 400, 401, 402, 413, 429, audio seconds, micro-credits]

    def add(key, width, start, counts):
        row = rows.setdefault((key, width, start), [0] * 8)
        for i, n in enumerate(counts):
            row[i] += n

    def random_counts(minutes):
        ok = rng.randint(1, 20) * minutes
        seconds = ok * rng.randint(1, 6)
        return [ok, rng.randint(0, 2) * minutes, rng.randint(0, 1) * minutes, 0, rng.randint(0, 1) * minutes,
                rng.randint(0, 3) * minutes, seconds, seconds * 400]

    for key in key_ids:
        # What is kept at each width, the finest first; a wider row gets the finer rows' sums
        # where they are kept, and usage of its own before that.
        for start in range(minute_since, end, 60):
            counts = random_counts(1)
            for width in (60, 3600, 86400):
                add(key, width, start // width * width, counts)
        for start in range(hour_since, minute_since, 3600):
            counts = random_counts(60)
            for width in (3600, 86400):
                add(key, width, start // width * width, counts)
        for start in range(day_since, hour_since, 86400):
            add(key, 86400, start, random_counts(1440))
    for (key, width, start), counts in list(rows.items()):
        add("*", width, start, counts)
    connection = sqlite3.connect(db)
    with connection:
        connection.executemany(
            "INSERT INTO usage_buckets (key_id, granularity, start, requests_200, requests_400, requests_401, "
            "requests_402, requests_413, requests_429, audio_seconds, credits_micro) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(key, width, start, *counts) for (key, width, start), counts in rows.items()])
    connection.close()
    return len(rows)


def scenario_usage(load, binary, workdir, serve_args):
    """U: GET /v1/keys/{id}/usage?granularity=hour (the default range: the last 30 days, 720
    buckets) on one of USAGE_KEYS keys with a year of usage each, one connection, as D is judged."""
    db = os.path.join(workdir, "usage.sqlite3")
    theta = Theta(binary, db, serve_args, core=None, threads=None)
    try:
        key_ids = []
        for i in range(USAGE_KEYS):
            _, data = request(theta.port, "POST", "/v1/keys", json.dumps({"name": f"usage {i}"}),
                              {"Content-Type": "application/json"})
            key_ids.append(json.loads(data)["id"])
    finally:
        theta.stop()
    rows = seed_usage(db, key_ids, int(time.time()))
    log(f"U: seeded {rows:,} usage rows for {USAGE_KEYS} keys")
    theta = Theta(binary, db, serve_args)
    try:
        path = f"/v1/keys/{key_ids[USAGE_KEYS // 2]}/usage?granularity=hour"
        status, data = request(theta.port, "GET", path)
        answer = json.loads(data)
        assert status == 200 and len(answer["buckets"]) == 720, (status, data[:200])
        assert all(sum(b["requests"].values()) > 0 for b in answer["buckets"][:-1]), "the buckets should not be empty"
        auth = (f"Authorization: Bearer {TOKEN}",)
        load.wrk(theta.port, path, "GET", "-", auth, connections=1, duration=1)
        runs = []
        for i in range(load.repeats):
            result = measured(load, theta.pid, theta.port, path, "GET", "-", auth, connections=1)
            check_statuses(result, False, "U")
            runs.append(result)
            log(f"U run {i + 1}: {result['rps']:.0f} rps, p99 {result['p99_us'] / 1000:.2f} ms")
        return {"runs": runs, "rows": rows, "bytes": len(data)}
    finally:
        theta.stop()


def read_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM", "RssFile", "RssAnon")):
                name, value = line.split(":")
                values[name] = int(value.split()[0]) / 1024  # KiB → MiB
    return values


def scenario_memory(binary, workdir):
    """G: RSS idle, with 1,000 keep-alive connections open, and the peak during a 100 MiB upload."""
    db = os.path.join(workdir, "memory.sqlite3")
    # Default threads (one loop per core), as a user runs it; the upload limit raised to 200 MiB so
    # the 100 MiB upload takes the full streaming path instead of an early 413.
    theta = Theta(binary, db, ["--admin-token", TOKEN, "--plan", "enterprise", "--credits", "1000000",
                               "--max-upload-mb", "200"], core=None, threads=None)
    try:
        key = create_key(theta.port, "memory", 100)
        # One small accepted request first, so idle means "has served", not "never touched".
        body = multipart(wav(1))
        status, _ = request(theta.port, "POST", "/transcribe", body,
                            {"x-api-key": key, "Content-Type": CONTENT_TYPE}, token=False)
        assert status == 200, status
        time.sleep(1.5)
        idle_status = read_status(theta.pid)
        idle = idle_status["VmRSS"]

        # The 100 MiB upload: a WAV whose data chunk fills it, streamed in 256 KiB writes.
        total = 100 * MIB
        head, tail = multipart_head(), multipart_tail()
        audio_bytes = total - len(head) - len(tail)
        data_bytes = audio_bytes - 44
        with open(f"/proc/{theta.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux ≥ 4.0)
        before = read_status(theta.pid)["VmRSS"]
        s = socket.create_connection(("127.0.0.1", theta.port))
        s.sendall((f"POST /transcribe HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\n"
                   f"Content-Type: {CONTENT_TYPE}\r\nContent-Length: {total}\r\n\r\n").encode())
        s.sendall(head + wav_header(data_bytes))
        chunk = bytes(256 * 1024)
        left = data_bytes
        while left > 0:
            n = min(left, len(chunk))
            s.sendall(chunk[:n])
            left -= n
        s.sendall(tail)
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += s.recv(65536)
        s.close()
        if not reply.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"100 MiB upload was refused: {reply[:200]!r}")
        peak = read_status(theta.pid)["VmHWM"]

        # 1,000 keep-alive connections, each having made one request and left open.
        sockets = []
        for _ in range(1000):
            c = socket.create_connection(("127.0.0.1", theta.port))
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            sockets.append(c)
        for c in sockets:
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                data += c.recv(4096)
        time.sleep(1)
        connected = read_status(theta.pid)["VmRSS"]
        for c in sockets:
            c.close()
        return {"idle": idle, "idle_file": idle_status["RssFile"], "upload_before": before, "upload_peak": peak,
                "connections": connected}
    finally:
        theta.stop()


# MARK: - T: HTTPS


def make_tls_files(binary, workdir):
    """T's certificate: a local CA and a server certificate for localhost, 127.0.0.1 and ::1
    (P-256), made by theta-console itself (`serve --tls-self-signed DIR`, started once and
    stopped), as a user gets them. Both servers then serve the same files: theta-console with
    --tls-cert/--tls-key, nginx with ssl_certificate/ssl_certificate_key."""
    folder = os.path.join(workdir, "tls")
    maker = Theta(binary, ":memory:", ["--admin-token", TOKEN, "--tls-self-signed", folder, "--tls-port", "0"],
                  core=None, threads=None)
    maker.stop()
    files = {"ca": os.path.join(folder, "ca.pem"), "cert": os.path.join(folder, "server.pem"),
             "key": os.path.join(folder, "server-key.pem")}
    for path in files.values():
        if not os.path.isfile(path):
            raise RuntimeError(f"serve --tls-self-signed made no {path}")
    return files


def tls_context(ca):
    """A client context that trusts only the bench's CA and checks the name (127.0.0.1)."""
    return ssl.create_default_context(cafile=ca)


def tls_healthz(sock):
    """GET /healthz on an open (TLS) socket, keep-alive; the status line."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"the connection closed before the answer to GET /healthz: {data[:200]!r}")
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def tls_probe(port, context):
    """What a default client (Python's ssl, OpenSSL's defaults) negotiates, and whether a second
    connection resumes the first's session: wrk keeps its session across the reconnects that
    "Connection: close" makes (SSL_clear keeps it), so this says which handshake the new-connection
    rate measures on each server, a full one or a resumption."""
    first = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                server_hostname="127.0.0.1")
    try:
        status = tls_healthz(first)  # the TLS 1.3 session tickets come before the answer
        version, cipher = first.version(), first.cipher()[0]
        session = first.session
    finally:
        first.close()
    second = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                 server_hostname="127.0.0.1", session=session)
    try:
        tls_healthz(second)
        resumed = second.session_reused
    finally:
        second.close()
    if not status.startswith("HTTP/1.1 200"):
        raise RuntimeError(f"GET /healthz over TLS answered {status}")
    return {"version": version, "cipher": cipher, "resumed": resumed}


def scenario_tls(load, binary, db, serve_args, tls, body_file, accepted_headers, refused_headers, workdir):
    """T over wrk: A and B over HTTPS (the same requests, keep-alive connections, so each
    connection's handshake is done once and this is the steady state of TLS: record encryption
    and decryption on top of A's and B's work), and new TLS connections per second (GET /healthz
    with "Connection: close": a connection, and its handshake, for every request). Against nginx on
    the same certificate and key, interleaved, both pinned to the server core as for A and B."""
    context = tls_context(tls["ca"])
    theta = Theta(binary, db, [*serve_args, "--tls-cert", tls["cert"], "--tls-key", tls["key"], "--tls-port", "0"])
    nginx = None
    try:
        accepted_key = dict(h.split(": ", 1) for h in accepted_headers)["x-api-key"]
        nginx = Nginx(os.path.join(workdir, "nginx-tls"), accepted_key, tls=(tls["cert"], tls["key"]))
        with open(body_file, "rb") as f:
            payload = f.read()
        for server, name in ((theta, "theta-console"), (nginx, "nginx")):
            for headers, expected in ((accepted_headers, 200), (refused_headers, 401)):
                status, data = request(server.tls_port, "POST", "/transcribe", payload,
                                       dict(h.split(": ", 1) for h in headers), token=False, tls=context)
                if status != expected or (server is nginx and expected == 200 and data != NGINX_BODY):
                    raise RuntimeError(f"{name} over TLS: expected {expected}, got {status}: {data[:200]!r}")
            status, data = request(server.tls_port, "GET", "/healthz", headers={"Connection": "close"}, token=False,
                                   tls=context)
            if status != 200:
                raise RuntimeError(f"{name} over TLS: GET /healthz answered {status}: {data[:200]!r}")
        results = {
            "A-TLS": run_pair(load, "A over TLS", theta, nginx, "/transcribe", body_file, accepted_headers, False,
                              tls=True),
            "B-TLS": run_pair(load, "B over TLS", theta, nginx, "/transcribe", body_file, refused_headers, True,
                              tls=True),
            "T-connect": run_pair(load, "new TLS connections", theta, nginx, "/healthz", "-", ("Connection: close",),
                                  False, method="GET", tls=True),
        }
        results["T-handshake"] = {"theta": tls_probe(theta.tls_port, context),
                                  "nginx": tls_probe(nginx.tls_port, context)}
        log(f"T: what a default client negotiates: {results['T-handshake']}")
        return results
    finally:
        for server in (theta, nginx):
            if server:
                server.stop()


def raise_open_files(needed):
    """This process's soft RLIMIT_NOFILE raised to `needed` (the servers started after inherit it)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise RuntimeError(f"T needs {needed} open files, and the hard limit is {hard} (ulimit -Hn)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def idle_tls_rss(pid, port, context, count):
    """The RSS (MiB) of `pid` with `count` TLS connections open to `port`, each with its handshake
    done (the CA checked) and nothing sent after it. Then every one of them serves a GET /healthz:
    proof that none had been closed (by a deadline, say) when the RSS was read."""
    sockets = []
    try:
        for _ in range(count):
            raw = socket.create_connection(("127.0.0.1", port), timeout=30)
            try:
                sockets.append(context.wrap_socket(raw, server_hostname="127.0.0.1"))
            except BaseException:
                raw.close()
                raise
        # The server finishes the last handshakes after the clients (in TLS 1.3 the client's Finished
        # comes last): read once its RSS has stopped moving.
        rss = settled_rss(pid)
        for sock in sockets:
            status = tls_healthz(sock)
            if not status.startswith("HTTP/1.1 200"):
                raise RuntimeError(f"an idle TLS connection answered {status}")
        return rss
    finally:
        for sock in sockets:
            sock.close()


def settled_rss(pid, stable_reads=5, interval=0.1, timeout=10.0):
    """VmRSS once it has read the same `stable_reads` times in a row (`interval` apart), or at
    `timeout`: a server still finishing work (handshakes, start-up) is not measured mid-way."""
    deadline = time.monotonic() + timeout
    last, same = None, 0
    while True:
        rss = read_status(pid)["VmRSS"]
        same = same + 1 if rss == last else 1
        last = rss
        if same >= stable_reads or time.monotonic() >= deadline:
            return rss
        time.sleep(interval)


def scenario_tls_memory(binary, workdir, tls, count=TLS_IDLE_CONNECTIONS):
    """T: RSS with 1,000 idle TLS connections, theta-console run as G runs it (default threads,
    not pinned), after one HTTPS request (so idle means "has served"); nginx (one worker) on the
    same certificate, measured the same way, for comparison."""
    raise_open_files(count + 256)
    context = tls_context(tls["ca"])
    theta = Theta(binary, os.path.join(workdir, "tls-memory.sqlite3"),
                  ["--admin-token", TOKEN, "--tls-cert", tls["cert"], "--tls-key", tls["key"], "--tls-port", "0"],
                  core=None, threads=None)
    nginx = None
    try:
        status, _ = request(theta.tls_port, "GET", "/healthz", token=False, tls=context)
        assert status == 200, status
        idle = settled_rss(theta.pid)
        connected = idle_tls_rss(theta.pid, theta.tls_port, context, count)
        theta.stop()
        nginx = Nginx(os.path.join(workdir, "nginx-tls-memory"), unknown_key(), tls=(tls["cert"], tls["key"]))
        status, _ = request(nginx.tls_port, "GET", "/healthz", token=False, tls=context)
        assert status == 200, status
        nginx_idle = read_status(nginx.pid)["VmRSS"]
        nginx_connected = idle_tls_rss(nginx.pid, nginx.tls_port, context, count)
        return {"count": count, "idle": idle, "connections": connected, "nginx_idle": nginx_idle,
                "nginx_connections": nginx_connected}
    finally:
        for server in (theta, nginx):
            if server:
                server.stop()


def scenario_scan(binary, workdir, total_mib, repeats):
    """S: `theta-console scan -r` over about `total_mib` MiB of generated text, against
    `LC_ALL=C grep -c sk-theta-` over the same files; both pinned to the server core, interleaved.

    The text is prose-like lines (words drawn from a small vocabulary, some lines mentioning
    `sk-theta-` the way documentation does), with one real key (valid checksum) and one look-alike
    (its last symbol changed) put in every 8 MiB. Each file is written from one 8 MiB block of
    prose, cut at a different line each time for the key and the look-alike."""
    import random
    rng = random.Random(20261203)
    words = ("the a key keys token secret deploy server console theta speech audio request response "
             "rate limit plan credits account admin scan leak file line column status active inactive "
             "expired hint checksum prefix export config settings value string error warning note "
             "with without from into onto over under about after before during between against "
             "test tests testing check checks shell script commit branch merge push pull stage "
             "Anyone who reads the text can use it until it is deactivated. ok yes no maybe").split()
    lines = []
    size = 0
    while size < 8 * MIB:
        if rng.random() < 0.005:
            line = "Keys look like sk-theta-abcd…wxyz; never paste a real one."
        else:
            line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 18)))
        lines.append(line)
        size += len(line.encode()) + 1
    block = ("\n".join(lines) + "\n").encode()
    cuts = [i + 1 for i, b in enumerate(block) if b == 0x0A]
    folder = os.path.join(workdir, "scan")
    os.makedirs(folder)
    blocks_per_file = max(1, round(total_mib / 8 / SCAN_FILES))
    keys = 0
    for n in range(SCAN_FILES):
        with open(os.path.join(folder, f"text-{n:02d}.txt"), "wb") as f:
            for _ in range(blocks_per_file):
                key = unknown_key()
                lookalike = key[:-1] + ("A" if key[-1] != "A" else "B")
                first, second = sorted(rng.sample(cuts, 2))
                f.write(block[:first])
                f.write(f"export THETA_ONE_API_KEY={key}\n".encode())
                f.write(block[first:second])
                f.write(f"THETA_KEY: '{lookalike}' # a typo\n".encode())
                f.write(block[second:])
                keys += 1
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder))
    total = sum(os.path.getsize(path) for path in files)
    log(f"S: {len(files)} files, {total / MIB:,.0f} MiB, {keys} keys and {keys} look-alikes")

    def timed(command, env=None):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=pinned(SERVER_CORE))
        return time.perf_counter() - started, done

    grep_env = dict(os.environ, LC_ALL="C")
    grep = ["grep", "-c", "sk-theta-", *files]
    scan = [binary, "scan", "-r", folder]
    # Warm-up (the files into the page cache) and the checks: every key found, every look-alike counted.
    _, g = timed(grep, grep_env)
    mentions = sum(int(line.rsplit(":", 1)[1]) for line in g.stdout.splitlines())
    _, out = timed(scan)
    found = out.stdout.splitlines()
    if out.returncode != 1 or len(found) != keys or f"{keys} look-alikes" not in out.stderr:
        raise RuntimeError(f"S: scan found {len(found)} of {keys} keys (exit {out.returncode}): {out.stderr[-500:]}")
    if any(key_line.count("sk-theta-") != 1 or "…" not in key_line for key_line in found):
        raise RuntimeError("S: a finding does not show the hint form")
    runs = {"scan": [], "grep": [], "bytes": total, "keys": keys, "grep_lines": mentions}
    for i in range(repeats):
        g_s, _ = timed(grep, grep_env)
        s_s, _ = timed(scan)
        runs["grep"].append(g_s)
        runs["scan"].append(s_s)
        log(f"S run {i + 1}: scan {total / MIB / s_s:,.0f} MiB/s ({s_s:.2f} s), grep -c {total / MIB / g_s:,.0f} MiB/s "
            f"({g_s:.2f} s)")
    shutil.rmtree(folder, ignore_errors=True)
    return runs


def scenario_create(load, binary, serve_args, dbs, baseline, refused, pace_ms, one_at_a_time=True, concurrent=True):
    """E, E8 and B-during-E8: durable creates against the raw-C insert loop on the same disk.

    E: wrk on one connection, so creates are strictly sequential, as the baseline's inserts are.
    E8: CREATE_CLIENTS connections, each sending its next create as soon as its last one is answered
    (the load that group commit is for), judged against the same one-at-a-time baseline.
    B-during-E8: B's refused request (`refused`: its body file and headers), paced, on E8's server,
    alone and then while E8's creates run, so the two p99s differ by what the writes cost the loop.

    Fair by construction: each server and the baseline start from their own copy of the same seeded
    database (10,000 keys, `dbs`), keep adding to it round after round, and take turns; all of them
    are pinned to the server core."""
    create_headers = (f"Authorization: Bearer {TOKEN}", "Content-Type: application/json")
    create_body = os.path.join(os.path.dirname(dbs["baseline"]), "create.json")
    with open(create_body, "w") as f:
        f.write(json.dumps({"name": "bench create"}))
    refused_body, refused_headers = refused
    migrations = os.path.join(ROOT, "migrations")

    def raw(db, mode):
        out = subprocess.run([baseline, db, migrations, str(load.duration), mode], capture_output=True, text=True,
                             check=True, preexec_fn=pinned(SERVER_CORE)).stdout
        return json.loads(out.split("BASELINE ", 1)[1])["ops_per_second"]

    def creates(server, clients, duration=None):
        return load.start(server.port, "/v1/keys", "POST", create_body, create_headers, connections=clients,
                          duration=duration)

    def measured_creates(server, clients):
        return measured(load, server.pid, server.port, "/v1/keys", "POST", create_body, create_headers,
                        connections=clients)

    def refusals(server, duration=None):
        return measured(load, server.pid, server.port, "/transcribe", "POST", refused_body, refused_headers,
                        duration=duration, pace_ms=pace_ms)

    servers = []
    try:
        runs = {"baseline": [], "single": []}
        if one_at_a_time:
            e = Theta(binary, dbs["theta"], serve_args)
            servers.append(e)
            creates(e, 1, duration=1).result()
            runs.update(theta=[], theta_cpu=[])
        if concurrent:
            e8 = Theta(binary, dbs["theta8"], serve_args)
            servers.append(e8)
            creates(e8, CREATE_CLIENTS, duration=1).result()
            refusals(e8, duration=1)
            runs.update(theta8=[], theta8_cpu=[], alone=[], during=[], alongside=[])
        for i in range(load.repeats):
            runs["baseline"].append(raw(dbs["baseline"], "key"))
            message = f"E run {i + 1}: raw C {runs['baseline'][-1]:.0f}/s"
            if one_at_a_time:
                result = measured_creates(e, 1)
                check_statuses(result, False, "E theta")
                runs["theta"].append(result["rps"])
                runs["theta_cpu"].append(result["per_cpu_s"])
                message += f", theta {result['rps']:.0f}/s"
            runs["single"].append(raw(dbs["single"], "single"))
            message += f", raw C single row {runs['single'][-1]:.0f}/s"
            if concurrent:
                result = measured_creates(e8, CREATE_CLIENTS)
                check_statuses(result, False, "E8 theta")
                runs["theta8"].append(result["rps"])
                runs["theta8_cpu"].append(result["per_cpu_s"])
                alone = refusals(e8)
                check_statuses(alone, True, "B alone")
                runs["alone"].append(alone)
                # The creates start a second before B's run and end a second after it, so every
                # refused request meets them at full rate.
                background = creates(e8, CREATE_CLIENTS, duration=load.duration + 2)
                try:
                    time.sleep(1)
                    during = refusals(e8)
                except BaseException:
                    background.stop()
                    raise
                check_statuses(during, True, "B during E8")
                alongside = background.result()
                check_statuses(alongside, False, "E8 theta alongside B")
                runs["during"].append(during)
                runs["alongside"].append(alongside["rps"])
                message += (f", E8 theta {result['rps']:.0f}/s; B paced p99 {alone['p99_us'] / 1000:.2f} ms alone, "
                            f"{during['p99_us'] / 1000:.2f} ms during E8 ({alongside['rps']:.0f} creates/s alongside)")
            log(message)
    finally:
        for server in servers:
            server.stop()
    results = {}
    if one_at_a_time:
        results["E"] = {"theta": runs["theta"], "per_cpu_s": runs["theta_cpu"], "baseline": runs["baseline"],
                        "single": runs["single"]}
    if concurrent:
        results["E8"] = {"theta": runs["theta8"], "per_cpu_s": runs["theta8_cpu"], "baseline": runs["baseline"]}
        results["B-during-E8"] = {"alone": runs["alone"], "during": runs["during"], "creates": runs["alongside"]}
    return results


# MARK: - Machine


def machine():
    def first(path, pattern):
        try:
            with open(path) as f:
                for line in f:
                    m = re.match(pattern, line)
                    if m:
                        return m.group(1).strip()
        except OSError:
            pass
        return "unknown"

    def command(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip() or \
                subprocess.run(args, capture_output=True, text=True, timeout=20).stderr.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"

    mem = int(first("/proc/meminfo", r"MemTotal:\s+(\d+)") or 0) / 1024 / 1024
    swift = command("swift", "--version").splitlines()
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    wrk_version = command("wrk", "-v").splitlines()
    fs = command("findmnt", "-n", "-o", "FSTYPE,SOURCE", "--target", tempfile.gettempdir())
    cpu = first("/proc/cpuinfo", r"model name\s*:\s*(.*)")
    os_name = first("/etc/os-release", r"PRETTY_NAME=(.*)").strip('"')
    openssl = command("openssl", "version")
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{mem:.1f} GiB",
        "os": f"{os_name}, Linux {platform.release()}",
        "swift": swift[0] if swift else "unknown",
        "nginx": nginx.replace("nginx version: nginx/", ""),
        "wrk": wrk_version[0].split(" [")[0] if wrk_version else "unknown",
        "sqlite": command("sqlite3", "--version").split(" ")[0] or "unknown",
        # The system libssl that theta-console and nginx both link; Python's own if there is no CLI.
        "openssl": " ".join(openssl.split(" ")[:2]) if openssl.startswith("OpenSSL") else ssl.OPENSSL_VERSION,
        "disk": f"{' '.join(fs.split())} (temporary databases in {tempfile.gettempdir()})",
        "load": open("/proc/loadavg").read().split(" ")[0],
    }


# MARK: - Report


def row(name, what, value, baseline, ratio, goal, passed):
    result = "info" if passed is None else "pass" if passed else "MISS"
    return {"name": name, "what": what, "value": value, "baseline": baseline, "ratio": ratio, "goal": goal,
            "result": result}


def fmt_rps(v):
    return f"{v:,.0f} req/s"


def build_rows(results, args):
    """The table's rows for the scenarios in `results`: all of them, or the subset --only ran."""
    rows = []

    def per_cpu(runs):
        return median([r["per_cpu_s"] for r in runs])

    if "A" in results:
        a = results["A"]
        a_rps = median([r["rps"] for r in a["theta"]])
        a_base = median([r["rps"] for r in a["nginx"]])
        a_cpu = per_cpu(a["theta"]) / per_cpu(a["nginx"])
        a_p99 = median([r["p99_us"] for r in a["theta"]]) / 1000
        a_base_p99 = median([r["p99_us"] for r in a["nginx"]]) / 1000
        rows.append(row("A", "accepted: rps", fmt_rps(a_rps), fmt_rps(a_base),
                        f"{a_rps / a_base:.2f}× (per CPU-second {a_cpu:.2f}×)", "≥ 0.5× nginx", a_rps / a_base >= 0.5))
        floor = args.connections / a_rps * 1000
        rows.append(row("A", f"accepted: p99 latency at {args.connections} connections, saturated (closed loop; "
                             f"mean latency is {args.connections} / rps = {floor:.1f} ms before any tail)",
                        f"{a_p99:.2f} ms", f"{a_base_p99:.2f} ms", "—", "≤ 2 ms", a_p99 <= 2.0))
    paced = results.get("A-paced")
    if paced:
        p_p99 = median([r["p99_us"] for r in paced["theta"]]) / 1000
        p_base_p99 = median([r["p99_us"] for r in paced["nginx"]]) / 1000
        p_rps = median([r["rps"] for r in paced["theta"]])
        p_base_rps = median([r["rps"] for r in paced["nginx"]])
        rows.append(row("A", f"accepted: p99 latency at {args.connections} connections, paced (each waits 0–"
                             f"{2 * args.pace_ms} ms between requests)",
                        f"{p_p99:.2f} ms ({fmt_rps(p_rps)})", f"{p_base_p99:.2f} ms ({fmt_rps(p_base_rps)})", "—",
                        "≤ 2 ms", p_p99 <= 2.0))
    for name, what in (("B", "refused, unknown key (401): rps"), ("C", "rate-limited (429): rps")):
        if name not in results:
            continue
        r = results[name]
        v = median([x["rps"] for x in r["theta"]])
        b = median([x["rps"] for x in r["nginx"]])
        c = per_cpu(r["theta"]) / per_cpu(r["nginx"])
        rows.append(row(name, what, fmt_rps(v), fmt_rps(b), f"{v / b:.2f}× (per CPU-second {c:.2f}×)",
                        "≥ 0.6× nginx", v / b >= 0.6))
    if "D" in results:
        d = results["D"]
        d1 = median([r["p99_us"] for r in d[1]]) / 1000
        rows.append(row("D", "admin list, 10,000 keys: p99, 1 connection",
                        f"{d1:.2f} ms ({fmt_rps(median([r['rps'] for r in d[1]]))})", "—", "—", "≤ 5 ms", d1 <= 5.0))
        dn = median([r["p99_us"] for r in d[args.connections]]) / 1000
        rows.append(row("D", f"admin list: p99 at {args.connections} connections (not judged)",
                        f"{dn:.2f} ms ({fmt_rps(median([r['rps'] for r in d[args.connections]]))})", "—", "—", "—",
                        None))
    if "E" in results:
        e = results["E"]
        e_v, e_b, e_s = median(e["theta"]), median(e["baseline"]), median(e["single"])
        rows.append(row("E", "admin create, durable, one at a time", f"{e_v:,.0f} creates/s",
                        f"{e_b:,.0f} txn/s (key row + its audit row); {e_s:,.0f} txn/s (key row only)",
                        f"{e_v / e_b:.2f}× ({e_v / e_s:.2f}×)", "≥ 0.8× raw C", e_v / e_b >= 0.8))
    if "E8" in results:
        e8 = results["E8"]
        v, b = median(e8["theta"]), median(e8["baseline"])
        rows.append(row("E8", f"admin create, durable, {CREATE_CLIENTS} clients at once, each one at a time on its "
                              "own keep-alive connection",
                        f"{v:,.0f} creates/s ({median(e8['per_cpu_s']):,.0f} per CPU-second)",
                        f"{b:,.0f} txn/s (E's raw C, one at a time)", f"{v / b:.2f}×", "≥ 2.0× raw C",
                        v / b >= 2.0))
    if "B-during-E8" in results:
        r = results["B-during-E8"]
        during = median([x["p99_us"] for x in r["during"]]) / 1000
        alone = median([x["p99_us"] for x in r["alone"]]) / 1000
        rows.append(row("B-during-E8", f"refused (401): p99 latency at {args.connections} connections, paced (each "
                                       f"waits 0–{2 * args.pace_ms} ms between requests), while E8's creates run, "
                                       "against the same alone",
                        f"{during:.2f} ms ({fmt_rps(median([x['rps'] for x in r['during']]))}, with "
                        f"{median(r['creates']):,.0f} creates/s)",
                        f"{alone:.2f} ms alone ({fmt_rps(median([x['rps'] for x in r['alone']]))})",
                        f"{during / alone:.2f}×", "≤ 1.5× alone", during / alone <= 1.5))
    if "F" in results:
        f = results["F"]
        f_med = median(f)
        rows.append(row("F", f"start-up to first /healthz, new database (median of {len(f)})", f"{f_med:.1f} ms",
                        "—", "—", "≤ 50 ms", f_med <= 50))
    if "F-static" in results:
        s_med = median(results["F-static"])
        rows.append(row("F", f"start-up as F, the statically linked binary of the wheel (median of "
                             f"{len(results['F-static'])}, interleaved with F's)", f"{s_med:.1f} ms",
                        f"{median(results['F']):.1f} ms (F)", f"{s_med / median(results['F']):.2f}×", "≤ 50 ms",
                        s_med <= 50))
    if "G" in results:
        g = results["G"]
        rows.append(row("G", "RSS idle", f"{g['idle']:.1f} MiB ({g['idle_file']:.1f} MiB of it mapped files)",
                        "—", "—", "≤ 15 MiB", g["idle"] <= 15))
        if "G-static" in results:
            gs = results["G-static"]
            rows.append(row("G", "RSS idle, the statically linked binary of the wheel",
                            f"{gs['idle']:.1f} MiB ({gs['idle_file']:.1f} MiB of it mapped files)",
                            f"{g['idle']:.1f} MiB (G)", f"{gs['idle'] / g['idle']:.2f}×", "≤ 15 MiB", gs["idle"] <= 15))
        rows.append(row("G", "RSS with 1,000 keep-alive connections", f"{g['connections']:.1f} MiB", "—", "—",
                        "≤ 30 MiB", g["connections"] <= 30))
        added = g["upload_peak"] - g["upload_before"]
        rows.append(row("G", "peak RSS added by a 100 MiB upload", f"{added:.1f} MiB",
                        f"{g['upload_before']:.1f} → {g['upload_peak']:.1f} MiB", "—", "≤ 4 MiB", added <= 4))
    tls_rows(rows, results, args)
    if "S" in results:
        r = results["S"]
        mib = r["bytes"] / MIB
        s_s, g_s = median(r["scan"]), median(r["grep"])
        rows.append(row("S", f"leak scan: `scan -r` over {mib:,.0f} MiB of text in {SCAN_FILES} files ({r['keys']} keys, "
                             f"{r['keys']} look-alikes)", f"{mib / s_s:,.0f} MiB/s ({s_s:.2f} s)",
                        f"`grep -c sk-theta-`: {mib / g_s:,.0f} MiB/s ({g_s:.2f} s)", f"{g_s / s_s:.2f}× grep's speed",
                        "≥ 200 MiB/s", mib / s_s >= 200))
    if "R" in results:
        r = results["R"]
        rows.append(row("R", f"fixture reset: `POST /v1/reset` on `--db :memory:` after {RESET_KEYS // 10} keys and uploads, "
                             f"p99 of {len(r)}", f"{percentile(r, 99):.2f} ms (median {median(r):.2f} ms)", "—", "—",
                        "≤ 5 ms", percentile(r, 99) <= 5))
    if "U" in results:
        r = results["U"]
        p99 = median([x["p99_us"] for x in r["runs"]]) / 1000
        rows.append(row("U", f"key usage: `GET /v1/keys/{{id}}/usage?granularity=hour` (30 days, 720 buckets, "
                             f"{r['bytes'] / 1024:,.0f} KiB) on one of {USAGE_KEYS} keys with a year of usage each "
                             f"({r['rows']:,} rows): p99, 1 connection",
                        f"{p99:.2f} ms ({fmt_rps(median([x['rps'] for x in r['runs']]))})", "—", "—", "≤ 5 ms",
                        p99 <= 5.0))
    return rows


def tls_rows(rows, results, args):
    """T's rows: A and B over TLS, new TLS connections per second, RSS with idle TLS connections."""
    handshake = results.get("T-handshake")
    negotiated = ""
    if handshake:
        negotiated = f", {handshake['theta']['version'].replace('v', ' ')} {handshake['theta']['cipher']}"

    def pair(name, what, goal_ratio, unit=fmt_rps, per_cpu_judged=False):
        r = results[name]
        v = median([x["rps"] for x in r["theta"]])
        b = median([x["rps"] for x in r["nginx"]])
        c = median([x["per_cpu_s"] for x in r["theta"]]) / median([x["per_cpu_s"] for x in r["nginx"]])
        v_p99 = median([x["p99_us"] for x in r["theta"]]) / 1000
        b_p99 = median([x["p99_us"] for x in r["nginx"]]) / 1000
        judged = c if per_cpu_judged else v / b
        rows.append(row("T", what, f"{unit(v)} (p99 {v_p99:.2f} ms)", f"{unit(b)} (p99 {b_p99:.2f} ms)",
                        f"{v / b:.2f}× (per CPU-second {c:.2f}×)",
                        f"≥ {goal_ratio}× nginx" + (" per CPU-second" if per_cpu_judged else ""),
                        judged >= goal_ratio))

    # A's and B's goals, over keep-alive TLS connections to nginx on the same certificate.
    if "A-TLS" in results:
        pair("A-TLS", f"A over TLS: accepted: rps, {args.connections} keep-alive connections{negotiated}", 0.5)
    if "B-TLS" in results:
        pair("B-TLS", f"B over TLS: refused, unknown key (401): rps, {args.connections} keep-alive connections"
                      f"{negotiated}", 0.6)
    if "T-connect" in results:
        # Judged, at A's bar, rather than reported only: on both sides most of a new connection's
        # cost is the same libcrypto handshake (the same certificate, the same OpenSSL), so the
        # ratio is what the server adds around it (accept, a session object, the event loop, the
        # close) and a ratio far below nginx's means waste there, e.g. a context built per
        # connection or a blocking handshake, that a report-only row would let pass. Judged per
        # CPU-second of the server, not on connections/s: wrk's one thread does about as much
        # handshake work per connection as the server does, so connections/s is often the
        # client's limit, the same for both servers, and its ratio near 1× whatever the server
        # spends; what each connection costs the server is what tells them apart.
        resumed = ""
        if handshake:
            def said(side):
                return "resumed" if handshake[side]["resumed"] else "full"
            resumed = (f"; the handshake wrk's reconnects make: theta-console {said('theta')}, "
                       f"nginx {said('nginx')}")
        pair("T-connect", f"new TLS connections: `GET /healthz` with `Connection: close` (a TCP connection and a "
                          f"TLS handshake per request), {args.connections} at a time{negotiated}{resumed}", 0.5,
             lambda v: f"{v:,.0f} connections/s", per_cpu_judged=True)
    if "T-memory" in results:
        m = results["T-memory"]
        rows.append(row("T", f"RSS with {m['count']:,} idle TLS connections (handshake done, nothing sent)",
                        f"{m['connections']:.1f} MiB ({m['idle']:.1f} MiB before them)",
                        f"nginx: {m['nginx_connections']:.1f} MiB ({m['nginx_idle']:.1f} MiB before them)", "—",
                        "≤ 40 MiB", m["connections"] <= 40))


def table(rows):
    header = ["", "what", "theta-console", "baseline", "ratio", "goal", "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join([r["name"], r["what"], r["value"], r["baseline"], r["ratio"], r["goal"],
                                        r["result"]]) + " |")
    return "\n".join(lines)


def runs_detail(results):
    def numbers(values, form="{:,.0f}"):
        return ", ".join(form.format(x) for x in values)

    def rps(runs):
        return f"req/s {numbers(x['rps'] for x in runs)}"

    def p99(runs):
        return f"p99 ms {numbers((x['p99_us'] / 1000 for x in runs), '{:.2f}')}"

    def rates(runs):
        return f"{rps(runs)}; {p99(runs)}"

    def against_nginx(name, label):
        """One line per side of a scenario measured against nginx, if it ran."""
        if name not in results:
            return
        r = results[name]
        for side in ("nginx", "theta"):
            cpu = numbers(x["per_cpu_s"] for x in r[side])
            lines.append(f"- {label} {side}: {rps(r[side])}; requests per CPU-second {cpu}; {p99(r[side])}")

    lines = []
    for name in ("A", "A-paced", "B", "C"):
        against_nginx(name, name)
    for connections, runs in results.get("D", {}).items():
        lines.append(f"- D theta, {connections} connection(s): {rates(runs)}")
    if "E" in results:
        e = results["E"]
        lines.append(f"- E theta creates/s: {numbers(e['theta'])} (per CPU-second {numbers(e['per_cpu_s'])}); "
                     f"raw C (key + event): {numbers(e['baseline'])}; raw C (key only): {numbers(e['single'])}")
    if "E8" in results:
        e8 = results["E8"]
        lines.append(f"- E8 theta creates/s: {numbers(e8['theta'])} (per CPU-second {numbers(e8['per_cpu_s'])}); "
                     f"raw C one at a time (key + event): {numbers(e8['baseline'])}")
    if "B-during-E8" in results:
        r = results["B-during-E8"]
        for side in ("alone", "during"):
            lines.append(f"- B paced, {side}: {rates(r[side])}")
        lines.append(f"- E8 creates/s alongside B paced: {numbers(r['creates'])}")
    if "F" in results:
        f = sorted(results["F"])
        lost = f"; SIGTERM lost right after start-up in {len(lost_sigterms)} of them" if lost_sigterms else ""
        lines.append(f"- F start-up ms: min {f[0]:.1f}, median {median(f):.1f}, max {f[-1]:.1f} "
                     f"({len(f)} starts{lost})")
    if "F-static" in results:
        f = sorted(results["F-static"])
        lines.append(f"- F start-up ms, static binary: min {f[0]:.1f}, median {median(f):.1f}, max {f[-1]:.1f} "
                     f"({len(f)} starts)")
    if "G" in results:
        g = results["G"]
        lines.append(f"- G RSS MiB: idle {g['idle']:.1f} (mapped files {g['idle_file']:.1f}); 1,000 connections "
                     f"{g['connections']:.1f}; upload {g['upload_before']:.1f} before, {g['upload_peak']:.1f} peak")
    if "G-static" in results:
        g = results["G-static"]
        lines.append(f"- G RSS MiB, static binary: idle {g['idle']:.1f} (mapped files {g['idle_file']:.1f}); 1,000 "
                     f"connections {g['connections']:.1f}; upload {g['upload_before']:.1f} before, "
                     f"{g['upload_peak']:.1f} peak")
    for name, label in (("A-TLS", "A over TLS"), ("B-TLS", "B over TLS"), ("T-connect", "T new TLS connections")):
        against_nginx(name, label)
    if "T-handshake" in results:
        h = results["T-handshake"]
        lines.append("- T handshake of a default client: " + "; ".join(
            f"{side} {h[side]['version']} {h[side]['cipher']}, second connection "
            f"{'resumed' if h[side]['resumed'] else 'a full handshake'}" for side in ("theta", "nginx")))
    if "T-memory" in results:
        m = results["T-memory"]
        lines.append(f"- T RSS MiB, {m['count']:,} idle TLS connections: theta {m['idle']:.1f} before, "
                     f"{m['connections']:.1f} with them; nginx {m['nginx_idle']:.1f} before, "
                     f"{m['nginx_connections']:.1f} with them")
    if "S" in results:
        r = results["S"]
        mib = r["bytes"] / MIB
        lines.append(f"- S scan MiB/s: {numbers(mib / x for x in r['scan'])}; grep -c MiB/s: "
                     f"{numbers(mib / x for x in r['grep'])} ({r['grep_lines']} matching lines)")
    if "R" in results:
        r = results["R"]
        lines.append(f"- R reset ms: median {median(r):.2f}, p90 {percentile(r, 90):.2f}, p99 {percentile(r, 99):.2f}, "
                     f"max {max(r):.2f}")
    if "U" in results:
        r = results["U"]
        rps = numbers(x["rps"] for x in r["runs"])
        p99 = numbers((x["p99_us"] / 1000 for x in r["runs"]), "{:.2f}")
        lines.append(f"- U usage, 1 connection: req/s {rps}; p99 ms {p99}")
    return "\n".join(lines)


BEGIN = "<!-- bench/run: generated from here -->"
END = "<!-- bench/run: generated up to here -->"


def write_doc(rows, results, info, args, elapsed):
    generated = f"""{BEGIN}
_Last run: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, by `bench/run`, in {elapsed / 60:.1f} minutes._

**Machine:** {info['cpu']}; {info['memory']} RAM; {info['os']}; {info['swift']}; nginx {info['nginx']};
{info['wrk']}; SQLite {info['sqlite']}; {info['openssl']}; disk {info['disk']}. Load average at the start: {info['load']}
(the machine is shared, which is why every time comparison is a ratio against a baseline run
interleaved with it).

**Settings:** wrk `-t1 -c{args.connections} -d{args.duration}s` pinned to core {LOAD_CORE}; theta-console
`serve --threads 1` and nginx (`worker_processes 1`) pinned to core {SERVER_CORE}; each figure is the median
of {args.repeats} runs.

{table(rows)}

Every run:

{runs_detail(results)}
{END}"""
    if os.path.exists(DOC):
        with open(DOC) as f:
            text = f.read()
    else:
        text = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + generated + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + generated + "\n"
    with open(DOC, "w") as f:
        f.write(text)


# MARK: - Main


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--static-binary",
                        help="F and G (start-up, idle RSS) also for this binary, reported beside --binary's: the "
                             "statically linked one the wheel carries (clients/python/wheel/build --binary-only)")
    parser.add_argument("--baseline-insert", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--pace-ms", type=int, default=10,
                        help="A's paced latency run: mean wait per connection between requests (ms)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--startups", type=int, default=25)
    parser.add_argument("--scan-mib", type=int, default=1024, help="S: MiB of text to scan")
    parser.add_argument("--resets", type=int, default=200, help="R: resets to time")
    parser.add_argument("--only", default=SCENARIOS,
                        help="scenarios to run, e.g. AB; 8 is E8 and B-during-E8; T is HTTPS (A and B over TLS, new "
                             "TLS connections, RSS with idle TLS connections) (a subset prints JSON, no doc)")
    parser.add_argument("--no-doc", action="store_true", help="print the table without rewriting docs/benchmarks.md")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the median of at least 3 runs)")
    unknown = set(args.only) - set(SCENARIOS)
    if unknown:
        parser.error(f"--only: no scenario {', '.join(sorted(unknown))} (choose from {SCENARIOS})")
    started = time.time()
    load = Load(args)
    info = machine()
    results = {}
    workdir = tempfile.mkdtemp(prefix="theta-bench-")
    shmdir = tempfile.mkdtemp(prefix="theta-bench-", dir="/dev/shm") if os.path.isdir("/dev/shm") else workdir
    theta = nginx = None
    try:
        body_file = os.path.join(workdir, "transcribe.multipart")
        with open(body_file, "wb") as f:
            f.write(multipart(wav(1)))
        db = os.path.join(workdir, "bench.sqlite3")
        serve_args = ["--admin-token", TOKEN, "--plan", "enterprise", "--credits", "1000000000",
                      "--max-key-rpm", "100000000"]

        tls = make_tls_files(args.binary, workdir) if "T" in args.only else None

        if any(s in args.only for s in "ABCDE8T"):
            # D's 10,000 keys, made through the API by a server whose database is on tmpfs (where
            # fsync is free, so this takes seconds), then the file moves to disk for the runs.
            log(f"seeding {args.keys:,} keys through POST /v1/keys")
            seed_db = os.path.join(shmdir, "bench.sqlite3")
            seeder = Theta(args.binary, seed_db, serve_args, core=None, threads=None)
            try:
                seed_keys(seeder.port, args.keys)
            finally:
                seeder.stop()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(seed_db + suffix):
                    shutil.move(seed_db + suffix, db + suffix)
            # E's and E8's starting points: the same seeded file, before A–D change it.
            e_dbs = {name: os.path.join(workdir, f"e-{name}.sqlite3") for name in ("theta", "theta8", "baseline",
                                                                                    "single")}
            for copy in e_dbs.values():
                shutil.copy(db, copy)

            theta = Theta(args.binary, db, serve_args)
            # A: a key with a contract RPM far above anything wrk can send, so never a 429.
            key_a = create_key(theta.port, "bench accepted", 100_000_000)
            # C: a key with 1 RPM, spent by one accepted request: every request after it is a 429.
            key_c = create_key(theta.port, "bench limited", 1)
            upload = {"Content-Type": CONTENT_TYPE}
            with open(body_file, "rb") as f:
                payload = f.read()
            assert len(payload) - len(multipart_head()) - len(multipart_tail()) == 32_044
            checks = [(key_a, 200), (key_c, 200), (key_c, 429), (unknown_key(), 401)]
            for key, expected in checks:
                status, data = request(theta.port, "POST", "/transcribe", payload, {**upload, "x-api-key": key},
                                       token=False)
                if status != expected:
                    raise RuntimeError(f"expected {expected}, got {status}: {data[:200]!r}")
            nginx = Nginx(os.path.join(workdir, "nginx"), key_a)
            status, data = request(nginx.port, "POST", "/transcribe", payload, {**upload, "x-api-key": key_a},
                                   token=False)
            if status != 200 or data != NGINX_BODY:
                raise RuntimeError(f"nginx baseline answered {status} {data!r}")

            def headers(key):
                return (f"x-api-key: {key}", f"Content-Type: {CONTENT_TYPE}")

            if "A" in args.only:
                results["A"] = run_pair(load, "A", theta, nginx, "/transcribe", body_file, headers(key_a), False)
                results["A-paced"] = run_pair(load, "A paced", theta, nginx, "/transcribe", body_file, headers(key_a),
                                              False, pace_ms=args.pace_ms)
            if "B" in args.only:
                results["B"] = run_pair(load, "B", theta, nginx, "/transcribe", body_file,
                                        headers(unknown_key()), True)
            if "C" in args.only:
                results["C"] = run_pair(load, "C", theta, nginx, "/transcribe", body_file, headers(key_c), True)
            nginx.stop()
            nginx = None
            if "D" in args.only:
                # D's goal is a latency: judged with one connection (a console user's request, not
                # queued behind 63 others); the 64-connection figure is shown too, not judged.
                auth = (f"Authorization: Bearer {TOKEN}",)
                status, data = request(theta.port, "GET", "/v1/keys?limit=100")
                assert status == 200 and len(json.loads(data)["data"]) == 100, status
                load.wrk(theta.port, "/v1/keys?limit=100", "GET", "-", auth, duration=1)
                results["D"] = {1: [], args.connections: []}
                for i in range(args.repeats):
                    for connections in results["D"]:
                        result = measured(load, theta.pid, theta.port, "/v1/keys?limit=100", "GET", "-", auth,
                                          connections=connections)
                        check_statuses(result, False, "D")
                        results["D"][connections].append(result)
                        log(f"D run {i + 1}, {connections} connection(s): {result['rps']:.0f} rps, "
                            f"p99 {result['p99_us'] / 1000:.2f} ms")
            theta.stop()
            theta = None
            if "T" in args.only:
                # The same database and key as A's and B's, now also served over TLS.
                results.update(scenario_tls(load, args.binary, db, serve_args, tls, body_file, headers(key_a),
                                            headers(unknown_key()), workdir))
            if "E" in args.only or "8" in args.only:
                results.update(scenario_create(load, args.binary, serve_args, e_dbs, args.baseline_insert,
                                               (body_file, headers(unknown_key())), args.pace_ms,
                                               one_at_a_time="E" in args.only, concurrent="8" in args.only))
        if "F" in args.only and args.static_binary:
            # One start of each in turn, so that load from elsewhere hits both alike.
            results["F"], results["F-static"] = [], []
            for i in range(args.startups):
                results["F"] += scenario_startup(args.binary, workdir, 1, f"startup-{i}")
                results["F-static"] += scenario_startup(args.static_binary, workdir, 1, f"static-{i}")
            log(f"F: median {median(results['F']):.1f} ms; static binary {median(results['F-static']):.1f} ms")
        elif "F" in args.only:
            results["F"] = scenario_startup(args.binary, workdir, args.startups)
            log(f"F: median {median(results['F']):.1f} ms")
        if "G" in args.only:
            results["G"] = scenario_memory(args.binary, workdir)
            log(f"G: {results['G']}")
            if args.static_binary:
                results["G-static"] = scenario_memory(args.static_binary, workdir)
                log(f"G, static binary: {results['G-static']}")
        if "T" in args.only:
            results["T-memory"] = scenario_tls_memory(args.binary, workdir, tls)
            log(f"T: RSS with {TLS_IDLE_CONNECTIONS:,} idle TLS connections: {results['T-memory']}")
        if "S" in args.only:
            results["S"] = scenario_scan(args.binary, workdir, args.scan_mib, args.repeats)
        if "R" in args.only:
            results["R"] = scenario_reset(args.binary, args.resets)
            log(f"R: median {median(results['R']):.2f} ms, p99 {percentile(results['R'], 99):.2f} ms")
        if "U" in args.only:
            results["U"] = scenario_usage(load, args.binary, workdir, serve_args)
    finally:
        for process in (theta, nginx):
            if process:
                process.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if shmdir != workdir:
            shutil.rmtree(shmdir, ignore_errors=True)

    subset = set(args.only) != set(SCENARIOS)
    if subset:
        print(json.dumps(results, indent=1, default=str))
    rows = build_rows(results, args)
    elapsed = time.time() - started
    print()
    print(table(rows))
    if subset:
        print(f"\nEvery run:\n\n{runs_detail(results)}\n\n(a subset: docs/benchmarks.md is left alone)")
    elif not args.no_doc:
        write_doc(rows, results, info, args, elapsed)
        print(f"\nwrote {os.path.relpath(DOC, os.getcwd())}")
    judged = [r for r in rows if r["result"] != "info"]
    passed = [r for r in judged if r["result"] == "pass"]
    print(f"\n{len(passed)} of {len(judged)} judged rows meet their goal.")


if __name__ == "__main__":
    main()
