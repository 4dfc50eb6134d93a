"""theta-console for Python tests: start the server, manage it through its admin API.

- `ThetaConsole`: one server process (`with ThetaConsole() as theta: ...`).
- `AdminClient`: the admin API (`/v1/…`) of any running server.
- `verify(...)` on either checks what the app sent against the request journal; a wrong count
  raises `VerificationError` (an `AssertionError`) listing the nearest requests and what differs.
- The pytest plugin (`theta_console`, `theta_reset`, `@pytest.mark.theta_console`) is in
  `theta_console.pytest_plugin` and registers itself when the package is installed.
"""

from ._version import __version__
from .admin import AdminClient, credits_literal
from .audio import make_wav
from .binary import find_binary
from .errors import (AdminAPIError, BinaryNotFoundError, ServerStartError, ThetaConsoleError,
                     ThetaConsoleVersionWarning)
from .keys import CreatedKey, Secret
from .server import ServerOptions, ThetaConsole
from .verify import REASONS, VerificationError

__all__ = [
    "AdminAPIError", "AdminClient", "BinaryNotFoundError", "CreatedKey", "REASONS", "Secret", "ServerOptions",
    "ServerStartError", "ThetaConsole", "ThetaConsoleError", "ThetaConsoleVersionWarning", "VerificationError",
    "__version__", "credits_literal", "find_binary", "make_wav",
]
