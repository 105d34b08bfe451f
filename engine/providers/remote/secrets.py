"""API keys: the OS keyring (service "interlock", username = endpoint name), falling back to
`INTERLOCK_KEY_<ENDPOINT>` where no keyring backend exists; every key read is registered as
a known secret (`engine.audit.secrets`); plus redaction of key-like text."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from engine.audit.secrets import redact_known, register_secret

log = logging.getLogger(__name__)

SERVICE = "interlock"
_REDACTED = "[redacted]"
_KEYLIKE = re.compile(
    r"(?i)(bearer\s+|authorization[\"']?\s*[:=]\s*[\"']?|api[_-]?key[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;}]+"
)
_TOKENLIKE = re.compile(r"\b(?:sk|pk|rk|key|tok)[-_][A-Za-z0-9_\-]{12,}\b")


class NoKeyringBackend(Exception):
    """Keys cannot be stored on this machine (keyring's fail backend)."""


def env_var(endpoint: str) -> str:
    return "INTERLOCK_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", endpoint).upper()


_INSECURE = ("keyrings.alt.", "keyring.backends.null.", "keyring.backends.fail.")
"""Backends that are no keyring at all, or keep keys in a plain (or base64) file."""


def _insecure(backend: Any) -> bool:
    """Whether `backend` (or every backend a chainer tries) is one of `_INSECURE`."""
    parts = getattr(backend, "backends", None)
    if parts is not None:  # keyring's ChainerBackend
        return all(_insecure(part) for part in parts)
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    return name.startswith(_INSECURE)


def _backend() -> Any | None:
    """The secure keyring backend, or None when there is none: keyring's fail and null
    backends and the plaintext or base64 file keyrings of keyrings.alt never hold a key."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not break runs
        log.debug("no keyring: %s", type(exc).__name__)
        return None
    if _insecure(backend):
        log.debug("no secure keyring (only %s)", type(backend).__qualname__)
        return None
    return backend


def keyring_name() -> str | None:
    """The secure keyring keys go to here, for messages; None without one."""
    backend = _backend()
    return None if backend is None else type(backend).__qualname__


def get_key(endpoint: str) -> str | None:
    """The endpoint's key: keyring first, then the environment variable."""
    backend = _backend()
    if backend is not None:
        try:
            key = backend.get_password(SERVICE, endpoint)
        except Exception as exc:
            log.debug("keyring lookup for %s failed: %s", endpoint, type(exc).__name__)
            key = None
        if key:
            register_secret(str(key))
            return str(key)
    key = os.environ.get(env_var(endpoint)) or None
    register_secret(key)
    return key


def set_key(endpoint: str, key: str) -> None:
    backend = _backend()
    if backend is None:
        raise NoKeyringBackend(
            f"no secure OS keyring on this machine (a plaintext file keyring is never used); "
            f"set {env_var(endpoint)} in the environment instead"
        )
    backend.set_password(SERVICE, endpoint, key)


def delete_key(endpoint: str) -> None:
    backend = _backend()
    if backend is None:
        return
    try:
        backend.delete_password(SERVICE, endpoint)
    except Exception as exc:  # PasswordDeleteError when there was none
        log.debug("no key to delete for %s (%s)", endpoint, type(exc).__name__)


def redact(text: str, *secrets: str | None) -> str:
    """`text` with the given secrets (and every known one, with their fragments and
    encodings) and anything that looks like a key replaced."""
    for secret in secrets:
        register_secret(secret)
        if secret:
            text = text.replace(secret, _REDACTED)
    text = redact_known(text)
    text = _KEYLIKE.sub(lambda m: m.group(1) + _REDACTED, text)
    return _TOKENLIKE.sub(_REDACTED, text)
