"""A hostile relay: a websocket server on 127.0.0.1 that sends what a relay can send wrong.

A real relay (tests/relay_process.py) behaves; this one is written to
misbehave on purpose, so the relay client is tried against everything NIP-01
lets a stranger put on the wire: text that is not JSON, JSON that is not a
relay message, wrong types in every position, nesting deep enough to blow
the parser's stack, events with lone surrogates, bad signatures or for
subscriptions never opened, OKs for events never sent, binary frames, a
frame cut off mid-message, a text frame that is not UTF-8, a message over
the client's size limit, and text meant to drive the user's terminal.

It runs in its own thread with its own event loop (tornado, which the
client already depends on). Each connection plays a script: a function of
the subscription id the client asked for (its REQ) returning the actions to
play, in order. ``on_event`` answers the client's EVENTs the same way.
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
from collections.abc import Callable
from typing import Any

from tornado.websocket import WebSocketHandler

from tests.egress import allow_endpoint
from tests.ollama_fixtures import free_port

#: An action: ("text", str) a text frame; ("binary", bytes) a binary frame;
#: ("raw", bytes) bytes written to the socket as they are (a frame we build
#: ourselves); ("cut", None) a frame header promising more than is sent, then
#: the TCP connection closed; ("close", None) a clean websocket close.
Action = tuple[str, Any]
Script = Callable[[str], list[Action]]


def text(message: Any) -> Action:
    """A text frame holding ``message`` as JSON (strings are sent as they are)."""
    return ("text", message if isinstance(message, str) else json.dumps(message))


def frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked server frame, FIN set."""
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 1 << 16:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload


class HostileRelay:
    """Serves ``scripts[n]`` on the n-th connection (the last one again after that)."""

    def __init__(self, scripts: list[Script], on_event: Callable[[dict[str, Any]], list[Action]] | None = None) -> None:
        self.port = free_port()
        allow_endpoint("127.0.0.1", self.port)
        self.url = f"ws://127.0.0.1:{self.port}"
        self.scripts = scripts
        self.on_event = on_event
        self.connections = 0
        #: Every message the client sent, as (connection number, parsed JSON).
        self.received: list[tuple[int, Any]] = []
        #: How many actions each connection played to the end.
        self.played: dict[int, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: Any = None
        self._handlers: set[Any] = set()

    # --- the server thread ------------------------------------------------------

    def start(self) -> HostileRelay:
        self._thread = threading.Thread(target=self._serve, name="hostile relay", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile relay did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(10)
        self._loop = None

    def _shutdown(self) -> None:
        for handler in list(self._handlers):
            handler.close()
        self._server.stop()
        assert self._loop is not None
        self._loop.call_later(0.1, self._loop.stop)

    def _serve(self) -> None:
        import tornado.web

        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        relay = self

        class Handler(_Handler):
            owner = relay

        app = tornado.web.Application([(r"/.*", Handler)], websocket_max_message_size=64 * 1024 * 1024)

        async def listen() -> None:
            self._server = app.listen(self.port, address="127.0.0.1")
            self._ready.set()

        self._loop.run_until_complete(listen())
        self._loop.run_forever()
        self._loop.close()

    # --- waiting from the test ------------------------------------------------------

    def requests(self) -> list[tuple[int, str]]:
        """(connection, subscription id) of every REQ received so far."""
        return [(n, m[1]) for n, m in self.received if isinstance(m, list) and m[:1] == ["REQ"]]


class _Handler(WebSocketHandler):
    owner: HostileRelay

    def check_origin(self, origin: str) -> bool:
        return True

    def open(self, *args: Any) -> None:
        self.owner.connections += 1
        self.number = self.owner.connections
        self.owner._handlers.add(self)

    def on_close(self) -> None:
        self.owner._handlers.discard(self)

    async def on_message(self, message: str | bytes) -> None:
        try:
            parsed = json.loads(message)
        except ValueError:
            parsed = message
        self.owner.received.append((self.number, parsed))
        if not isinstance(parsed, list) or not parsed:
            return
        if parsed[0] == "REQ":
            scripts = self.owner.scripts
            script = scripts[min(self.number, len(scripts)) - 1]
            await self._play(script(parsed[1]))
        elif parsed[0] == "EVENT" and self.owner.on_event is not None:
            await self._play(self.owner.on_event(parsed[1]))

    async def _play(self, actions: list[Action]) -> None:
        from tornado.iostream import StreamClosedError
        from tornado.websocket import WebSocketClosedError

        try:
            await self._play_all(actions)
        except (StreamClosedError, WebSocketClosedError):
            pass  # the client hung up (as it should after a message over its limit)

    async def _play_all(self, actions: list[Action]) -> None:
        done = 0
        for kind, value in actions:
            if self.ws_connection is None:
                break
            if kind == "text":
                await self.write_message(value)
            elif kind == "binary":
                await self.write_message(value, binary=True)
            elif kind == "raw":
                await self.ws_connection.stream.write(value)
            elif kind == "cut":
                # A text frame that promises 4,096 bytes, 20 of them, then the socket goes.
                await self.ws_connection.stream.write(frame(0x1, b"x" * 4096)[:24])
                self.ws_connection.stream.close()
                break
            elif kind == "close":
                self.close(1000, "bye")
                break
            else:
                raise ValueError(f"unknown action {kind!r}")
            done += 1
        self.owner.played[self.number] = done
