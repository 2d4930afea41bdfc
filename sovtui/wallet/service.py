"""Wallets by name: connect, pay safely, receive, budgets. Used by the CLI and the TUI alike.

Safety lives here, not in the screens: an invoice is decoded and checked
(expiry, amount, network) before anything is sent; amounts and fee reserves
must be at least 1 sat; the budget is counted from our own ledger; the
ledger records the payment as pending before the request leaves, and the
budget is checked in that same step, under the ledger's lock, against the
budget read from config.toml right then (so a second process paying at
once, or a budget lowered from another shell, is seen); a reply that times
out, or an INTERNAL/OTHER error, is followed by a lookup, never by a second
payment; a preimage that does not hash to the payment hash proves nothing,
and such a payment is never called paid.

NIP-47 has no fee limit on the wire: what we call the fee reserve is what we
keep back from the budget while a payment is pending (and count when a
settled payment's fee is not reported). The wallet caps fees on its side, or
not; the wallet's own per-connection budget is the hard limit.

The connection URI holds a secret, so it is kept in the vault as
``nwc:<name>``; config.toml keeps only what is public (the wallet's pubkey,
its relays, the budget), so ``sovtui doctor`` can list the relays without
the passphrase.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from sovtui.config import PERIODS, Config, WalletConfig
from sovtui.errors import ConfigError, SovtuiError, UsageError
from sovtui.text import safe_line
from sovtui.wallet import views
from sovtui.wallet.errors import (
    NOT_PAID_CODES,
    BudgetExceeded,
    InvoiceAlreadyPaid,
    InvoiceNeedsAmount,
    InvoiceRefused,
    WalletError,
    WalletNameRefused,
    WalletRequestError,
    WalletTimeout,
)
from sovtui.wallet.ledger import FAILED, PENDING, SETTLED, UNPROVED, Ledger, Payment, already, proves, spent_msat
from sovtui.wallet.uri import NwcUri, parse_nwc_uri
from sovtui.wallet.views import format_time

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.wallet.bolt11 import Invoice
    from sovtui.wallet.nwc import NwcClient, Transaction, WalletInfo

T = TypeVar("T")

SECRET_PREFIX = "nwc:"
_NETWORK_NAMES = {"mainnet": "bitcoin", "bitcoin": "bitcoin", "testnet": "testnet", "signet": "signet", "regtest": "regtest"}
_HASH = re.compile(r"^[0-9a-f]{64}$")
#: How far the wallet's clock may be behind ours, in seconds: a request is
#: only known to be dead this long after its expiration tag says.
CLOCK_SKEW = 300


def check_wallet_name(name: str) -> str:
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", name or ""):
        raise WalletNameRefused("a wallet name is 1-32 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def default_fee_reserve_msat(amount_msat: int) -> int:
    """1% of the amount, at least 10 sats: what routing usually costs, with room."""
    return max(10_000, -(-amount_msat // 100))


def _sats_up(msat: int) -> int:
    return -(-msat // 1000)


def _invoice_description(tx: Transaction) -> str:
    """The description in the transaction's own invoice, if it decodes and is for this payment; else ''."""
    from sovtui.wallet.bolt11 import InvoiceError, decode

    if not tx.invoice:
        return ""
    try:
        invoice = decode(tx.invoice)
    except InvoiceError:
        return ""
    return invoice.description or "" if invoice.payment_hash == tx.payment_hash else ""


