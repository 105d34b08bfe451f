"""The frozen bundle (packaging/pyinstaller): its launcher's entry-point fallback, and the
end-to-end smoke test of dist/interlock/ without the development virtualenv.

The smoke test needs a PyInstaller build (about 30 s plus installing .venv-package), which
CI cannot afford on every run: it runs only when INTERLOCK_BUNDLE_TESTS=1 (and then builds
the bundle if it is missing) or when dist/interlock/interlock already exists.
"""

from __future__ import annotations

import configparser
import importlib.metadata as metadata
import importlib.util
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
BUNDLE_EXE = ROOT / "dist" / "interlock" / "interlock"
GROUPS = ("interlock.commands", "interlock.report_formats")


@pytest.fixture
def launcher() -> Iterator[ModuleType]:
    path = PACKAGING / "pyinstaller" / "interlock_launcher.py"
    spec = importlib.util.spec_from_file_location("interlock_launcher", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = list(sys.meta_path)
    yield module
    sys.meta_path[:] = before


def test_launcher_entry_points_match_pyproject(launcher: ModuleType) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"]["entry-points"]
    static = configparser.ConfigParser()
    static.read_string(launcher.ENTRY_POINTS)
    assert {g: dict(static[g]) for g in static.sections()} == {g: declared[g] for g in GROUPS}


def test_launcher_falls_back_when_metadata_is_missing(
    launcher: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = metadata.entry_points
    finders = len(sys.meta_path)

    def without_ours(*, group: str) -> metadata.EntryPoints:
        if group in GROUPS and len(sys.meta_path) == finders:
            return metadata.EntryPoints(())  # as in a bundle without the dist-info
        return real(group=group)

    monkeypatch.setattr(metadata, "entry_points", without_ours)
    assert launcher.ensure_entry_points() is True
    monkeypatch.setattr(metadata, "entry_points", real)
    names = {(group, ep.name, ep.value) for group in GROUPS for ep in real(group=group)}
    assert ("interlock.commands", "app", "desktop.cli:register") in names
    assert ("interlock.report_formats", "pdf", "desktop.reports_pdf:render_pdf") in names


def test_launcher_leaves_metadata_alone_when_present(launcher: ModuleType) -> None:
    # The dev venv has interlock installed, so its entry points are found as they are.
    before = len(sys.meta_path)
    assert launcher.ensure_entry_points() is False
    assert len(sys.meta_path) == before


def test_windowed_executable_opens_the_app(launcher: ModuleType) -> None:
    assert launcher.default_to_app(["x", "f.yaml"], "C:/I/interlock-app.exe") == [
        "x",
        "app",
        "f.yaml",
    ]
    assert launcher.default_to_app(["x", "app"], "/A/interlock-app") == ["x", "app"]
    assert launcher.default_to_app(["x", "run", "f"], "/opt/interlock/interlock") == [
        "x",
        "run",
        "f",
    ]


@pytest.mark.slow
def test_bundle_smoke() -> None:
    wanted = os.environ.get("INTERLOCK_BUNDLE_TESTS") == "1"
    if not wanted and not BUNDLE_EXE.exists():
        pytest.skip(
            "no dist/interlock bundle: a PyInstaller build is too slow for every CI run; "
            "set INTERLOCK_BUNDLE_TESTS=1 to build and test it (packaging/build_bundle.sh)"
        )
    if not BUNDLE_EXE.exists():
        subprocess.run(["bash", str(PACKAGING / "build_bundle.sh")], cwd=ROOT, check=True)
    result = subprocess.run(
        ["bash", str(PACKAGING / "smoke_test.sh"), str(BUNDLE_EXE.parent)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke_test: all passed" in result.stdout


@pytest.mark.slow
def test_deb_installs_into_a_prefix_and_runs() -> None:
    """The .deb, unpacked into a temporary prefix, passes the same smoke test."""
    if os.environ.get("INTERLOCK_BUNDLE_TESTS") != "1":
        pytest.skip("set INTERLOCK_BUNDLE_TESTS=1 to build and test the .deb (CI does)")
    if not BUNDLE_EXE.exists():
        subprocess.run(["bash", str(PACKAGING / "build_bundle.sh")], cwd=ROOT, check=True)
    subprocess.run(["bash", str(PACKAGING / "build_deb.sh")], cwd=ROOT, check=True)
    debs = sorted((ROOT / "dist").glob("interlock_*.deb"))
    assert debs, "build_deb.sh made no .deb"
    result = subprocess.run(
        ["bash", str(PACKAGING / "smoke_test.sh"), str(debs[-1])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke_test: all passed" in result.stdout
