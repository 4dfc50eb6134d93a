"""Finding the binary: THETA_CONSOLE_BIN, then the wheel's bundled binary, then PATH, then a build of the
source checkout."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator, Optional

import pytest

from conftest import REPOSITORY
from fakes import fake_server, fake_swift
from theta_console import BinaryNotFoundError, binary, find_binary


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No THETA_CONSOLE_BIN, no bundled binary (even when these tests run from the wheel), and a
    PATH of one empty folder (returned)."""
    folder = tmp_path / "path"
    folder.mkdir()
    monkeypatch.delenv("THETA_CONSOLE_BIN", raising=False)
    monkeypatch.setattr(binary, "bundled_binary", lambda: None)
    monkeypatch.setenv("PATH", str(folder))
    return folder


def installed(site: Path, *, version: str = "9.9.9", binary_entry: Optional[str] = "../bin/theta-console",
              make_binary: bool = True) -> Path:
    """An install of the distribution in `site`, the way pip lays a wheel out: the package, a
    dist-info whose RECORD lists every file, and the script one level up in bin/. Returns the
    installed binary.py."""
    module = site / "theta_console" / "binary.py"
    module.parent.mkdir(parents=True)
    module.write_text("# the installed module\n")
    entries = ["theta_console/binary.py"]
    if binary_entry is not None:
        entries.append(binary_entry)
        if make_binary:
            fake_server((site / binary_entry).parent)
    info = site / f"theta_console-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: theta-console\nVersion: {version}\n")
    digest = hashlib.sha256(b"").hexdigest()
    (info / "RECORD").write_text("".join(f"{entry},sha256={digest},0\n" for entry in entries)
                                 + f"theta_console-{version}.dist-info/RECORD,,\n")
    return module


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that looks like theta-console's repository, as the one this package came from."""
    root = tmp_path / "repo"
    (root / "clients" / "python").mkdir(parents=True)
    (root / "Package.swift").write_text('let package = Package(name: "theta-console")\n')
    (root / "clients" / "python" / "pyproject.toml").write_text("[project]\n")

    def roots() -> Iterator[Path]:
        yield root

    monkeypatch.setattr(binary, "_candidate_roots", roots)
    return root


