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

from sovtui.config import Config, ConfigStore
from sovtui.paths import Paths

if TYPE_CHECKING:
    from sovtui.identity.vault import Vault
    from sovtui.inference.backend import Backend
    from sovtui.inference.hosts import HostTarget
    from sovtui.inference.server import ManagedServer


class Context:
    def __init__(self, paths: Paths | None = None) -> None:
        self.paths = paths or Paths.from_env()

    @cached_property
    def store(self) -> ConfigStore:
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
        from sovtui.inference.hosts import resolve_host

        return resolve_host(self.config, name)

    def backend(self, name: str | None = None) -> Backend:
        """A ``Backend`` for that host; the caller closes it (``async with``)."""
        from sovtui.inference.backend import Backend

        return Backend(self.host(name))

    def server(self, name: str | None = None) -> ManagedServer:
        """The managed ``ollama serve`` for that host."""
        from sovtui.inference.server import ManagedServer

        backend = self.config.backend
        return ManagedServer(self.paths, self.host(name), binary=backend.binary, start_timeout=backend.start_timeout)

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
