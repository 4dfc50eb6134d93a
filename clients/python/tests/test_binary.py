"""Finding the binary: THETA_CONSOLE_BIN, then PATH, then a build of the source checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPOSITORY
from fakes import fake_server, fake_swift
from theta_console import BinaryNotFoundError, binary, find_binary


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No THETA_CONSOLE_BIN, and a PATH of one empty folder (returned)."""
    folder = tmp_path / "path"
    folder.mkdir()
    monkeypatch.delenv("THETA_CONSOLE_BIN", raising=False)
    monkeypatch.setenv("PATH", str(folder))
    return folder


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


def test_noCheckout_namesTheThreeWays(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binary, "_candidate_roots", lambda: iter(()))

    with pytest.raises(BinaryNotFoundError) as error:
        find_binary()
    message = str(error.value)
    assert "THETA_CONSOLE_BIN is not set" in message and "no 'theta-console' is on PATH" in message
    assert "not installed from a theta-console source checkout" in message


def test_theCheckoutThisPackageWasInstalledFrom_isFound() -> None:
    assert binary.source_checkout() == REPOSITORY


def test_otherFolders_areNotACheckout(tmp_path: Path) -> None:
    (tmp_path / "Package.swift").write_text('let package = Package(name: "other")\n')
    (tmp_path / "clients" / "python").mkdir(parents=True)
    (tmp_path / "clients" / "python" / "pyproject.toml").write_text("")

    assert not binary.is_source_checkout(tmp_path)
    assert not binary.is_source_checkout(tmp_path / "clients")