def _positive(value: object, what: str) -> int:
    """``value`` as a count of at least 1, or the one-line refusal every front end shows."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageError(f"the {what} is a whole number of sats, at least 1")
    return value


@dataclass(frozen=True)
class Budget:
    sats: int
    period: str
    spent_sat: int

    @property
    def left_sat(self) -> int:
        return max(0, self.sats - self.spent_sat)

    def to_dict(self) -> dict[str, object]:
        return {"budget_sats": self.sats, "period": self.period, "spent_sats": self.spent_sat,
                "left_sats": self.left_sat if self.sats else None}

    def describe(self) -> str:
        if not self.sats:
            return f"no budget set (spent {self.spent_sat:,} sats this {self.period})"
        return f"{self.spent_sat:,} of {self.sats:,} sats spent this {self.period}, {self.left_sat:,} left"

    def after_change(self) -> str:
        """What a budget just set reads as ("budget removed" for none)."""
        return self.describe() if self.sats else "budget removed"


class CheckedConnection(NamedTuple):
    """A connection URI that reached its wallet, and what the wallet said: not kept yet."""

    uri: NwcUri
    info: WalletInfo
    balance_msat: int

    def describe(self) -> str:
        return f"{views.wallet_line(self.info)}, balance {views.sats(self.balance_msat)}"


@dataclass(frozen=True)
class WalletOverview:
    """What a wallet says when it is reached: its details, balance, the newest transactions."""

    info: WalletInfo
    balance_msat: int
    transactions: list[Transaction]
    encryption: str


@dataclass(frozen=True)
class PaymentPlan:
    """A checked invoice and what paying it will take, for the confirmation."""

    wallet: str
    invoice: Invoice
    amount_msat: int
    fee_reserve_msat: int
    budget: Budget

    @property
    def amount_sat(self) -> int:
        return _sats_up(self.amount_msat)

    @property
    def fee_reserve_sat(self) -> int:
        return _sats_up(self.fee_reserve_msat)

    def summary(self, *, short: bool = False) -> list[tuple[str, str]]:
        """Label and value rows for the confirmation; ``short`` trims the long hex for narrow screens.

        The description came from whoever wrote the invoice: it is one safe
        line here, so escape codes in it cannot move the cursor over the
        amount above it.
        """
        inv = self.invoice

        def trim(text: str) -> str:
            return f"{text[:16]}…{text[-8:]}" if short and len(text) > 28 else text

        if inv.description:
            description = safe_line(inv.description)
        elif inv.description_hash:
            description = f"(hash {inv.description_hash[:16]}…)"
        else:
            description = "—"
        return [
            ("amount", f"{self.amount_sat:,} sats"),
            ("fee reserve", f"{self.fee_reserve_sat:,} sats"),
            ("description", description),
            ("payee", trim(inv.payee)),
            ("network", inv.network),
            ("expires", format_time(inv.timestamp + inv.expiry)),
            ("payment hash", trim(inv.payment_hash)),
            ("budget", self.budget.describe()),
        ]


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment

    @property
    def state(self) -> str:
        return self.payment.state

    @property
    def proved(self) -> bool:
        return self.payment.state == SETTLED and self.payment.proved

    def describe(self, *, with_preimage: bool = True) -> str:
        p = self.payment
        amount = _sats_up(p.amount_msat)
        if p.state == SETTLED:
            if p.fees_paid_msat is None:
                fee = f"fee not reported by the wallet; its {_sats_up(p.fee_reserve_msat):,}-sat reserve is counted"
            else:
                fee = f"fee {_sats_up(p.fees_paid_msat):,} sats"
            paid = f"paid {amount:,} sats ({fee})"
            return f"{paid}; preimage {p.preimage}" if with_preimage else paid
        if p.state == UNPROVED:
            return (f"the wallet says it paid {amount:,} sats, but {safe_line(p.error) or 'gave no valid preimage'}: "
                    "that does not prove the payment. It counts against your budget and will not be paid again; "
                    "check with your wallet or the payee")
        if p.state == PENDING:
            why = f" ({safe_line(p.error)})" if p.error else ""
            return (f"the wallet has not confirmed the payment yet{why}: it is pending, and will not be sent again. "
                    f"Check it with 'sovtui wallet lookup {p.payment_hash}'")
        return f"the payment failed and nothing was spent: {safe_line(p.error)}"


class WalletService:
    """Every call reads config.toml afresh (the store's own read, not the context's copy): a
    wallet added, removed or given a new budget in another shell is what this process sees
    next, the TUI too, without restarting."""

    def __init__(self, ctx: Context, *, timeout: float = 30.0) -> None:
        self.ctx = ctx
        self.timeout = timeout
        self._config: Config | None = None

    # --- which wallets -------------------------------------------------------------

    def _wallets(self) -> dict[str, WalletConfig]:
        """The wallets in config.toml now; ConfigError (and nothing changed) if the file is broken."""
        self._config = self.ctx.store.load()
        return self._config.wallets

    def names(self) -> list[str]:
        return sorted(self._wallets())

    def resolve(self, name: str | None) -> str:
        names = self.names()
        if name:
            if name not in names:
                known = ", ".join(names) or "none yet"
                raise WalletError(f"no wallet named {name!r} (connected: {known})")
            return name
        if not names:
            raise WalletError("no wallet connected: paste your wallet's NWC URI into 'sovtui wallet connect NAME'")
        if len(names) > 1:
            raise UsageError(f"several wallets are connected ({', '.join(names)}): choose one with --wallet NAME")
        return names[0]

    def config_of(self, name: str) -> WalletConfig:
        """The wallet's settings as config.toml has them now, checked."""
        return self._checked(self.resolve(name))

    def shown(self) -> dict[str, WalletConfig]:
        """The wallets to show, by name: config.toml's now, or as this process last read them if it cannot be read now.

        For showing only (the pane, the wizard): paying, saving and budgets
        read the file itself and stop at its error.
        """
        for read in (self._wallets, lambda: self.ctx.config.wallets):
            try:
                return dict(sorted(read().items()))
            except SovtuiError:
                continue
        return {}

    def _checked(self, name: str) -> WalletConfig:
        """The settings of a resolved wallet from the config last read; ConfigError for a value that would weaken the guard."""
        config = self._config if self._config is not None else self.ctx.store.load()
        cfg = config.wallets.get(name)
        if cfg is None:
            raise WalletError(f"the wallet {name} is no longer connected (another sovtui removed it)")
        where = f"{self.ctx.paths.config_file}: wallets.{name}"
        if cfg.budget_sats < 0:
            raise ConfigError(f"{where}.budget_sats is negative ({cfg.budget_sats}); set 0 (no budget) or more with 'sovtui wallet budget {name} SATS'")
        if cfg.max_fee_sats < 0:
            raise ConfigError(f"{where}.max_fee_sats is negative ({cfg.max_fee_sats}); the fee reserve is at least 1 sat (0: the default)")
        if cfg.budget_period not in PERIODS:
            raise ConfigError(f"{where}.budget_period is {cfg.budget_period!r}; it is day, week or month")
        return cfg

    def ledger(self, name: str) -> Ledger:
        return Ledger(self.ctx.paths.state_dir / "wallets" / f"{name}.payments.json")

    def uri_of(self, name: str) -> NwcUri:
        """The stored connection; the vault must be unlocked."""
        from sovtui.identity.vault import SecretNotFound

        try:
            text = self.ctx.vault.get_secret(SECRET_PREFIX + name)
        except SecretNotFound:
            raise WalletError(f"the connection secret of {name} is not in the vault: connect it again") from None
        try:
            return parse_nwc_uri(text)
        except WalletError as exc:
            raise WalletError(f"the stored connection of {name} cannot be used ({exc}): remove it and connect it again") from None

    def client(self, name: str) -> NwcClient:
        from sovtui.wallet.nwc import NwcClient

        return NwcClient(self.uri_of(self.resolve(name)), timeout=self.timeout)

    async def using(self, name: str, call: Callable[[NwcClient], Awaitable[T]]) -> T:
        """What ``call`` returns with a client connected to the wallet (closed after, whatever happens)."""
        async with self.client(name) as client:
            return await call(client)

    # --- connecting -------------------------------------------------------------------

    @staticmethod
    async def wallet_info(client: NwcClient) -> WalletInfo:
        """What the wallet says about itself: get_info when it offers it (or published no info event), else its info event."""
        if not client.info_found or "get_info" in client.info.methods:
            return await client.get_info()
        return client.info

    async def test(self, uri_text: str) -> CheckedConnection:
        """Reach the wallet with a URI before keeping it. The URI is checked before anything leaves."""
        from sovtui.wallet.nwc import NwcClient

        uri = parse_nwc_uri(uri_text)
        async with NwcClient(uri, timeout=min(self.timeout, 20.0)) as client:
            info = await self.wallet_info(client)
            balance = await client.get_balance()
        return CheckedConnection(uri, info, balance)

    def check_new_name(self, name: str) -> str:
        """``name`` without surrounding blanks, if a new wallet may take it; WalletNameRefused if not."""
        name = check_wallet_name((name or "").strip())
        if name in self._wallets():
            raise WalletNameRefused(f"a wallet named {name} is already connected: remove it first ('sovtui wallet rm {name}')")
        return name

    def save(self, name: str, uri: NwcUri, *, budget_sats: int | None = None, budget_period: str = "day", network: str = "") -> None:
        """Keep a tested connection: the secret in the vault, the rest in config.toml."""
        name = self.check_new_name(name)
        if budget_sats is not None and budget_sats < 0:
            raise UsageError("a budget cannot be negative (0 or none: no budget)")
        if budget_period not in PERIODS:
            raise UsageError("the budget period is day, week or month")
        self.ctx.vault.put_secret(SECRET_PREFIX + name, uri.to_uri())

        def change(config: Config) -> None:
            config.wallets[name] = WalletConfig(
                wallet_pubkey=uri.wallet_pubkey, relays=list(uri.relays), lud16=uri.lud16, network=network,
                budget_sats=budget_sats or 0, budget_period=budget_period,
            )

        self.ctx.update_config(change)

    def remove(self, name: str) -> None:
        """Forget a wallet: its secret and its settings. The payment log is kept as a record."""
        from sovtui.identity.vault import SecretNotFound

        name = self.resolve(name)
        try:
            self.ctx.vault.delete_secret(SECRET_PREFIX + name)
        except SecretNotFound:
            pass

        def change(config: Config) -> None:
            config.wallets.pop(name, None)

        self.ctx.update_config(change)

    def set_budget(self, name: str, amount: int, period: str) -> Budget:
        name = self.resolve(name)
        if not isinstance(amount, int) or amount < 0:
            raise UsageError("a budget cannot be negative (0 removes it)")
        if period not in PERIODS:
            raise UsageError("the budget period is day, week or month")

        def change(config: Config) -> None:
            config.wallets[name].budget_sats = amount
            config.wallets[name].budget_period = period

        self.ctx.update_config(change)
        return self.budget(name)

    def budget(self, name: str) -> Budget:
        """The budget as config.toml and the ledger have it now."""
        name = self.resolve(name)
        cfg = self._checked(name)
        return Budget(cfg.budget_sats, cfg.budget_period, self.ledger(name).spent_msat(cfg.budget_period) // 1000)

    def _check_budget(self, name: str, payments: list[Payment], needed_msat: int) -> None:
        """Refuse a payment of ``needed_msat`` (amount and fee reserve) the budget cannot take.

        Called by ``Ledger.begin`` under the ledger's lock, with the payments
        as they are on disk now; the budget is read from config.toml here,
        at this moment, so one lowered in another shell a second ago counts.
        """
        self._wallets()  # config.toml as it is at this moment
        cfg = self._checked(name)
        if not cfg.budget_sats:
            return
        spent = spent_msat(payments, cfg.budget_period)
        if spent + needed_msat > cfg.budget_sats * 1000:
            budget = Budget(cfg.budget_sats, cfg.budget_period, spent // 1000)
            raise BudgetExceeded(
                f"this payment ({_sats_up(needed_msat):,} sats with its fee reserve) would pass your budget: {budget.describe()}. "
                f"Raise it with 'sovtui wallet budget {name} SATS --period {budget.period}'"
            )

    # --- paying -------------------------------------------------------------------------

    def prepare_payment(self, name: str, invoice_text: str, *, amount_sat: int | None = None,
                        max_fee_sat: int | None = None, network: str = "", now: float | None = None) -> PaymentPlan:
        """Decode and check an invoice against expiry, amount, network, history and budget.

        ``max_fee_sat`` is the fee reserve (NIP-47 sends no fee limit): kept
        back from the budget until the wallet reports the fee it paid.
        """
        from sovtui.wallet.bolt11 import InvoiceError, decode

        if amount_sat is not None:
            _positive(amount_sat, "amount")
        if max_fee_sat is not None:
            _positive(max_fee_sat, "fee reserve")
        name = self.resolve(name)
        cfg = self._checked(name)
        try:
            invoice = decode(invoice_text.strip())
        except InvoiceError as exc:
            raise InvoiceRefused(f"not a valid invoice: {exc}") from None
        if invoice.is_expired(now):
            raise InvoiceRefused(f"this invoice expired at {format_time(invoice.expires_at)}: ask for a new one")
        if invoice.amount_msat is None:
            if amount_sat is None:
                raise InvoiceNeedsAmount("this invoice has no amount: say how many sats to pay (--amount SATS)")
            amount_msat = amount_sat * 1000
        else:
            if amount_sat is not None and amount_sat * 1000 != invoice.amount_msat:
                raise InvoiceRefused("the invoice already states its amount; leave --amount out")
            amount_msat = invoice.amount_msat
        network = network or cfg.network
        wanted = _NETWORK_NAMES.get(network.lower(), "") if network else ""
        if wanted and invoice.network != wanted:
            raise InvoiceRefused(f"this invoice is for {invoice.network}, but the wallet is on {wanted}")
        ledger = self.ledger(name)
        previous = ledger.find(invoice.payment_hash)
        if previous is not None and previous.state != FAILED:
            raise InvoiceAlreadyPaid(already(previous))
        if max_fee_sat is not None:
            fee_reserve = max_fee_sat * 1000
        elif cfg.max_fee_sats:
            fee_reserve = cfg.max_fee_sats * 1000
        else:
            fee_reserve = default_fee_reserve_msat(amount_msat)
        payments = ledger.payments()
        self._check_budget(name, payments, amount_msat + fee_reserve)  # early, for the user; again under the lock in pay()
        budget = Budget(cfg.budget_sats, cfg.budget_period, spent_msat(payments, cfg.budget_period) // 1000)
        return PaymentPlan(name, invoice, amount_msat, fee_reserve, budget)

    async def pay(self, client: NwcClient, plan: PaymentPlan, *, agent: str = "",
                  check: Callable[[list[Payment]], None] | None = None) -> PaymentOutcome:
        """Send the payment once. A timeout or an INTERNAL/OTHER error is followed by a lookup, never a resend.

        ``agent`` (an agent key's hex public key) marks the ledger entry as that
        agent's. ``check`` runs in the same locked step as the budget, first,
        with the payments on disk now: the agent's credential goes there
        (``sovtui.agent.guard``), so its limit holds between processes as the
        budget does. Whatever it raises refuses the payment before anything is sent.
        """
        from sovtui.nostr.relay import RelayError

        if plan.amount_msat < 1 or plan.fee_reserve_msat < 1:
            raise UsageError("the amount and the fee reserve are at least 1 sat")
        ledger = self.ledger(plan.wallet)
        payment_hash = plan.invoice.payment_hash
        request_ends = int(time.time() + client.timeout) + 5  # the request's expiration tag
        # The plan may be stale (another process, a second click, a budget lowered since):
        # the ledger decides under its lock, with the budget read from config.toml now.
        ledger.begin(
            Payment(
                payment_hash=payment_hash, invoice=plan.invoice.raw, amount_msat=plan.amount_msat,
                fee_reserve_msat=plan.fee_reserve_msat, description=plan.invoice.description or "",
                expires_at=plan.invoice.expires_at, resolve_after=max(plan.invoice.expires_at, request_ends) + CLOCK_SKEW,
                agent=agent,
            ),
            check=lambda payments: self._check_all(plan, payments, check),
        )
        amount = None if plan.invoice.amount_msat is not None else plan.amount_msat
        try:
            preimage, fees = await client.pay_invoice(plan.invoice.raw, amount_msat=amount)
        except WalletRequestError as exc:
            if exc.code in NOT_PAID_CODES:
                return PaymentOutcome(ledger.finish(payment_hash, only_from=(PENDING,), state=FAILED, error=str(exc)))
            # INTERNAL, OTHER, a code we do not know: the payment may have gone out. Ask, do not guess.
            return PaymentOutcome(await self._settle_unknown(client, plan.wallet, payment_hash, str(exc)))
        except (WalletTimeout, RelayError, WalletError, OSError):
            return PaymentOutcome(await self._settle_unknown(client, plan.wallet, payment_hash, "no answer from the wallet"))
        return PaymentOutcome(self._paid(plan.wallet, payment_hash, preimage, fees, None))

    def _check_all(self, plan: PaymentPlan, payments: list[Payment], check: Callable[[list[Payment]], None] | None) -> None:
        """Under the ledger's lock: the caller's check (an agent's credential), then the budget."""
        if check is not None:
            check(payments)
        self._check_budget(plan.wallet, payments, plan.amount_msat + plan.fee_reserve_msat)

    def _paid(self, wallet: str, payment_hash: str, preimage: str, fees: int | None, settled_at: int | None) -> Payment:
        """The wallet says paid: settled if the preimage proves it, else unproved. A settled record is never changed."""
        when = settled_at or int(time.time())
        if proves(preimage, payment_hash):
            return self.ledger(wallet).finish(payment_hash, only_from=(PENDING, UNPROVED), state=SETTLED,
                                              preimage=preimage.lower(), fees_paid_msat=fees, settled_at=when, error="")
        if not preimage:
            why = "it gave no preimage"
        elif _HASH.match(preimage.lower()):
            why = f"its preimage {preimage.lower()} does not hash to the payment hash"
        else:
            why = "its preimage is not 64 hex characters"
        return self.ledger(wallet).finish(payment_hash, only_from=(PENDING, UNPROVED), state=UNPROVED,
                                          preimage=preimage.lower() if _HASH.match(preimage.lower()) else "",
                                          fees_paid_msat=fees, settled_at=when, error=why)

    async def _settle_unknown(self, client: NwcClient, wallet: str, payment_hash: str, reason: str) -> Payment:
        """After a lost reply or an unclear error: ask the wallet; if it cannot say, the payment stays pending."""
        from sovtui.nostr.relay import RelayError

        ledger = self.ledger(wallet)
        try:
            tx = await client.lookup_invoice(payment_hash=payment_hash)
        except WalletRequestError as exc:
            known = "the wallet has no record of it yet" if exc.code == "NOT_FOUND" else str(exc)
            return ledger.finish(payment_hash, only_from=(PENDING,), error=f"{reason}; {known}")
        except (WalletError, RelayError, OSError):  # the relay is gone too, or the answer is not understood
            return ledger.finish(payment_hash, only_from=(PENDING,), error=reason)
        if tx.payment_hash != payment_hash:
            return ledger.finish(payment_hash, only_from=(PENDING,), error=f"{reason}; the wallet answered about another payment")
        ours = self._record(wallet, tx)
        if ours is None or ours.state == PENDING:  # (None: the record is gone; finish says so)
            return ledger.finish(payment_hash, only_from=(PENDING,), error=reason)
        return ours

    async def lookup(self, client: NwcClient, wallet: str, payment_hash: str) -> Transaction:
        payment_hash = payment_hash.strip().lower()
        if not _HASH.match(payment_hash):
            raise UsageError("a payment hash is 64 hex characters")
        tx = await client.lookup_invoice(payment_hash=payment_hash)
        if tx.payment_hash != payment_hash:
            raise WalletError("the wallet answered about another payment than the one asked for; nothing was changed")
        self._record(wallet, tx)
        return self._described(wallet, [tx])[0]

    def _record(self, wallet: str, tx: Transaction) -> Payment | None:
        """What a lookup says about one of our payments, applied under the ledger's rules.

        Settled: settled if the preimage proves it, else unproved. Failed or
        expired: failed, only if it was pending (a paid record is never
        turned into a failed one). Anything else: unchanged.
        """
        ledger = self.ledger(wallet)
        ours = ledger.find(tx.payment_hash)
        if ours is None or tx.type == "incoming":
            return ours
        if tx.state == "settled":
            return self._paid(wallet, tx.payment_hash, tx.preimage, tx.fees_paid_msat, tx.settled_at)
        if tx.state in ("failed", "expired"):
            return ledger.finish(tx.payment_hash, only_from=(PENDING,), state=FAILED,
                                 error=f"the wallet reports the payment {tx.state}")
        return ours

    async def reconcile(self, client: NwcClient, wallet: str, *, now: float | None = None) -> list[Payment]:
        """Look up every pending or unproved payment of ours; the ones still pending.

        A pending payment the wallet has no record of (NOT_FOUND) is failed
        once both its invoice and our request have expired (with room for
        the wallet's clock): the wallet can no longer carry it out, and no
        payee accepts an expired invoice.
        """
        from sovtui.nostr.relay import RelayError

        ledger = self.ledger(wallet)
        for payment in ledger.payments():
            if payment.state not in (PENDING, UNPROVED):
                continue
            try:
                tx = await client.lookup_invoice(payment_hash=payment.payment_hash)
            except WalletRequestError as exc:
                moment = time.time() if now is None else now
                if exc.code == "NOT_FOUND" and payment.state == PENDING and moment > self._resolve_after(payment):
                    ledger.finish(payment.payment_hash, only_from=(PENDING,), state=FAILED,
                                  error="the invoice expired and the wallet has no record of the payment: nothing was spent")
                continue
            except (WalletError, RelayError, OSError):
                continue
            if tx.payment_hash == payment.payment_hash:
                self._record(wallet, tx)
        return [p for p in ledger.payments() if p.state == PENDING]

    @staticmethod
    def _resolve_after(payment: Payment) -> float:
        """When a pending payment the wallet does not know can be called failed (a log written before this was kept: from its invoice)."""
        if payment.resolve_after:
            return payment.resolve_after
        from sovtui.wallet.bolt11 import InvoiceError, decode

        try:
            expires = decode(payment.invoice).expires_at
        except InvoiceError:
            return float("inf")
        return max(expires, payment.created_at + 60) + CLOCK_SKEW

    # --- history and receiving --------------------------------------------------------------

    @staticmethod
    def check_page(*, limit: int, offset: int) -> None:
        if not isinstance(limit, int) or limit < 1:
            raise UsageError("--limit is a whole number, at least 1")
        if not isinstance(offset, int) or offset < 0:
            raise UsageError("--offset is a whole number, 0 or more")

    async def history(self, client: NwcClient, wallet: str, *, limit: int = 20, offset: int = 0) -> list[Transaction]:
        """One page of the wallet's transactions, newest first (entries the wallet garbled are left out).

        A transaction the wallet lists without a description gets the one its
        invoice carried (see ``_described``).
        """
        self.check_page(limit=limit, offset=offset)
        return self._described(wallet, await client.list_transactions(limit=limit, offset=offset))

    async def overview(self, name: str, *, limit: int = 20) -> WalletOverview:
        """Reach the wallet: its details, balance and newest transactions, our pending payments looked up first.

        The history is asked for only from a wallet that offers it (or says nothing of what it offers).
        """
        async def ask(client: NwcClient) -> WalletOverview:
            info = await self.wallet_info(client)
            balance = await client.get_balance()
            await self.reconcile(client, name)
            offers_history = "list_transactions" in info.methods or not info.methods
            transactions = await self.history(client, name, limit=limit) if offers_history else []
            return WalletOverview(info, balance, transactions, client.encryption)

        return await self.using(name, ask)

    def _described(self, wallet: str, transactions: list[Transaction]) -> list[Transaction]:
        """The transactions, each with the description its invoice carried where the wallet left it out.

        Many wallets list a payment without its invoice's description. Ours
        is in the ledger, kept when the payment was made; any other comes
        from the invoice the wallet lists with it, if that invoice is for
        this payment hash.
        """
        if all(tx.description for tx in transactions):
            return transactions
        try:
            ours = {p.payment_hash: p.description for p in self.ledger(wallet).payments()}
        except WalletError:  # an unreadable log is reported where it guards money, not here
            ours = {}
        return [tx if tx.description else replace(tx, description=ours.get(tx.payment_hash) or _invoice_description(tx))
                for tx in transactions]

    async def receive(self, client: NwcClient, sats: int, memo: str = "", *, expiry: int = 3600) -> Transaction:
        """An invoice from the wallet, checked: it decodes, and asks for the amount and hash we were told."""
        from sovtui.wallet.bolt11 import InvoiceError, decode

        if not isinstance(sats, int) or sats <= 0:
            raise UsageError("an invoice needs an amount of at least 1 sat")
        if not isinstance(expiry, int) or expiry <= 0:
            raise UsageError("the invoice expiry is a whole number of seconds, at least 1")
        tx = await client.make_invoice(sats * 1000, memo, expiry)
        if not tx.invoice:
            raise WalletError("the wallet made no invoice")
        try:
            made = decode(tx.invoice)
        except InvoiceError as exc:
            raise WalletError(f"the wallet made an invoice that is not valid: {exc}") from None
        if made.amount_msat != sats * 1000 or made.payment_hash != tx.payment_hash:
            raise WalletError("the wallet made an invoice for another amount or payment than it says: do not share it")
        return tx

    async def wait_paid(self, client: NwcClient, payment_hash: str, *, poll: float = 3.0, timeout: float = 3600.0) -> Transaction:
        """Until the invoice is settled or expired: a notification if the wallet sends one, else polling."""
        import asyncio

        async def by_notification() -> Transaction:
            async for kind, tx in client.notifications():
                if kind == "payment_received" and tx.payment_hash == payment_hash:
                    return tx
            raise WalletError("notifications ended")

        async def by_polling() -> Transaction:
            while True:
                await asyncio.sleep(poll)
                try:
                    tx = await client.lookup_invoice(payment_hash=payment_hash)
                except WalletError:  # a timeout, an error, an answer not understood: ask again
                    continue
                if tx.payment_hash == payment_hash and tx.state in ("settled", "expired", "failed"):
                    return tx

        tasks = [asyncio.create_task(by_polling())]
        if "notifications" in client.info.methods or client.info.notifications:
            tasks.append(asyncio.create_task(by_notification()))
        try:
            done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        for task in done:
            if task.exception() is None:
                return task.result()
        raise WalletTimeout("the invoice was not paid in time")
