"""A tiny raw HTTP server on 127.0.0.1 that answers with whatever bytes a test scripts.

The Ollama emulator is faithful; this one is not meant to be: it sends the
exact lines a test (or Hypothesis) gives it, valid or not, so sovtui can be
tried against a host that sends anything. Each route answers with a status,
a content type and a list of raw lines, streamed as chunked NDJSON (one
chunk per line) the way Ollama streams, then closes the connection.
"""

from __future__ import annotations

import socket
import socketserver
from dataclasses import dataclass, field

from tests.loopback import QuietTCPServer, Served


@dataclass
class Script:
    lines: list[bytes] = field(default_factory=list)
    status: int = 200
    content_type: str = "application/x-ndjson"
    #: Close the connection after this many lines, without ending the body.
    drop_after: int | None = None


class ScriptedServer(Served):
    """``ScriptedServer().start()``; ``script(path, lines)``; ``.url``; ``stop()``."""

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._handle(self)

        self.server = QuietTCPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, lines: list[bytes | str], **kwargs: object) -> None:
        raw = [line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line for line in lines]
        self.scripts[path] = Script(raw, **kwargs)  # type: ignore[arg-type]

    def _handle(self, handler: socketserver.StreamRequestHandler) -> None:
        reader, writer = handler.rfile, handler.wfile
        request_line = reader.readline().decode("latin-1").strip()
        if not request_line:
            return
        method, path, *_ = request_line.split(" ")
        length = 0
        while True:
            header = reader.readline().decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            name, _, value = header.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = reader.read(length) if length else b""
        self.requests.append((method, path, body))
        script = self.scripts.get(path)
        if script is None:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 18\r\nConnection: close\r\n\r\n404 page not found")
            return
        head = f"HTTP/1.1 {script.status} X\r\nContent-Type: {script.content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        try:
            writer.write(head.encode())
            for sent, line in enumerate(script.lines):
                if script.drop_after is not None and sent >= script.drop_after:
                    writer.flush()
                    handler.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = line + b"\n"
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            writer.write(b"0\r\n\r\n")
            writer.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