def test_theEnvironmentVariable_winsOverPATH(clean_environment: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake_server(clean_environment)
    chosen = fake_server(tmp_path / "chosen")
    monkeypatch.setenv("THETA_CONSOLE_BIN", chosen)

    assert find_binary() == chosen


def test_theEnvironmentVariable_winsOverTheBundledBinary(clean_environment: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = fake_server(tmp_path / "bundled")
    monkeypatch.setattr(binary, "bundled_binary", lambda: bundled)
    chosen = fake_server(tmp_path / "chosen")
    monkeypatch.setenv("THETA_CONSOLE_BIN", chosen)

    assert find_binary() == chosen


def test_theBundledBinary_winsOverPATH_andBuilding(clean_environment: Path, checkout: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake_server(clean_environment)
    log = tmp_path / "swift.log"
    fake_swift(clean_environment, log, tmp_path / "bin")
    bundled = fake_server(tmp_path / "bundled")
    monkeypatch.setattr(binary, "bundled_binary", lambda: bundled)

    assert find_binary() == bundled
    assert not log.exists()


def test_theWheelsScript_isTheBundledBinary_foundThroughItsRecord(tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "site-packages"
    module = installed(site)

    assert binary._bundled_binary([str(site)], module) == str((tmp_path / "venv" / "lib" / "bin" / "theta-console"))


def test_anotherInstallsBinary_isNotLent_toThisModule(tmp_path: Path) -> None:
    """A wheel elsewhere on sys.path (say, site-packages under a source checkout on PYTHONPATH)."""
    site = tmp_path / "site-packages"
    installed(site)
    elsewhere = tmp_path / "checkout" / "theta_console" / "binary.py"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text("")

    assert binary._bundled_binary([str(site)], elsewhere) is None


@pytest.mark.parametrize("how", ["no script (a source install)", "script missing", "script not executable"])
def test_anInstallWithoutAUsableScript_hasNoBundledBinary(tmp_path: Path, how: str) -> None:
    site = tmp_path / "site-packages"
    module = installed(site, binary_entry=None if how.startswith("no script") else "../bin/theta-console",
                       make_binary=how == "script not executable")
    if how == "script not executable":
        (tmp_path / "bin" / "theta-console").chmod(0o644)

    assert binary._bundled_binary([str(site)], module) is None


def test_thisInstall_findsItsOwnBundledBinary_orNone() -> None:
    """From the wheel the plugin runs the binary next to the venv's python; from a checkout, none."""
    found = binary.bundled_binary()
    if binary.source_checkout() is None:
        assert found is not None and Path(found).name == "theta-console"
    else:
        assert found is None


@pytest.mark.skipif("THETA_WHEEL_TEST_VENV" not in os.environ, reason="only under clients/python/wheel/test")
def test_underTheWheelTest_thePackageAndTheBinary_areTheWheels(monkeypatch: pytest.MonkeyPatch) -> None:
    """wheel/test runs these tests from the checkout: they must still import the installed package."""
    venv = Path(os.environ["THETA_WHEEL_TEST_VENV"]).resolve()
    monkeypatch.delenv("THETA_CONSOLE_BIN", raising=False)

    assert Path(binary.__file__).resolve().is_relative_to(venv)
    assert find_binary(build=False) == str(venv / "bin" / "theta-console")


@pytest.mark.parametrize("problem", ["missing", "not executable"])
def test_aBadEnvironmentVariable_isAnError_notAFallThrough(clean_environment: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, problem: str) -> None:
    fake_server(clean_environment)
    path = tmp_path / "theta-console"
    if problem == "not executable":
        path.write_text("")
    monkeypatch.setenv("THETA_CONSOLE_BIN", str(path))

    with pytest.raises(BinaryNotFoundError, match="no such file" if problem == "missing" else "not executable"):
        find_binary()


def test_PATH_comesBeforeBuilding(clean_environment: Path, checkout: Path, tmp_path: Path) -> None:
    on_path = fake_server(clean_environment)
    log = tmp_path / "swift.log"
    fake_swift(clean_environment, log, tmp_path / "bin")

    assert find_binary() == on_path
    assert not log.exists()


def test_withNeither_theCheckoutIsBuilt_inItsRoot(clean_environment: Path, checkout: Path, tmp_path: Path) -> None:
    log = tmp_path / "swift.log"
    fake_swift(clean_environment, log, tmp_path / "bin")

    assert find_binary() == str(tmp_path / "bin" / "theta-console")
    assert log.read_text().splitlines() == [f"{checkout} build --product theta-console",
                                            f"{checkout} build --show-bin-path"]


def test_aFailedBuild_showsTheCompilersOutput(clean_environment: Path, checkout: Path, tmp_path: Path) -> None:
    fake_swift(clean_environment, tmp_path / "swift.log", tmp_path / "bin", fail=True)

    with pytest.raises(BinaryNotFoundError, match=r"(?s)swift build --product theta-console in .* failed \(1\):\n"
                                                  r"error: compile failed here"):
        find_binary()


def test_aCheckoutWithoutSwift_saysSo(clean_environment: Path, checkout: Path) -> None:
    with pytest.raises(BinaryNotFoundError, match=f"the source checkout at {checkout} cannot be built: no 'swift'"):
        find_binary()


def test_noCheckout_namesTheFourWays(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binary, "_candidate_roots", lambda: iter(()))

    with pytest.raises(BinaryNotFoundError) as error:
        find_binary()
    message = str(error.value)
    assert "THETA_CONSOLE_BIN is not set" in message and "no 'theta-console' is on PATH" in message
    assert "no bundled binary" in message and "pip install theta_console-" in message
    assert "not installed from a theta-console source checkout" in message


def test_theCheckoutThisPackageWasInstalledFrom_isFound() -> None:
    if binary.bundled_binary() is not None:
        pytest.skip("installed from the wheel: there is no checkout to find (see the next test)")
    assert binary.source_checkout() == REPOSITORY


def test_aWheelFile_isNotTakenForACheckout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip records a wheel's URL too (archive_info); the folder two levels above it is no checkout,
    even when it is the repository (a wheel in <root>/x/dist/)."""
    class Installed:
        def read_text(self, name: str) -> str:
            assert name == "direct_url.json"
            return f'{{"url": "file://{REPOSITORY}/x/theta_console-0.3.0-py3-none-any.whl", "archive_info": {{}}}}'

    monkeypatch.setattr(binary.metadata, "distribution", lambda name: Installed())
    monkeypatch.setattr(binary, "__file__", str(tmp_path / "a" / "b" / "c" / "d" / "binary.py"))

    assert binary.source_checkout() is None


def test_otherFolders_areNotACheckout(tmp_path: Path) -> None:
    (tmp_path / "Package.swift").write_text('let package = Package(name: "other")\n')
    (tmp_path / "clients" / "python").mkdir(parents=True)
    (tmp_path / "clients" / "python" / "pyproject.toml").write_text("")

    assert not binary.is_source_checkout(tmp_path)
    assert not binary.is_source_checkout(tmp_path / "clients")
