"""Shared fixtures: every test runs with its own XDG folders and HOME.

Nothing a test does can touch the developer's real files, and every path a
test sees lies under its tmp_path.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from sovtui.context import Context
from sovtui.paths import Paths
from tests.examples import examples

ROOT = Path(__file__).resolve().parent.parent

# A property without a count of its own tries Hypothesis's 100 examples in a thorough run, a quarter by default.
settings.register_profile("sovtui", max_examples=examples(100))
settings.load_profile("sovtui")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (the README's command): one worker more than the cores this process may use.

    About a third of the suite's wall time is waiting, not computing (a
    relay's or a wallet's answer, a child process, a Pilot test's pauses),
    and a spare worker fills it: on the 2-core machine the suite took 164 s
    with 3 workers and 223 s with 2 (docs/architecture.md, "Time").
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when it is set.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores + 1


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


@pytest.fixture(autouse=True)
def vault_cost_follows_nip49(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Vault(path)`` takes scrypt's cost from ``nip49.DEFAULT_LOG_N`` as it is when the vault is made.

    The default is bound when vault.py is imported, so a test that lowers
    ``DEFAULT_LOG_N`` for speed (``monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)``)
    got the real cost (log_n 16, about 0.3 s a derivation) from every vault
    sovtui made for it. Tests that lower nothing keep the real cost.
    """
    from sovtui.identity import nip49
    from sovtui.identity.vault import Vault

    made_with = Vault.__init__

    def init(self: Vault, path: Path, *, log_n: int | None = None, **kwargs: object) -> None:
        made_with(self, path, log_n=nip49.DEFAULT_LOG_N if log_n is None else log_n, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Vault, "__init__", init)


@pytest.fixture
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at log_n 4 for every vault and ncryptsec this test makes: for tests whose subject is not the cost.

    The real cost (log_n 16, about 0.25 s of CPU a derivation) stays where it
    is the point: tests/identity/test_nip19_nip49.py (the NIP-49 vectors and
    the default) and the first tests of tests/identity/test_cli_keys.py (the
    CLI end to end, as a user runs it).
    """
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


@pytest.fixture
def short_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wallet's relays get 0.5 s to answer, not 5 s: for tests of a relay that is down.

    Nothing listens, so the connection is refused at once, and sovtui waits out
    the timeout (a relay may come up) before it says so; what it says is the
    test's subject, not how long it waited.
    """
    from sovtui.wallet.nwc import NwcClient

    defaults = dict(NwcClient.__init__.__kwdefaults__ or {})
    assert defaults.get("connect_timeout") == 5.0, defaults  # the default this replaces
    monkeypatch.setattr(NwcClient.__init__, "__kwdefaults__", {**defaults, "connect_timeout": 0.5})


#: Fixtures that listen on a fixed port (a snapshot shows the URL).
_FIXED_PORT_FIXTURES = frozenset({"ollama_fixed"})


