"""The built-in engine: llama-cpp-python's OpenAI-compatible server, managed by sovtui.

For a machine with no Ollama: ``pip install 'sovtui[local]'`` adds
llama-cpp-python with its server, and the host called ``builtin`` (API
``openai``, this machine) is always known. Its server is
``python -m llama_cpp.server`` run by sovtui's own interpreter (through
``llama_serve.py``, which can turn llama.cpp's weight repacking off), managed as
``ollama serve`` is (``server.py``): it listens on 127.0.0.1 only, on a port
free when it starts; a record in the state folder (pid, address, the models
it serves) lets every sovtui process find and share it; its output goes to
``logs/builtin.log``; only a process that record names, still running as
that launcher (or as ``llama_cpp.server``, as an older sovtui ran it), is
ever signalled.

The models are the GGUF files in the data folder (``gguf.py``). They are
served through the server's multi-model config file, one entry per file with
its name as ``model_alias`` (else the server lists file paths as model ids);
the server loads one model at a time, the first at start and any other on its
first request. The config is written when the server starts; a model added or
removed while it runs is served after a restart, which ``refresh()`` does
when the record's model list no longer matches the folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovtui.errors import SovtuiError
from sovtui.files import atomic_write
from sovtui.inference.errors import BackendError
from sovtui.inference.gguf import BuiltinModel, list_models
# BUILTIN and is_builtin live with the hosts: every start names its host, and that must not import this module.
from sovtui.inference.hosts import BUILTIN, IDLE_URL, HostTarget, is_builtin  # noqa: F401
from sovtui.paths import Paths, ensure_private_dir

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.inference.server import ServerStatus
    from sovtui.inference.types import ChatChunk

# Naming the host (start-up, the top bar) needs none of httpx or the Ollama
# server's module: they are imported where the engine is asked or started.

MODULE = "llama_cpp.server"
#: What sovtui runs: MODULE, with ``--no-repack`` where llama.cpp's repacking crashes (llama_serve.py).
LAUNCHER = "sovtui.inference.llama_serve"
#: The context window each model is served with, at most (the model's own when smaller):
#: the KV cache grows with it, and 4096 tokens keeps a 4B model within 8 GB.
CONTEXT = 4096
#: What ``pip install 'sovtui[local]'`` adds, as import names (checked without importing them:
#: importing llama_cpp loads the whole library).
_ENGINE_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")


class EngineNotInstalled(SovtuiError):
    """llama-cpp-python (with its server) is not in sovtui's environment."""

    def __init__(self) -> None:
        super().__init__(
            "the built-in engine is not installed: run "
            f"{install_command()} (the first install builds llama.cpp, about 5 minutes on 2 cores)"
        )


class NoBuiltinModel(SovtuiError):
    def __init__(self) -> None:
        super().__init__(
            "the built-in engine has no model yet: add a GGUF file with 'sovtui models add FILE.gguf', "
            "or download one with 'sovtui models pull hf:OWNER/REPO:QUANT --host builtin' (see 'sovtui models suggest --host builtin')"
        )


def install_command() -> str:
    """The one command that installs the engine into the environment sovtui runs in."""
    return f"{sys.executable} -m pip install 'sovtui[local]'"


def engine_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in _ENGINE_MODULES)


def engine_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        return None


