"""Load the themes shipped in ``themes/*.toml`` as Textual themes."""

from __future__ import annotations

import tomllib
from dataclasses import fields

from textual.theme import Theme

from sovtui.resources import themes_dir

_THEME_FIELDS = {f.name for f in fields(Theme)}


def shipped_themes() -> list[Theme]:
    themes = []
    for path in sorted(themes_dir().glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        themes.append(Theme(**{k: v for k, v in data.items() if k in _THEME_FIELDS}))
    return themes
