"""GGUF header reading: the real bundled file, synthetic files, and broken ones."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from local_models import InvalidModelFile, read_gguf_info, sha256_file
from local_models.gguf import SkippedArray


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _kv(key: str, vtype: int, payload: bytes) -> bytes:
    return _string(key) + struct.pack("<I", vtype) + payload


def write_gguf(path: Path, *, drop_tail: int = 0) -> Path:
    """A tiny but complete GGUF v3 file: 2 F32 tensors, a 1000-string vocabulary."""
    vocab = b"".join(_string(f"tok{i}") for i in range(1000))
    kvs = [
        _kv("general.architecture", 8, _string("llama")),
        _kv("general.name", 8, _string("tiny")),
        _kv("llama.context_length", 4, struct.pack("<I", 512)),
        _kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 1000) + vocab),
        _kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 1000) + b"\0" * 4000),
        _kv("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 1)),
    ]
    tensors = [  # name, dims, type F32, offset
        _string("a") + struct.pack("<I", 2) + struct.pack("<QQ", 4, 8) + struct.pack("<IQ", 0, 0),
        _string("b") + struct.pack("<I", 1) + struct.pack("<Q", 8) + struct.pack("<IQ", 0, 128),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs + tensors)
    header += b"\0" * (-len(header) % 32)
    data = b"\1" * (4 * 8 * 4) + b"\2" * (8 * 4)
    path.write_bytes((header + data)[: len(header) + len(data) - drop_tail])
    return path


def test_reads_the_bundled_smollm2_header(smollm2_file: Path) -> None:
    info = read_gguf_info(smollm2_file)
    assert info.architecture == "llama"
    assert info.has_chat_template
    assert info.quantization == "Q4_1"
    assert info.context_length is not None and info.context_length > 0
    assert 100e6 < info.parameter_count < 200e6  # a 135M model
    assert info.file_size == smollm2_file.stat().st_size
    vocab = info.metadata["tokenizer.ggml.tokens"]
    assert isinstance(vocab, SkippedArray) and vocab.length == 49152
    assert info.kv_cache_bytes(1024) > 0


def test_reads_a_synthetic_file_and_skips_big_arrays(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "tiny.gguf"), with_sha256=True)
    assert (info.architecture, info.name, info.context_length) == ("llama", "tiny", 512)
    assert info.parameter_count == 4 * 8 + 8
    assert info.quantization == "F32"  # no general.file_type: named after the tensors
    assert not info.has_chat_template
    assert info.metadata["tokenizer.ggml.tokens"] == SkippedArray(8, 1000)
    assert info.metadata["tokenizer.ggml.bos_token_id"] == 1
    assert info.sha256 == sha256_file(tmp_path / "tiny.gguf")


def test_rejects_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("just some text, definitely not a model\n")
    with pytest.raises(InvalidModelFile, match=r"notes\.gguf: .*missing GGUF magic"):
        read_gguf_info(path)


@pytest.mark.parametrize("drop_tail", [1, 40])
def test_rejects_missing_tensor_data(tmp_path: Path, drop_tail: int) -> None:
    path = write_gguf(tmp_path / "cut.gguf", drop_tail=drop_tail)
    with pytest.raises(InvalidModelFile, match=rf"cut\.gguf: .*truncated.*{drop_tail} bytes"):
        read_gguf_info(path)


def test_rejects_a_truncated_real_model(tmp_path: Path, smollm2_file: Path) -> None:
    for size, reason in [(20_000, "inside the header"), (50_000_000, "tensor data")]:
        path = tmp_path / f"smol-{size}.gguf"
        with smollm2_file.open("rb") as src:
            path.write_bytes(src.read(size))
        with pytest.raises(InvalidModelFile, match=f"smol-{size}.gguf: .*truncated.*{reason}"):
            read_gguf_info(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidModelFile, match=r"absent\.gguf: .*cannot read"):
        read_gguf_info(tmp_path / "absent.gguf")
