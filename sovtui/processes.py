"""Processes sovtui records in its state files: is one still there, what is it, collect it.

The managed Ollama server, the built-in engine and ``sovtui agent serve``
each write a pid to a state file; whatever reads the file back asks these
questions of it. A pid read from a file is outside input: anything but a
positive int is no process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path


def pid_alive(pid: object) -> bool:
    """True when a process with this pid exists (ours or another user's)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: it exists
        return True
    return True


def cmdline(pid: int) -> str:
    """The process's command line, words joined by spaces ("" when it cannot be read)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def reap(pid: int) -> None:
    """Collect a child we started in this process so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


async def terminate(pid: int, timeout: float = 10.0) -> None:
    """Stop a server we started: SIGTERM, up to ``timeout`` seconds to finish, then SIGKILL; collected either way."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        reap(pid)
        await asyncio.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.05)
    reap(pid)
