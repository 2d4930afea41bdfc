"""An asyncio client for NIP-01 relays: several at once, reconnecting on its own.

pynostr's RelayManager runs its own event loop and cannot live inside
Textual's, so we drive tornado's websocket client (already a pynostr
dependency) directly. One ``Relay`` per URL keeps a connection alive with
exponential backoff and re-sends the open subscriptions after every
reconnect; ``RelayPool`` fans publishes and subscriptions out to all of them
and merges what comes back, each event once.

Every event a relay delivers is checked (``events.is_valid``) before a
subscriber sees it: a relay can drop, delay or forge, and none of that may
reach the wallet as truth. Published events are never re-sent after a drop:
for a payment, a second copy could mean a second payment.

A relay is a stranger, so nothing it sends can stop its reader: a message
that is not JSON, not a relay message, of the wrong shape or types, nested
too deeply, a binary frame, an event that fails verification or comes for a
subscription we never opened, an OK for an event we never sent: each is
dropped and counted (``Relay.dropped``, ``RelayPool.dropped``) and the
connection goes on. Text a relay writes (NOTICE, CLOSED and OK reasons, its
close reason) passes through ``sovtui.text.safe_line`` before anything here
keeps or raises it, so it can be shown on a terminal as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sovtui.errors import SovtuiError
from sovtui.nostr.events import is_valid
from sovtui.text import safe_line

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
MAX_BACKOFF = 30.0
#: The largest message a relay may send; a bigger one ends the connection (tornado's rule).
MAX_MESSAGE_SIZE = 4 * 1024 * 1024
#: How much of a relay's own text (a NOTICE, a reason) is kept.
MAX_RELAY_TEXT = 300


class RelayError(SovtuiError):
    """No relay could be reached, or none accepted what we sent."""


def check_relay_url(url: str) -> str:
    """The URL if it is a ws:// or wss:// address with a host, else a clear error."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise RelayError(f"not a relay address: {url!r} (expected wss://host or ws://host:port)")
    return url.strip()