@functools.cache
def _this_cpu_has_amx() -> bool:
    """Read once a process: the CPU does not change, and a server is made for every look at the host."""
    try:
        return cpu_has_amx(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:
        return False


def cpu_has_amx(cpuinfo: str | None = None) -> bool:
    """This CPU has Intel AMX (its flags in /proc/cpuinfo name ``amx_tile``).

    llama.cpp repacks weights into AMX buffers on such a CPU, and its AMX
    multiplication crashed the engine on the first real prompt on the Xeon
    our tests run on (llama_serve.py): there the engine runs with repacking off.
    """
    if cpuinfo is None:
        return _this_cpu_has_amx()
    return any(line.startswith("flags") and "amx_tile" in line.split() for line in cpuinfo.splitlines())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _digest(models: list[BuiltinModel], repack: bool = True) -> str:
    """What the server serves and how, in one value: names, files, their sizes and times, and repacking.

    A running engine whose digest differs is restarted: a model was added or
    removed, or ``builtin_repack`` changed (or an older sovtui started it).
    """
    text = json.dumps([[m.name, str(m.path), m.size, m.modified.timestamp() if m.modified else 0] for m in models] + [repack])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class BuiltinServer:
    """The one built-in engine of this user on this machine."""

    #: What it is called in a sentence ("... is running at URL").
    engine = "The built-in engine"

    def __init__(
        self,
        paths: Paths,
        *,
        default_model: str = "",
        start_timeout: float = 60.0,
        threads: int | None = None,
        repack: bool | None = None,
    ) -> None:
        self.paths = paths
        self.default_model = default_model
        self.start_timeout = start_timeout
        #: Half the cores (llama-cpp-python's default for generation; its default for reading the
        #: prompt is all of them), for both: llama.cpp's threads spin-wait, so on 2 busy cores SmolLM2
        #: makes ~50 tokens/s with 1 thread and ~16 with 2, and its first token comes 4-10x later.
        self.threads = threads or max((os.cpu_count() or 2) // 2, 1)
        #: llama.cpp's weight repacking (faster prompts on most CPUs), off by default on a CPU with AMX.
        self.repack = (not cpu_has_amx()) if repack is None else repack

    # --- where things are --------------------------------------------------------

    @property
    def folder(self) -> Path:
        return self.paths.state_dir / "builtin"

    @property
    def pid_file(self) -> Path:
        return self.folder / "server.json"

    @property
    def config_file(self) -> Path:
        return self.folder / "models.json"

    @property
    def log_file(self) -> Path:
        return self.paths.log_dir / "builtin.log"

    def binary(self) -> str | None:
        """What runs the server (sovtui's own interpreter), or None when the engine is not installed."""
        return f"{sys.executable} -m {LAUNCHER}" if engine_installed() else None

    # --- the record --------------------------------------------------------------

    def _record(self) -> dict[str, Any] | None:
        try:
            record = json.loads(self.pid_file.read_text())
        except (FileNotFoundError, ValueError, OSError):
            return None
        if not isinstance(record, dict):
            return None
        pid, port = record.get("pid"), record.get("port")
        if not isinstance(pid, int) or isinstance(pid, bool) or not 1 < pid < 2**31:
            return None
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            return None
        return record

    def managed_pid(self) -> int | None:
        """The pid of the engine sovtui started, if it still runs as one."""
        from sovtui.processes import cmdline, pid_alive

        record = self._record()
        if record is None or not pid_alive(record["pid"]):
            return None
        command = cmdline(record["pid"])
        if command and LAUNCHER not in command and MODULE not in command:
            return None  # the pid was reused by something else (MODULE: started by an older sovtui)
        return int(record["pid"])

    def url(self) -> str:
        """The base URL of the running engine, else ``IDLE_URL``."""
        record = self._record()
        if record is None or self.managed_pid() is None:
            return IDLE_URL
        return f"http://127.0.0.1:{record['port']}/v1"

    @property
    def target(self) -> HostTarget:
        return HostTarget(BUILTIN, self.url(), "openai", builtin=True)

    def served(self) -> list[str]:
        """The model names the running engine was started with."""
        record = self._record() or {}
        names = record.get("models")
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    # --- what it serves ----------------------------------------------------------

    def models(self) -> list[BuiltinModel]:
        """The installed models, the default one first (the server loads the first at start)."""
        found = list_models(self.paths)
        found.sort(key=lambda m: (m.name != self.default_model, m.name))
        return found

    def server_config(self, port: int, models: list[BuiltinModel]) -> dict[str, Any]:
        """The server's multi-model config file (llama_cpp.server.settings.ConfigFileSettings)."""
        return {
            "host": "127.0.0.1",
            "port": port,
            # Requests queue for the one model instead of a new one cutting off the reply in progress:
            # two sovtui processes share the engine.
            "interrupt_requests": False,
            "models": [
                {
                    "model": str(m.path),
                    "model_alias": m.name,
                    "n_ctx": min(m.context_length or CONTEXT, CONTEXT),
                    "n_threads": self.threads,
                    "n_threads_batch": self.threads,
                    "verbose": False,
                }
                for m in models
            ],
        }

    # --- asking it ---------------------------------------------------------------

    async def _answering(self, url: str, timeout: float = 2.0) -> bool:
        """The engine at ``url`` lists its models (GET /v1/models, which needs the model loaded)."""
        if url == IDLE_URL:
            return False
        import httpx

        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.get(f"{url}/models")
                return response.status_code == 200 and isinstance(response.json().get("data"), list)
        except (httpx.HTTPError, ValueError, AttributeError, OSError):
            return False

    async def status(self) -> ServerStatus:
        from sovtui.inference.server import ServerStatus

        pid = self.managed_pid()
        url = self.url()
        answering = pid is not None and await self._answering(url)
        return ServerStatus(
            host=BUILTIN,
            url=url,
            locality="this machine",
            answering=answering,
            version=engine_version() if answering else None,
            managed=answering,
            pid=pid,
            binary=self.binary(),
            log=str(self.log_file),
        )

    # --- starting and stopping ------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _lock(self) -> AsyncIterator[None]:
        """One process at a time starts or stops the engine (the others wait, then find it running)."""
        ensure_private_dir(self.folder)
        fd = os.open(self.folder / ".server.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.05)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    async def start(self, progress: Callable[[str, float], None] | None = None) -> ServerStatus:
        """Start the engine if it does not run (or runs with another set of models); wait until it answers."""
        async with self._lock():
            models = self.models()
            pid = self.managed_pid()
            if pid is not None:
                record = self._record() or {}
                if record.get("digest") == _digest(models, self.repack) and await self._answering(self.url()):
                    return await self.status()
                await self._stop_locked()
            if not engine_installed():
                raise EngineNotInstalled()
            if not models:
                raise NoBuiltinModel()
            await self._spawn(models, progress)
        return await self.status()

    async def _spawn(self, models: list[BuiltinModel], progress: Callable[[str, float], None] | None) -> None:
        from sovtui.inference.llama_serve import NO_REPACK
        from sovtui.inference.server import child_environment

        port = _free_port()
        ensure_private_dir(self.folder)
        atomic_write(self.config_file, json.dumps(self.server_config(port, models), indent=2))
        ensure_private_dir(self.paths.log_dir)
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        os.chmod(self.log_file, 0o600)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", LAUNCHER, "--config_file", str(self.config_file)]
                + ([] if self.repack else [NO_REPACK]),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=child_environment(),
                start_new_session=True,  # keeps running after this sovtui exits, for the next one
            )
        except OSError as exc:
            raise SovtuiError(f"cannot run {sys.executable} -m {LAUNCHER}: {exc.strerror}") from None
        finally:
            log.close()
        atomic_write(
            self.pid_file,
            json.dumps(
                {
                    "pid": process.pid,
                    "port": port,
                    "models": [m.name for m in models],
                    "digest": _digest(models, self.repack),
                    "python": sys.executable,
                    "started": time.time(),
                }
            ),
        )
        url = f"http://127.0.0.1:{port}/v1"
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            if progress:
                progress(f"loading {models[0].name} into the built-in engine", elapsed)
            if await self._answering(url, timeout=1.0):
                return
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise SovtuiError(f"the built-in engine exited with code {process.returncode} before answering: see {self.log_file}")
            if elapsed > self.start_timeout:
                raise SovtuiError(f"the built-in engine did not answer within {self.start_timeout:.0f}s (still loading?): see {self.log_file}")
            await asyncio.sleep(0.1)

    async def refresh(self) -> bool:
        """Restart a running engine whose models changed (added, removed); True if it was restarted."""
        record = self._record()
        if record is None or self.managed_pid() is None:
            return False
        if record.get("digest") == _digest(self.models(), self.repack):
            return False
        if not self.models():
            await self.stop()
            return True
        await self.start()
        return True

    async def stop(self, timeout: float = 10.0) -> str:
        async with self._lock():
            return await self._stop_locked(timeout)

    async def _stop_locked(self, timeout: float = 10.0) -> str:
        from sovtui.processes import terminate

        pid = self.managed_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return "the built-in engine is not running"
        await terminate(pid, timeout)
        self.pid_file.unlink(missing_ok=True)
        return f"stopped the built-in engine (pid {pid})"


def builtin_server(ctx: Context) -> BuiltinServer:
    config = ctx.config
    threads = config.backend.extra.get("builtin_threads")
    repack = config.backend.extra.get("builtin_repack")
    return BuiltinServer(
        ctx.paths,
        default_model=config.inference.model,
        start_timeout=max(config.backend.start_timeout, 60.0),
        threads=threads if isinstance(threads, int) and not isinstance(threads, bool) and threads > 0 else None,
        repack=repack if isinstance(repack, bool) else None,
    )


async def ensure_running(ctx: Context, progress: Callable[[str, float], None] | None = None) -> HostTarget:
    """The built-in engine's target, started first when ``[backend] autostart`` says so.

    What a front end calls before it talks to the ``builtin`` host: a running
    engine whose models are current is used as it is; a stopped one is
    started when autostart is on, else the error says how to start it.
    """
    server = builtin_server(ctx)
    record = server._record()
    if server.managed_pid() is not None and record is not None and record.get("digest") == _digest(server.models(), server.repack):
        return server.target
    if not ctx.config.backend.autostart and server.managed_pid() is None:
        raise BackendError(
            "the built-in engine is not running: start it with 'sovtui backend start --host builtin' "
            "(or set autostart = true under [backend] in config.toml)"
        )
    await server.start(progress)
    return server.target


class BuiltinEngine:
    """The ``Engine`` of the ``builtin`` host: what sovtui knows itself, and the server for replies.

    The models and their details come from the GGUF files (no server needed:
    a stopped engine still lists what it has); a reply goes to the running
    engine through the OpenAI-compatible backend, the engine started first
    when ``[backend] autostart`` is on (``ensure_running``). Removing a model
    deletes its file and pulling downloads one from Hugging Face
    (``hf:OWNER/REPO:QUANT``); copying, unloading and listing loaded models
    are what the OpenAI-compatible API cannot do.
    """

    def __init__(self, ctx: Context, *, timeout: float | None = None) -> None:
        self.ctx = ctx
        self.server = ctx.builtin_server()
        self.target = self.server.target
        self.timeout = timeout if timeout is not None else 10.0
        self._inner: Any = None

    @property
    def name(self) -> str:
        return BUILTIN

    @property
    def url(self) -> str:
        return self.target.url

    @property
    def locality(self) -> Any:
        return self.target.locality

    async def _engine(self) -> Any:
        if self._inner is None:
            from sovtui.inference.engine import open_backend

            self.target = await ensure_running(self.ctx)
            self._inner = open_backend(self.target, timeout=self.timeout)
        return self._inner

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()
            self._inner = None

    async def __aenter__(self) -> BuiltinEngine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def version(self) -> str:
        if not engine_installed():
            raise EngineNotInstalled()
        return f"llama-cpp-python {engine_version() or '?'}"

    async def is_up(self) -> bool:
        """The engine answers now, or would start on first use (installed, a model, autostart on)."""
        if self.server.managed_pid() is not None and await self.server._answering(self.server.url()):
            return True
        return self.ctx.config.backend.autostart and engine_installed() and bool(list_models(self.ctx.paths))

    async def list_models(self) -> list[Any]:
        from sovtui.inference.types import ModelInfo

        return [
            ModelInfo(m.name, m.size, m.parameter_size, m.quantization, m.architecture, m.modified, "")
            for m in await asyncio.to_thread(list_models, self.ctx.paths)
        ]

    async def show(self, name: str) -> Any:
        """From the GGUF header: tools and thinking when the model's chat template mentions them."""
        from sovtui.inference.gguf import model_path, read_file_header
        from sovtui.inference.types import ModelDetails

        header = await asyncio.to_thread(read_file_header, model_path(self.ctx.paths, name))
        template = header.get("tokenizer.chat_template", "")
        template = template if isinstance(template, str) else ""
        capabilities = ["completion"]
        if "tools" in template:
            capabilities.append("tools")
        if "<think>" in template or "enable_thinking" in template:
            capabilities.append("thinking")
        license_ = header.get("general.license", "")
        return ModelDetails(
            name=name,
            family=header.architecture,
            parameter_size=header.parameter_size,
            quantization=header.quantization,
            capabilities=tuple(capabilities),
            context_length=header.context_length,
            template=template,
            license=license_ if isinstance(license_, str) else "",
            parameters=f"n_ctx {min(header.context_length or CONTEXT, CONTEXT)}",
        )

    async def delete(self, name: str) -> None:
        from sovtui.inference.gguf import remove_model

        await asyncio.to_thread(remove_model, self.ctx.paths, name)
        await self.server.refresh()

    def _cannot(self, operation: str) -> BackendError:
        """What the OpenAI-compatible API cannot do, said without starting the engine to ask."""
        from sovtui.inference.engine import cannot
        from sovtui.inference.errors import OperationUnsupported

        what, reason = cannot(self.target, operation)
        return OperationUnsupported(BUILTIN, what, reason)

    async def copy(self, source: str, destination: str) -> None:
        raise self._cannot("copy")

    async def ps(self) -> list[Any]:
        raise self._cannot("ps")

    async def unload(self, name: str) -> None:
        raise self._cannot("unload")

    async def pull(self, name: str) -> AsyncIterator[Any]:
        """A GGUF from Hugging Face: ``hf:OWNER/REPO:QUANT`` (public internet, asked for by name)."""
        from sovtui.inference.hf import parse_ref, pull

        async for progress in pull(self.ctx.paths, parse_ref(name)):
            yield progress
        await self.server.refresh()

    async def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        keep_alive: str | int | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[ChatChunk, None]:
        """The reply from the server, with the token counts its stream leaves out.

        llama-cpp-python's server ignores ``stream_options.include_usage``, so
        the counts are made here: the reply's tokens are its chunks (the
        server sends one per token that makes text), the prompt's are the
        messages in the model's chat template, counted by the engine's own
        tokenizer (``/extras/tokenize/count``) once the reply is in.
        """
        import dataclasses

        inner = await self._engine()
        stream = inner.chat(model, messages, options=options, think=think, keep_alive=keep_alive, tools=tools)
        pieces = 0
        try:
            async for chunk in stream:
                pieces += bool(chunk.content)
                if chunk.done and chunk.eval_count is None:
                    prompt = chunk.prompt_eval_count
                    if prompt is None:
                        prompt = await self._prompt_tokens(model, messages)
                    chunk = dataclasses.replace(chunk, eval_count=pieces, prompt_eval_count=prompt)
                yield chunk
        finally:
            await stream.aclose()

    async def _prompt_tokens(self, model: str, messages: Any) -> int | None:
        import httpx

        text = await asyncio.to_thread(_templated, self.ctx.paths, model, messages)
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                base = self.target.url.removesuffix("/v1")
                response = await client.post(f"{base}/extras/tokenize/count", json={"model": model, "input": text})
                count = response.json().get("count") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return count if isinstance(count, int) and not isinstance(count, bool) else None


def _templated(paths: Paths, model: str, messages: Any) -> str:
    """The prompt as the engine builds it: the messages through the GGUF's chat template (jinja2, sandboxed)."""
    from sovtui.inference.gguf import model_path, read_file_header

    plain = "\n".join(str(m.get("content", "")) for m in messages)
    try:
        header = read_file_header(model_path(paths, model))
        template = header.get("tokenizer.chat_template")
        if not isinstance(template, str):
            return plain
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        return environment.from_string(template).render(
            messages=list(messages), add_generation_prompt=True, bos_token="", eos_token="",
            raise_exception=lambda message: "",
        )
    except Exception:  # noqa: BLE001 - a template we cannot render: count the words themselves
        return plain
