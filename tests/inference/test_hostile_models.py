"""A hostile host's names and messages cannot drive the terminal (issue 14, finding 3).

Model names, families, ``ollama pull`` status lines, the server's version and
its error texts all come from the host. Shown by ``sovtui models``,
``sovtui backend``, ``sovtui doctor`` or the Models pane, they lose every
control character and bidi override, and Rich markup in them is shown as
text, never parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import DataTable, Static

from sovtui.paths import Paths
from sovtui.ui.screens.model_dialogs import ModelDetailsScreen
from tests.egress import allow_endpoint
from tests.inference.test_models_pane import open_models
from tests.ollama_emulator import OllamaEmulator
from tests.ollama_fixtures import point_local_host_at
from tests.pilot_helpers import wait_for_screen, wait_until, wait_for_workers
from tests.scripted_http import ScriptedServer

CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"
EVIL = f"evil{CLIPBOARD}\x1b[2J\x9b31m\u202e:latest"
EVIL_SHOWN = "evil]52;c;ZXZpbA==[2J31m:latest"
MARKUP = "mark[/]up[bold]:latest"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_clean(text: str, where: str) -> None:
    found = [s for s in FORBIDDEN if s in text]
    assert not found, f"{where} carries {found!r}: {text!r}"


@pytest.fixture
def hostile_models(ollama: OllamaEmulator) -> OllamaEmulator:
    ollama.add_model(EVIL, family=f"fam\x1b[2J\u202e", template=f"{{{{ .Prompt }}}}{CLIPBOARD}", license=f"MIT\x1b[2J")
    ollama.add_model(MARKUP, family="[/]")
    ollama.loaded[EVIL] = datetime.now(timezone.utc) + timedelta(minutes=5)
    return ollama


def test_models_list_and_ps_show_names_without_controls(cli, hostile_models: OllamaEmulator) -> None:
    for args in (("models", "list"), ("models", "ps")):
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        assert EVIL_SHOWN in result.stdout
        assert_clean(result.stdout, " ".join(args))
    assert MARKUP in cli("models", "list").stdout
    listed = cli("models", "list", "--json")
    assert_clean(listed.stdout, "models list --json")
    assert EVIL in {m["name"] for m in json.loads(listed.stdout)}  # scripts get the real name


def test_models_show_without_controls(cli, hostile_models: OllamaEmulator) -> None:
    result = cli("models", "show", EVIL)
    assert result.returncode == 0, result.stderr
    assert f"name: {EVIL_SHOWN}" in result.stdout and "]52;c;ZXZpbA==" in result.stdout
    assert_clean(result.stdout, "models show")
    as_json = cli("models", "show", EVIL, "--json")
    assert_clean(as_json.stdout, "models show --json")
    assert json.loads(as_json.stdout)["template"].endswith(CLIPBOARD)


@pytest.fixture
def scripted(xdg: Paths) -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    allow_endpoint("127.0.0.1", server.port)
    point_local_host_at(xdg, server.url)
    yield server
    server.stop()


def test_pull_status_lines_without_controls(cli, scripted: ScriptedServer) -> None:
    digest = "sha256:" + "ab" * 32
    scripted.script(
        "/api/pull",
        [
            json.dumps({"status": f"pulling manifest{CLIPBOARD}"}),
            json.dumps({"status": "pulling \x1b[2J\u202elayer", "digest": digest, "total": 100, "completed": 50}),
            json.dumps({"status": "success\x1b[H"}),
        ],
    )
    result = cli("models", "pull", "x")
    assert result.returncode == 0, result.stderr
    assert "pulling manifest]52;c;ZXZpbA==" in result.stderr and "pulling [2Jlayer: " in result.stderr
    assert_clean(result.stderr, "models pull")


def test_error_text_from_the_server_without_controls(cli, scripted: ScriptedServer) -> None:
    scripted.script("/api/tags", [json.dumps({"error": f"denied{CLIPBOARD}\x1b[2J"})], status=403, content_type="application/json")
    scripted.script("/api/pull", [json.dumps({"status": "pulling manifest"}), json.dumps({"error": f"no{CLIPBOARD}\u202e"})])
    for args in (("models", "list"), ("models", "pull", "x")):
        result = cli(*args)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert_clean(result.stderr, " ".join(args))
        assert "]52;c;ZXZpbA==" in result.stderr.strip().splitlines()[-1]


def test_backend_status_shows_the_version_without_controls(cli, scripted: ScriptedServer) -> None:
    scripted.script("/api/version", [json.dumps({"version": f"0.1{CLIPBOARD}\x1b[2J"})], content_type="application/json")
    result = cli("backend", "status")
    assert result.returncode == 0, result.stderr
    assert "version: 0.1]52;c;ZXZpbA==[2J" in result.stdout
    assert_clean(result.stdout, "backend status")
    assert_clean(cli("backend", "status", "--json").stdout, "backend status --json")


def test_doctor_quotes_host_names_without_controls(cli, scripted: ScriptedServer, xdg: Paths) -> None:
    scripted.script("/api/tags", [json.dumps({"models": []})], content_type="application/json")
    with xdg.config_file.open("a") as handle:
        handle.write(f'\n[hosts."box\\u001b[2J\\u202e"]\nurl = "{scripted.url}"\n')
    result = cli("doctor")
    assert result.returncode == 0, result.stderr
    assert "no model on box[2J" in result.stdout
    assert_clean(result.stdout, "doctor")
    assert_clean(cli("doctor", "--json").stdout, "doctor --json")


# --- the Models pane ---------------------------------------------------------------


def terminal_output(app) -> str:  # type: ignore[no-untyped-def]
    return app.screen._compositor.render_full_update().render_segments(app.console)


async def test_models_pane_shows_names_without_controls_or_markup(make_app, hostile_models: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_models(app, pilot)
        table = pane.query_one(DataTable)
        shown = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert EVIL_SHOWN in shown and MARKUP in shown
        loaded = str(pane.query_one("#models-loaded", Static).render())
        assert EVIL_SHOWN in loaded
        output = terminal_output(app)
        assert "\x1b]52" not in output and "\x1b[2J" not in output and "\x9b" not in output and "\u202e" not in output
        # The real name is kept for the calls that follow: details open for it.
        row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[1]) == EVIL_SHOWN)
        table.move_cursor(row=row)
        assert pane.selected_name() == EVIL
        await pilot.press("enter")
        await wait_for_screen(app, pilot, ModelDetailsScreen)
        await pilot.pause()
        output = terminal_output(app)
        assert "]52;c;ZXZpbA==" in output
        assert "\x1b]52" not in output and "\x1b[2J" not in output and "\u202e" not in output


async def test_models_pane_problem_and_pull_status_without_controls(make_app, scripted: ScriptedServer) -> None:
    scripted.script("/api/version", [json.dumps({"version": f"9{CLIPBOARD}"})], content_type="application/json")
    scripted.script("/api/tags", [json.dumps({"error": f"denied{CLIPBOARD}\x1b[2J"})], status=403, content_type="application/json")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_models(app, pilot)
        problem = str(pane.query_one("#models-problem", Static).render())
        assert "denied]52;c;ZXZpbA==" in problem
        assert_clean(problem, "the problem line")
        assert "\x1b]52" not in terminal_output(app)
        scripted.script("/api/pull", [json.dumps({"status": f"pulling manifest{CLIPBOARD}\x1b[2J"}), json.dumps({"error": f"gone{CLIPBOARD}"})])
        pull = pane.start_pull("x")
        # pane.pulling is None before the worker has even begun too: wait for the worker's end as well.
        await wait_until(pilot, lambda: pull.is_finished and pane.pulling is None, what="the pull to fail")
        assert app.is_running  # a failed pull is a notification, not the end of the app
        # The pull's end asks the host again: let that finish before the app closes.
        refreshing = [w for w in app.workers if w.group == "models-refresh"]
        await wait_for_workers(app, *refreshing)
        messages = [str(n.message) for n in app._notifications]
        assert any("gone]52;c;" in m for m in messages), messages
        for message in messages:
            assert_clean(message, "a notification")
