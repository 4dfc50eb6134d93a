"""What a test may need beyond the target's valid key: each helper makes it on theta-console
(through the admin API) and, against the real service, takes it from the environment or skips
the test naming the variable that would provide it."""

from __future__ import annotations

import os
from typing import Any, Dict

import parity_lib as lib

_NATIVE_COMPONENTS: Dict[str, Any] = {}


def require_speech(target: lib.Target) -> None:
    """Success on the pronunciation endpoints needs real speech against the real service."""
    if target.is_real and not target.has_speech:
        target.skip("needs a recording of speech: set THETA_ONE_SPEECH_WAV (and THETA_ONE_SPEECH_TEXT if it does "
                    f"not say {lib.GOLD_TEXT!r}); a generated tone has no words")


def require_pronunciation_plan(target: lib.Target) -> None:
    if target.is_real and target.plan == "free":
        target.skip("THETA_ONE_PLAN=free: the Free plan lacks the pronunciation endpoints (402, checked by the "
                    "plan tests)")


def not_refused_by_plan(target: lib.Target, exchange: lib.Exchange) -> None:
    """Against the real service, a 402 on a pronunciation endpoint means the key's plan lacks it."""
    if target.is_real and exchange.status == 402 and exchange.path in lib.PRONUNCIATION_ENDPOINTS:
        target.skip(f"{exchange.path} answered 402: the key's plan lacks it or the account is out of credits "
                    "(set THETA_ONE_PLAN if the plan is Free)")


def _native_cache_key(target: lib.Target) -> str:
    return f"{target.name}:{target.speech_text}"


def remember_native_components(target: lib.Target, components: Any) -> None:
    """Keeps a /analyze-native answer for the speech sample, so /pronunciation needs no second call."""
    _NATIVE_COMPONENTS[_native_cache_key(target)] = components


def native_components(target: lib.Target) -> Any:
    """`speech_components` from `/analyze-native` for the speech sample, made once per session
    (kept out of snapshots, since which test makes it depends on the order)."""
    cache_key = _native_cache_key(target)
    if cache_key not in _NATIVE_COMPONENTS:
        exchange = target.post("/analyze-native", file=target.speech, parts={"options": target.speech_options()},
                               record=False)
        not_refused_by_plan(target, exchange)
        assert exchange.status == 200, exchange
        _NATIVE_COMPONENTS[cache_key] = exchange.body["speech_components"]
    return _NATIVE_COMPONENTS[cache_key]


def _key_from_env(target: lib.Target, variable: str, label: str, missing: str) -> lib.Key:
    """Against the real service: the key `variable` names, or a skip saying `missing`."""
    value = os.environ.get(variable, "").strip()
    if not value:
        target.skip(missing)
    return lib.Key(value, label)


def free_plan_key(target: lib.Target) -> lib.Key:
    if not target.is_real:
        target.set_plan("free")
        return target.key
    if target.plan == "free":
        return target.key
    return _key_from_env(target, "THETA_ONE_FREE_API_KEY", "Free-plan key",
                         "needs a key of a Free-plan account: set THETA_ONE_FREE_API_KEY (or THETA_ONE_PLAN=free if "
                         "THETA_ONE_API_KEY is one)")


def empty_account_key(target: lib.Target) -> lib.Key:
    if not target.is_real:
        target.set_credits("0")
        return target.key
    return _key_from_env(target, "THETA_ONE_EMPTY_API_KEY", "key of an empty account",
                         "needs an account with no credits left: set THETA_ONE_EMPTY_API_KEY to one of its keys")


def inactive_key(target: lib.Target) -> lib.Key:
    if not target.is_real:
        key = target.make_key(label="inactive key")
        target.deactivate(key)  # type: ignore[attr-defined]
        return key
    return _key_from_env(target, "THETA_ONE_INACTIVE_API_KEY", "inactive key",
                         "needs a deleted (inactive) key: set THETA_ONE_INACTIVE_API_KEY to one")


def expired_key(target: lib.Target) -> lib.Key:
    """Local: a key that expires a minute after the fake clock's now, then the clock moved past it."""
    if not target.is_real:
        key = target.make_key(expires_at=target.clock_plus(60), label="expired key")  # type: ignore[attr-defined]
        target.advance(61)  # type: ignore[attr-defined]
        return key
    return _key_from_env(target, "THETA_ONE_EXPIRED_API_KEY", "expired key",
                         "needs a key past its Expires At: set THETA_ONE_EXPIRED_API_KEY to one")
