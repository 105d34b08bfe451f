"""The catalog of local models: bundled ones plus imported GGUF files, with their profiles.

Persisted as `<data dir>/models/catalog.json` (sorted keys, one entry per model id).
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from local_models.benchmark import measure_tokens_per_second
from local_models.bundled import BUNDLED, BundledModel
from local_models.errors import LocalModelError, ModelNotAvailable
from local_models.gguf import GGUFInfo, read_gguf_info
from local_models.paths import default_data_dir, models_dir

log = logging.getLogger(__name__)

CATALOG_VERSION = 1
JsonStrategy = Literal["grammar", "validate_retry"]
Source = Literal["bundled", "copied", "referenced"]

# From `bench/local_inference.py --json-only` on SmolLM2 (10 extraction prompts): grammar
# 10/10 valid, 0.45 s mean; free + validate + 1 retry 7/10 valid, 0.52 s mean.
_BUNDLED_JSON_STRATEGY: dict[str, JsonStrategy] = {
    "smollm2-135m-instruct": "grammar",
    "gemma3-270m": "grammar",
}


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """What a router needs to know to pick a model."""

    capabilities: tuple[str, ...]
    """"chat" (has a chat template), "completion", "json" (grammar-constrained output)."""
    context_window: int
    quality_tier: str = "routine"
    tokens_per_second: float | None = None
    """Decode speed measured on this machine by `ModelCatalog.bench`; None until measured."""
    cost_usd: float = 0.0
    json_strategy: JsonStrategy = "grammar"
    """How the pool gets schema-valid JSON: constrain with a grammar, or generate freely,
    validate and retry once."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One local model: where its file is, what its header says, and its profile."""

    model_id: str
    display_name: str
    source: Source
    path: Path
    architecture: str
    parameter_count: int
    quantization: str
    context_length: int | None
    has_chat_template: bool
    file_size: int
    sha256: str | None
    kv_bytes_per_token: int
    profile: ModelProfile = field(default_factory=lambda: ModelProfile(("completion",), 2048))

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["path"] = str(self.path)
        data["profile"]["capabilities"] = list(self.profile.capabilities)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogEntry:
        profile = dict(data.pop("profile"))
        profile["capabilities"] = tuple(profile["capabilities"])
        return cls(path=Path(data.pop("path")), profile=ModelProfile(**profile), **data)


def entry_from_info(
    model_id: str, info: GGUFInfo, *, source: Source, display_name: str, quality_tier: str
) -> CatalogEntry:
    """A catalog entry (profile included) for a parsed GGUF file."""
    capabilities = ("chat", "completion", "json") if info.has_chat_template else (
        "completion", "json"
    )  # fmt: skip
    profile = ModelProfile(
        capabilities=capabilities,
        context_window=info.context_length or 2048,
        quality_tier=quality_tier,
        json_strategy=_BUNDLED_JSON_STRATEGY.get(model_id, "grammar"),
    )
    return CatalogEntry(
        model_id=model_id,
        display_name=display_name,
        source=source,
        path=info.path,
        architecture=info.architecture,
        parameter_count=info.parameter_count,
        quantization=info.quantization,
        context_length=info.context_length,
        has_chat_template=info.has_chat_template,
        file_size=info.file_size,
        sha256=info.sha256,
        kv_bytes_per_token=info.kv_cache_bytes(1),
        profile=profile,
    )


