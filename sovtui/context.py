"""The context every command and screen works in: paths and config.

One ``Context`` is made per process (by the CLI, or handed to the TUI). It
resolves the XDG folders once and loads config.toml on first use, so a
command that needs no config never reads it and a broken file is reported by
the first command that does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from sovtui.paths import Paths

if TYPE_CHECKING:
    from sovtui.config import Config, ConfigStore
    from sovtui.identity.vault import Vault
    from sovtui.inference.builtin import BuiltinServer
    from sovtui.inference.engine import Engine
    from sovtui.inference.hosts import HostTarget
    from sovtui.inference.server import ManagedServer


class Context:
    def __init__(self, paths: Paths | None = None) -> None:
        self.paths = paths or Paths.from_env()
        #: Opens the vault when a host's API key is in it and it is locked (the CLI asks for the
        #: passphrase); None: ``VaultLockedForKey`` is raised for the front end to show.
        self.unlock_vault: Callable[[], object] | None = None

    @cached_property
    def store(self) -> ConfigStore:
        # Imported here: ``sovtui chats list`` and other commands that read no config start about 25 ms sooner.
        from sovtui.config import ConfigStore

        return ConfigStore(self.paths.config_file)

    @cached_property
    def config(self) -> Config:
        """The loaded config; raises ConfigError if the file is broken."""
        return self.store.load()

    def reload(self) -> Config:
        self.__dict__.pop("config", None)
        return self.config

    # --- services ---------------------------------------------------------------

    def host(self, name: str | None = None) -> HostTarget:
        """The Ollama host a command means (``--host``, OLLAMA_HOST, default)."""
        from sovtui.inference.hosts import is_builtin

        if is_builtin(name, self.config):  # the built-in engine: always known, its address in the state folder
            return self.builtin_server().target
        from sovtui.inference.hosts import resolve_host

        return resolve_host(self.config, name)

    def targets(self, name: str | None = None) -> list[HostTarget]:
        """The hosts a name means, in order: one host, or a pool's members."""
        from sovtui.inference.hosts import is_builtin
        from sovtui.inference.hosts import resolve_targets

        if is_builtin(name, self.config):
            return [self.host(name)]
        return resolve_targets(self.config, name)

    def backend(self, name: str | None = None) -> Engine:
        """The backend for that host (Ollama or OpenAI-compatible); the caller closes it (``async with``)."""
        return self.backend_for(self.host(name))

    def backend_for(self, target: HostTarget, *, timeout: float | None = None) -> Engine:
        """The backend for ``target``, with its API key from the vault if it has one."""
        from sovtui.inference.builtin import BUILTIN, is_builtin

        if target.name == BUILTIN and is_builtin(BUILTIN, self.config):
            from sovtui.inference.builtin import BuiltinEngine

            return BuiltinEngine(self, timeout=timeout)  # models from its files, replies from its server (autostarted)
        from sovtui.inference.engine import open_backend

        key = None
        if target.is_openai:
            from sovtui.inference.errors import VaultLockedForKey
            from sovtui.inference.keys import api_key

            try:
                key = api_key(self.vault, target.name)
            except VaultLockedForKey:
                if self.unlock_vault is None:
                    raise
                self.unlock_vault()
                key = api_key(self.vault, target.name)
        return open_backend(target, timeout=timeout, api_key=key)

    def server(self, name: str | None = None) -> ManagedServer | BuiltinServer:
        """The managed server for that host: ``ollama serve``, or the built-in engine for ``builtin``."""
        from sovtui.inference.hosts import is_builtin

        if is_builtin(name, self.config):
            return self.builtin_server()
        from sovtui.inference.server import ManagedServer

        backend = self.config.backend
        return ManagedServer(self.paths, self.host(name), binary=backend.binary, start_timeout=backend.start_timeout)

    def builtin_server(self) -> BuiltinServer:
        """The built-in engine (llama-cpp-python's server) sovtui manages on this machine."""
        from sovtui.inference.builtin import builtin_server

        return builtin_server(self)

    @cached_property
    def vault(self) -> Vault:
        """The vault in the config folder (locked until unlocked)."""
        from sovtui.identity.vault import Vault

        return Vault(self.paths.config_dir / "vault.json")

    def update_config(self, change: Callable[[Config], None]) -> Config:
        """Apply ``change`` to the file under a lock and refresh ``config``."""
        config = self.store.update(change)
        self.__dict__["config"] = config
        return config
