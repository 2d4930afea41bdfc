"""Small helpers for printing command results: text for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def print_pairs(pairs: dict[str, Any]) -> None:
    """One ``name: value`` per line."""
    for name, value in pairs.items():
        print(f"{name}: {value}")
