"""What the test doubles of HTTP servers share: a socketserver on 127.0.0.1, served from a thread.

The Ollama emulator, the OpenAI-compatible emulator and the scripted server
each hold a ``server`` made with ``QuietServer`` (or ``QuietTCPServer``) and
inherit ``Served``'s ``start``/``stop``/``port``.
"""

from __future__ import annotations

import socketserver
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, TypeVar

_S = TypeVar("_S", bound="Served")


class _Quiet:
    """A client that hangs up mid-request is normal, for a real server as for these.

    socketserver prints such a ConnectionResetError's traceback to sys.stderr;
    with the CLI run in-process, whose stderr is captured for the duration of
    the call, that traceback landed in the command's own output.
    """

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)  # type: ignore[misc]


class QuietServer(_Quiet, ThreadingHTTPServer):
    """An HTTP server with a thread per request, quiet about clients that hang up."""

    daemon_threads = True


class QuietTCPServer(_Quiet, socketserver.ThreadingTCPServer):
    """A raw TCP server with a thread per connection, quiet about clients that hang up."""

    daemon_threads = True
    allow_reuse_address = True


class Served:
    """``start()`` serves ``self.server`` from a daemon thread; ``stop()`` shuts it and its socket."""

    server: socketserver.BaseServer
    thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])  # type: ignore[index]

    def start(self: _S) -> _S:
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
