"""The user config file (`$INTERLOCK_CONFIG`, else `<user config dir>/Interlock/config.toml`):
read with tomllib, written by a small TOML writer of our own (tables of plain values)."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any

from engine.errors import InterlockError

log = logging.getLogger(__name__)

CONFIG_ENV = "INTERLOCK_CONFIG"


class ConfigError(InterlockError):
    """The config file cannot be read or holds a value of the wrong shape."""


def config_path() -> Path:
    """Where the user config lives; `$INTERLOCK_CONFIG` overrides the platform default."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("Interlock", appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed config, or {} when there is no file yet."""
    path = path or config_path()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None


def save_config(data: dict[str, Any], path: Path | None = None) -> Path:
    """Write `data` atomically (sorted keys, so edits show as clean diffs)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(dumps_toml(data), encoding="utf-8")
    os.replace(tmp, path)
    return path


def dumps_toml(data: dict[str, Any]) -> str:
    """TOML for nested tables of str, int, float, bool and lists of those."""
    lines: list[str] = []
    _write_table(lines, (), data)
    return "\n".join(lines).strip() + "\n"


def _write_table(lines: list[str], prefix: tuple[str, ...], table: dict[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(p) for p in prefix) + "]")
    for key in sorted(scalars):
        if scalars[key] is not None:
            lines.append(f"{_key(key)} = {_value(scalars[key])}")
    for key in sorted(tables):
        _write_table(lines, (*prefix, key), tables[key])


def _key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "-_" for c in key) and key.isascii()
    return key if bare else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {type(value).__name__} values to the config file")


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
