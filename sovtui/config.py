"""Typed settings <-> config.toml.

The file is read with tomllib and written with tomli-w. Every section is a
dataclass with defaults, so an empty (or missing) config.toml is valid. Values
are checked against the field types; a wrong one raises ``ConfigError`` naming
the file, the key and what was expected. Keys sovtui does not know are kept in
each section's ``extra`` and written back unchanged, so a newer sovtui's
settings (or the user's notes) survive an older one saving.

A file that fails to parse is never overwritten: ``ConfigStore.update`` loads
(and so validates) the current file under a lock before writing anything.

Later features add sections here; each is a dataclass whose fields are one of
the supported types: str, int, float, bool, list[str], a nested section, or
dict[str, section].
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import math
import re
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from sovtui.errors import ConfigError
from sovtui.files import atomic_write, locked
from sovtui.text import safe_line

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_THEME = "sovtui-dark"

T = TypeVar("T")


def _extra() -> Any:
    return field(default_factory=dict, metadata={"extra": True}, repr=False, compare=False)


def _at_least(minimum: int, default: Any) -> Any:
    """A number that may not be below ``minimum`` (a count, an amount, a duration)."""
    return field(default=default, metadata={"min": minimum})


@dataclass
class UIConfig:
    """How the TUI looks and behaves."""

    theme: str = DEFAULT_THEME
    extra: dict[str, Any] = _extra()


#: The APIs a model server may speak: Ollama's own, or the OpenAI-compatible one
#: (llama.cpp's llama-server, vLLM, LM Studio, LocalAI, SGLang, cloud APIs).
HOST_APIS = ("ollama", "openai")


@dataclass
class HostConfig:
    """A model server the user runs or trusts. Its API key, if it needs one, is in the vault, never here."""

    url: str = DEFAULT_OLLAMA_URL
    api: str = field(default="ollama", metadata={"choices": HOST_APIS})
    extra: dict[str, Any] = _extra()


@dataclass
class PoolConfig:
    """Several hosts that serve the same models: a reply goes to the first that answers and has the model."""

    hosts: list[str] = field(default_factory=list)
    extra: dict[str, Any] = _extra()


@dataclass
class InferenceConfig:
    """Which host and model a prompt goes to when none is named."""

    host: str = "local"
    model: str = ""
    persona: str = ""  # the persona new conversations start with; empty: none
    extra: dict[str, Any] = _extra()


@dataclass
class BackendConfig:
    """The Ollama server sovtui may start on this machine."""

    binary: str = ""  # path to the ollama executable; empty: found on PATH
    autostart: bool = False  # start it when the app opens and nothing answers
    stop_at_exit: bool = False  # stop a server sovtui started when the app quits
    start_timeout: float = _at_least(0, 30.0)
    extra: dict[str, Any] = _extra()


@dataclass
class PrivacyConfig:
    """Where words may go."""

    confirm_public: bool = True  # ask once per conversation before a prompt goes to a public host
    extra: dict[str, Any] = _extra()


@dataclass
class VaultConfig:
    """How long the app keeps the vault open."""

    lock_after_minutes: float = _at_least(0, 15.0)  # lock after this long without a key press; 0: never
    extra: dict[str, Any] = _extra()


@dataclass
class NostrConfig:
    """The user's relays, written into the nprofiles sovtui exports."""

    relays: list[str] = field(default_factory=list)
    extra: dict[str, Any] = _extra()


PERIODS = ("day", "week", "month")


@dataclass
class WalletConfig:
    """A wallet connected over NWC. Only what is not secret: the URI itself is in the vault."""

    wallet_pubkey: str = ""
    relays: list[str] = field(default_factory=list)
    lud16: str = ""
    network: str = ""  # as the wallet reported it when connected
    # The wallet service checks these three where it guards a payment (a
    # negative budget or an unknown period is refused there, with its own words).
    budget_sats: int = 0  # spending allowed per budget_period; 0: no budget set
    budget_period: str = "day"
    max_fee_sats: int = 0  # the fee limit reserved for each payment; 0: 1% with a 10-sat floor
    extra: dict[str, Any] = _extra()