def relay_text(value: str, limit: int = MAX_RELAY_TEXT) -> str:
    """Text a relay wrote, safe to show: one line, no control codes, valid UTF-8, at most ``limit`` characters."""
    text = value[: limit * 4].encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    text = safe_line(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Drop(Exception):
    """A relay message we cannot use; ``args[0]`` says why (one of a few fixed reasons)."""


@dataclass
class Subscription:
    """Events matching ``filters`` from every relay, each once, already verified."""

    id: str
    filters: list[dict[str, Any]]
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    seen: set[str] = field(default_factory=set)
    waiting_eose: set[str] = field(default_factory=set)
    eose: asyncio.Event = field(default_factory=asyncio.Event)
    closed: dict[str, str] = field(default_factory=dict)

    def deliver(self, event: dict[str, Any]) -> None:
        if event["id"] in self.seen:
            return
        self.seen.add(event["id"])
        self.events.put_nowait(event)

    def relay_done(self, url: str) -> None:
        self.waiting_eose.discard(url)
        if not self.waiting_eose:
            self.eose.set()

    async def next(self, timeout: float) -> dict[str, Any] | None:
        """The next event, or None when ``timeout`` passes first."""
        try:
            return await asyncio.wait_for(self.events.get(), timeout)
        except TimeoutError:
            return None

    async def wait_stored(self, timeout: float) -> None:
        """Wait until every connected relay has sent what it stores (EOSE)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.eose.wait(), timeout)


class Relay:
    """One relay connection that keeps itself up until ``stop``."""

    def __init__(self, url: str, pool: RelayPool, *, backoff: float = 0.5) -> None:
        self.url = url
        self.pool = pool
        self.connected = asyncio.Event()
        self.last_error: str | None = None
        self._backoff_start = backoff
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._reading = False
        self._oks: dict[str, asyncio.Future[tuple[bool, str]]] = {}
        #: Messages dropped, by reason ("not JSON", "event fails verification" ...).
        self.dropped: Counter[str] = Counter()
        #: Messages received over every connection so far.
        self.received = 0
        #: The relay's last NOTICE, made safe to show.
        self.last_notice: str | None = None

    @property
    def dropped_total(self) -> int:
        """How many messages from this relay were dropped as unusable."""
        return sum(self.dropped.values())

    @property
    def reading(self) -> bool:
        """True while a connection is up and its reader is taking messages."""
        return self._reading and self.connected.is_set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"relay {self.url}")

    async def stop(self) -> None:
        self._stopping = True
        if self._conn is not None:
            self._conn.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._fail_pending("closed")

    def send(self, message: list[Any]) -> bool:
        """Send now if connected; False if the connection is down."""
        if self._conn is None or not self.connected.is_set():
            return False
        try:
            self._conn.write_message(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
        except Exception as exc:  # noqa: BLE001 - tornado's WebSocketClosedError and friends
            self.last_error = _describe(exc)
            return False
        return True

    def expect_ok(self, event_id: str) -> asyncio.Future[tuple[bool, str]]:
        future: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self._oks[event_id] = future
        return future

    async def _run(self) -> None:
        from tornado.websocket import websocket_connect

        backoff = self._backoff_start
        while not self._stopping:
            try:
                self._conn = await asyncio.wait_for(
                    websocket_connect(self.url, connect_timeout=self.pool.connect_timeout, max_message_size=MAX_MESSAGE_SIZE),
                    self.pool.connect_timeout + 1,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - refused, DNS, TLS, timeout: all mean "down"
                self.last_error = _describe(exc)
                log.info("relay %s unreachable: %s", self.url, self.last_error)
            else:
                backoff = self._backoff_start
                self.last_error = None
                self.connected.set()
                try:
                    self.pool._on_connect(self)
                    await self._read()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - never a dead reader on a relay shown as connected
                    self.last_error = _describe(exc)
                    log.warning("relay %s: reader stopped (%s); reconnecting", self.url, self.last_error)
                finally:
                    self.connected.clear()
                    with contextlib.suppress(Exception):
                        self._conn.close()
                self._fail_pending("the relay closed the connection")
                self.pool._on_disconnect(self)
            if self._stopping:
                break
            await asyncio.sleep(backoff * (1 + random.random() / 4))
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _read(self) -> None:
        self._reading = True
        try:
            while True:
                raw = await self._conn.read_message()
                if raw is None:
                    self.last_error = self._close_description()
                    return
                self._handle(raw)
        finally:
            self._reading = False

    def _close_description(self) -> str:
        code = getattr(self._conn, "close_code", None)
        reason = getattr(self._conn, "close_reason", None)
        if code is None:
            return "connection closed"
        said = relay_text(reason) if isinstance(reason, str) and reason else ""
        return f"connection closed by the relay ({code}{': ' + said if said else ''})"

    def _handle(self, raw: str | bytes) -> None:
        """Act on one message; a message we cannot use is dropped and counted, never raised."""
        self.received += 1
        try:
            self._dispatch(raw)
        except _Drop as drop:
            reason = drop.args[0]
        except RecursionError:
            reason = "nested too deeply"
        except Exception as exc:  # noqa: BLE001 - one relay's message must never stop its reader
            reason = "unreadable"
            log.debug("relay %s: message raised %s", self.url, type(exc).__name__)
        else:
            return
        self.dropped[reason] += 1
        log.debug("relay %s: dropped a message (%s)", self.url, reason)

    def _dispatch(self, raw: str | bytes) -> None:
        if not isinstance(raw, str):
            raise _Drop("binary frame")
        try:
            message = json.loads(raw)
        except RecursionError:
            raise _Drop("nested too deeply") from None
        except ValueError:
            raise _Drop("not JSON") from None
        if not isinstance(message, list) or not message or not isinstance(message[0], str):
            raise _Drop("not a relay message")
        kind, args = message[0], message[1:]
        if kind == "EVENT":
            self._on_event(args)
        elif kind == "EOSE":
            if len(args) != 1 or not isinstance(args[0], str):
                raise _Drop("malformed EOSE")
            self._subscription(args[0], "EOSE").relay_done(self.url)
        elif kind == "CLOSED":
            if not 1 <= len(args) <= 2 or not all(isinstance(a, str) for a in args):
                raise _Drop("malformed CLOSED")
            subscription = self._subscription(args[0], "CLOSED")
            subscription.closed[self.url] = relay_text(args[1]) if len(args) > 1 else ""
            subscription.relay_done(self.url)
        elif kind == "OK":
            self._on_ok(args)
        elif kind == "NOTICE":
            if len(args) != 1 or not isinstance(args[0], str):
                raise _Drop("malformed NOTICE")
            self.last_notice = relay_text(args[0])
            log.info("relay %s notice: %s", self.url, self.last_notice)
        else:
            raise _Drop("unsupported message type")

    def _subscription(self, sub_id: str, what: str) -> Subscription:
        subscription = self.pool._subscriptions.get(sub_id)
        if subscription is None:
            raise _Drop(f"{what} for a subscription not open")
        return subscription

    def _on_event(self, args: list[Any]) -> None:
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
            raise _Drop("malformed EVENT")
        subscription = self._subscription(args[0], "EVENT")
        event = args[1]
        try:
            valid = is_valid(event)
        except Exception:  # noqa: BLE001 - a lone surrogate cannot even be hashed for its id
            valid = False
        if not valid:
            raise _Drop("event fails verification")
        if not _matches(event, subscription.filters):
            raise _Drop("event outside the filter")
        subscription.deliver(event)

    def _on_ok(self, args: list[Any]) -> None:
        if (
            not 2 <= len(args) <= 3
            or not isinstance(args[0], str)
            or not isinstance(args[1], bool)
            or (len(args) == 3 and not isinstance(args[2], str))
        ):
            raise _Drop("malformed OK")
        future = self._oks.pop(args[0], None)
        if future is None or future.done():
            raise _Drop("OK for an event not sent")
        future.set_result((args[1], relay_text(args[2]) if len(args) == 3 else ""))

    def _fail_pending(self, reason: str) -> None:
        for future in self._oks.values():
            if not future.done():
                future.set_result((False, reason))
        self._oks.clear()


class RelayPool:
    """Publish to and subscribe on several relays as one."""

    def __init__(self, urls: Iterable[str], *, connect_timeout: float = CONNECT_TIMEOUT, backoff: float = 0.5) -> None:
        self.urls = list(dict.fromkeys(check_relay_url(u) for u in urls))
        if not self.urls:
            raise RelayError("no relay to connect to")
        self.connect_timeout = connect_timeout
        self.relays = [Relay(url, self, backoff=backoff) for url in self.urls]
        self._subscriptions: dict[str, Subscription] = {}

    async def __aenter__(self) -> RelayPool:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> list[str]:
        return [r.url for r in self.relays if r.connected.is_set()]

    @property
    def dropped(self) -> dict[str, int]:
        """How many unusable messages each relay has sent (see ``Relay.dropped`` for why)."""
        return {r.url: r.dropped_total for r in self.relays}

    async def connect(self, timeout: float | None = None) -> list[str]:
        """Start every relay; return once one is up, or raise if none comes up in time."""
        for relay in self.relays:
            relay.start()
        waits = [asyncio.create_task(r.connected.wait()) for r in self.relays]
        try:
            await asyncio.wait(waits, timeout=timeout or self.connect_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        if not self.connected:
            reasons = "; ".join(f"{r.url}: {r.last_error or 'no answer'}" for r in self.relays)
            raise RelayError(f"could not reach any relay ({reasons}); check the address and your network, then try again")
        return self.connected

    async def close(self) -> None:
        await asyncio.gather(*(relay.stop() for relay in self.relays), return_exceptions=True)

    async def subscribe(self, filters: list[dict[str, Any]]) -> Subscription:
        subscription = Subscription(id=secrets.token_hex(8), filters=filters)
        self._subscriptions[subscription.id] = subscription
        for relay in self.relays:
            if relay.send(["REQ", subscription.id, *filters]):
                subscription.waiting_eose.add(relay.url)
        if not subscription.waiting_eose:
            subscription.eose.set()
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        if self._subscriptions.pop(subscription.id, None) is not None:
            for relay in self.relays:
                relay.send(["CLOSE", subscription.id])

    async def publish(self, event: dict[str, Any], timeout: float = 5.0) -> list[str]:
        """Send once to each connected relay; the URLs that accepted it.

        Raises RelayError when no relay accepted it. Never re-sends.
        """
        waits: dict[str, asyncio.Future[tuple[bool, str]]] = {}
        for relay in self.relays:
            future = relay.expect_ok(event["id"])
            if relay.send(["EVENT", event]):
                waits[relay.url] = future
            else:
                relay._oks.pop(event["id"], None)
        if not waits:
            raise RelayError("no relay is connected; check your network and try again")
        done, _ = await asyncio.wait(waits.values(), timeout=timeout)
        accepted = [url for url, f in waits.items() if f in done and f.result()[0]]
        if not accepted:
            reasons = "; ".join(f"{url}: {f.result()[1] if f in done else 'no answer'}" for url, f in waits.items())
            raise RelayError(f"no relay accepted the request ({reasons})")
        return accepted

    def _on_connect(self, relay: Relay) -> None:
        for subscription in self._subscriptions.values():
            relay.send(["REQ", subscription.id, *subscription.filters])

    def _on_disconnect(self, relay: Relay) -> None:
        for subscription in self._subscriptions.values():
            subscription.relay_done(relay.url)


def _matches(event: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Whether an event fits one of our filters: a relay may send what we never asked for."""
    return any(_matches_one(event, f) for f in filters)


def _matches_one(event: dict[str, Any], flt: dict[str, Any]) -> bool:
    if "ids" in flt and event["id"] not in flt["ids"]:
        return False
    if "authors" in flt and event["pubkey"] not in flt["authors"]:
        return False
    if "kinds" in flt and event["kind"] not in flt["kinds"]:
        return False
    if "since" in flt and event["created_at"] < flt["since"]:
        return False
    if "until" in flt and event["created_at"] > flt["until"]:
        return False
    for key, wanted in flt.items():
        if key.startswith("#") and len(key) == 2:
            values = {t[1] for t in event["tags"] if len(t) >= 2 and t[0] == key[1]}
            if not values.intersection(wanted):
                return False
    return True


def _describe(exc: BaseException) -> str:
    """One safe line for an error; its text may carry the relay's words (an HTTP reason)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    text = str(exc).strip()
    return relay_text(text.splitlines()[0], 160) if text else type(exc).__name__
