"""Shared fixtures: one data dir, one catalog and one inference pool for the whole session.

Loading a model takes a moment, so every model test reuses the same pool. Nothing here
touches the real user data dir: `INTERLOCK_DATA_DIR` points at a session temp dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_models import DATA_DIR_ENV, InferencePool, ModelCatalog
from local_models.bundled import smollm2_path
from local_models.generation import count_evaluations
from local_models.llama_load import load_llama


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("interlock-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(path))
        yield path


@pytest.fixture(scope="session")
def catalog(data_dir: Path) -> ModelCatalog:
    return ModelCatalog(data_dir)


@pytest.fixture(scope="session")
def pool(catalog: ModelCatalog) -> Iterator[InferencePool]:
    pool = InferencePool(catalog, max_context=2048)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def queue_pool(catalog: ModelCatalog) -> Iterator[InferencePool]:
    """One 2-thread context per model: requests queue, for the FIFO test."""
    pool = InferencePool(catalog, max_context=1024, n_threads=2, replicas=1)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def replica_pool(catalog: ModelCatalog) -> Iterator[InferencePool]:
    """Two 1-thread SmolLM2 replicas: the parallel layout, for the replica tests."""
    pool = InferencePool(catalog, max_context=1024, n_threads=2, replicas=2)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def smollm2_file(data_dir: Path) -> Path:
    return smollm2_path(data_dir)


@pytest.fixture(scope="session")
def smollm2_llm(smollm2_file: Path) -> Iterator[Any]:
    """A bare SmolLM2 `Llama` (2 threads), for tests that drive `run_generation` directly."""
    llm = load_llama(str(smollm2_file), n_ctx=1024, n_threads=2, n_threads_batch=2, seed=0)
    count_evaluations(llm)
    yield llm
    llm.close()
