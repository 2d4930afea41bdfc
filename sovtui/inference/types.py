"""Plain records of what Ollama reports, independent of the client's models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    name: str
    size: int
    parameter_size: str
    quantization: str
    family: str
    modified: datetime | None
    digest: str = ""


@dataclass(frozen=True)
class ModelDetails:
    name: str
    family: str
    parameter_size: str
    quantization: str
    capabilities: tuple[str, ...]
    context_length: int | None
    template: str
    license: str
    parameters: str


@dataclass(frozen=True)
class LoadedModel:
    name: str
    size: int
    size_vram: int
    expires_at: datetime | None
    context_length: int | None = None

    @property
    def size_ram(self) -> int:
        return max(self.size - self.size_vram, 0)


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asks to be run: its name and arguments (an object), as Ollama sends them."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The call as Ollama expects it back in the assistant message's ``tool_calls``."""
        return {"function": {"name": self.name, "arguments": dict(self.arguments)}}


@dataclass(frozen=True)
class ChatChunk:
    """One piece of a streamed reply; the last one has ``done`` and the stats."""

    content: str = ""
    thinking: str = ""
    #: Tools the model calls (Ollama sends them in one chunk before the done chunk).
    tool_calls: tuple[ToolCall, ...] = ()
    done: bool = False
    done_reason: str | None = None
    eval_count: int | None = None
    eval_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    total_duration: int | None = None


@dataclass
class LayerProgress:
    digest: str
    total: int
    completed: int = 0
    started: float = 0.0
    updated: float = 0.0


@dataclass
class PullProgress:
    """Where a pull stands: its status line and every layer's bytes."""

    status: str
    layers: dict[str, LayerProgress] = field(default_factory=dict)
    digest: str | None = None
    done: bool = False
    started: float = 0.0
    now: float = 0.0

    @property
    def total(self) -> int:
        return sum(layer.total for layer in self.layers.values())

    @property
    def completed(self) -> int:
        return sum(layer.completed for layer in self.layers.values())

    @property
    def percent(self) -> float:
        """0-100, whatever byte counts the host reports (a bar is drawn this wide)."""
        if not self.total:
            return 100.0 if self.done else 0.0
        return min(max(100.0 * self.completed / self.total, 0.0), 100.0)

    @property
    def speed(self) -> float:
        """Bytes per second since the first layer started."""
        elapsed = self.now - self.started
        return self.completed / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current speed, None while unknown."""
        if not self.total or not self.speed:
            return None
        return max(self.total - self.completed, 0) / self.speed

    def layer(self, digest: str) -> LayerProgress | None:
        return self.layers.get(digest)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
