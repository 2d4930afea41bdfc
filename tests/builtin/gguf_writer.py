"""Writing GGUF headers for tests, from ggml's docs/gguf.md (independent of sovtui's reader)."""

from __future__ import annotations

import struct
from typing import Any

UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64 = 4, 5, 6, 7, 8, 9, 10


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I?", BOOL, value)
    if isinstance(value, int):
        return struct.pack("<Iq", 11, value) if value < 0 else struct.pack("<IQ", UINT64, value)
    if isinstance(value, float):
        return struct.pack("<Id", 12, value)
    if isinstance(value, str):
        return struct.pack("<I", STRING) + _string(value)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return struct.pack("<IIQ", ARRAY, STRING, len(value)) + b"".join(_string(v) for v in value)
        return struct.pack("<IIQ", ARRAY, INT32, len(value)) + b"".join(struct.pack("<i", v) for v in value)
    raise TypeError(type(value))


def gguf_bytes(metadata: dict[str, Any], *, version: int = 3, tensors: int = 0, tail: bytes = b"\0" * 32) -> bytes:
    """A GGUF file's header with ``metadata`` (then ``tail`` standing in for the tensors)."""
    out = b"GGUF" + struct.pack("<IQQ", version, tensors, len(metadata))
    for key, value in metadata.items():
        out += _string(key) + _value(value)
    return out + tail


def tiny_model(name: str = "tiny", quant_type: int = 15) -> bytes:
    """A header shaped like a real model's (architecture, size label, file type, context, template)."""
    return gguf_bytes(
        {
            "general.architecture": "llama",
            "general.name": name,
            "general.size_label": "135M",
            "general.file_type": quant_type,
            "llama.context_length": 8192,
            "tokenizer.ggml.tokens": ["<s>", "</s>", "hello"],
            "tokenizer.ggml.token_type": [1, 1, 1],
            "tokenizer.chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}",
        }
    )
