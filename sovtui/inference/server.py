"""An ``ollama serve`` that sovtui starts, watches and stops, and only that one.

sovtui starts a server only when the host is this machine and nothing answers
there. It records what it started in a pid file in the state folder (pid,
address, binary) and writes the server's output to a log there. ``stop`` only
ever signals a process recorded in that file and still running as an ollama
server (so a reused pid is never killed); a server sovtui did not start, such
as a systemd ``ollama.service`` or another user's, is reported as running and
left alone. sovtui never downloads Ollama: if it is missing, it says how to
install it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sovtui.errors import SovtuiError
from sovtui.files import atomic_write
from sovtui.inference.backend import Backend
from sovtui.inference.errors import BackendError, OllamaNotInstalled
from sovtui.inference.hosts import HostTarget
from sovtui.net import Locality
from sovtui.paths import Paths, ensure_private_dir
from sovtui.processes import cmdline, pid_alive, terminate

if TYPE_CHECKING:
    from sovtui.context import Context


@dataclass
class ServerStatus:
    host: str
    url: str
    locality: str
    answering: bool
    version: str | None
    managed: bool
    pid: int | None
    binary: str | None
    log: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    @property
    def summary(self) -> str:
        if self.answering and self.managed:
            return f"running (started by sovtui, pid {self.pid})"
        if self.answering:
            return "running (not started by sovtui: left alone)"
        if self.binary:
            return "stopped"
        return "not installed"



def ollama_binary(configured: str = "") -> str | None:
    """The ``ollama`` program: ``[backend] binary`` when set (if it can run), else the one on PATH."""
    if configured:
        path = Path(configured).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which("ollama")


class ManagedServer:
    #: What it is called in a sentence ("... is running at URL").
    engine = "Ollama"

    def __init__(self, paths: Paths, target: HostTarget, *, binary: str = "", start_timeout: float = 30.0) -> None:
        self.paths = paths
        self.target = target
        self.configured_binary = binary
        self.start_timeout = start_timeout

    @property
    def pid_file(self) -> Path:
        return self.paths.state_dir / "ollama.pid"

    @property
    def log_file(self) -> Path:
        return self.paths.log_dir / "ollama.log"

    def binary(self) -> str | None:
        return ollama_binary(self.configured_binary)

    def _record(self) -> dict | None:
        try:
            record = json.loads(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(record, dict):
            return None
        pid = record.get("pid")
        # Only a real child's pid: -1 would signal every process of the user, 0 our
        # own process group, 1 is init; a bool or a huge number is no pid at all.
        if not isinstance(pid, int) or isinstance(pid, bool) or not 1 < pid < 2**31:
            return None
        return record

    def managed_pid(self) -> int | None:
        """The pid of a server we started that still runs, else None."""
        record = self._record()
        if record is None:
            return None
        pid = record["pid"]
        if record.get("url") != self.target.url or not pid_alive(pid):
            return None
        command = cmdline(pid)
        if command and ("serve" not in command or "ollama" not in command):
            return None  # the pid was reused by something else
        return pid

    async def status(self) -> ServerStatus:
        from sovtui.inference.engine import open_backend

        async with open_backend(self.target, timeout=2.0) as backend:
            try:
                version: str | None = await backend.version()
            except BackendError:
                version = None
        pid = self.managed_pid()
        return ServerStatus(
            host=self.target.name,
            url=self.target.url,
            locality=self.target.locality.label,
            answering=version is not None,
            version=version,
            managed=pid is not None and version is not None,
            pid=pid,
            binary=self.binary(),
            log=str(self.log_file),
        )

    async def start(self, progress: Callable[[str, float], None] | None = None) -> ServerStatus:
        """Start ``ollama serve`` if nothing answers; wait until it is ready."""
        if self.target.locality is not Locality.THIS_MACHINE:
            raise SovtuiError(
                f"{self.target.name} ({self.target.url}) is not this machine: sovtui starts Ollama only here; "
                "start it on that host"
            )
        current = await self.status()
        if current.answering:
            return current
        binary = self.binary()
        if binary is None:
            if self.configured_binary:
                raise SovtuiError(f"the Ollama binary configured in config.toml ({self.configured_binary}) is missing or not executable")
            raise OllamaNotInstalled()
        parts = urlsplit(self.target.url)
        env = child_environment()
        env["OLLAMA_HOST"] = f"{parts.hostname}:{parts.port or 11434}"
        ensure_private_dir(self.paths.log_dir)
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        os.chmod(self.log_file, 0o600)
        try:
            process = subprocess.Popen(
                [binary, "serve"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # keeps running after sovtui exits
            )
        except OSError as exc:
            raise SovtuiError(f"cannot run {binary}: {exc.strerror}") from None
        finally:
            log.close()
        atomic_write(
            self.pid_file,
            json.dumps({"pid": process.pid, "url": self.target.url, "binary": binary, "started": time.time()}),
        )
        started = time.monotonic()
        async with Backend(self.target, timeout=1.0) as backend:
            while True:
                elapsed = time.monotonic() - started
                if progress:
                    progress("waiting for Ollama to answer", elapsed)
                if await backend.is_up():
                    break
                if process.poll() is not None:
                    self.pid_file.unlink(missing_ok=True)
                    raise SovtuiError(
                        f"ollama serve exited with code {process.returncode} before answering: see {self.log_file}"
                    )
                if elapsed > self.start_timeout:
                    raise SovtuiError(
                        f"ollama serve did not answer within {self.start_timeout:.0f}s (still starting?): see {self.log_file}"
                    )
                await asyncio.sleep(0.1)
        return await self.status()

    async def stop(self, timeout: float = 10.0) -> str:
        """Stop the server we started; never one we did not."""
        pid = self.managed_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            current = await self.status()
            if current.answering:
                raise SovtuiError(
                    f"the Ollama server at {self.target.url} was not started by sovtui, so it is left alone "
                    "(a system service stops with: sudo systemctl stop ollama)"
                )
            return "no Ollama server started by sovtui is running"
        await terminate(pid, timeout)
        self.pid_file.unlink(missing_ok=True)
        return f"stopped the Ollama server sovtui started (pid {pid})"


async def start_server(ctx: Context, host_name: str | None = None, progress: Callable[[str, float], None] | None = None) -> ServerStatus:
    """Start the managed ``ollama serve`` for the host (ConfigError for an unknown host, in the coroutine)."""
    return await ctx.server(host_name).start(progress)


async def stop_server(ctx: Context, host_name: str | None = None) -> str:
    """Stop the ``ollama serve`` sovtui started for the host; what happened, in words."""
    return await ctx.server(host_name).stop()


def child_environment() -> dict[str, str]:
    """Our environment without sovtui's own variables, for a server that outlives us.

    SOVTUI_PASSPHRASE (the vault's passphrase) and every other ``SOVTUI_*``
    setting are sovtui's alone: a long-running ``ollama serve`` would keep them
    in its environment, readable in /proc for as long as it runs.
    """
    return {name: value for name, value in os.environ.items() if not name.upper().startswith("SOVTUI_")}