@dataclass
class AgentConfig:
    """An agent: an agent key (the table's name is its label in the vault) and how it may act.

    Its spending limit is not here: it is the credential its owner signed
    (docs/credentials.md). These settings only narrow what it does.
    """

    wallet: str = ""  # the wallet it spends from; empty: the one connected, if only one is
    approve_under: int = _at_least(0, 0)  # pay without asking the owner below this many sats; 0: always ask
    model: str = ""  # the model it thinks with; empty: [inference] model
    host: str = ""  # the host that model runs on; empty: [inference] host
    # sovtui agent serve: the relays it takes private messages on (empty: [nostr] relays), and who
    # besides its owner (the issuer of its live credential) may talk to it: npubs or hex keys.
    relays: list[str] = field(default_factory=list, metadata={"omit_empty": True})
    allow: list[str] = field(default_factory=list, metadata={"omit_empty": True})
    extra: dict[str, Any] = _extra()


@dataclass
class PersonaConfig:
    """A named system prompt. The user's words, sent as they are."""

    prompt: str = ""
    extra: dict[str, Any] = _extra()


def _default_personas() -> dict[str, PersonaConfig]:
    return {
        "assistant": PersonaConfig("You are a helpful assistant."),
        "concise": PersonaConfig("Answer briefly and directly. Use lists when they help. No preamble."),
        "coder": PersonaConfig(
            "You are an experienced software engineer. Give working code with short explanations; "
            "point out edge cases and risks."
        ),
        "tutor": PersonaConfig(
            "You are a patient teacher. Explain step by step, check understanding, and give an example."
        ),
    }


def _default_hosts() -> dict[str, HostConfig]:
    return {"local": HostConfig()}


@dataclass
class Config:
    """The whole of config.toml."""

    ui: UIConfig = field(default_factory=UIConfig)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    hosts: dict[str, HostConfig] = field(default_factory=_default_hosts)
    #: Host pools, ``[pools.NAME] hosts = [...]``: named wherever a host is (``--host NAME``).
    pools: dict[str, PoolConfig] = field(default_factory=dict, metadata={"omit_empty": True})
    backend: BackendConfig = field(default_factory=BackendConfig)
    personas: dict[str, PersonaConfig] = field(default_factory=_default_personas)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    nostr: NostrConfig = field(default_factory=NostrConfig)
    wallets: dict[str, WalletConfig] = field(default_factory=dict)
    agents: dict[str, AgentConfig] = field(default_factory=dict, metadata={"omit_empty": True})
    vault: VaultConfig = field(default_factory=VaultConfig)
    #: The user's keymap: binding id -> key(s), as ``[keys] "chat.new" = "ctrl+b"``
    #: or nested, ``[keys.chat] new = "ctrl+b"``. Kept as written; ``keymap()`` flattens it.
    keys: dict[str, Any] = field(default_factory=dict, metadata={"omit_empty": True})
    extra: dict[str, Any] = _extra()

    def keymap(self) -> dict[str, str]:
        """Binding id -> keys (comma-separated for several), from ``[keys]``."""
        return _flat_keys(self.keys, "")

    def host(self, name: str | None = None) -> tuple[str, HostConfig]:
        """The host called ``name``, or the default one; ConfigError if unknown."""
        name = name or self.inference.host
        try:
            return name, self.hosts[name]
        except KeyError:
            known = ", ".join(sorted(self.hosts)) or "none"
            if self.pools:
                known += "; pools: " + ", ".join(sorted(self.pools))
            raise ConfigError(
                f"no host named {name!r} in config.toml (known: {known})"
            ) from None


# --- reading -------------------------------------------------------------------

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


_SHOWN_LIMIT = 30


def _describe(value: Any) -> str:
    """A value as TOML writes it, and its TOML type: "text" (string), 42 (integer), nan (float)."""
    if isinstance(value, bool):
        shown, kind = ("true" if value else "false"), "boolean"
    elif isinstance(value, int):
        shown, kind = str(value), "integer"
    elif isinstance(value, float):
        shown = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
        kind = "float"
    elif isinstance(value, str):
        shown, kind = json.dumps(value), "string"  # escaped: no control character reaches the terminal
    elif isinstance(value, datetime.datetime):
        shown, kind = value.isoformat(sep=" "), "date-time"
    elif isinstance(value, datetime.date):
        shown, kind = value.isoformat(), "date"
    elif isinstance(value, datetime.time):
        shown, kind = value.isoformat(), "time"
    elif isinstance(value, list):
        return "array"
    elif isinstance(value, dict):
        return "table"
    else:  # pragma: no cover - tomllib makes nothing else
        return type(value).__name__
    if len(shown) > _SHOWN_LIMIT:
        shown = shown[:_SHOWN_LIMIT] + "…"
    return f"{shown} ({kind})"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(prefix: str, name: str) -> str:
    """``prefix`` and ``name`` as a TOML dotted key; a name with other characters is quoted and escaped."""
    shown = name if _BARE_KEY.fullmatch(name) else json.dumps(name)
    return f"{prefix}{shown}"


