"""Wallets by name: connect, pay safely, receive, budgets. Used by the CLI and the TUI alike.

Safety lives here, not in the screens: an invoice is decoded and checked
(expiry, amount, network) before anything is sent; the budget is counted
from our own ledger; the ledger records the payment as pending before the
request leaves; a reply that times out is followed by a lookup, never by a
second payment.

The connection URI holds a secret, so it is kept in the vault as
``nwc:<name>``; config.toml keeps only what is public (the wallet's pubkey,
its relays, the budget), so ``sovtui doctor`` can list the relays without
the passphrase.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovtui.config import PERIODS, WalletConfig
from sovtui.errors import UsageError
from sovtui.wallet.errors import BudgetExceeded, InvoiceRefused, WalletError, WalletRequestError, WalletTimeout
from sovtui.wallet.ledger import FAILED, PENDING, SETTLED, Ledger, Payment
from sovtui.wallet.uri import NwcUri, parse_nwc_uri

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.wallet.bolt11 import Invoice
    from sovtui.wallet.nwc import NwcClient, Transaction, WalletInfo

SECRET_PREFIX = "nwc:"
_NETWORK_NAMES = {"mainnet": "bitcoin", "bitcoin": "bitcoin", "testnet": "testnet", "signet": "signet", "regtest": "regtest"}


def check_wallet_name(name: str) -> str:
    import re

    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", name or ""):
        raise UsageError("a wallet name is 1-32 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def default_fee_limit_msat(amount_msat: int) -> int:
    """1% of the amount, at least 10 sats: what routing usually costs, with room."""
    return max(10_000, -(-amount_msat // 100))


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


@dataclass(frozen=True)
class PaymentPlan:
    """A checked invoice and what paying it will take, for the confirmation."""

    wallet: str
    invoice: Invoice
    amount_msat: int
    fee_limit_msat: int
    budget: Budget

    @property
    def amount_sat(self) -> int:
        return -(-self.amount_msat // 1000)

    @property
    def fee_limit_sat(self) -> int:
        return -(-self.fee_limit_msat // 1000)

    def summary(self, *, short: bool = False) -> list[tuple[str, str]]:
        """Label and value rows for the confirmation; ``short`` trims the long hex for narrow screens."""
        inv = self.invoice

        def trim(text: str) -> str:
            return f"{text[:16]}…{text[-8:]}" if short and len(text) > 28 else text

        rows = [
            ("amount", f"{self.amount_sat:,} sats"),
            ("fee limit", f"{self.fee_limit_sat:,} sats"),
            ("description", inv.description or (f"(hash {inv.description_hash[:16]}…)" if inv.description_hash else "—")),
            ("payee", trim(inv.payee)),
            ("network", inv.network),
            ("expires", time.strftime("%Y-%m-%d %H:%M", time.localtime(inv.timestamp + inv.expiry))),
            ("payment hash", trim(inv.payment_hash)),
            ("budget", self.budget.describe()),
        ]
        return rows


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment

    @property
    def state(self) -> str:
        return self.payment.state

    def describe(self, *, with_preimage: bool = True) -> str:
        p = self.payment
        if p.state == SETTLED:
            paid = f"paid {p.amount_msat // 1000:,} sats (fee {-(-p.fees_paid_msat // 1000):,} sats)"
            return f"{paid}; preimage {p.preimage}" if with_preimage else paid
        if p.state == PENDING:
            return (f"the wallet has not confirmed the payment yet: it is pending, and will not be sent again. "
                    f"Check it with 'sovtui wallet lookup {p.payment_hash}'")
        return f"the payment failed and nothing was spent: {p.error}"


class WalletService:
    def __init__(self, ctx: Context, *, timeout: float = 30.0) -> None:
        self.ctx = ctx
        self.timeout = timeout

    # --- which wallets -------------------------------------------------------------

    def names(self) -> list[str]:
        return sorted(self.ctx.config.wallets)

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
        return self.ctx.config.wallets[self.resolve(name)]

    def ledger(self, name: str) -> Ledger:
        return Ledger(self.ctx.paths.state_dir / "wallets" / f"{name}.payments.json")

    def uri_of(self, name: str) -> NwcUri:
        """The stored connection; the vault must be unlocked."""
        from sovtui.identity.vault import SecretNotFound

        try:
            return parse_nwc_uri(self.ctx.vault.get_secret(SECRET_PREFIX + name))
        except SecretNotFound:
            raise WalletError(f"the connection secret of {name} is not in the vault: connect it again") from None

    def client(self, name: str) -> NwcClient:
        from sovtui.wallet.nwc import NwcClient

        return NwcClient(self.uri_of(self.resolve(name)), timeout=self.timeout)

    # --- connecting -------------------------------------------------------------------

    async def test(self, uri_text: str) -> tuple[NwcUri, WalletInfo, int]:
        """Reach the wallet with a URI before keeping it: (uri, info, balance msat)."""
        from sovtui.wallet.nwc import NwcClient

        uri = parse_nwc_uri(uri_text)
        async with NwcClient(uri, timeout=min(self.timeout, 20.0)) as client:
            info = await client.get_info() if "get_info" in client.info.methods or not client.info_found else client.info
            balance = await client.get_balance()
        return uri, info, balance

    def save(self, name: str, uri: NwcUri, *, budget_sats: int | None = None, budget_period: str = "day", network: str = "") -> None:
        """Keep a tested connection: the secret in the vault, the rest in config.toml."""
        check_wallet_name(name)
        if name in self.ctx.config.wallets:
            raise WalletError(f"a wallet named {name} is already connected: remove it first ('sovtui wallet rm {name}')")
        self.ctx.vault.put_secret(SECRET_PREFIX + name, uri.to_uri())

        def change(config) -> None:  # type: ignore[no-untyped-def]
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

        def change(config) -> None:  # type: ignore[no-untyped-def]
            config.wallets.pop(name, None)

        self.ctx.update_config(change)

    def set_budget(self, name: str, sats: int, period: str) -> Budget:
        name = self.resolve(name)
        if sats < 0:
            raise UsageError("a budget cannot be negative (0 removes it)")
        if period not in PERIODS:
            raise UsageError("the budget period is day, week or month")

        def change(config) -> None:  # type: ignore[no-untyped-def]
            config.wallets[name].budget_sats = sats
            config.wallets[name].budget_period = period

        self.ctx.update_config(change)
        return self.budget(name)

    def budget(self, name: str) -> Budget:
        name = self.resolve(name)
        cfg = self.ctx.config.wallets[name]
        return Budget(cfg.budget_sats, cfg.budget_period, self.ledger(name).spent_msat(cfg.budget_period) // 1000)

    # --- paying -------------------------------------------------------------------------

    def prepare_payment(self, name: str, invoice_text: str, *, amount_sat: int | None = None,
                        max_fee_sat: int | None = None, network: str = "", now: float | None = None) -> PaymentPlan:
        """Decode and check an invoice against expiry, amount, network, history and budget."""
        from sovtui.wallet.bolt11 import InvoiceError, decode

        name = self.resolve(name)
        try:
            invoice = decode(invoice_text.strip())
        except InvoiceError as exc:
            raise InvoiceRefused(f"not a valid invoice: {exc}") from None
        if invoice.is_expired(now):
            raise InvoiceRefused(f"this invoice expired at {time.strftime('%Y-%m-%d %H:%M', time.localtime(invoice.timestamp + invoice.expiry))}: ask for a new one")
        if invoice.amount_msat is None:
            if not amount_sat:
                raise InvoiceRefused("this invoice has no amount: say how many sats to pay (--amount SATS)")
            amount_msat = amount_sat * 1000
        else:
            if amount_sat and amount_sat * 1000 != invoice.amount_msat:
                raise InvoiceRefused("the invoice already states its amount; leave --amount out")
            amount_msat = invoice.amount_msat
        network = network or self.ctx.config.wallets[name].network
        wanted = _NETWORK_NAMES.get(network.lower(), "") if network else ""
        if wanted and invoice.network != wanted:
            raise InvoiceRefused(f"this invoice is for {invoice.network}, but the wallet is on {wanted}")
        previous = self.ledger(name).find(invoice.payment_hash)
        if previous is not None and previous.state == SETTLED:
            raise InvoiceRefused("this invoice is already paid; it will not be paid twice")
        if previous is not None and previous.state == PENDING:
            raise InvoiceRefused(f"a payment of this invoice is pending: 'sovtui wallet lookup {invoice.payment_hash}' tells how it ended")
        cfg = self.ctx.config.wallets[name]
        if max_fee_sat is not None:
            fee_limit = max_fee_sat * 1000
        elif cfg.max_fee_sats:
            fee_limit = cfg.max_fee_sats * 1000
        else:
            fee_limit = default_fee_limit_msat(amount_msat)
        budget = self.budget(name)
        needed = amount_msat + fee_limit
        if budget.sats and budget.spent_sat * 1000 + needed > budget.sats * 1000:
            raise BudgetExceeded(
                f"this payment ({-(-needed // 1000):,} sats with the fee limit) would pass your budget: {budget.describe()}. "
                f"Raise it with 'sovtui wallet budget {name} SATS --period {budget.period}'"
            )
        return PaymentPlan(name, invoice, amount_msat, fee_limit, budget)

    async def pay(self, client: NwcClient, plan: PaymentPlan) -> PaymentOutcome:
        """Send the payment once. A timeout is followed by a lookup, never a resend."""
        from sovtui.nostr.relay import RelayError

        ledger = self.ledger(plan.wallet)
        # The plan may be stale (another process, a second click): the ledger decides under its lock.
        payment = ledger.begin(Payment(
            payment_hash=plan.invoice.payment_hash, invoice=plan.invoice.raw, amount_msat=plan.amount_msat,
            fee_limit_msat=plan.fee_limit_msat, description=plan.invoice.description or "",
        ))
        amount = None if plan.invoice.amount_msat is not None else plan.amount_msat
        try:
            preimage, fees = await client.pay_invoice(plan.invoice.raw, amount_msat=amount)
        except WalletRequestError as exc:
            return PaymentOutcome(ledger.finish(payment.payment_hash, state=FAILED, error=str(exc)))
        except (WalletTimeout, RelayError, WalletError):
            return PaymentOutcome(await self._settle_unknown(client, plan.wallet, payment.payment_hash))
        return PaymentOutcome(ledger.finish(payment.payment_hash, state=SETTLED, preimage=preimage,
                                            fees_paid_msat=fees, settled_at=int(time.time())))

    async def _settle_unknown(self, client: NwcClient, wallet: str, payment_hash: str) -> Payment:
        """After a lost reply: ask the wallet; if it cannot say, the payment stays pending."""
        try:
            tx = await client.lookup_invoice(payment_hash=payment_hash)
        except WalletRequestError as exc:
            if exc.code == "NOT_FOUND":
                # The wallet never saw the request; still pending for us until it is older than its expiration.
                return self.ledger(wallet).finish(payment_hash, error="no answer from the wallet, which has no record of it yet")
            return self.ledger(wallet).finish(payment_hash, error=str(exc))
        except Exception:  # noqa: BLE001 - the relay is gone too: we know nothing more
            return self.ledger(wallet).finish(payment_hash, error="no answer from the wallet")
        return self._record(wallet, tx)

    async def lookup(self, client: NwcClient, wallet: str, payment_hash: str) -> Transaction:
        tx = await client.lookup_invoice(payment_hash=payment_hash)
        self._record(wallet, tx)
        return tx

    def _record(self, wallet: str, tx: Transaction) -> Payment:
        ledger = self.ledger(wallet)
        ours = ledger.find(tx.payment_hash)
        if ours is None or tx.type == "incoming":
            return ours  # type: ignore[return-value]
        if tx.state == "settled":
            return ledger.finish(tx.payment_hash, state=SETTLED, preimage=tx.preimage, fees_paid_msat=tx.fees_paid_msat,
                                 settled_at=tx.settled_at or int(time.time()), error="")
        if tx.state in ("failed", "expired"):
            return ledger.finish(tx.payment_hash, state=FAILED, error=f"the wallet reports the payment {tx.state}")
        return ours

    async def reconcile(self, client: NwcClient, wallet: str) -> list[Payment]:
        """Look up every pending payment of ours; the ones still pending."""
        for payment in self.ledger(wallet).payments():
            if payment.state == PENDING:
                try:
                    await self.lookup(client, wallet, payment.payment_hash)
                except WalletError:
                    continue
        return [p for p in self.ledger(wallet).payments() if p.state == PENDING]

    # --- receiving ------------------------------------------------------------------------

    async def receive(self, client: NwcClient, sats: int, memo: str = "", *, expiry: int = 3600) -> Transaction:
        if sats <= 0:
            raise UsageError("an invoice needs an amount of at least 1 sat")
        tx = await client.make_invoice(sats * 1000, memo, expiry)
        if not tx.invoice:
            raise WalletError("the wallet made no invoice")
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
                except (WalletTimeout, WalletRequestError):
                    continue
                if tx.state in ("settled", "expired", "failed"):
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
