"""The local provider: adapts `local_models`' catalog and inference pool to `Provider`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from engine.providers.base import ModelRequest, ModelResult, ProviderError, TokenCallback
from local_models import (
    GenerationResult,
    InferencePool,
    LocalModelError,
    ModelCatalog,
    ModelNotAvailable,
)

log = logging.getLogger(__name__)

DEFAULT_LOCAL_MODEL = "smollm2-135m-instruct"
"""The model routine chat nodes run on when they name none."""


class LocalProvider:
    """Serves the catalog's models through one shared `InferencePool`."""

    name = "local"

    def __init__(self, catalog: ModelCatalog, pool: InferencePool | None = None) -> None:
        self.catalog = catalog
        self.pool = pool if pool is not None else InferencePool(catalog)

    def model_fingerprint(self, model_id: str) -> str:
        """What identifies the model's behaviour: its file's checksum."""
        return f"sha256:{self.catalog.checksum(model_id)}"

    def models(self) -> list[str]:
        """Catalog ids, without touching model files (bundled ones are checked on use)."""
        return self.catalog.ids()

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        """Chat when the request has messages, else complete its prompt."""
        common: dict[str, Any] = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "stop": tuple(request.stop),
            "json_schema": request.json_schema,
            "on_token": on_token,
        }
        try:
            if request.messages:
                messages = [{"role": m.role, "content": m.content} for m in request.messages]
                result = await self.pool.chat(model, messages, **common)
            elif request.prompt is not None:
                result = await self.pool.complete(model, request.prompt, **common)
            else:
                raise ProviderError("a model request needs messages or a prompt")
        except ModelNotAvailable as exc:
            raise ProviderError(str(exc), transient=False) from exc
        except LocalModelError as exc:
            raise ProviderError(f"local model {model!r} failed: {exc}", transient=False) from exc
        except MemoryError as exc:
            raise ProviderError(f"out of memory running {model!r}", transient=True) from exc
        return _to_model_result(result, self.name)

    def close(self) -> None:
        """Unload every model."""
        self.pool.close()


def _to_model_result(result: GenerationResult, provider: str) -> ModelResult:
    return ModelResult(
        text=result.text,
        model=result.model_id,
        provider=provider,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        cost_usd=0.0,
        duration_s=result.total_s,
        ttft_s=result.ttft_s,
        finish_reason=result.finish_reason,
        json_value=result.json_value,
        json_valid=result.json_valid,
        json_error=result.json_error,
        extra={
            "queue_s": result.queue_s,
            "load_s": result.load_s,
            "attempts": result.attempts,
            "cached_tokens": result.cached_tokens,
            "energy_j_estimate": result.energy_j,
            "replica": result.replica,
            # What `engine.routing.execute.confidence_of` reads (min_confidence escalation).
            "confidence": result.confidence,
            "token_logprobs": list(result.token_logprobs),
        },
    )


def default_local_provider(data_dir: Path | None = None) -> LocalProvider:
    """The provider the CLI and desktop use: the catalog in `data_dir` (default app dir)."""
    return LocalProvider(ModelCatalog(data_dir))
