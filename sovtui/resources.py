"""Files shipped with sovtui (themes), found both in a wheel and a checkout.

The wheel carries the repository's ``themes/`` folder as ``sovtui/themes``
(see pyproject.toml); a source checkout or editable install has it beside the
package. Looking in both keeps one layout for developers and users.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def themes_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "themes", _PACKAGE_DIR.parent / "themes"):
        if (candidate / "sovtui.tcss").is_file():
            return candidate
    raise FileNotFoundError("sovtui's themes folder is missing from this installation")
