"""The engine's declared public surface (httpx style): everything in __all__ exists, the
lazy export table and __all__ agree, and importing the package loads nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import engine


def test_all_names_exist() -> None:
    for name in engine.__all__:
        assert getattr(engine, name) is not None, name


def test_export_table_matches_all() -> None:
    assert set(engine._EXPORTS) == set(engine.__all__)


def test_importing_the_package_is_light() -> None:
    heavy = "{'sqlalchemy', 'httpx', 'llama_cpp'}"
    code = f"import sys, engine; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
