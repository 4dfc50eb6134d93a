#!/usr/bin/env python3
"""What read-your-writes costs an admin read: GET /v1/account right after an accepted upload
(usage pending: the read waits for that batch's commit) against the same GET with nothing pending.

    python3 bench/read_your_writes.py --binary .build-bench/release/theta-console [--rounds 400]

Prints medians and p99s in milliseconds and their ratio. One client, one connection each for the
upload and the admin read, on 127.0.0.1; the server's database is a new file in a temporary folder
(synchronous=FULL, so a pending read pays one fsync of this machine's disk).
"""
import argparse
import http.client
import json
import os
import struct
import subprocess
import tempfile
import time

TOKEN = "bench-admin-token-0123456789"


def wav(seconds=1, rate=16_000):
    data = b"\0\0" * int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data))
    return header + data


def multipart(audio):
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [args.binary, "serve", "--port", "0", "--db", os.path.join(folder, "db.sqlite3"), "--plan", "enterprise",
             "--credits", "100000", "--max-key-rpm", "100000", "--log-level", "error"],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "THETA_CONSOLE_ADMIN_TOKEN": TOKEN})
        try:
            line = server.stdout.readline()
            port = int(line.rsplit(":", 1)[1])
            admin = http.client.HTTPConnection("127.0.0.1", port)
            api = http.client.HTTPConnection("127.0.0.1", port)
            auth = {"Authorization": f"Bearer {TOKEN}"}

            def admin_call(method, path, body=None):
                headers = dict(auth)
                if body is not None:
                    headers["Content-Type"] = "application/json"
                admin.request(method, path, body=body, headers=headers)
                response = admin.getresponse()
                return response.status, response.read()

            status, created = admin_call("POST", "/v1/keys", json.dumps({"name": "bench", "rate_limit_rpm": 100000}))
            assert status == 201, status
            key = json.loads(created)["key"]
            body, content_type = multipart(wav())

            def timed_read():
                started = time.perf_counter()
                status, _ = admin_call("GET", "/v1/account")
                assert status == 200, status
                return (time.perf_counter() - started) * 1000

            pending, idle = [], []
            for _ in range(args.rounds):
                api.request("POST", "/transcribe", body=body, headers={"x-api-key": key, "Content-Type": content_type})
                response = api.getresponse()
                response.read()
                assert response.status == 200, response.status
                pending.append(timed_read())   # the upload's usage is pending: this read writes it first
                idle.append(timed_read())      # nothing pending now
        finally:
            server.terminate()
            server.wait()

    def describe(values):
        return f"median {percentile(values, 50):.3f} ms, p99 {percentile(values, 99):.3f} ms"

    print(f"GET /v1/account with usage pending: {describe(pending)}")
    print(f"GET /v1/account with nothing pending: {describe(idle)}")
    print(f"ratio of medians: {percentile(pending, 50) / percentile(idle, 50):.1f}×")


if __name__ == "__main__":
    main()
