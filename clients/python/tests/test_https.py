"""HTTPS: `ThetaConsole(tls_dir=...)` serves TLS beside HTTP with a local CA, and `requests` reaches it
with `verify=ca_file` (never without it). Real binary, real sockets."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
import requests

from fakes import fake_server
from theta_console import ServerOptions, ServerStartError, ThetaConsole, ThetaConsoleError, make_wav

KEY_FILES = ("ca-key.pem", "server-key.pem")
CERT_FILES = ("ca.pem", "server.pem")


def pem_body(path: Path) -> str:
    """The base64 lines of a PEM file, joined: what would show if the file leaked into a log."""
    return "".join(line for line in path.read_text().splitlines() if line and not line.startswith("-----"))


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls") / "certs"  # not there yet: the server makes it


@pytest.fixture(scope="module")
def theta(tls_dir: Path) -> Iterator[ThetaConsole]:
    with ThetaConsole(tls_dir=tls_dir) as server:
        yield server


@pytest.fixture(autouse=True)
def no_ca_bundle_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests takes these in place of its default trust store: the tests decide what is trusted.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_itListensOnHTTPAndHTTPS_andPrintsTheCA(theta: ThetaConsole, tls_dir: Path) -> None:
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", theta.https_url)
    assert theta.https_port not in (0, theta.port)
    assert theta.ca_file == str(tls_dir / "ca.pem")
    assert theta.stdout_lines() == [f"theta-console listening on {theta.base_url}\n",
                                    f"theta-console listening on {theta.https_url}\n",
                                    f"theta-console certificate authority: {theta.ca_file}\n"]
    argv = Path(f"/proc/{theta.pid}/cmdline").read_bytes().split(b"\0")
    at = argv.index(b"--tls-self-signed")
    assert argv[at:at + 4] == [b"--tls-self-signed", str(tls_dir).encode(), b"--tls-port", b"0"]


def test_requests_withVerifyCA_reachesHealthz_overHTTPS_andHTTPStillWorks(theta: ThetaConsole) -> None:
    response = requests.get(theta.https_url + "/healthz", verify=theta.ca_file, timeout=10)
    assert response.status_code == 200
    assert requests.get(theta.url("/healthz"), timeout=10).status_code == 200


def test_theCertificate_namesLocalhostToo(theta: ThetaConsole) -> None:
    response = requests.get(f"https://localhost:{theta.https_port}/healthz", verify=theta.ca_file, timeout=10)
    assert response.status_code == 200


def test_overHTTPS_theAdminAPICreatesAKey_andTranscribeAnswers(theta: ThetaConsole) -> None:
    session = requests.Session()
    session.verify = theta.ca_file
    created = session.post(theta.https_url + "/v1/keys", json={"name": "https key"}, timeout=10,
                           headers={"Authorization": f"Bearer {theta.admin_token}"})
    assert created.status_code == 201, created.text
    secret = created.json()["key"]
    key_id = created.json()["id"]
    mark = theta.mark()

    response = session.post(theta.https_url + "/transcribe", headers={"x-api-key": secret}, timeout=30,
                            files={"file": ("audio.wav", make_wav(1), "audio/wav")})

    assert response.status_code == 200, response.text
    assert response.json()["text"] == "Welcome to Theta One AI!"
    theta.verify("/transcribe", status=200, key=key_id, since=mark)
    # The key went over TLS and into the server; it never comes out in its log.
    assert secret not in theta.stderr()


def test_withoutTheCA_theDefaultTrustStore_refusesTheServer(theta: ThetaConsole) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(theta.https_url + "/healthz", timeout=10)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(theta.https_url + "/healthz", verify=True, timeout=10)


def test_theKeys_areMode0600_andNotInTheLog(theta: ThetaConsole, tls_dir: Path) -> None:
    for name in KEY_FILES:
        assert stat.S_IMODE(os.stat(tls_dir / name).st_mode) == 0o600, name
        assert pem_body(tls_dir / name) not in theta.stderr()
    for name in CERT_FILES:
        assert "BEGIN CERTIFICATE" in (tls_dir / name).read_text()


def test_aSecondServer_onTheSameDir_reusesTheCA(theta: ThetaConsole, tls_dir: Path, tmp_path: Path) -> None:
    before = {name: (tls_dir / name).read_bytes() for name in KEY_FILES + CERT_FILES}
    old_ca = tmp_path / "old-ca.pem"
    old_ca.write_bytes(before["ca.pem"])

    with ThetaConsole(tls_dir=tls_dir) as second:
        assert second.ca_file == theta.ca_file
        assert second.https_url != theta.https_url
        after = {name: (tls_dir / name).read_bytes() for name in KEY_FILES + CERT_FILES}
        assert after == before
        response = requests.get(second.https_url + "/healthz", verify=str(old_ca), timeout=10)
        assert response.status_code == 200
    for name in KEY_FILES:
        assert stat.S_IMODE(os.stat(tls_dir / name).st_mode) == 0o600, name


def test_aFreshDir_getsAnotherCA_thatTheFirstDoesNotVerify(theta: ThetaConsole, tmp_path: Path) -> None:
    with ThetaConsole(tls_dir=tmp_path / "other") as other:
        assert Path(other.ca_file).read_bytes() != Path(theta.ca_file).read_bytes()
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(other.https_url + "/healthz", verify=theta.ca_file, timeout=10)
        assert requests.get(other.https_url + "/healthz", verify=other.ca_file, timeout=10).status_code == 200


def test_anHTTPOnlyServer_hasNoHTTPSURL(theta_console: ThetaConsole) -> None:
    assert "--tls-self-signed" not in theta_console.command()
    with pytest.raises(ThetaConsoleError, match="start it with tls_dir"):
        theta_console.https_url
    with pytest.raises(ThetaConsoleError, match="start it with tls_dir"):
        theta_console.ca_file


def test_aTLSDirThatIsAFile_failsTheStart_withTheServersReason(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")

    reason = r"exited with status \d+ before listening; its stderr:\n.*--tls-self-signed"
    with pytest.raises(ServerStartError, match=reason):
        ThetaConsole(tls_dir=blocker).start()


def test_aBinaryWithoutTLS_isAClearError_beforeItStarts(tmp_path: Path) -> None:
    theta = ThetaConsole(fake_server(tmp_path), tls_dir=tmp_path / "certs")

    with pytest.raises(ThetaConsoleError, match="cannot serve HTTPS"):
        theta.start()
    assert theta.pid is None


@pytest.mark.theta_console(tls=True)
def test_theMarkersTls_servesHTTPS_onACAInATemporaryFolder(theta_reset: ThetaConsole) -> None:
    answer = requests.get(theta_reset.https_url + "/healthz", verify=theta_reset.ca_file, timeout=30)

    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert theta_reset.ca_file.startswith(tempfile.gettempdir())
    assert requests.get(theta_reset.url("/healthz"), timeout=30).status_code == 200  # HTTP beside it


def test_aTemporaryCAFolder_goesWithItsServer() -> None:
    server = ThetaConsole(options=ServerOptions(tls=True))
    with server:
        folder = os.path.dirname(os.path.dirname(server.ca_file))
        assert os.path.isfile(server.ca_file)
    assert not os.path.exists(folder)
