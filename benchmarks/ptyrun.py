"""Run a terminal program in a real pseudo-terminal and watch its screen.

The program's output is fed to a pyte virtual terminal, so a benchmark can ask
"is this text on screen yet?" the way a person looks at it, and every byte
the program wrote is counted (what an SSH link would carry).
"""

from __future__ import annotations

import os
import pty
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable

import fcntl
import pyte


class PtySession:
    def __init__(
        self, argv: list[str], env: dict[str, str], *, cols: int = 80, rows: int = 24, cwd: str | None = None, screen: bool = True
    ):
        self.cols, self.rows = cols, rows
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = dict(env)
        full_env.setdefault("TERM", "xterm-256color")
        full_env["COLUMNS"], full_env["LINES"] = str(cols), str(rows)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=full_env, cwd=cwd,
            start_new_session=True, close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes_read = 0
        self.feed_screen = screen
        self.tail = bytearray()  # the latest output, for cheap marker searches
        self.marks: dict[bytes, tuple[float, int]] = {}  # marker -> (time, bytes read) when first seen
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.first_output: float | None = None
        self._closed = False
        self.watching: set[bytes] = set()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if not data:
                with self.changed:
                    self._closed = True
                    self.changed.notify_all()
                return
            with self.changed:
                if self.first_output is None:
                    self.first_output = time.perf_counter()
                self.bytes_read += len(data)
                self._answer_queries(data)
                if self.feed_screen:
                    self.stream.feed(data)
                self.tail += data
                del self.tail[:-65536]
                now = time.perf_counter()
                for marker in list(self.watching):
                    if marker in self.tail:
                        self.marks[marker] = (now, self.bytes_read)
                        self.watching.discard(marker)
                self.changed.notify_all()

    def _answer_queries(self, data: bytes) -> None:
        # Answer a cursor-position request (ESC[6n) as a terminal would, so
        # programs that probe the terminal do not wait for a timeout.
        if b"\x1b[6n" in data:
            os.write(self.master, f"\x1b[{self.screen.cursor.y + 1};{self.screen.cursor.x + 1}R".encode())

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Seconds from start until ``predicate(screen text)`` holds."""
        deadline = time.perf_counter() + timeout
        with self.changed:
            while True:
                if predicate("\n".join(self.screen.display)):
                    return time.perf_counter() - self.started
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or self._closed:
                    screen = "\n".join(self.screen.display)
                    raise TimeoutError(f"screen never matched; it shows:\n{screen}")
                self.changed.wait(min(remaining, 0.05))

    def watch(self, marker: bytes) -> None:
        """Record when ``marker`` first appears in the output from now on."""
        with self.lock:
            self.tail.clear()
            self.watching.add(marker)

    def wait_mark(self, marker: bytes, timeout: float = 60.0) -> tuple[float, int]:
        """(perf_counter time, bytes read) when ``marker`` appeared."""
        deadline = time.perf_counter() + timeout
        with self.changed:
            while marker not in self.marks:
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or self._closed:
                    raise TimeoutError(f"{marker!r} never appeared")
                self.changed.wait(min(remaining, 0.05))
            return self.marks[marker]

    def send(self, data: str | bytes) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait()
        self._closed = True
        self._reader.join(timeout=2)
        try:
            os.close(self.master)
        except OSError:
            pass
