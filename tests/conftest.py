"""Shared fixtures: every test runs with its own XDG folders and HOME.

Nothing a test does can touch the developer's real files, and every path a
test sees lies under its tmp_path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sovtui.context import Context
from sovtui.paths import Paths

ROOT = Path(__file__).resolve().parent.parent

# The egress guard watches every test (tests/egress.py).
pytest_plugins = ["tests.egress", "tests.ollama_fixtures", "tests.relay_fixtures"]

# Variables of the user's environment that would change what sovtui does.
_SCRUBBED = ("OLLAMA_HOST", "SOVTUI_PASSPHRASE", "SOVTUI_KEY_PASSWORD", "NO_COLOR", "VISUAL", "EDITOR")


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    return Paths.from_env()


@pytest.fixture
def ctx(xdg: Paths) -> Context:
    return Context(xdg)


@pytest.fixture
def make_app(ctx: Context) -> Callable[..., object]:
    """The one factory for the app under test: no blinking cursor, no clock."""
    from sovtui.ui.app import SovtuiApp

    def factory(context: Context | None = None, **kwargs: object) -> SovtuiApp:
        # The level in the top bar asks the configured hosts; tests that want it say so.
        kwargs.setdefault("show_level", False)
        return SovtuiApp(context or ctx, cursor_blink=False, **kwargs)  # type: ignore[arg-type]

    return factory


def run_cli(*args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60):
    """Run ``python -m sovtui ARGS`` in a subprocess, under the egress guard."""
    import subprocess

    from tests.egress import egress_env

    full_env = dict(os.environ)
    full_env.update(egress_env())
    full_env["PYTHONPATH"] = os.pathsep.join((str(ROOT), full_env["PYTHONPATH"]))
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "sovtui", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.fixture
def cli() -> Callable[..., object]:
    return run_cli