def _expected(tp: Any) -> str:
    if tp in _TYPE_NAMES:
        return _TYPE_NAMES[tp]
    origin = typing.get_origin(tp)
    if origin is list:
        (item,) = typing.get_args(tp)
        return f"an array of {_expected(item).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict or is_dataclass(tp):
        return "a table"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(a) for a in typing.get_args(tp) if a is not type(None))
    return str(tp)


def _convert(tp: Any, value: Any, key: str) -> Any:
    """Check ``value`` against ``tp``; return the typed value."""
    if tp is Any:
        return value
    if is_dataclass(tp):
        if not isinstance(value, dict):
            raise _TypeProblem(key, tp, value)
        return _section(tp, value, f"{key}.")
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            try:
                return _convert(option, value, key)
            except _TypeProblem:
                continue
        raise _TypeProblem(key, tp, value)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise _TypeProblem(key, tp, value)
        return [_convert(item_tp, item, f"{key}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        _, value_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise _TypeProblem(key, tp, value)
        return {k: _convert(value_tp, v, _key(f"{key}.", k)) for k, v in value.items()}
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            raise _TypeProblem(key, tp, value) from None
        if not math.isfinite(number):
            raise _TypeProblem(key, tp, value)  # nan or inf: no duration or amount is either
        return number
    if tp is int and isinstance(value, bool):
        raise _TypeProblem(key, tp, value)
    if isinstance(value, tp):
        return value
    raise _TypeProblem(key, tp, value)


def _constrained(spec: Any, hint: Any, value: Any, key: str) -> Any:
    """Convert ``value`` for field ``spec`` and check its range."""
    choices = spec.metadata.get("choices")
    if choices is not None:
        converted = _convert(hint, value, key)
        if converted not in choices:
            raise _TypeProblem(key, " or ".join(f'"{c}"' for c in choices), value)
        return converted
    minimum = spec.metadata.get("min")
    if minimum is None:
        return _convert(hint, value, key)
    expected = f"{_expected(hint)} of {minimum} or more"
    try:
        converted = _convert(hint, value, key)
    except _TypeProblem:
        raise _TypeProblem(key, expected, value) from None
    if converted < minimum:
        raise _TypeProblem(key, expected, value)
    return converted


def _flat_keys(table: dict[str, Any], prefix: str) -> dict[str, str]:
    """``[keys]`` flattened to binding ids; a value that is not a key name is a _TypeProblem."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        binding_id = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flat_keys(value, f"{binding_id}."))
        elif isinstance(value, str) and value.strip():
            flat[binding_id] = value.strip()
        else:
            raise _TypeProblem(_key("keys.", binding_id), "a key name such as \"ctrl+b\"", value)
    return flat


class _TypeProblem(Exception):
    def __init__(self, key: str, tp: Any, value: Any) -> None:
        expected = tp if isinstance(tp, str) else _expected(tp)
        super().__init__(f"key '{key}': expected {expected}, got {_describe(value)}")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The field types of a config dataclass, resolved once: config.toml is read afresh on every call, its classes are not."""
    return typing.get_type_hints(cls)


def _section(cls: type[T], data: dict[str, Any], prefix: str = "") -> T:
    hints = _hints(cls)
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    names = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key, value in data.items():
        spec = names.get(key)
        if spec is None or spec.metadata.get("extra"):
            extra[key] = value
            continue
        known[key] = _constrained(spec, hints[key], value, _key(prefix, key))
    if any(f.metadata.get("extra") for f in names.values()):
        known["extra"] = extra
    return cls(**known)


_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_END = re.compile(r"\(at end of document\)")
_UNCHANGED = " (the file was left unchanged)"
#: More digits than Python turns into an int (sys.get_int_max_str_digits()).
_LONG_NUMBER = re.compile(r"[0-9][0-9_]{4300,}")
#: How deep arrays and inline tables may nest before tomllib runs out of stack.
_DEEP = 200


def _place(text: str, index: int) -> str:
    """``line:column`` (1-based) of ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return f"{line}:{index - start + 1}"


def _too_deep_at(text: str) -> int:
    """Where arrays or inline tables first nest deeper than _DEEP (strings and comments skipped); 0 if nowhere."""
    depth, index, quote = 0, 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif char in "[{":
            depth += 1
            if depth > _DEEP:
                return index
        elif char in "]}":
            depth = max(depth - 1, 0)
        index += 1
    return 0


#: The last few texts parsed, and what they gave. config.toml is read afresh on
#: every use (another sovtui may have changed it), and most reads find the same
#: text: the read is a few microseconds, the parse most of a millisecond, and an
#: agent's tool call reads it several times. Keyed by the whole text, so any
#: change is parsed; each caller gets its own copy to change.
_PARSED: dict[tuple[str, str], Config] = {}
_PARSED_MAX = 4


def parse_config(text: str, path: Path) -> Config:
    """Parse and validate TOML text; ConfigError names ``path`` and the place."""
    key = (str(path), text)
    known = _PARSED.get(key)
    if known is None:
        known = _parse_config(text, path)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = known
    return copy.deepcopy(known)


def _parse_config(text: str, path: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _LINE.search(message)
        place = f"{where.group(1)}:{where.group(2)}" if where else _place(text, len(text)) if _END.search(message) else ""
        message = _END.sub("", _LINE.sub("", message)).strip()
        message = safe_line(message[:1].lower() + message[1:])
        raise ConfigError(f"{path}:{place}: {message}{_UNCHANGED}" if place else f"{path}: {message}{_UNCHANGED}") from None
    except RecursionError:
        at = _too_deep_at(text)
        deep = f":{_place(text, at)}" if at else ""
        raise ConfigError(f"{path}{deep}: arrays or tables nested too deeply to read{_UNCHANGED}") from None
    except ValueError as exc:  # int() refusing a number of more than 4300 digits
        long = _LONG_NUMBER.search(text)
        if long is None:
            raise ConfigError(f"{path}: cannot read it ({safe_line(str(exc))[:120]}){_UNCHANGED}") from None
        raise ConfigError(
            f"{path}:{_place(text, long.start())}: a number with more than 4300 digits{_UNCHANGED}"
        ) from None
    try:
        config = _section(Config, data)
        config.keymap()
    except _TypeProblem as exc:
        raise ConfigError(f"{path}: {exc}{_UNCHANGED}") from None
    except RecursionError:  # pragma: no cover - tomllib gives up first
        raise ConfigError(f"{path}: arrays or tables nested too deeply to read{_UNCHANGED}") from None
    return config


_BOM = b"\xef\xbb\xbf"


def load_config(path: Path) -> Config:
    """Read config.toml; a missing file gives the defaults."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    raw = raw.removeprefix(_BOM)  # some Windows editors start a UTF-8 file with one
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}:{line}:{column}: not UTF-8 text (byte {exc.start}); save it as UTF-8{_UNCHANGED}"
        ) from None
    return parse_config(text, path)


