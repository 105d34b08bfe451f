"""`engine.providers.local`: the engine's view of the local models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.providers.base import ChatMessage, ModelRequest, Provider, ProviderError
from engine.providers.local import DEFAULT_LOCAL_MODEL, LocalProvider
from local_models import GEMMA3_ID, SMOLLM2_ID, InferencePool, ModelCatalog


@pytest.fixture(scope="module")
def provider(catalog: ModelCatalog, pool: InferencePool) -> LocalProvider:
    return LocalProvider(catalog, pool)


def test_is_a_provider_serving_the_bundled_models(provider: LocalProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "local"
    assert {SMOLLM2_ID, GEMMA3_ID} <= set(provider.models())
    assert DEFAULT_LOCAL_MODEL == SMOLLM2_ID


def test_unknown_model_is_a_permanent_error_naming_the_choices(provider: LocalProvider) -> None:
    request = ModelRequest(prompt="hi")
    with pytest.raises(ProviderError, match=SMOLLM2_ID) as info:
        asyncio.run(provider.generate("no-such-model", request))
    assert info.value.transient is False


def test_a_request_without_messages_or_prompt_is_refused(provider: LocalProvider) -> None:
    with pytest.raises(ProviderError, match="messages or a prompt"):
        asyncio.run(provider.generate(SMOLLM2_ID, ModelRequest()))


@pytest.mark.model
@pytest.mark.slow
def test_chat_request_streams_and_reports_usage(provider: LocalProvider) -> None:
    pieces: list[str] = []
    request = ModelRequest(
        messages=[ChatMessage("user", "Is this positive or negative: I love it")], max_tokens=24
    )
    result = asyncio.run(provider.generate(SMOLLM2_ID, request, pieces.append))
    assert "positive" in result.text.lower()
    assert "".join(pieces) == result.text
    assert (result.model, result.provider, result.cost_usd) == (SMOLLM2_ID, "local", 0.0)
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    assert result.json_valid is None


@pytest.mark.model
@pytest.mark.slow
def test_completion_request_with_a_schema_on_the_base_model(provider: LocalProvider) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
    request = ModelRequest(
        prompt='Paris is in France.\nJSON: {"city": "Paris"}\nRome is in Italy.\nJSON:',
        max_tokens=16,
        json_schema=schema,
    )
    result = asyncio.run(provider.generate(GEMMA3_ID, request))
    assert result.json_valid is True, result.json_error
    assert result.json_value == {"city": "Rome"}


@pytest.mark.model
@pytest.mark.slow
def test_chat_on_the_base_model_is_a_permanent_error(provider: LocalProvider) -> None:
    request = ModelRequest(messages=[ChatMessage("user", "hello")], max_tokens=4)
    with pytest.raises(ProviderError, match="chat template") as info:
        asyncio.run(provider.generate(GEMMA3_ID, request))
    assert info.value.transient is False


def test_a_vanished_model_file_is_a_permanent_error_with_the_fix(
    catalog: ModelCatalog, tmp_path: Path
) -> None:
    from tests.local_models.test_gguf import write_gguf

    path = write_gguf(tmp_path / "tiny.gguf")
    isolated = ModelCatalog(tmp_path / "data")
    entry = isolated.import_file(path, copy=False, bench=False)
    provider = LocalProvider(isolated)
    assert entry.model_id in provider.models()
    path.unlink()
    with pytest.raises(ProviderError, match="re-import") as info:
        asyncio.run(provider.generate(entry.model_id, ModelRequest(prompt="hi")))
    assert info.value.transient is False
    provider.close()
