"""The model catalog: bundled models, importing GGUF files, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_models import (
    GEMMA3_ID,
    SMOLLM2_ID,
    InvalidModelFile,
    LocalModelError,
    ModelCatalog,
    ModelNotAvailable,
    bundled_model,
    sha256_file,
)
from local_models.bundled import gemma3_path


def test_lists_both_bundled_models_with_profiles(catalog: ModelCatalog) -> None:
    entries = {e.model_id: e for e in catalog.list()}
    smol, gemma = entries[SMOLLM2_ID], entries[GEMMA3_ID]
    assert "chat" in smol.profile.capabilities and "json" in smol.profile.capabilities
    assert "chat" not in gemma.profile.capabilities  # a base model: completion only
    assert (smol.quantization, gemma.quantization) == ("Q4_1", "Q4_K_M")
    assert gemma.architecture == "gemma3"
    for entry in (smol, gemma):
        assert entry.source == "bundled" and entry.profile.cost_usd == 0.0
        assert entry.profile.context_window > 0
    # Gemma, twice SmolLM2's size, is the bigger local rung of an escalation ladder.
    assert (smol.profile.quality_tier, gemma.profile.quality_tier) == ("routine", "standard")


def test_gemma_is_assembled_in_the_data_dir_and_verified(data_dir: Path) -> None:
    path = gemma3_path(data_dir)
    assert path.parent == data_dir / "models"
    assert sha256_file(path) == bundled_model(GEMMA3_ID).sha256


def test_a_corrupt_gemma_file_is_rebuilt(tmp_path: Path) -> None:
    path = gemma3_path(tmp_path)
    with path.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"garbage")
    assert gemma3_path(tmp_path) == path
    assert sha256_file(path) == bundled_model(GEMMA3_ID).sha256


def test_import_rejects_a_non_gguf_file(catalog: ModelCatalog, tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a model" * 10)
    with pytest.raises(InvalidModelFile, match=r"weights\.bin: .*GGUF magic"):
        catalog.import_file(path)
    assert all(e.path.name != "weights.bin" for e in catalog.list())


def test_import_rejects_a_truncated_gguf(
    catalog: ModelCatalog, smollm2_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "half.gguf"
    with smollm2_file.open("rb") as src:
        path.write_bytes(src.read(smollm2_file.stat().st_size // 2))
    with pytest.raises(InvalidModelFile, match=r"half\.gguf: .*truncated"):
        catalog.import_file(path)


def test_import_reference_persist_and_remove(smollm2_file: Path, tmp_path: Path) -> None:
    catalog = ModelCatalog(tmp_path)
    entry = catalog.import_file(smollm2_file, copy=False, bench=False)
    assert entry.source == "referenced" and entry.path == smollm2_file
    assert entry.model_id not in (SMOLLM2_ID, GEMMA3_ID)
    assert catalog.import_file(smollm2_file, copy=False, bench=False) == entry  # same sha256

    reopened = ModelCatalog(tmp_path)
    assert reopened.get(entry.model_id) == entry
    assert entry.model_id in reopened.ids()
    reopened.remove(entry.model_id)
    assert entry.model_id not in ModelCatalog(tmp_path).ids()
    assert smollm2_file.exists()  # a referenced file is never deleted
    with pytest.raises(ModelNotAvailable, match="unknown local model"):
        reopened.get(entry.model_id)


def test_bundled_models_cannot_be_removed(catalog: ModelCatalog) -> None:
    with pytest.raises(LocalModelError, match="bundled"):
        catalog.remove(SMOLLM2_ID)


def test_unknown_model_names_the_known_ones(catalog: ModelCatalog) -> None:
    with pytest.raises(ModelNotAvailable, match=SMOLLM2_ID):
        catalog.get("gpt-9")


@pytest.mark.model
@pytest.mark.slow
def test_copy_import_benchmarks_the_model(smollm2_file: Path, tmp_path: Path) -> None:
    catalog = ModelCatalog(tmp_path)
    entry = catalog.import_file(smollm2_file, copy=True)
    assert entry.source == "copied" and entry.path.parent == tmp_path / "models"
    assert entry.profile.tokens_per_second is not None and entry.profile.tokens_per_second > 0
    assert ModelCatalog(tmp_path).get(entry.model_id).profile == entry.profile
    catalog.remove(entry.model_id)
    assert not entry.path.exists()
