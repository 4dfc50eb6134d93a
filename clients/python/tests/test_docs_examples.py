"""The examples in clients/python/README.md and docs/testing-with-theta-console.md run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPOSITORY
from theta_console import ThetaConsole, make_wav

GUIDE = REPOSITORY / "docs" / "testing-with-theta-console.md"


def code_blocks(path: Path, language: str) -> list:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_thePackageReadmesExample_passes(pytester: pytest.Pytester) -> None:
    example = next(b for b in code_blocks(REPOSITORY / "clients/python/README.md", "python")
                   if b.startswith("# test_transcription.py"))
    pytester.makepyfile(test_transcription=example)

    pytester.runpytest().assert_outcomes(passed=4)


def test_theMainReadmesExample_passes(pytester: pytest.Pytester) -> None:
    section = (REPOSITORY / "README.md").read_text(encoding="utf-8").split("### From pytest", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example
    pytester.makepyfile(test_readme=example.group(1))

    pytester.runpytest().assert_outcomes(passed=1)


def test_theGuidesPytestExample_passes(pytester: pytest.Pytester) -> None:
    example = next(b for b in code_blocks(GUIDE, "python") if b.startswith("import pytest"))
    pytester.makepyfile(test_guide=example)

    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_theGuidesNodeExample_retriesTwo503s(theta_reset: ThetaConsole, tmp_path: Path) -> None:
    script = next(b for b in code_blocks(GUIDE, "js") if b.startswith("// transcribe.mjs"))
    (tmp_path / "transcribe.mjs").write_text(script)
    (tmp_path / "audio.wav").write_bytes(make_wav(1))
    key = theta_reset.create_key()
    theta_reset.add_fault({"status": 503, "retry_after": 0}, endpoint="/transcribe", times=2)

    result = subprocess.run(["node", "transcribe.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "BASE": theta_reset.base_url, "THETA_ONE_API_KEY": key.secret})

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 {") and "text: 'Welcome to Theta One AI!'" in result.stdout
    assert [r["status"] for r in theta_reset.recorded_requests()] == [200, 503, 503]


def test_theGuidesVerifyExample_passes(pytester: pytest.Pytester) -> None:
    example = next(b for b in code_blocks(GUIDE, "python") if b.startswith("# test_retry.py"))
    pytester.makepyfile(test_retry=example)

    pytester.runpytest().assert_outcomes(passed=2)
