"""Repeat a measurement, keep every run, report median, min and max."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    unit: str
    runs: list[float] = field(default_factory=list)
    subject: str = "sovtui"
    note: str = ""
    better: str = "lower"  # or "higher"

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "subject": self.subject,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.runs),
            "max": max(self.runs),
            "runs": self.runs,
            "better": self.better,
            "note": self.note,
        }


def repeat(name: str, unit: str, runs: int, measure: Callable[[], float], **kwargs) -> Result:
    result = Result(name, unit, **kwargs)
    for _ in range(runs):
        result.runs.append(measure())
    return result


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value < 0.001:
            return f"{value * 1_000_000:.0f} µs"
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit in ("chunks/s", "ops/s"):
        return f"{value:,.0f} {unit}"
    if unit == "B":
        return f"{value:.1f} B" if value < 10 else f"{value:,.0f} B"
    return f"{value:.3g} {unit}"


def markdown_table(results: list[Result]) -> str:
    """The results as a Markdown table; a peer's figure also as a ratio to sovtui's.

    The ratio is the peer's median divided by the median of the latest sovtui
    result of the same measurement listed before it, so both come from the
    same run.
    """
    lines = [
        "| measurement | subject | median | min | max | runs | ÷ sovtui |",
        "|---|---|---|---|---|---|---|",
    ]
    latest: dict[str, float] = {}
    for r in results:
        ratio = ""
        if r.subject == "sovtui":
            latest[r.name] = r.median
        elif latest.get(r.name):
            ratio = f"{r.median / latest[r.name]:,.2f}×"
        lines.append(
            f"| {r.name} | {r.subject} | {fmt(r.median, r.unit)} | {fmt(min(r.runs), r.unit)} "
            f"| {fmt(max(r.runs), r.unit)} | {len(r.runs)} | {ratio} |"
        )
    return "\n".join(lines)
