"""The package's version is the binary's: `theta-console --version`."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata

import requests

import theta_console as package
from conftest import REPOSITORY
from theta_console import ThetaConsole


def test_packageVersion_isTheBinarysVersion(theta_console: ThetaConsole) -> None:
    shown = subprocess.run([theta_console.binary, "--version"], capture_output=True, text=True, check=True)
    binary_version = shown.stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", binary_version)
    assert package.__version__ == binary_version
    assert metadata.version("theta-console") == binary_version


def test_sourceVersion_isTheInstalledOne() -> None:
    """A stale install (the checkout's version moved on, pip install not re-run) fails here."""
    source = (REPOSITORY / "clients/python/src/theta_console/_version.py").read_text(encoding="utf-8")
    assert f'__version__ = "{package.__version__}"' in source


def test_openAPIDocument_statesTheSameVersion(theta_console: ThetaConsole) -> None:
    document = requests.get(theta_console.url("/openapi.yaml"), timeout=10).text
    assert f"\n  version: {package.__version__}\n" in document
