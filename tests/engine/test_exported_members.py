"""The engine's declared public surface (httpx style): everything in __all__ exists and
every public name in the package namespace is declared."""

from __future__ import annotations

import types

import engine


def test_all_names_exist() -> None:
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_public_names_are_declared() -> None:
    public = {
        name
        for name, value in vars(engine).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - {"annotations"} == set(engine.__all__)