@pytest.fixture(autouse=True)
def fixed_ports_take_turns(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test on a fixed port holds a lock on this machine while it runs.

    So two pytest-xdist workers (or two test runs at once) never bind the port
    together. Autouse fixtures are set up first, so the lock is held before
    the port is bound and released after it is closed.
    """
    if not _FIXED_PORT_FIXTURES & set(request.fixturenames):
        yield
        return
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / "sovtui-tests-fixed-ports.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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
    """Run ``python -m sovtui ARGS`` in a subprocess, under the egress guard.

    For tests where the process is the point: several at once, kill -9, what a
    child process reaches, a pty, a server that must outlive the command. The
    rest use the ``cli`` fixture, which runs ``main(argv)`` in this process.
    """
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


class _KeptBytes(io.BytesIO):
    """A pipe's far end: ``main`` may close its stderr (a broken pipe), the bytes stay readable."""

    def close(self) -> None:
        pass


def _pipe(errors: str, data: bytes = b"") -> io.TextIOWrapper:
    """A text stream as Python makes one for a pipe: UTF-8, not a TTY, no fileno, the given error handler.

    stdout and stdin use surrogateescape and stderr backslashreplace (what a
    child of this test run gets under C.UTF-8), so text that a real pipe
    cannot take (a lone surrogate) fails here as it would there.
    """
    return io.TextIOWrapper(_KeptBytes(data), encoding="utf-8", errors=errors, write_through=True)


def _read_back(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", "replace")


class _ToStream(logging.Handler):
    """What Python's last-resort handler prints in a process with no logging set up:
    WARNING and above, the message alone, on stderr; only records of the calling thread."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        super().__init__(logging.WARNING)
        self.stream, self.thread = stream, threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.stream.write(record.getMessage() + "\n")


_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGPIPE", "SIGTSTP", "SIGCONT", "SIGWINCH") if hasattr(signal, name))


def run_cli_in_process(*args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60):
    """``sovtui ARGS`` as ``sovtui.cli.main(list(args))`` in this process, shaped like ``run_cli``'s result.

    stdin holds ``input`` (or nothing, as /dev/null) and is not a terminal;
    stdout and stderr are captured as a pipe would take them; ``env`` is laid
    over os.environ for the call only; argparse's SystemExit becomes the
    return code and an unexpected exception a traceback on stderr with code 1,
    as the interpreter would make them. The egress guard is an audit hook of
    this process, so it watches the call as it watches the test. What a call
    could leave behind for the next (environment, working folder, umask,
    signal handlers, logging handlers, the event loop and its policy) is put
    back afterwards. ``timeout`` is accepted for the same signature and not
    enforced: a hung call hangs the test, as a hung coroutine would.
    """
    import asyncio
    import contextlib
    import subprocess
    import traceback

    from sovtui.cli import main

    if not args:
        raise ValueError("plain 'sovtui' opens the TUI: use make_app and run_test, or run_cli for a real process")
    stdin, stdout, stderr = _pipe("surrogateescape", (input or "").encode("utf-8", "surrogateescape")), _pipe("surrogateescape"), _pipe("backslashreplace")
    saved_env = {name: os.environ.get(name) for name in env or {}}
    cwd, umask = os.getcwd(), os.umask(0o022)
    os.umask(umask)
    handlers = {number: signal.getsignal(number) for number in _SIGNALS}
    root = logging.getLogger()
    root_handlers, root_level = list(root.handlers), root.level
    last_resort = _ToStream(stderr)
    policy = asyncio.get_event_loop_policy()
    local = getattr(policy, "_local", None)
    loop = getattr(local, "_loop", None)
    try:
        os.environ.update(env or {})
        root.addHandler(last_resort)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), _stdin(stdin):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse (--help, --version, a usage error) or sys.exit
                if exc.code is None or isinstance(exc.code, int):
                    code = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
                    code = 1
            except Exception:  # what the interpreter would print; KeyboardInterrupt and pytest's outcomes go on up
                traceback.print_exc(file=sys.stderr)
                code = 1
    finally:
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        os.chdir(cwd)
        os.umask(umask)
        for number, handler in handlers.items():
            if handler is not None and signal.getsignal(number) is not handler:
                signal.signal(number, handler)
        root.handlers[:] = root_handlers
        root.setLevel(root_level)
        if asyncio.get_event_loop_policy() is not policy:
            asyncio.set_event_loop_policy(policy)
        if local is not None and getattr(local, "_loop", None) is not loop:
            local._loop = loop
    return subprocess.CompletedProcess(["sovtui", *args], int(code), _read_back(stdout), _read_back(stderr))


@contextlib.contextmanager
def _stdin(stream: io.TextIOWrapper) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run ``sovtui ARGS`` (in this process; ``run_cli`` for a real one)."""
    return run_cli_in_process


# --- markers ------------------------------------------------------------------------

#: Fixtures that drive the Textual app; a test that uses one is a Pilot test.
_PILOT_FIXTURES = frozenset({"make_app", "snap_compare"})


def _drives_an_app(function: object) -> bool:
    """Whether a test's own code (or a helper of its module it calls) runs an app under Pilot."""
    try:
        source = inspect.getsource(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    if "run_test(" in source or "snap_compare(" in source:
        return True
    module = sys.modules.get(getattr(function, "__module__", ""))
    for name, helper in vars(module or object()).items():
        if inspect.isfunction(helper) and helper is not function and f"{name}(" in source and helper.__module__ == function.__module__:  # type: ignore[attr-defined]
            try:
                if "run_test(" in inspect.getsource(helper):
                    return True
            except (OSError, TypeError):
                pass
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that drives the Textual app with ``pilot``: ``pytest -m "not pilot"`` runs the unit tests alone."""
    seen: dict[object, bool] = {}
    for item in items:
        function = getattr(item, "function", None)
        if function is None:
            continue
        if function not in seen:
            seen[function] = _drives_an_app(function)
        if seen[function] or _PILOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pilot)
