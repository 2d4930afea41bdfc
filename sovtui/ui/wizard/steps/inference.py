"""Local inference: find a model server here or on the LAN, start it, pull a model, try it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, ProgressBar, Static

from sovtui.net import Locality
from sovtui.ui.messages import HostChanged
from sovtui.ui.wizard.steps.base import Step

if TYPE_CHECKING:
    from sovtui.inference.hosts import HostTarget
    from sovtui.inference.server import ServerStatus
    from sovtui.setup import InferenceFinding


class InferenceStep(Step):
    TITLE = "Local inference"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finding: InferenceFinding | None = None
        self.tested = False

    def compose(self) -> ComposeResult:
        yield Static("A model on hardware you control: this machine, or a machine on your network.")
        yield Static("looking for Ollama…", id="inf-state")
        with Horizontal(classes="row"):
            yield Button("Start Ollama here", id="inf-start")
            yield Button("Pull", id="inf-pull")
            yield Button("Send a test prompt", id="inf-test")
            yield Button("Use the built-in engine", id="inf-builtin")
            yield Button("Install the engine", id="inf-install")
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

    @work(exclusive=True, group="inference-probe", exit_on_error=False, description="Setup: look for a model server")
    async def probe(self, target: HostTarget | None = None) -> None:
        from sovtui.setup import find_inference

        self.say("#inf-state", f"asking {target.url if target else 'your model server'}…", "hint")
        finding = await self.attempt(find_inference(self.ctx, target), "#inf-state")
        if finding is not None:
            self.finding = finding
            self.render_finding()

    def render_finding(self) -> None:
        self._render_finding()
        self.wizard.refresh_primary()

    def _render_finding(self) -> None:
        from sovtui.setup import INSTALL_OLLAMA

        f = self.finding
        if f is None:
            return
        where = f"{f.target.name} ({f.target.locality.label}, {f.target.url})"
        start, pull, test = (self.query_one(f"#inf-{n}", Button) for n in ("start", "pull", "test"))
        start.display = pull.display = test.display = False
        self.query_one("#inf-builtin", Button).display = self.query_one("#inf-install", Button).display = False
        if self._is_builtin(f.target):
            self._render_builtin(f, pull, test)
            return
        if not f.answering:
            if f.ollama_installed and f.target.locality is Locality.THIS_MACHINE:
                self.say("#inf-state", f"Ollama is installed but not running at {where}.", "")
                start.display = True
                return
            if f.target.locality is Locality.THIS_MACHINE:
                self.say("#inf-state", f"Ollama is not installed on this machine. Install it with\n  {INSTALL_OLLAMA}\nthen come back here (esc, then Start), use sovtui's built-in engine\n(llama.cpp, no Ollama needed), or name a machine on your network below.", "")
                self.query_one("#inf-builtin", Button).display = True
            else:
                self.say("#inf-state", f"Nothing answers at {where}: {f.error}", "error")
            # Nothing to press here: the one thing to do now is to name a machine on the network.
            self.query_one("#inf-address", Input).focus()
            return
        kind = f.target.kind
        if not f.models and f.target.is_openai:  # the API cannot pull: the server loads its models itself
            self.say("#inf-state", f"An {kind} server answers at {where} but serves no model: load one there.", "")
            return
        if not f.models:
            self.say("#inf-state", f"Ollama answers at {where} but has no model yet. {f.recommended} fits this machine.", "")
            pull.label = f"Pull {f.recommended}"
            pull.display = True
            return
        model = self.model()
        self.say("#inf-state", f"✓ {'An ' + kind + ' server' if f.target.is_openai else kind} answers at {where} with {len(f.models)} model(s); chats will use {model}.", "ok")
        test.display = True
        if f.recommended not in f.models and not f.target.is_openai:
            pull.label = f"Pull {f.recommended}"
            pull.display = True

    # --- the built-in engine ------------------------------------------------------------

    def _is_builtin(self, target: HostTarget) -> bool:
        from sovtui.inference.builtin import BUILTIN, is_builtin

        return target.name == BUILTIN and is_builtin(BUILTIN, self.ctx.config)

    def _render_builtin(self, f: InferenceFinding, pull: Button, test: Button) -> None:
        if not f.answering:
            from sovtui.inference.builtin import install_command
            from sovtui.ui.plain import plain_block

            text = f"The built-in engine (llama.cpp, no Ollama needed) is not installed yet.\nInstall it here, or run:\n  {install_command()}"
            self.say("#inf-state", plain_block(text), "")  # a Text: the command's [local] is no markup
            self.query_one("#inf-install", Button).display = True
            return
        if not f.models:
            self.say("#inf-state", f"The built-in engine is installed but has no model yet. {f.recommended} fits this machine (a download from Hugging Face).", "")
            pull.label = "Pull " + f.recommended.removeprefix("hf:")
            pull.display = True
            return
        self.say("#inf-state", f"✓ The built-in engine has {len(f.models)} model(s); chats will use {self.model()} (it starts when a chat needs it).", "ok")
        test.display = True

    @work(exclusive=True, group="inference-probe", exit_on_error=False, description="Setup: look at the built-in engine")
    async def use_builtin(self) -> None:
        from sovtui.setup import find_builtin

        finding = await self.attempt(find_builtin(self.ctx), "#inf-state")
        if finding is not None:
            self.finding = finding
            self.render_finding()

    def ask_install(self) -> None:
        from sovtui.setup import engine_requirement
        from sovtui.ui.screens.dialogs import ConfirmDialog

        body = (
            f"pip installs {engine_requirement()} into sovtui's own environment. "
            "It is built from source: about 5 minutes on 2 cores, once."
        )
        self.app.push_screen(ConfirmDialog("Install the built-in engine?", body, confirm_label="Install"), lambda yes: self.install() if yes else None)

    @work(exclusive=True, group="inference-action", exit_on_error=False, description="Setup: install the built-in engine")
    async def install(self) -> None:
        import time

        from sovtui.setup import install_engine

        started = time.monotonic()
        self.query_one("#inf-install", Button).display = False

        def progress(line: str) -> None:
            self.say("#inf-state", f"installing the built-in engine ({time.monotonic() - started:.0f}s): {line[:120]}", "hint")

        if await self.succeeds(install_engine(progress), "#inf-state"):
            self.wizard.note("installed the built-in engine")
            self.use_builtin()

    def model(self) -> str:
        f = self.finding
        assert f is not None and f.models
        configured = self.ctx.config.inference.model
        if configured in f.models:
            return configured
        return f.recommended if f.recommended in f.models else f.models[0]

    # --- doing -----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from sovtui.errors import SovtuiError
        from sovtui.setup import host_from_address

        event.stop()
        try:
            target = host_from_address(event.value)
        except SovtuiError as exc:  # an address that is not one: said at once, nothing to run
            self.inline("#inf-error")(exc)
            return
        self.say("#inf-error", "")
        self.probe(target)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = {
            "inf-start": self.start_server, "inf-pull": self.pull, "inf-test": self.test_prompt,
            "inf-builtin": self.use_builtin, "inf-install": self.ask_install,
        }.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    @work(exclusive=True, group="inference-action", exit_on_error=False, description="Setup: start Ollama")
    async def start_server(self) -> None:
        finding = self.finding
        if finding is None:
            return
        target = finding.target

        async def starting() -> ServerStatus:
            server = self.ctx.server(target.name if target.name in self.ctx.config.hosts else None)
            return await server.start(lambda message, elapsed: self.say("#inf-state", f"{message} {elapsed:.0f}s", "hint"))

        self.say("#inf-state", "starting Ollama…", "hint")
        status = await self.attempt(starting(), "#inf-state")
        if status is not None:
            self.wizard.note(f"started Ollama at {status.url}")
            self.probe(target)

    @work(exclusive=True, group="inference-action", exit_on_error=False, description="Setup: pull a model")
    async def pull(self) -> None:
        finding = self.finding
        if finding is None:
            return
        name = finding.recommended
        bar = self.query_one(ProgressBar)

        async def pulling() -> None:
            async with self.ctx.backend_for(finding.target, timeout=30.0) as backend:
                async for progress in backend.pull(name):
                    bar.update(progress=progress.percent)
                    self.say("#inf-state", f"pulling {name}: {progress.status} {progress.percent:.0f}%", "hint")

        bar.display = True
        bar.update(total=100, progress=0)
        try:
            pulled = await self.succeeds(pulling(), "#inf-state")
        finally:
            bar.display = False
        if pulled:
            self.wizard.note(f"pulled {name}")
            self.probe(finding.target)

    @work(exclusive=True, group="inference-action", exit_on_error=False, description="Setup: send a test prompt")
    async def test_prompt(self) -> None:
        from sovtui.setup import TEST_PROMPT

        finding = self.finding
        if finding is None:
            return
        model = self.model()

        async def asking() -> None:
            reply = ""
            if self._is_builtin(finding.target):  # asked for now: start it (chats start it by autostart once chosen)
                await self.ctx.builtin_server().start(lambda message, elapsed: self.say("#inf-reply", f"{message} {elapsed:.0f}s", "hint"))
            async with self.ctx.backend_for(finding.target, timeout=30.0) as backend:
                async for chunk in backend.chat(model, [{"role": "user", "content": TEST_PROMPT}]):
                    reply += chunk.content
                    self.say("#inf-reply", f"› {TEST_PROMPT}\n{model}: {reply}", "")

        self.say("#inf-reply", f"› {TEST_PROMPT}\n", "hint")
        if await self.succeeds(asking(), "#inf-reply"):
            self.tested = True

    async def confirm(self) -> bool:
        from sovtui.setup import apply_inference

        f = self.finding
        if f is None or not f.answering or not f.models:
            self.say("#inf-error", "no model answers yet: start Ollama, pull a model or name a machine on your network, or skip this step (ctrl+n)", "error")
            return False
        model = self.model()
        changes = await self.attempt(lambda: apply_inference(self.ctx, f.target, model), "#inf-error")
        if changes is None:
            return False
        self.wizard.note(*changes)
        self.post_message(HostChanged())
        return True

    def primary_label(self) -> str:
        return "Use this" if self.finding is not None and self.finding.answering and self.finding.models else "Next"
