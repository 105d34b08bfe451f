"""Session-wide test setup: offscreen Qt, and app data kept out of the user's own folders."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

# Before anything imports Qt: no display is needed, in CI or on a developer's machine.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_DATA_DIR_KEY = pytest.StashKey[str]()


FONT_DIR = "/usr/share/fonts/truetype/dejavu"
"""The fonts set-up installs (fonts-dejavu-core): the only ones Qt sees in tests."""


def _only_setup_fonts(data_dir: str) -> None:
    """Text layout (and so PDF text, widths, elision) must not depend on which other fonts
    a machine has: fontconfig is pointed at the set-up fonts alone."""
    if not os.path.isdir(FONT_DIR) or "FONTCONFIG_FILE" in os.environ:
        return
    conf = os.path.join(data_dir, "fonts.conf")
    with open(conf, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            f"  <dir>{FONT_DIR}</dir>\n  <cachedir>{data_dir}/fontconfig</cachedir>\n"
            "</fontconfig>\n"
        )
    os.environ["FONTCONFIG_FILE"] = conf


def pytest_configure(config: pytest.Config) -> None:
    """Point Interlock's data dir and database at a throwaway folder for the whole run.

    Set unconditionally, so a developer's INTERLOCK_DB never receives test runs; tests that
    need their own store pass a ``tmp_path`` database explicitly.
    """
    data_dir = tempfile.mkdtemp(prefix="interlock-tests-")
    config.stash[_DATA_DIR_KEY] = data_dir
    os.environ["INTERLOCK_DATA_DIR"] = data_dir
    os.environ["INTERLOCK_DB"] = os.path.join(data_dir, "interlock.db")
    # Never read a developer's endpoint config or touch a real OS keyring.
    os.environ["INTERLOCK_CONFIG"] = os.path.join(data_dir, "config.toml")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    _only_setup_fonts(data_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    data_dir = config.stash.get(_DATA_DIR_KEY, None)
    if data_dir is not None:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_known_secrets() -> Iterator[None]:
    """The secrets a process knows (keys it read) are process-wide: each test starts with
    none, so one test's key never redacts another's data."""
    from engine.audit.secrets import forget_secrets

    yield
    forget_secrets()
