"""The engine's declared public surface (httpx style): everything in __all__ exists and
every public name in the package namespace is declared."""

from __future__ import annotations

import engine


def test_all_names_exist() -> None:
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_public_names_are_declared() -> None:
    public = {n for n in vars(engine) if not n.startswith("_")}
    modules = {
        "errors",
        "nodes",
        "providers",
        "runtime",
        "store",
        "workflow",
        "sandbox",
        "annotations",
    }
    assert public - modules == set(engine.__all__)
