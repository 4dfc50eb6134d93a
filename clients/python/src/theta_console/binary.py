"""Finding the theta-console binary.

The order, first match wins:

1. `THETA_CONSOLE_BIN`: a path (or a command name on PATH). Set but unusable is an error; it
   never falls through to the next step, so a typo cannot silently test another build.
2. The bundled binary: the `theta-console` that the wheel (clients/python/wheel/build) installed
   with this package, as its one script (pip puts it in the environment's `bin/`). It is found
   through the wheel's RECORD, and only if that install is the one this module was imported from.
3. `theta-console` on `PATH`.
4. A build of the source checkout this package was installed from (`pip install
   ./clients/python` records the folder; an editable install or running from the checkout is
   found from this file's own location): `swift build --product theta-console` in the
   checkout's root, then `swift build --show-bin-path`. Only a folder that holds theta-console's
   `Package.swift` and `clients/python/pyproject.toml` counts as the checkout.

Nothing found: `BinaryNotFoundError`, naming the four ways.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import FrozenSet, Iterator, Optional, Sequence

from .errors import BinaryNotFoundError

ENVIRONMENT_VARIABLE = "THETA_CONSOLE_BIN"
COMMAND = "theta-console"
DISTRIBUTION = "theta-console"


def find_binary(*, build: bool = True) -> str:
    """The binary to run, found in the documented order (see this module's docstring)."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        return _configured_binary(configured)
    bundled = bundled_binary()
    if bundled:
        return bundled
    on_path = shutil.which(COMMAND)
    if on_path:
        return on_path
    root = source_checkout()
    if root is not None and build:
        return build_from_source(root)
    where = (f"the source checkout at {root} was found, but building was turned off" if root is not None
             else "and this package was not installed from a theta-console source checkout, so there is nothing to build")
    raise BinaryNotFoundError(
        f"theta-console not found: {ENVIRONMENT_VARIABLE} is not set, this install of the package has no bundled "
        f"binary (only the wheel carries one), no '{COMMAND}' is on PATH, {where}. "
        f"Install the wheel (pip install theta_console-….whl; clients/python/wheel/build makes it), "
        f"set {ENVIRONMENT_VARIABLE}=/path/to/theta-console, put it on PATH, or install this package "
        "from the repository (pip install ./clients/python) on a machine with Swift 6.")


def bundled_binary() -> Optional[str]:
    """The `theta-console` the wheel installed with this package, if this package came from the wheel."""
    return _bundled_binary(sys.path, Path(__file__))


def _bundled_binary(search_path: Sequence[str], module: Path) -> Optional[str]:
    # Every install of the distribution on the path, but only the one holding this very module
    # counts: a wheel elsewhere on sys.path does not lend its binary to a source checkout.
    here = module.resolve()
    for distribution in metadata.distributions(name=DISTRIBUTION, path=list(search_path)):
        files = distribution.files or []
        if not any(entry.name == here.name and _located(entry) == here for entry in files):
            continue
        for entry in files:
            if entry.name == COMMAND:
                path = _located(entry)
                if path.is_file() and os.access(path, os.X_OK):
                    return str(path)
        return None
    return None


def _located(entry: "metadata.PackagePath") -> Path:
    return Path(os.path.normpath(entry.locate())).resolve()


def _configured_binary(configured: str) -> str:
    candidate = configured if os.sep in configured else (shutil.which(configured) or configured)
    path = Path(candidate).expanduser()
    if not path.is_file():
        raise BinaryNotFoundError(f"{ENVIRONMENT_VARIABLE}={configured}: no such file")
    if not os.access(path, os.X_OK):
        raise BinaryNotFoundError(f"{ENVIRONMENT_VARIABLE}={configured}: not executable")
    return str(path.resolve())


def is_source_checkout(folder: Path) -> bool:
    """Whether `folder` is theta-console's repository root."""
    package = folder / "Package.swift"
    if not package.is_file() or not (folder / "clients" / "python" / "pyproject.toml").is_file():
        return False
    try:
        return '"theta-console"' in package.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _candidate_roots() -> Iterator[Path]:
    # pip records where a local folder was installed from (PEP 610: direct_url.json).
    try:
        recorded = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        recorded = None
    if recorded:
        try:
            direct_url = json.loads(recorded)
        except ValueError:
            direct_url = {}
        # Only a folder counts ("dir_info"); a wheel or sdist file says nothing about a checkout.
        url = direct_url.get("url", "") if isinstance(direct_url, dict) and "dir_info" in direct_url else ""
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme == "file":
            installed_from = Path(urllib.request.url2pathname(parsed.path))
            yield installed_from.parent.parent  # …/clients/python → the repository root
    # An editable install, or the package imported straight from the checkout.
    here = Path(__file__).resolve()
    if len(here.parents) > 4:
        yield here.parents[4]  # <root>/clients/python/src/theta_console/binary.py


def source_checkout() -> Optional[Path]:
    """The repository this package came from, if it can be found on this machine."""
    for root in _candidate_roots():
        if is_source_checkout(root):
            return root
    return None


def build_from_source(root: Path) -> str:
    """`swift build --product theta-console` in `root`; returns the built binary's path."""
    swift = shutil.which("swift")
    if swift is None:
        raise BinaryNotFoundError(
            f"theta-console not found in {ENVIRONMENT_VARIABLE}, bundled or on PATH, and the source checkout at {root} "
            "cannot be built: no 'swift' on PATH (Swift 6 is needed).")
    build = subprocess.run([swift, "build", "--product", COMMAND], cwd=root, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if build.returncode != 0:
        tail = "\n".join(build.stdout.splitlines()[-30:])
        raise BinaryNotFoundError(f"swift build --product {COMMAND} in {root} failed ({build.returncode}):\n{tail}")
    shown = subprocess.run([swift, "build", "--show-bin-path"], cwd=root, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    binary = Path(shown.stdout.strip()) / COMMAND
    if shown.returncode != 0 or not binary.is_file():
        raise BinaryNotFoundError(f"swift build in {root} succeeded, but {binary} is not there")
    return str(binary)


@functools.lru_cache(maxsize=None)
def binary_version(binary: str) -> str:
    """`theta-console --version`, e.g. `0.3.0`."""
    result = subprocess.run([binary, "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise BinaryNotFoundError(f"{binary} --version failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip()


@functools.lru_cache(maxsize=None)
def serve_flags(binary: str) -> FrozenSet[str]:
    """The `--options` that `theta-console serve` knows (from `serve --help`)."""
    result = subprocess.run([binary, "serve", "--help"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=30)
    words = (result.stdout + result.stderr).split()
    return frozenset(word.rstrip(",") for word in words if word.startswith("--"))
