"""The error tree of `local_models`.

LocalModelError
 ├── ModelNotAvailable   a model is unknown, or its package/file is missing or corrupt
 ├── InvalidModelFile    a file is not a readable GGUF model
 └── GenerationError     llama.cpp failed while loading or generating
"""

from __future__ import annotations


class LocalModelError(Exception):
    """Base class of every error `local_models` raises on purpose."""


class ModelNotAvailable(LocalModelError):
    """The model cannot be used; the message says how to fix it."""


class InvalidModelFile(LocalModelError):
    """A file is not a valid GGUF model; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        name = getattr(path, "name", None) or str(path)
        super().__init__(f"{name}: not a usable GGUF model file ({reason})")
        self.reason = reason


class GenerationError(LocalModelError):
    """llama.cpp raised while loading a model or generating text."""
