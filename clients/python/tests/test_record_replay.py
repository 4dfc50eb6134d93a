"""Record through a proxy, replay without it: `serve --upstream … --record DIR`, then
`serve --replay DIR --replay-strict`, as a test suite would run them through `ThetaConsole`.
The upstream is a second server over HTTPS with its own CA; its key is in the proxy's environment
only. Real binaries, real sockets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
import requests

from theta_console import ServerOptions, ThetaConsole, make_wav


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThetaConsole]:
    with ThetaConsole(options=ServerOptions(plan="pro"), tls_dir=tmp_path_factory.mktemp("upstream") / "tls") as server:
        yield server


def post(server: ThetaConsole, key: str, path: str, audio: bytes, **fields: str) -> requests.Response:
    return requests.post(server.url(path), headers={"x-api-key": key}, files={"file": ("hello.wav", audio, "audio/wav")},
                         data=fields, timeout=30)


def test_aRecordingReplaysByteForByte_andTheUpstreamKeyIsInNoFile(upstream: ThetaConsole, tmp_path: Path) -> None:
    real = upstream.create_key("the real one")
    recordings = tmp_path / "recordings"
    https = upstream.https_url.replace("127.0.0.1", "localhost")
    options = ServerOptions(plan="pro", args=("--upstream", https, "--upstream-ca", upstream.ca_file, "--record", str(recordings)))
    audio = make_wav(1.5)
    with ThetaConsole(options=options, environment={**os.environ, "THETA_ONE_API_KEY": str(real.secret)}) as proxy:
        local = proxy.create_key("local")
        transcript = post(proxy, local.secret, "/transcribe", audio)
        scored = post(proxy, local.secret, "/pronunciation-simple", audio, options='{"gold_text": "good morning"}')
        assert transcript.status_code == 200 and scored.status_code == 200, (transcript.text, scored.text)
        proxy.admin.verify("/transcribe", reason="upstream", status=200)
        logs = proxy.stderr()
    files = sorted(recordings.iterdir())
    assert [f.name.split("-")[0] for f in files] == ["pronunciation", "transcribe"]
    for path in [*files, *tmp_path.rglob("*")]:
        if path.is_file():
            assert str(real.secret).encode() not in path.read_bytes(), path
    assert str(real.secret) not in logs

    with ThetaConsole(options=ServerOptions(plan="pro", args=("--replay", str(recordings), "--replay-strict"))) as replay:
        key = replay.create_key()
        assert post(replay, key.secret, "/transcribe", audio).content == transcript.content
        again = post(replay, key.secret, "/pronunciation-simple", audio, options='{"gold_text": "good morning"}')
        assert again.content == scored.content
        replay.admin.verify(reason="replayed", times=2)
        # Other options are another request: strict replay names what is missing.
        missing = post(replay, key.secret, "/pronunciation-simple", audio, options='{"gold_text": "good night"}')
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith("No recording for /pronunciation-simple with audio_sha256 ")
        replay.admin.verify(reason="no_recording", status=404)
