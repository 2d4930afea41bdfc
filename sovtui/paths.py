"""Where sovtui keeps its files: the XDG folders, through platformdirs.

The Unix (XDG) layout is used on every POSIX system, macOS included, so a user
can set ``XDG_CONFIG_HOME``, ``XDG_DATA_HOME`` and ``XDG_STATE_HOME`` and move
every file sovtui writes. Folders are created with mode 0700.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

APP_NAME = "sovtui"
DIR_MODE = 0o700


def _base_dirs() -> tuple[Path, Path, Path, Path]:
    if os.name == "posix":
        from platformdirs.unix import Unix

        dirs = Unix(APP_NAME)
    else:  # pragma: no cover - sovtui targets POSIX home servers
        from platformdirs import PlatformDirs

        dirs = PlatformDirs(APP_NAME, appauthor=False)
    return (
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        Path(dirs.user_state_dir),
        Path(dirs.user_cache_dir),
    )


class Paths(NamedTuple):
    """The folders and the well-known files inside them.

    The cache folder (``XDG_CACHE_HOME``) holds only what can be built again
    from the others (the conversation index); given no cache folder, a
    ``cache`` folder inside the state folder stands in.

    A NamedTuple rather than a frozen dataclass: every command makes one,
    and importing ``dataclasses`` (it imports ``inspect``, ``ast``, ``dis``)
    is about 10 ms that ``sovtui chats list`` otherwise does without.
    """

    config_dir: Path
    data_dir: Path
    state_dir: Path
    cache: Path | None = None

    @classmethod
    def from_env(cls) -> Paths:
        """Resolve the folders from the environment (XDG variables honoured)."""
        config_dir, data_dir, state_dir, cache_dir = _base_dirs()
        return cls(config_dir, data_dir, state_dir, cache_dir)

    @property
    def cache_dir(self) -> Path:
        return self.cache if self.cache is not None else self.state_dir / "cache"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def conversations_dir(self) -> Path:
        return self.data_dir / "conversations"

    @property
    def conversation_index(self) -> Path:
        """The SQLite index of the conversations (derived: deleting it costs one rebuild)."""
        return self.cache_dir / "conversations.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    def as_dict(self) -> dict[str, str]:
        """The paths a user may want to know, by name (``sovtui paths``)."""
        return {
            "config": str(self.config_dir),
            "data": str(self.data_dir),
            "state": str(self.state_dir),
            "config_file": str(self.config_file),
        }

    def ensure(self) -> None:
        """Create the three folders, private to the user (0700)."""
        for folder in (self.config_dir, self.data_dir, self.state_dir):
            ensure_private_dir(folder)


def ensure_private_dir(folder: Path) -> Path:
    """Create ``folder`` (and parents) if needed and make it mode 0700."""
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if (folder.stat().st_mode & 0o777) != DIR_MODE:
        folder.chmod(DIR_MODE)
    return folder
