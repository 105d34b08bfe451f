"""Local models: a catalog of GGUF files, their metadata, and an async inference pool.

Knows nothing of workflows; `engine/providers/local.py` adapts it to the engine.
"""

from __future__ import annotations

from local_models.benchmark import BenchResult, measure_tokens_per_second
from local_models.bundled import BUNDLED, GEMMA3_ID, SMOLLM2_ID, BundledModel, bundled_model
from local_models.catalog import CatalogEntry, ModelCatalog, ModelProfile
from local_models.errors import (
    GenerationError,
    InvalidModelFile,
    LocalModelError,
    ModelNotAvailable,
)
from local_models.generation import GenerationParams, GenerationResult
from local_models.gguf import GGUFInfo, read_gguf_info, sha256_file
from local_models.inference import InferencePool, ModelSource
from local_models.paths import DATA_DIR_ENV, default_data_dir, models_dir

__all__ = [
    "BUNDLED",
    "DATA_DIR_ENV",
    "GEMMA3_ID",
    "SMOLLM2_ID",
    "BenchResult",
    "BundledModel",
    "CatalogEntry",
    "GGUFInfo",
    "GenerationError",
    "GenerationParams",
    "GenerationResult",
    "InferencePool",
    "InvalidModelFile",
    "LocalModelError",
    "ModelCatalog",
    "ModelNotAvailable",
    "ModelProfile",
    "ModelSource",
    "bundled_model",
    "default_data_dir",
    "measure_tokens_per_second",
    "models_dir",
    "read_gguf_info",
    "sha256_file",
]
