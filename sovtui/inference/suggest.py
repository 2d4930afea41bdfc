"""Which models fit this machine, from its memory and whether it has a GPU.

Read from the kernel (sysconf, /dev and /proc), with no network call.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

GB = 1024**3


@dataclass(frozen=True)
class Suggestion:
    name: str
    why: str


def total_ram() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 0


def has_gpu() -> bool:
    """An NVIDIA or AMD (ROCm) GPU that Ollama can use."""
    markers = (Path("/dev/nvidia0"), Path("/proc/driver/nvidia/version"), Path("/dev/kfd"))
    return any(marker.exists() for marker in markers) or shutil.which("nvidia-smi") is not None


def suggestions(ram: int | None = None, gpu: bool | None = None) -> list[Suggestion]:
    ram = total_ram() if ram is None else ram
    gpu = has_gpu() if gpu is None else gpu
    size = f"{ram / GB:.0f} GB of RAM"
    if gpu or ram >= 16 * GB:
        why = "a GPU" if gpu else size
        return [
            Suggestion("qwen3:8b", f"8B, strong all-rounder; fits {why}"),
            Suggestion("llama3.1:8b", f"8B, Meta's general model; fits {why}"),
            Suggestion("mistral:7b", f"7B, fast and capable; fits {why}"),
        ]
    if ram >= 8 * GB:
        return [
            Suggestion("llama3.2:3b", f"3B, good quality for {size}"),
            Suggestion("qwen3:4b", f"4B with thinking, fits {size}"),
        ]
    if ram >= 4 * GB:
        return [
            Suggestion("qwen3:0.6b", f"0.6B with thinking, light on {size}"),
            Suggestion("gemma3:1b", f"1B, Google's small model, fits {size}"),
            Suggestion("llama3.2:1b", f"1B, Meta's small model, fits {size}"),
        ]
    return [
        Suggestion("smollm2:135m", f"135M, runs on almost anything ({size})"),
        Suggestion("qwen2.5:0.5b", f"0.5B, the most capable that fits {size}"),
    ]


def recommended() -> str:
    return suggestions()[0].name


def builtin_suggestions(ram: int | None = None) -> list[Suggestion]:
    """GGUF models for the built-in engine that fit this machine, as ``models pull`` takes them.

    The built-in engine runs on the CPU as sovtui installs it: a model needs
    its file's size in RAM plus about half a gigabyte for a 4096-token
    context, and what is left for everything else.
    """
    ram = total_ram() if ram is None else ram
    size = f"{ram / GB:.0f} GB of RAM"
    if ram >= 16 * GB:
        return [
            Suggestion("hf:Qwen/Qwen3-8B-GGUF:Q4_K_M", f"Qwen3 8B (5.0 GB), strong all-rounder; fits {size}"),
            Suggestion("hf:Qwen/Qwen3-4B-GGUF:Q4_K_M", f"Qwen3 4B (2.5 GB), faster; fits {size}"),
        ]
    if ram >= 8 * GB:
        return [
            Suggestion("hf:Qwen/Qwen3-4B-GGUF:Q4_K_M", f"Qwen3 4B (2.5 GB) with thinking; fits {size}"),
            Suggestion("hf:unsloth/Qwen3-1.7B-GGUF:Q4_K_M", f"Qwen3 1.7B (1.1 GB), quick on a CPU; fits {size}"),
        ]
    if ram >= 4 * GB:
        return [
            Suggestion("hf:unsloth/Qwen3-1.7B-GGUF:Q4_K_M", f"Qwen3 1.7B (1.1 GB) with thinking; fits {size}"),
            Suggestion("hf:unsloth/Qwen3-0.6B-GGUF:Q4_K_M", f"Qwen3 0.6B (0.4 GB), light; fits {size}"),
        ]
    return [
        Suggestion("hf:unsloth/Qwen3-0.6B-GGUF:Q4_K_M", f"Qwen3 0.6B (0.4 GB), the most capable that fits {size}"),
        Suggestion("hf:bartowski/SmolLM2-360M-Instruct-GGUF:Q4_K_M", f"SmolLM2 360M (0.3 GB), runs on almost anything ({size})"),
    ]
