"""The README's Python quickstart runs against theta-console with only the base URL swapped."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPOSITORY
from theta_console import ThetaConsole

PLACEHOLDER_URL = '"http://127.0.0.1:8080"'
PLACEHOLDER_KEY = "sk-theta-YOUR_KEY"


def readme_python_block() -> str:
    """The first ```python block under "## The Theta One API, locally" in the README."""
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = text.split("## The Theta One API, locally", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's 'The Theta One API, locally' section has no python block"
    return match.group(1)


def test_readmePythonSnippet_runsUnchanged_butForTheBaseURL(theta_reset: ThetaConsole, wav_path: Path) -> None:
    snippet = readme_python_block()
    assert PLACEHOLDER_URL in snippet and PLACEHOLDER_KEY in snippet
    key = theta_reset.create_key()
    program = snippet.replace(PLACEHOLDER_URL, repr(theta_reset.base_url)).replace(PLACEHOLDER_KEY, key.secret)
    changed = [line for line, original in zip(program.splitlines(), snippet.splitlines()) if line != original]
    assert len(changed) == 2, "only the base URL (and the placeholder key) may change"

    # On stdin, not argv: the key stays out of the process list. The snippet opens ./audio.wav.
    result = subprocess.run([sys.executable, "-"], input=program, cwd=wav_path.parent, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 {'text': 'Welcome to Theta One AI!', 'text_type': 'en', 'metadata': {}, "
                                    "'response_time_in_sec': ")
    charges = [e for e in theta_reset.admin.ledger()["data"] if e["kind"] == "charge"]
    assert [(c["endpoint"], c["audio_seconds"], c["key_id"]) for c in charges] == [("/transcribe", 2, key.id)]
