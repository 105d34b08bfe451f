"""Reads a GGUF file's header (metadata and tensor table) without loading the model.

Large arrays (the tokenizer vocabulary) are skipped by seeking, so reading is cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local_models.errors import InvalidModelFile

GGUF_MAGIC = b"GGUF"
_MAX_KEPT_ARRAY = 64
"""Arrays longer than this are skipped; the metadata keeps only their length."""
_MAX_COUNT = 10_000_000

# GGUF value type id -> struct format, for the fixed-size scalar types.
_SCALARS: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9

# ggml tensor type id -> (elements per block, bytes per block); from gguf-py constants.
_TENSOR_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
    8: (32, 34), 9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144),
    13: (256, 176), 14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74),
    18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}  # fmt: skip
_TENSOR_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 20: "IQ4_NL",
    23: "IQ4_XS", 30: "BF16", 39: "MXFP4",
}  # fmt: skip
# general.file_type (llama_ftype) -> quantization name.
FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0", 38: "MXFP4_MOE",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SkippedArray:
    """Stands in for a metadata array too large to keep (e.g. the vocabulary)."""

    item_type: int
    length: int


@dataclass(frozen=True, slots=True)
class GGUFInfo:
    """What a GGUF header says about a model."""

    path: Path
    file_size: int
    version: int
    architecture: str
    name: str | None
    parameter_count: int
    quantization: str
    context_length: int | None
    has_chat_template: bool
    tensor_count: int
    sha256: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)

    def kv_cache_bytes(self, n_ctx: int) -> int:
        """Estimated size of an f16 KV cache of `n_ctx` tokens (0 if the header can't say)."""
        arch, md = self.architecture, self.metadata
        layers = _as_int(md.get(f"{arch}.block_count"))
        embd = _as_int(md.get(f"{arch}.embedding_length"))
        heads = _as_int(md.get(f"{arch}.attention.head_count"))
        kv_heads = _as_int(md.get(f"{arch}.attention.head_count_kv")) or heads
        if not (layers and embd and heads and kv_heads):
            return 0
        key_len = _as_int(md.get(f"{arch}.attention.key_length")) or embd // heads
        value_len = _as_int(md.get(f"{arch}.attention.value_length")) or embd // heads
        return 2 * n_ctx * layers * kv_heads * (key_len + value_len)


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class _Reader:
    """Little-endian reads that turn a short read into `InvalidModelFile`."""

    def __init__(self, fh: IO[bytes], path: Path, size: int, version: int = 3) -> None:
        self._fh, self._path, self._size = fh, path, size
        self.wide = version >= 2  # v1 used 32-bit counts and string lengths

    def tell(self) -> int:
        return self._fh.tell()

    def read(self, n: int) -> bytes:
        if n < 0 or self.tell() + n > self._size:
            raise InvalidModelFile(self._path, "file is truncated inside the header")
        data = self._fh.read(n)
        if len(data) != n:
            raise InvalidModelFile(self._path, "file is truncated inside the header")
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.tell() + n > self._size:
            raise InvalidModelFile(self._path, "file is truncated inside the header")
        self._fh.seek(n, 1)

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def count(self) -> int:
        value: int = self.scalar("<Q" if self.wide else "<I")
        if value > _MAX_COUNT:
            raise InvalidModelFile(self._path, f"implausible count {value} in header")
        return value

    def string(self) -> str:
        raw = self.read(self.scalar("<Q" if self.wide else "<I"))
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        self.skip(self.scalar("<Q" if self.wide else "<I"))

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type, length = self.scalar("<I"), self.count()
            if length > _MAX_KEPT_ARRAY:
                self._skip_items(item_type, length)
                return SkippedArray(item_type, length)
            return [self.value(item_type) for _ in range(length)]
        raise InvalidModelFile(self._path, f"unknown metadata value type {vtype}")

    def _skip_items(self, item_type: int, length: int) -> None:
        if item_type in _SCALARS:
            self.skip(length * struct.calcsize(_SCALARS[item_type]))
        elif item_type == _STRING:
            for _ in range(length):
                self.skip_string()
        else:
            for _ in range(length):
                self.value(item_type)


def read_gguf_info(path: Path | str, *, with_sha256: bool = False) -> GGUFInfo:
    """Parse the header of the GGUF file at `path`; raise `InvalidModelFile` if it isn't one.

    Checks that the file is long enough to hold every tensor the header lists, so a
    truncated download is caught here rather than by llama.cpp.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            info = _parse(fh, path, size)
    except OSError as exc:
        raise InvalidModelFile(path, f"cannot read file: {exc.strerror or exc}") from exc
    if with_sha256:
        info = dataclasses.replace(info, sha256=sha256_file(path))
    return info


def _parse(fh: IO[bytes], path: Path, size: int) -> GGUFInfo:
    if fh.read(4) != GGUF_MAGIC:
        raise InvalidModelFile(path, "missing GGUF magic bytes; is this a GGUF file?")
    reader = _Reader(fh, path, size)
    version = reader.scalar("<I")
    if version not in (1, 2, 3):
        raise InvalidModelFile(path, f"unsupported GGUF version {version}")
    reader.wide = version >= 2
    tensor_count, kv_count = reader.count(), reader.count()
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = reader.string()
        metadata[key] = reader.value(reader.scalar("<I"))
    params, data_end, type_counts = 0, 0, dict[int, int]()
    for _ in range(tensor_count):
        reader.skip_string()
        dims = [reader.scalar("<Q" if reader.wide else "<I") for _ in range(reader.scalar("<I"))]
        ttype, offset = reader.scalar("<I"), reader.scalar("<Q")
        n_elements = math.prod(dims)
        params += n_elements
        if len(dims) >= 2:
            type_counts[ttype] = type_counts.get(ttype, 0) + n_elements
        block = _TENSOR_BLOCKS.get(ttype)
        if block is not None:
            data_end = max(data_end, offset + n_elements // block[0] * block[1])
    alignment = _as_int(metadata.get("general.alignment")) or 32
    data_start = -(-reader.tell() // alignment) * alignment
    if data_start + data_end > size:
        missing = data_start + data_end - size
        raise InvalidModelFile(path, f"file is truncated: tensor data is {missing} bytes short")
    arch = metadata.get("general.architecture")
    if not isinstance(arch, str):
        raise InvalidModelFile(path, "header has no general.architecture")
    context = _as_int(metadata.get(f"{arch}.context_length")) or None
    template = metadata.get("tokenizer.chat_template")
    name = metadata.get("general.name")
    return GGUFInfo(
        path=path,
        file_size=size,
        version=version,
        architecture=arch,
        name=name if isinstance(name, str) else None,
        parameter_count=params,
        quantization=_quantization(metadata, type_counts),
        context_length=context,
        has_chat_template=isinstance(template, str) and bool(template.strip()),
        tensor_count=tensor_count,
        metadata=metadata,
    )


def _quantization(metadata: dict[str, Any], type_counts: dict[int, int]) -> str:
    file_type = metadata.get("general.file_type")
    if isinstance(file_type, int) and file_type in FILE_TYPE_NAMES:
        return FILE_TYPE_NAMES[file_type]
    if type_counts:  # no (known) file type: name the type holding most weights
        dominant = max(type_counts, key=lambda t: type_counts[t])
        return _TENSOR_TYPE_NAMES.get(dominant, f"type{dominant}")
    return "unknown"


def sha256_file(
    path: Path | str,
    *,
    chunk_size: int = 1 << 20,
    progress: Callable[[int], None] | None = None,
) -> str:
    """SHA-256 hex digest of a file, read in chunks; `progress` gets bytes read so far."""
    digest = hashlib.sha256()
    done = 0
    with Path(path).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done)
    return digest.hexdigest()
