"""Exceptions and warnings. None of them ever carries the admin token or a full API key."""

from __future__ import annotations

from typing import Optional


class ThetaConsoleError(Exception):
    """Base class of every error this package raises."""


class BinaryNotFoundError(ThetaConsoleError):
    """No theta-console binary: not in THETA_CONSOLE_BIN, not bundled with the package, not on PATH, and no source checkout to build."""


class ServerStartError(ThetaConsoleError):
    """The server exited, or did not print its listening line in time."""


class AdminAPIError(ThetaConsoleError):
    """An admin (`/v1/…`) call answered with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, detail: Optional[str]) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        super().__init__(f"{method} {path} answered {status}: {detail if detail is not None else '(no detail)'}")


class ThetaConsoleVersionWarning(UserWarning):
    """The binary's `--version` is not the version of this client."""
