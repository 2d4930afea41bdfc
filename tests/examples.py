"""How many examples a property test tries: a quick default run and a thorough one.

Each property names its thorough count (``examples(2000)``): the figure
docs/security.md quotes. The default run, the README's test command that CI
runs on every change, tries a quarter of it (at least 25), which keeps the
whole suite under three minutes on two cores; ``SOVTUI_THOROUGH=1`` tries
every example, for a longer hunt before a release or after a parser changed.
Hypothesis draws new examples each run, so the quick runs add up.
"""

from __future__ import annotations

import os

#: ``SOVTUI_THOROUGH=1``: every property at its full count.
THOROUGH = os.environ.get("SOVTUI_THOROUGH", "") not in ("", "0")
#: The share of the thorough count the default run tries.
QUICK_SHARE = 4
#: Fewer than this says little about a parser.
FLOOR = 25


def examples(thorough: int) -> int:
    """The number of examples for this run, given the property's thorough count."""
    return thorough if THOROUGH else max(FLOOR, min(thorough, thorough // QUICK_SHARE))
