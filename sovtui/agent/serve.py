"""The agent as a long-lived service: its owner talks to it from any Nostr client, over NIP-17 private messages.

``AgentService(ctx, name, relays=...).run(stop)`` connects to the relays,
publishes the agent's kind 10050 DM relay list and a kind 0 profile, and
listens for kind 1059 gift wraps addressed to the agent key. Each is opened
and checked by ``nostr.nip59.unwrap`` (wrap and seal signatures, the seal's
author is the rumor's), then:

- **who may talk**: the owner (the issuer of the agent's live credential) and
  the keys in ``[agents.NAME] allow``. Anyone else runs no model and nothing
  of theirs is stored; the log says only that a message from an unknown key
  was dropped. Each sender is rate-limited (a small token bucket).
- **answers**: each sender has one ordinary conversation with the agent
  (``Conversation.agent`` and ``nostr_peer`` set), so it is in the Chat pane
  and ``sovtui chats``; the reply comes from ``AgentRunner`` (the agent's
  model, tools and limits) and goes back gift-wrapped to the sender, with a
  copy wrapped to the agent itself (NIP-17). A reply too long for one gift
  wrap is sent whole, in several messages.
- **approvals by reply**: a payment that needs the owner's approval is asked
  in the owner's conversation ("reply `yes 3f2a` to pay ..."); only the
  owner's ``yes <code>`` within ``APPROVAL_TIMEOUT`` approves that one
  payment; anything else the owner sends meanwhile declines it.
- **reliability**: each gift wrap (and each rumor) is handled once, kept in
  the state folder across restarts (``ServeState``, written atomically);
  on start the subscription reaches back to the last handled time minus
  NIP-59's two-day randomisation window, so what came while the service was
  down is answered; a message received but not yet answered when the process
  died is answered (or its saved answer sent) when it returns. Relays are
  reconnected with backoff by ``RelayPool``; a publish that no relay accepts
  is retried with backoff. ``stop`` lets the reply in flight finish (up to
  ``STOP_GRACE`` seconds), saves, and returns.

A status file (``agents/NAME.serve.json`` in the state folder: pid, served
since, last activity, relays) lets the TUI and ``sovtui doctor`` say whether
the agent is being served.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sovtui.agent.serve_status import ServeError, ServeState, agents_state_dir, read_status, state_path, status_path
from sovtui.errors import SovtuiError, UsageError
from sovtui.files import atomic_write
from sovtui.nostr import nip59
from sovtui.paths import ensure_private_dir
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.agent.agents import Agent
    from sovtui.agent.guard import ApprovalRequest
    from sovtui.chat.models import Conversation
    from sovtui.context import Context
    from sovtui.nostr.relay import RelayPool

log = logging.getLogger("sovtui.agent.serve")

#: How long the owner has to answer an approval question.
APPROVAL_TIMEOUT = 600.0
#: How long ``stop`` waits for the reply in flight before it interrupts it (it is saved either way).
STOP_GRACE = 3.5
#: Per sender: a burst of RATE_BURST messages, then one every RATE_EVERY seconds.
RATE_BURST = 5
RATE_EVERY = 10.0
#: Messages whose rumor is older than the service's first start (minus this, for clock skew) are not answered.
CLOCK_SLACK = 120
#: How many times, and how long at most between tries, a reply is published before it is given up for now.
PUBLISH_TRIES = 6
PUBLISH_MAX_WAIT = 30.0


class RateLimiter:
    """A token bucket per sender: ``burst`` at once, then one every ``every`` seconds."""

    def __init__(self, burst: int = RATE_BURST, every: float = RATE_EVERY) -> None:
        self.burst, self.every = burst, every
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, sender: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, then = self._buckets.get(sender, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) / self.every)
        if tokens < 1:
            self._buckets[sender] = (tokens, now)
            return False
        self._buckets[sender] = (tokens - 1, now)
        return True


def parse_allowed(values: Iterable[str]) -> set[str]:
    """``[agents.NAME] allow`` as hex keys: each entry an npub or 64 hex digits; a bad one is a UsageError."""
    from sovtui.identity import nip19
    from sovtui.nostr.events import is_hex64

    keys = set()
    for value in values:
        text = value.strip()
        if is_hex64(text.lower()):
            keys.add(text.lower())
            continue
        try:
            keys.add(nip19.npub_to_hex(text))
        except SovtuiError:
            raise UsageError(f"[agents] allow: {safe_line(text)[:80]!r} is not an npub or a hex public key") from None
    return keys


def serve_relays(ctx: Context, name: str, given: list[str] | None = None) -> list[str]:
    """``--relay`` URLs, else ``[agents.NAME] relays``, else ``[nostr] relays``; checked; UsageError when none."""
    from sovtui.config import AgentConfig
    from sovtui.nostr.relay import check_relay_url

    config = ctx.config
    agent = config.agents.get(name) or AgentConfig()
    urls = list(given or []) or list(agent.relays) or list(config.nostr.relays)
    if not urls:
        raise UsageError(f"no relays to serve {name} on: pass --relay wss://..., or set [agents.{name}] relays "
                         "(or [nostr] relays) in config.toml")
    return list(dict.fromkeys(check_relay_url(u) for u in urls))


@dataclass
class _Item:
    wrap_id: str
    wrap_created_at: int
    rumor: nip59.Rumor


@dataclass
class _Pending:
    code: str
    future: asyncio.Future[bool]


def approval_text(request: ApprovalRequest, code: str) -> str:
    """The question the owner gets by DM: "reply `yes 3f2a` to pay 1,500 sats to …, 700 sats left today"."""
    from sovtui.agent.guard import PERIOD_WORDS

    plan = request.plan
    payee = plan.invoice.payee
    payee = f"{payee[:12]}…{payee[-6:]}" if len(payee) > 20 else payee
    what = f" ({safe_line(plan.invoice.description)[:120]})" if plan.invoice.description else ""
    credential = request.agent.credential
    period = PERIOD_WORDS.get(credential.period, "") if credential is not None else ""
    return (f"reply `yes {code}` to pay {plan.amount_sat:,} sats to {payee}{what}, {request.credential_left_sats:,} sats "
            f"left {period} (fee reserve {plan.fee_reserve_sat:,} sats). Anything else declines it; "
            f"it lapses in {int(APPROVAL_TIMEOUT // 60)} minutes.")


class AgentService:
    """One agent, served over Nostr private messages until ``stop`` is set. See the module's doc."""

    def __init__(self, ctx: Context, name: str, *, relays: list[str], model: str | None = None,
                 rate: RateLimiter | None = None, approval_timeout: float = APPROVAL_TIMEOUT,
                 stop_grace: float = STOP_GRACE, publish_tries: int = PUBLISH_TRIES) -> None:
        from sovtui.chat.store import ConversationStore

        self.ctx = ctx
        self.name = name
        self.relays = relays
        self.model = model
        self.rate = rate or RateLimiter()
        self.approval_timeout = approval_timeout
        self.stop_grace = stop_grace
        self.publish_tries = publish_tries
        self.store = ConversationStore(ctx.paths)
        self.state = ServeState.load(state_path(ctx.paths.state_dir, name))
        self.pool: RelayPool | None = None
        self.pubkey = ""
        self._secret = ""
        self._queues: dict[str, asyncio.Queue[_Item]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._busy: set[str] = set()
        self._queued: set[str] = set()
        self._approvals: dict[str, _Pending] = {}
        self._since = 0.0
        self._last_activity = 0.0
        self._lock_fd: int | None = None
        #: Set once the subscription for the agent's gift wraps is open (tests and the status file).
        self.subscribed = asyncio.Event()
        self.answered = 0
        self.dropped_unknown = 0

    # --- the agent as it is now --------------------------------------------------

    def agent(self) -> Agent:
        from sovtui.agent.agents import load_agent

        return load_agent(self.ctx, self.name)

    def owner(self, agent: Agent | None = None) -> str:
        """The issuer of the agent's live credential ("" when it has none)."""
        agent = agent or self.agent()
        return agent.credential.owner if agent.credential is not None and agent.state == "live" else ""

    def allowed(self, agent: Agent) -> set[str]:
        keys = parse_allowed(agent.config.allow)
        owner = self.owner(agent)
        if owner:
            keys.add(owner)
        return keys

    # --- the run -----------------------------------------------------------------

    def _take_lock(self) -> None:
        path = agents_state_dir(self.ctx.paths.state_dir) / f".{self.name}.serve.lock"
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            other = read_status(self.ctx.paths.state_dir, self.name)
            pid = f" (pid {other.pid})" if other.pid else ""
            raise ServeError(f"{self.name} is already being served{pid}: stop that one first") from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None

    def write_status(self, *, stopped: bool = False) -> None:
        from sovtui.identity import nip19

        data = {"pid": os.getpid(), "since": self._since, "last_activity": self._last_activity or None,
                "stopped": time.time() if stopped else None, "relays": self.relays,
                "npub": nip19.hex_to_npub(self.pubkey) if self.pubkey else "", "answered": self.answered,
                "dropped_unknown": self.dropped_unknown, "subscribed": self.subscribed.is_set() and not stopped,
                "connected": self.pool.connected if self.pool is not None else []}
        atomic_write(status_path(self.ctx.paths.state_dir, self.name), json.dumps(data, indent=1))

    def _activity(self) -> None:
        self._last_activity = time.time()
        with contextlib.suppress(OSError):
            self.write_status()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; then finish the reply in flight (or interrupt it after the grace), save, return."""
        from sovtui.identity import nip19
        from sovtui.nostr.relay import RelayPool

        agent = self.agent()
        self._take_lock()
        try:
            self._secret = self.ctx.vault.secret_key(self.name)
            self.pubkey = agent.pubkey
            owner = self.owner(agent)
            if not self.allowed(agent):
                log.warning("%s has no live credential and no [agents.%s] allow: nobody can talk to it", self.name, self.name)
            now = int(time.time())
            if not self.state.first_served:
                self.state.first_served = now
                self.state.save()
            self._since = time.time()
            self.pool = RelayPool(self.relays)
            self.write_status()
            await self._connect(stop)
            if stop.is_set():
                return
            await self._announce(owner and nip19.hex_to_npub(owner))
            subscription = await self.pool.subscribe([{"kinds": [nip59.GIFT_WRAP], "#p": [self.pubkey], "since": self.state.since}])
            log.info("serving %s (%s) on %s", self.name, nip19.hex_to_npub(self.pubkey), ", ".join(self.pool.connected))
            self.subscribed.set()
            self.write_status()
            waiting_stop = asyncio.create_task(stop.wait())
            try:
                while not stop.is_set():
                    getting = asyncio.create_task(subscription.events.get())
                    done, _ = await asyncio.wait({getting, waiting_stop}, return_when=asyncio.FIRST_COMPLETED)
                    if getting not in done:
                        getting.cancel()
                        break
                    self.dispatch(getting.result())
            finally:
                waiting_stop.cancel()
            await self._finish()
        finally:
            if self.pool is not None:
                with contextlib.suppress(Exception):
                    self.state.save()
                await asyncio.wait_for(self.pool.close(), 2)
            with contextlib.suppress(OSError):
                self.write_status(stopped=True)
            self._release_lock()

    async def _connect(self, stop: asyncio.Event) -> None:
        """Connect to the relays; while none answers, keep trying (the pool's own backoff), until ``stop``."""
        from sovtui.nostr.relay import RelayError

        assert self.pool is not None
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                connecting = asyncio.create_task(self.pool.connect())
                await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not connecting.done():
                    connecting.cancel()
                    return
                try:
                    connecting.result()
                    return
                except RelayError as exc:
                    log.warning("%s; trying again", exc)
        finally:
            stopping.cancel()

    async def _announce(self, owner_npub: str) -> None:
        """Publish the kind 10050 DM relay list and the kind 0 profile (best effort: a refusal is logged)."""
        from sovtui.nostr.relay import RelayError

        assert self.pool is not None
        about = f"sovtui agent of {owner_npub}" if owner_npub else "sovtui agent"
        for event in (nip59.dm_relays_event(self._secret, self.relays), nip59.profile_event(self._secret, name=self.name, about=about)):
            try:
                await self.pool.publish(event)
            except RelayError as exc:
                log.warning("could not publish the agent's kind %d event: %s", event["kind"], exc)

    async def _finish(self) -> None:
        """Decline pending approvals, let busy workers end their reply (up to the grace), stop the rest."""
        for pending in self._approvals.values():
            if not pending.future.done():
                pending.future.set_result(False)
        busy = [task for sender, task in self._workers.items() if sender in self._busy]
        idle = [task for sender, task in self._workers.items() if sender not in self._busy]
        for task in idle:
            task.cancel()
        if busy:
            log.info("stopping: finishing the reply in flight")
            _, late = await asyncio.wait(busy, timeout=self.stop_grace)
            for task in late:
                task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)

    # --- incoming ----------------------------------------------------------------

    def dispatch(self, gift: dict[str, Any]) -> None:
        """One gift wrap from a relay: open, check who sent it, and queue it for that sender's worker (or drop it)."""
        if gift["id"] in self.state.handled or gift["id"] in self._queued:
            return
        try:
            opened = nip59.unwrap(gift, self._secret)
        except nip59.GiftError as exc:
            log.info("dropped a gift wrap that cannot be trusted: %s", exc)
            return
        rumor = opened.rumor
        if rumor.pubkey == self.pubkey:  # our own copy of a reply
            self._mark(opened.wrap_id, opened.wrap_created_at)
            return
        agent = self.agent()
        if rumor.pubkey not in self.allowed(agent):
            self.dropped_unknown += 1
            log.info("dropped a message from an unknown key")
            return
        if rumor.kind != nip59.CHAT_MESSAGE or rumor.id in self.state.handled or rumor.id in self._queued:
            self._mark(opened.wrap_id, opened.wrap_created_at)
            return
        if rumor.created_at < self.state.first_served - CLOCK_SLACK:
            self._mark(opened.wrap_id, opened.wrap_created_at, rumor.id)
            return
        if rumor.pubkey == self.owner(agent) and self._approvals:
            self._answer_approvals(rumor.content)
            self._mark(opened.wrap_id, opened.wrap_created_at, rumor.id)
            return
        if not self.rate.allow(rumor.pubkey):
            log.warning("rate limit: dropped a message from %s", _short(rumor.pubkey))
            self._mark(opened.wrap_id, opened.wrap_created_at, rumor.id)
            return
        self._queued.update((opened.wrap_id, rumor.id))
        self._queue(rumor.pubkey).put_nowait(_Item(opened.wrap_id, opened.wrap_created_at, rumor))

    def _answer_approvals(self, text: str) -> None:
        words = text.strip().split()
        code = words[1].lower() if len(words) == 2 and words[0].lower() == "yes" else None
        for pending in list(self._approvals.values()):
            if not pending.future.done():
                pending.future.set_result(code == pending.code)

    def _mark(self, *ids_and_time: Any) -> None:
        wrap_id, created_at, *others = ids_and_time
        for key in (wrap_id, *others):
            self.state.handled[key] = created_at
        self.state.last_handled = max(self.state.last_handled, int(time.time()))
        self.state.save()

    def _queue(self, sender: str) -> asyncio.Queue[_Item]:
        if sender not in self._queues:
            self._queues[sender] = asyncio.Queue()
            self._workers[sender] = asyncio.create_task(self._work(sender), name=f"serve {sender[:8]}")
        return self._queues[sender]

    async def _work(self, sender: str) -> None:
        queue = self._queues[sender]
        while True:
            item = await queue.get()
            self._busy.add(sender)
            try:
                await self.handle(item)
            except asyncio.CancelledError:
                raise
            except SovtuiError as exc:
                log.error("could not answer %s: %s", _short(sender), safe_line(str(exc)))
            except Exception as exc:  # noqa: BLE001 - one message must not end the service; no text: it may hold content
                log.error("could not answer %s: %s (a bug)", _short(sender), type(exc).__name__)
            finally:
                self._busy.discard(sender)
                self._queued.discard(item.wrap_id)
                self._queued.discard(item.rumor.id)

    # --- answering -----------------------------------------------------------------

    def conversation_for(self, sender: str) -> Conversation:
        """The sender's conversation with the agent: the one this service keeps for them, else a new one."""
        from sovtui.chat.models import Conversation
        from sovtui.chat.store import ConversationNotFound

        known = self.state.conversations.get(sender)
        if known:
            with contextlib.suppress(ConversationNotFound):
                conversation = self.store.load(known)
                if conversation.nostr_peer == sender and conversation.agent == self.name:
                    return conversation
        conversation = Conversation(agent=self.name, nostr_peer=sender)
        self.state.conversations[sender] = conversation.id
        return conversation

    async def handle(self, item: _Item) -> None:
        """Answer one message: add it to the sender's conversation, run the agent, send the reply, mark it handled."""
        from sovtui.agent.runner import AgentRunner
        from sovtui.chat.models import Message

        rumor = item.rumor
        sender = rumor.pubkey
        conversation = self.conversation_for(sender)
        sent_at = datetime.fromtimestamp(rumor.created_at, timezone.utc)
        index = next((i for i, m in enumerate(conversation.messages)
                      if m.role == "user" and m.content == rumor.content and m.time == sent_at), None)
        reply = ""
        if index is not None:  # received before a restart: its answer may be saved already
            after = conversation.messages[index + 1:]
            if after and after[-1].role == "assistant" and not after[-1].interrupted and after[-1].content \
                    and not any(m.role == "user" for m in after):
                reply = _reply_text(after)
        else:
            conversation.messages.append(Message("user", rumor.content, time=sent_at))
            conversation.touch()
            self.store.save(conversation)
            self.state.save()
        self._activity()
        if not reply:
            runner = AgentRunner(self.ctx, self.name, approve=self._approver(sender), model=self.model, save=self.store.save)
            start = len(conversation.messages)
            try:
                async for _event in runner.exchange(conversation, None):
                    pass
            except SovtuiError as exc:
                log.error("the agent could not answer %s: %s", _short(sender), safe_line(str(exc)))
                reply = f"(sovtui could not answer: {safe_line(str(exc))})"
            else:
                reply = _reply_text(conversation.messages[start:]) or "(no answer)"
        await self.send(sender, reply, reply_to=rumor.id)
        self._mark(item.wrap_id, item.wrap_created_at, rumor.id)
        self.answered += 1
        self._activity()
        log.info("answered a message from %s", _short(sender))

    async def send(self, receiver: str, text: str, *, reply_to: str = "") -> None:
        """``text`` as NIP-17 messages to ``receiver`` (and a copy to the agent), in as many parts as it needs."""
        for part in nip59.split_message(text):
            _, (to_them, to_us) = nip59.private_message(self._secret, receiver, part, reply_to=reply_to)
            await self._publish(to_them)
            with contextlib.suppress(SovtuiError):
                await self._publish(to_us, tries=2)

    async def _publish(self, event: dict[str, Any], *, tries: int | None = None) -> None:
        from sovtui.nostr.relay import RelayError

        assert self.pool is not None
        wait = 0.5
        tries = tries or self.publish_tries
        for attempt in range(tries):
            try:
                await self.pool.publish(event)
                return
            except RelayError as exc:
                if attempt == tries - 1:
                    raise
                log.warning("%s; trying again in %.0f s", exc, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, PUBLISH_MAX_WAIT)

    def _approver(self, sender: str) -> Any:
        async def approve(request: ApprovalRequest) -> bool:
            owner = self.owner()
            if not owner:
                return False
            code = secrets.token_hex(2)
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._approvals[code] = _Pending(code, future)
            try:
                await self.send(owner, approval_text(request, code))
                log.info("asked the owner to approve a payment of %s sats", f"{request.plan.amount_sat:,}")
                try:
                    approved = await asyncio.wait_for(asyncio.shield(future), self.approval_timeout)
                except TimeoutError:
                    approved = False
                log.info("the owner %s the payment", "approved" if approved else "did not approve")
                return approved
            finally:
                self._approvals.pop(code, None)

        return approve


def _reply_text(messages: list[Any]) -> str:
    """What the agent said in these messages: every assistant text, in order (tool calls and results are not sent)."""
    return "\n\n".join(m.content.strip() for m in messages if m.role == "assistant" and m.content.strip())


def _short(pubkey: str) -> str:
    from sovtui.identity import nip19

    npub = nip19.hex_to_npub(pubkey)
    return f"{npub[:12]}…{npub[-4:]}"