# --- writing -------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_dict(section: Any) -> dict[str, Any]:
    """A section as a TOML-ready dict, unknown keys included."""
    out: dict[str, Any] = {}
    for spec in fields(section):
        value = getattr(section, spec.name)
        if spec.metadata.get("extra"):
            continue
        if value is None or (spec.metadata.get("omit_empty") and not value):
            continue
        out[spec.name] = _plain(value)
    extra = getattr(section, "extra", None) or {}
    for key, value in extra.items():
        out.setdefault(key, value)
    return out


def dump_config(config: Config) -> str:
    import tomli_w

    return tomli_w.dumps(to_dict(config))


def save_config(config: Config, path: Path) -> None:
    """Write ``config`` to ``path`` atomically (0600)."""
    atomic_write(Path(path), dump_config(config))


class ConfigStore:
    """config.toml on disk, changed only through locked read-modify-write.

    ``update`` re-reads the file under the lock so a change made by another
    sovtui instance since we loaded is kept, and it refuses (ConfigError) to
    touch a file that does not parse.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> Config:
        return load_config(self.path)

    def update(self, change: Callable[[Config], None]) -> Config:
        with locked(self.path):
            config = load_config(self.path)
            change(config)
            text = dump_config(config)
            parse_config(text, self.path)  # never write a file that would not load back
            atomic_write(self.path, text)
            return config

    def create_default(self) -> Config:
        """Write a default config.toml if there is none; return what is there."""
        with locked(self.path):
            if self.path.exists():
                return load_config(self.path)
            config = Config()
            save_config(config, self.path)
            return config
