"""One version number: `theta-console --version`, this package's version (the wheel's) and the
OpenAPI document's `info.version`."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata

import pytest
import requests

import theta_console as package
from conftest import REPOSITORY
from theta_console import ThetaConsole


def source_text(relative: str) -> str:
    """A file of the source checkout these tests sit in; skips where there is none (tests copied out)."""
    path = REPOSITORY / relative
    if not (REPOSITORY / "Package.swift").is_file() or not path.is_file():
        pytest.skip(f"not in a theta-console source checkout: no {path}")
    return path.read_text(encoding="utf-8")


def openapi_info_version(document: str) -> str:
    """`info.version` of an OpenAPI document in YAML, read without a YAML parser: the `version:`
    line indented by two spaces inside the top-level `info:` block."""
    info = re.search(r"^info:\n((?:[ \t].*\n|\n)*)", document, re.MULTILINE)
    assert info, "no top-level info: block"
    version = re.search(r"^  version: *['\"]?([^'\"\s]+)['\"]? *$", info.group(1), re.MULTILINE)
    assert version, "info: has no version:"
    return version.group(1)


def test_packageVersion_isTheBinarysVersion(theta_console: ThetaConsole) -> None:
    shown = subprocess.run([theta_console.binary, "--version"], capture_output=True, text=True, check=True)
    binary_version = shown.stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", binary_version)
    assert package.__version__ == binary_version
    assert metadata.version("theta-console") == binary_version


def test_sourceVersion_isTheInstalledOne() -> None:
    """A stale install (the checkout's version moved on, pip install not re-run) fails here."""
    source = source_text("clients/python/src/theta_console/_version.py")
    assert f'__version__ = "{package.__version__}"' in source


def test_openAPIFile_statesThePackagesVersion() -> None:
    """docs/openapi.yaml in the checkout, without a server: a bump that missed it fails here."""
    assert openapi_info_version(source_text("docs/openapi.yaml")) == package.__version__


def test_swiftSource_statesThePackagesVersion() -> None:
    """The string `theta-console --version` prints, read from the Swift source without building."""
    declared = re.findall(r'static let string = "([^"]+)"', source_text("Sources/ThetaConsole/ThetaConsoleVersion.swift"))
    assert declared == [package.__version__]


def test_openAPIDocument_servedStatesTheSameVersion(theta_console: ThetaConsole) -> None:
    document = requests.get(theta_console.url("/openapi.yaml"), timeout=10).text
    assert openapi_info_version(document) == package.__version__


@pytest.mark.parametrize(("document", "expected"), [
    ("openapi: 3.1.0\ninfo:\n  title: x\n  version: 1.2.3\n  summary: y\npaths: {}\n", "1.2.3"),
    ("openapi: 3.1.0\ninfo:\n  title: x\n\n  version: '1.2.3'\ncomponents:\n  version: 9.9.9\n", "1.2.3"),
])
def test_infoVersion_isReadFromTheInfoBlockOnly(document: str, expected: str) -> None:
    assert openapi_info_version(document) == expected


def test_aVersionOutsideInfo_isNotTaken() -> None:
    with pytest.raises(AssertionError, match="info: has no version"):
        openapi_info_version("info:\n  title: x\nservers:\n  version: 9.9.9\n")
