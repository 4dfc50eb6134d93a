"""The package's own tests. They run theta-console for real: set THETA_CONSOLE_BIN to a built
binary (CI uses .build/debug/theta-console), or let the plugin find or build one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPOSITORY = Path(__file__).resolve().parents[3]

# pytester runs its inner sessions in other folders: pin a relative THETA_CONSOLE_BIN down now.
if os.environ.get("THETA_CONSOLE_BIN", "").count(os.sep):
    os.environ["THETA_CONSOLE_BIN"] = os.path.abspath(os.environ["THETA_CONSOLE_BIN"])


@pytest.fixture
def wav_path(tmp_path: Path) -> Path:
    from theta_console import make_wav

    path = tmp_path / "audio.wav"
    path.write_bytes(make_wav(2))
    return path

