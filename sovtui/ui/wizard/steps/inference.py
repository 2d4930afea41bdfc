"""Local inference: find a model server here or on the LAN, start it, pull a model, try it."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, ProgressBar, Static

from sovtui.errors import SovtuiError
from sovtui.net import Locality
from sovtui.ui.wizard.steps.base import Step


class InferenceStep(Step):
    TITLE = "Local inference"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finding: Any = None
        self.tested = False

    def compose(self) -> ComposeResult:
        yield Static("A model on hardware you control: this machine, or a machine on your network.")
        yield Static("looking for Ollama…", id="inf-state")
        with Horizontal(classes="row"):
            yield Button("Start Ollama here", id="inf-start")
            yield Button("Pull", id="inf-pull")
            yield Button("Send a test prompt", id="inf-test")
        yield ProgressBar(id="inf-progress", show_eta=False)
        yield Static("", id="inf-reply")
        yield Static("Or use a machine on your network (Ollama listening there):", classes="hint")
        yield Input(placeholder="192.168.1.20 or gpu-box:11434, then enter", id="inf-address")
        yield Static("", id="inf-error")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        for button in self.query(Button):
            button.display = False

    def entered(self) -> None:
        self.probe()

    # --- looking --------------------------------------------------------------------

    @work(exclusive=True, group="inference-probe")
    async def probe(self, target: Any = None) -> None:
        from sovtui.setup import find_inference

        self.say("#inf-state", f"asking {target.url if target else 'your model server'}…", "hint")
        self.finding = await find_inference(self.ctx, target)
        self.render_finding()

    def render_finding(self) -> None:
        self._render_finding()
        self.wizard.refresh_primary()

    def _render_finding(self) -> None:
        from sovtui.setup import INSTALL_OLLAMA

        f = self.finding
        where = f"{f.target.name} ({f.target.locality.label}, {f.target.url})"
        start, pull, test = (self.query_one(f"#inf-{n}", Button) for n in ("start", "pull", "test"))
        start.display = pull.display = test.display = False
        if not f.answering:
            if f.ollama_installed and f.target.locality is Locality.THIS_MACHINE:
                self.say("#inf-state", f"Ollama is installed but not running at {where}.", "")
                start.display = True
            elif f.target.locality is Locality.THIS_MACHINE:
                self.say("#inf-state", f"Ollama is not installed on this machine. Install it with\n  {INSTALL_OLLAMA}\nthen come back here (esc, then Start), or name a machine on your network below.", "")
            else:
                self.say("#inf-state", f"Nothing answers at {where}: {f.error}", "error")
            return
        if not f.models:
            self.say("#inf-state", f"Ollama answers at {where} but has no model yet. {f.recommended} fits this machine.", "")
            pull.label = f"Pull {f.recommended}"
            pull.display = True
            return
        model = self.model()
        self.say("#inf-state", f"✓ Ollama answers at {where} with {len(f.models)} model(s); chats will use {model}.", "ok")
        test.display = True
        if f.recommended not in f.models:
            pull.label = f"Pull {f.recommended}"
            pull.display = True

    def model(self) -> str:
        f = self.finding
        configured = self.ctx.config.inference.model
        if configured in f.models:
            return configured
        return f.recommended if f.recommended in f.models else f.models[0]

    # --- doing -----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from sovtui.setup import host_from_address

        event.stop()
        try:
            target = host_from_address(event.value)
        except SovtuiError as exc:
            self.say("#inf-error", str(exc), "error")
            return
        self.say("#inf-error", "")
        self.probe(target)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = {"inf-start": self.start_server, "inf-pull": self.pull, "inf-test": self.test_prompt}.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    @work(exclusive=True, group="inference-action")
    async def start_server(self) -> None:
        self.say("#inf-state", "starting Ollama…", "hint")
        try:
            status = await self.ctx.server(self.finding.target.name if self.finding.target.name in self.ctx.config.hosts else None).start(
                lambda message, elapsed: self.say("#inf-state", f"{message} {elapsed:.0f}s", "hint")
            )
        except SovtuiError as exc:
            self.say("#inf-state", str(exc), "error")
            return
        self.wizard.note(f"started Ollama at {status.url}")
        self.probe(self.finding.target)

    @work(exclusive=True, group="inference-action")
    async def pull(self) -> None:
        from sovtui.inference.backend import Backend

        name = self.finding.recommended
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=100, progress=0)
        try:
            async with Backend(self.finding.target, timeout=30.0) as backend:
                async for progress in backend.pull(name):
                    bar.update(progress=progress.percent)
                    self.say("#inf-state", f"pulling {name}: {progress.status} {progress.percent:.0f}%", "hint")
        except SovtuiError as exc:
            self.say("#inf-state", str(exc), "error")
            return
        finally:
            bar.display = False
        self.wizard.note(f"pulled {name}")
        self.probe(self.finding.target)

    @work(exclusive=True, group="inference-action")
    async def test_prompt(self) -> None:
        from sovtui.inference.backend import Backend
        from sovtui.setup import TEST_PROMPT

        model = self.model()
        reply = ""
        self.say("#inf-reply", f"› {TEST_PROMPT}\n", "hint")
        try:
            async with Backend(self.finding.target, timeout=30.0) as backend:
                async for chunk in backend.chat(model, [{"role": "user", "content": TEST_PROMPT}]):
                    reply += chunk.content
                    self.say("#inf-reply", f"› {TEST_PROMPT}\n{model}: {reply}", "")
        except SovtuiError as exc:
            self.say("#inf-reply", str(exc), "error")
            return
        self.tested = True

    async def confirm(self) -> bool:
        from sovtui.setup import apply_inference

        f = self.finding
        if f is None or not f.answering or not f.models:
            self.say("#inf-error", "no model answers yet: start Ollama, pull a model or name a machine on your network, or skip this step (ctrl+n)", "error")
            return False
        changes = await self.in_thread(lambda: apply_inference(self.ctx, f.target, self.model()), "#inf-error")
        if changes is None:
            return False
        self.wizard.note(*changes)
        refresh = getattr(self.app, "refresh_host", None)
        if refresh:
            refresh()
        return True

    def primary_label(self) -> str:
        return "Use this" if self.finding is not None and self.finding.answering and self.finding.models else "Next"
