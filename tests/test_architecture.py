"""The shape of the system: import contracts hold, and the core imports with Qt absent."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("engine", "local_models")
BLOCKED = ("PySide6", "shiboken6", "qasync", "desktop")


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} missing: pip install -e '.[dev]'"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Runs in a fresh interpreter: Qt must be blocked before anything could import it.
_IMPORT_CORE_WITHOUT_QT = textwrap.dedent(
    """
    import importlib, importlib.abc, json, os, pkgutil, sys, traceback

    BLOCKED = set(sys.argv[1].split(","))
    PACKAGES = sys.argv[2].split(",")

    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"{name} is blocked in this test", name=name)
            return None

    sys.meta_path.insert(0, BlockQt())

    def skipped(info):
        # __main__ runs a program when imported; an Alembic env.py (found beside its
        # script.py.mako) runs only inside Alembic, never as part of the package API.
        leaf = info.name.rpartition(".")[2]
        folder = getattr(info.module_finder, "path", "")
        alembic_env = leaf == "env" and os.path.exists(os.path.join(folder, "script.py.mako"))
        return leaf == "__main__" or alembic_env

    imported, failures = [], {}

    def record_failure(name):
        failures[name] = traceback.format_exc()

    for package in PACKAGES:
        try:
            module = importlib.import_module(package)
        except Exception:
            record_failure(package)
            continue
        imported.append(package)
        for info in pkgutil.walk_packages(module.__path__, package + ".", record_failure):
            if skipped(info) or info.name in failures:
                continue
            try:
                importlib.import_module(info.name)
            except Exception:
                record_failure(info.name)
            else:
                imported.append(info.name)

    leaked = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
    report = {"imported": imported, "failures": failures, "leaked": leaked}
    print(json.dumps(report))
    """
)


def test_core_imports_without_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_CORE_WITHOUT_QT, ",".join(BLOCKED), ",".join(CORE_PACKAGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    failures: dict[str, str] = report["failures"]
    assert not failures, "modules that fail to import without Qt:\n" + "\n".join(
        f"--- {name}\n{trace}" for name, trace in failures.items()
    )
    assert not report["leaked"]
    assert set(CORE_PACKAGES) <= set(report["imported"])


@pytest.mark.parametrize(
    "module",
    [
        "engine.errors",
        "engine.trace.fold",
        "engine.approvals",
        "engine.tools",
        "engine.tools.gateway",
        "engine.nodes.agent",
        "engine.nodes.toolbox",
        "engine.routing",
        "engine.routing.execute",
        "engine.reports",
        "engine.store",
        "engine.store.evaluation_records",
        "engine.runtime.approval_gate",
        "engine.runtime.validate",
        "engine.cli.main",
        "local_models.inference",
    ],
)
def test_each_package_imports_on_its_own(module: str) -> None:
    """A fresh interpreter per module: import cycles that a warm process hides show up."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
