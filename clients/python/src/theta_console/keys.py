"""Keys as the admin API returns them, with the secret kept out of every repr."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


def mask(secret: str) -> str:
    """The key's hint, as the API shows it: `sk-theta-`, 4 characters, `…`, the last 4."""
    prefix = "sk-theta-"
    if secret.startswith(prefix) and len(secret) > len(prefix) + 8:
        return f"{prefix}{secret[len(prefix):len(prefix) + 4]}\u2026{secret[-4:]}"
    return "\u2026"


class Secret(str):
    """A `str` whose repr is masked.

    It works anywhere a `str` does (headers, f-strings, `==`), but pytest's assertion messages,
    `print(dict)` and logging of containers show only the hint, so a failing test does not
    print a full key. `str(secret)` and f-strings still give the whole value, on purpose.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({mask(self)!r})"


class CreatedKey:
    """A key just created, imported or rolled: its record, and its secret (shown once by the server)."""

    __slots__ = ("record", "secret")

    def __init__(self, record: Mapping[str, Any], secret: str) -> None:
        self.record: Dict[str, Any] = {k: v for k, v in record.items() if k != "key"}
        self.secret: Secret = Secret(secret)

    @property
    def id(self) -> str:
        """The key's id, `key_…`: what the admin API takes."""
        return str(self.record["id"])

    @property
    def hint(self) -> str:
        """`sk-theta-ABCD…WXYZ`: safe to print."""
        return str(self.record.get("hint") or mask(self.secret))

    @property
    def headers(self) -> Dict[str, str]:
        """`{"x-api-key": secret}`, ready for `requests.post(..., headers=key.headers)`."""
        return {"x-api-key": Secret(self.secret)}

    def __getitem__(self, field: str) -> Any:
        return self.record[field]

    def get(self, field: str, default: Optional[Any] = None) -> Any:
        return self.record.get(field, default)

    def __repr__(self) -> str:
        return f"CreatedKey(id={self.record.get('id')!r}, hint={self.hint!r})"
