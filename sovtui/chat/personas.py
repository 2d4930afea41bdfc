"""Personas: named system prompts kept in config.toml under [personas.NAME].

They are the user's values, not ours: sovtui ships a few neutral ones, sends
whatever prompt the user writes unchanged, and filters nothing.
"""

from __future__ import annotations

import re

from sovtui.config import Config, PersonaConfig
from sovtui.context import Context
from sovtui.errors import UsageError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(f"persona name {name!r}: use letters, digits, '-', '_' or '.', up to 40 characters")
    return name


def prompt_of(config: Config, name: str) -> str:
    if not name:
        return ""
    try:
        return config.personas[name].prompt
    except KeyError:
        known = ", ".join(sorted(config.personas)) or "none"
        raise UsageError(f"no persona named {name!r} (known: {known}); add it with 'sovtui personas set {name} PROMPT'") from None


def set_persona(ctx: Context, name: str, prompt: str) -> None:
    check_name(name)
    if not prompt.strip():
        raise UsageError("a persona needs a prompt")

    def change(config: Config) -> None:
        existing = config.personas.get(name)
        if existing is None:
            config.personas[name] = PersonaConfig(prompt)
        else:
            existing.prompt = prompt

    ctx.update_config(change)


def delete_persona(ctx: Context, name: str) -> None:
    if name not in ctx.config.personas:
        raise UsageError(f"no persona named {name!r}")

    def change(config: Config) -> None:
        config.personas.pop(name, None)
        if config.inference.persona == name:
            config.inference.persona = ""

    ctx.update_config(change)


def set_default_persona(ctx: Context, name: str) -> None:
    """The persona new conversations start with ("" for none); it must exist."""
    prompt_of(ctx.config, name)

    def change(config: Config) -> None:
        config.inference.persona = name

    ctx.update_config(change)
