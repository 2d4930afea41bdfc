"""Per-conversation settings: the agent it is given to, model, persona and the options sent to Ollama.

Model names come from the host: each choice shows ``safe_line`` of the name
and keeps the real name as its value. What a typed option means is the
session's (``parse_option``); the persona is checked when the settings are
applied (``ChatSession.configure``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from sovtui.chat.session import TYPED_OPTIONS, ChatSettings, parse_option
from sovtui.errors import UsageError
from sovtui.text import safe_line
from sovtui.ui.pane import sovtui_app


class ChatOptionsScreen(ModalScreen[ChatSettings | None]):
    """The settings chosen, or None when cancelled."""

    CSS_PATH = "chat_options.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="chat_options.cancel")]

    def __init__(self, *, models: list[str], personas: list[str], settings: ChatSettings, agents: list[str] | None = None,
                 agents_note: str = "") -> None:
        super().__init__()
        self.models = models
        self.personas = personas
        #: None: the agent keys could not be read (a locked vault); ``agents_note`` says why.
        self.agents = agents or []
        self.agents_known = agents is not None
        self.agents_note = agents_note
        self.agent = settings.agent
        self.model = settings.model
        self.persona = settings.persona
        self.options = settings.options

    def compose(self) -> ComposeResult:
        def value(key: str) -> str:
            found = self.options.get(key)
            return "" if found is None else str(found)

        # Text, not str: a str prompt would be parsed as markup.
        model_choices = [(Text(safe_line(m)), m) for m in self.models]
        if self.model and self.model not in self.models:
            model_choices.insert(0, (Text(f"{safe_line(self.model)} (not installed)"), self.model))
        think = self.options.get("think")
        agent_choices = [(Text(safe_line(a)), a) for a in self.agents]
        if self.agent and self.agent not in self.agents:
            missing = "no such agent key" if self.agents_known else "keys locked"
            agent_choices.insert(0, (Text(f"{safe_line(self.agent)} ({missing})"), self.agent))
        with VerticalScroll():
            yield Static("Conversation settings", classes="title")
            with Grid():
                yield Label("Agent")
                yield Select(agent_choices, value=self.agent or Select.NULL, prompt=self.agents_note or "none: just chat",
                             id="agent", allow_blank=True, disabled=not agent_choices)
                yield Label("Model")
                yield Select(model_choices, value=self.model or Select.NULL, prompt="default", id="model", allow_blank=True)
                yield Label("Persona")
                yield Select([(Text(safe_line(p)), p) for p in self.personas], value=self.persona or Select.NULL, prompt="none", id="persona", allow_blank=True)
                yield Label("Temperature")
                yield Input(value("temperature"), placeholder="model default (e.g. 0.8)", id="temperature")
                yield Label("Context")
                yield Input(value("num_ctx"), placeholder="tokens (e.g. 8192)", id="num_ctx")
                yield Label("Seed")
                yield Input(value("seed"), placeholder="random", id="seed")
                yield Label("Keep alive")
                yield Input(value("keep_alive"), placeholder="5m (0 unloads at once)", id="keep_alive")
                yield Label("Thinking")
                yield Select([("on", "on"), ("off", "off")], value="on" if think is True else "off" if think is False else Select.NULL, prompt="model default", id="think", allow_blank=True)
            yield Static("Empty fields use the model's defaults. An agent answers with its tools, inside its credential.", classes="hint")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = sovtui_app(self).cursor_blink
        self.query_one("#agent" if self.agents else "#model", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        options = {k: v for k, v in self.options.items() if k not in (*TYPED_OPTIONS, "think")}
        for key in TYPED_OPTIONS:
            raw = self.query_one(f"#{key}", Input).value.strip()
            if not raw:
                continue
            try:
                options[key] = parse_option(key, raw)
            except UsageError as exc:
                self.notify(str(exc), severity="error")
                self.query_one(f"#{key}", Input).focus()
                return
        think = self.query_one("#think", Select).value
        if think in ("on", "off"):
            options["think"] = think == "on"
        model = self.query_one("#model", Select).value
        persona = self.query_one("#persona", Select).value
        agent = self.query_one("#agent", Select).value
        self.dismiss(
            ChatSettings(
                model="" if model is Select.NULL else str(model),
                persona="" if persona is Select.NULL else str(persona),
                options=options,
                agent="" if agent is Select.NULL else str(agent),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
