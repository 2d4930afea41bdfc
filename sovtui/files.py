"""Writing files so that nothing is ever lost.

Every write goes to a temporary file in the same folder, is fsynced, then
renamed over the target, and the folder is fsynced too: a crash leaves either
the old file or the new one, never half of each. Files are created 0600
because sovtui's files hold prompts, keys and payment history.

``locked`` is an advisory lock (flock) held around read-modify-write cycles so
that two sovtui instances (two SSH sessions) do not lose each other's writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sovtui.paths import ensure_private_dir

FILE_MODE = 0o600


def atomic_write(path: Path, data: bytes | str, *, mode: int = FILE_MODE, private_dir: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename).

    The folder is created and made 0700 (sovtui's own folders); with
    ``private_dir=False`` it must exist and is left as it is (a folder the
    user named: their home, a project).
    """
    path = Path(path)
    if private_dir:
        ensure_private_dir(path.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    import tempfile  # here, not above: commands that only read (``chats list``) do without it and what it imports

    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - some filesystems refuse O_RDONLY on dirs
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock tied to ``path`` for the block.

    The lock lives in a sibling file ``.<name>.lock`` so the data file itself
    can be replaced by ``atomic_write`` while the lock is held.
    """
    path = Path(path)
    ensure_private_dir(path.parent)
    lock_path = path.parent / f".{path.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def file_mode(path: Path) -> int:
    """The permission bits of ``path`` (e.g. 0o600)."""
    return Path(path).stat().st_mode & 0o777