class ModelCatalog:
    """Bundled and imported local models. Thread-safe; every change is saved at once."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir if data_dir is not None else default_data_dir()
        self.models_dir = models_dir(self.data_dir)
        self.path = self.models_dir / "catalog.json"
        self._lock = threading.RLock()
        self._entries: dict[str, CatalogEntry] = self._load()
        self._bundled_checked: set[str] = set()

    def list(self) -> builtins.list[CatalogEntry]:
        """Every usable model, bundled first; bundled models that are missing are left out."""
        entries = []
        for bundled in BUNDLED:
            try:
                entries.append(self._bundled_entry(bundled))
            except ModelNotAvailable as exc:
                log.warning("%s", exc)
        with self._lock:
            entries += [e for e in self._entries.values() if e.source != "bundled"]
        return entries

    def ids(self) -> builtins.list[str]:
        """Bundled and imported model ids, without checking files (cheap; `get` checks)."""
        with self._lock:
            imported = [k for k, e in self._entries.items() if e.source != "bundled"]
        return [b.model_id for b in BUNDLED] + imported

    def checksum(self, model_id: str) -> str | None:
        """The model file's sha256, known without touching the file (None: unknown id)."""
        for bundled in BUNDLED:
            if bundled.model_id == model_id:
                return bundled.sha256
        with self._lock:
            entry = self._entries.get(model_id)
        return entry.sha256 if entry is not None else None

    def get(self, model_id: str) -> CatalogEntry:
        """The entry for `model_id`; `ModelNotAvailable` (with the fix) if it can't be used."""
        for bundled in BUNDLED:
            if bundled.model_id == model_id:
                return self._bundled_entry(bundled)
        with self._lock:
            entry = self._entries.get(model_id)
        if entry is None:
            raise ModelNotAvailable(
                f"unknown local model {model_id!r}; import a GGUF file or pick one of: "
                + ", ".join(e.model_id for e in self.list())
            )
        if not entry.path.is_file():
            raise ModelNotAvailable(
                f"model file {entry.path} of {model_id!r} is gone; re-import it"
            )
        return entry

    def import_file(
        self, path: Path | str, *, copy: bool = True, bench: bool = True
    ) -> CatalogEntry:
        """Add a GGUF file; `copy` puts it under the data dir, else it is referenced in place.

        Raises `InvalidModelFile` for anything that isn't a complete GGUF file. Importing a
        file already in the catalog (same SHA-256) returns the existing entry.
        """
        source_path = Path(path).expanduser().resolve()
        info = read_gguf_info(source_path, with_sha256=True)
        with self._lock:
            for existing in self._entries.values():
                if existing.sha256 == info.sha256 and existing.path.is_file():
                    return existing
            model_id = self._unique_id(_slug(source_path.stem))
        if copy:
            target = self.models_dir / f"{model_id}.gguf"
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(source_path, partial)
            os.replace(partial, target)
            info = dataclasses.replace(info, path=target)
        entry = entry_from_info(
            model_id,
            info,
            source="copied" if copy else "referenced",
            display_name=info.name or source_path.stem,
            quality_tier="routine",
        )
        with self._lock:
            self._entries[model_id] = entry
            self._save()
        log.info("imported %s as %r", source_path, model_id)
        return self.bench(model_id) if bench else entry

    def remove(self, model_id: str) -> None:
        """Forget an imported model (and delete its copy); bundled models can't be removed."""
        if any(b.model_id == model_id for b in BUNDLED):
            raise LocalModelError(f"{model_id!r} is bundled with the app and can't be removed")
        with self._lock:
            entry = self._entries.pop(model_id, None)
            if entry is None:
                raise ModelNotAvailable(f"unknown local model {model_id!r}")
            self._save()
        if entry.source == "copied":
            entry.path.unlink(missing_ok=True)

    def bench(self, model_id: str, *, n_threads: int | None = None) -> CatalogEntry:
        """Measure decode tokens/s of `model_id` on this machine and store it in its profile."""
        entry = self.get(model_id)
        result = measure_tokens_per_second(entry.path, n_threads=n_threads)
        return self.update_profile(model_id, tokens_per_second=round(result.tokens_per_second, 1))

    def update_profile(self, model_id: str, **changes: Any) -> CatalogEntry:
        """Replace fields of a model's profile (e.g. `json_strategy`) and save."""
        entry = self.get(model_id)
        profile = dataclasses.replace(entry.profile, **changes)
        entry = dataclasses.replace(entry, profile=profile)
        with self._lock:
            self._entries[model_id] = entry
            self._save()
        return entry

    def _bundled_entry(self, bundled: BundledModel) -> CatalogEntry:
        with self._lock:
            cached = self._entries.get(bundled.model_id)
            if cached is not None and bundled.model_id in self._bundled_checked:
                return cached
            path = bundled.locate(self.data_dir)  # raises ModelNotAvailable with the fix
            if cached is None or cached.path != path or cached.file_size != path.stat().st_size:
                info = dataclasses.replace(read_gguf_info(path), sha256=bundled.sha256)
                fresh = entry_from_info(
                    bundled.model_id,
                    info,
                    source="bundled",
                    display_name=bundled.display_name,
                    quality_tier=bundled.quality_tier,
                )
                if cached is not None:  # keep measurements across a reinstall
                    fresh = dataclasses.replace(fresh, profile=cached.profile)
                self._entries[bundled.model_id] = cached = fresh
                self._save()
            elif cached.profile.quality_tier != bundled.quality_tier:  # a release re-tiered it
                profile = dataclasses.replace(cached.profile, quality_tier=bundled.quality_tier)
                self._entries[bundled.model_id] = cached = dataclasses.replace(
                    cached, profile=profile
                )
                self._save()
            self._bundled_checked.add(bundled.model_id)
            return cached

    def _unique_id(self, base: str) -> str:
        taken = set(self._entries) | {b.model_id for b in BUNDLED}
        model_id, n = base, 2
        while model_id in taken:
            model_id, n = f"{base}-{n}", n + 1
        return model_id

    def _load(self) -> dict[str, CatalogEntry]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable catalog %s: %s", self.path, exc)
            return {}
        entries: dict[str, CatalogEntry] = {}
        for raw in data.get("models", []) if data.get("version") == CATALOG_VERSION else []:
            try:
                entry = CatalogEntry.from_json(dict(raw))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("skipping bad catalog entry %r: %s", raw, exc)
                continue
            entries[entry.model_id] = entry
        return entries

    def _save(self) -> None:
        data = {
            "version": CATALOG_VERSION,
            "models": [self._entries[k].to_json() for k in sorted(self._entries)],
        }
        self.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", stem.lower()).strip("-.") or "model"
