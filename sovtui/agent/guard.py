"""The limits an agent's payment must pass, every time, before anything is sent.

In this order (DESIGN.md, "Agents and their limits"):

1. the credential: its owner's signature, expiry and revocation, read afresh
   from the credential book (a revocation kept a second ago counts), and the
   agent's own spend this period (its entries in the wallet's ledger) plus
   this payment (with its fee reserve) within the credential's limit;
2. the wallet's budget (``WalletService``'s own check);
3. the owner's approval: none needed below ``approve_under`` sats (default 0:
   always asked), else the ``approve`` callback the front end supplies (the
   TUI's dialog, the CLI's y/N prompt); with no callback nobody can be asked,
   and the payment is refused.

Steps 1 and 2 run twice: once early, so the owner is asked only about a
payment that can be made and sees what is left, and again in the one locked
step in which ``WalletService.pay`` writes the payment to the ledger as
pending (``check=``): two agent processes paying at once cannot both pass a
limit only one payment fits, and a credential revoked while the owner was
deciding stops the payment. The approval is not asked under the lock: a
person may take a minute, and the lock is shared with every other payment.

The wallet service's own per-connection budget stays the hard outer limit:
these limits are kept by sovtui's processes, cooperatively (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovtui.agent.agents import Agent, agent_spent_msat, credential_book, credential_of, load_agent
from sovtui.agent.errors import Refused
from sovtui.wallet.errors import BudgetExceeded, InvoiceRefused

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.wallet.ledger import Payment
    from sovtui.wallet.nwc import NwcClient
    from sovtui.wallet.service import Budget, PaymentOutcome, PaymentPlan, WalletService

PERIOD_WORDS = {"day": "today", "week": "this week", "month": "this month"}


def _sats_up(msat: int) -> int:
    return -(-msat // 1000)


@dataclass(frozen=True)
class ApprovalRequest:
    """What the owner is asked to approve: the decoded invoice, and what is left of each limit."""

    agent: Agent
    plan: PaymentPlan
    credential_left_sats: int
    budget: Budget

    def summary(self, *, short: bool = False) -> list[tuple[str, str]]:
        """Label and value rows (safe to show: the invoice's description is one safe line)."""
        credential = self.agent.credential
        assert credential is not None
        left = f"{self.credential_left_sats:,} of {credential.limit_sats:,} sats left {PERIOD_WORDS[credential.period]}"
        return [("agent", self.agent.name), *self.plan.summary(short=short), ("credential", left)]

    def question(self) -> str:
        return f"let {self.agent.name} pay {self.plan.amount_sat:,} sats (fee reserve {self.plan.fee_reserve_sat:,}) from {self.plan.wallet}?"


#: The front end's way to ask the owner: True to pay. None: nobody to ask (refused).
Approver = Callable[[ApprovalRequest], Awaitable[bool]]


def check_credential(agent_name: str, pubkey: str, payments: list[Payment], needed_msat: int, ctx: Context) -> tuple[int, int]:
    """Refused unless the agent holds a live credential whose limit takes ``needed_msat`` more; (left sats, limit).

    The credential book is read now: every kept event's signature is
    checked again, and revocations and newer versions kept since count.
    """
    credential, state = credential_of(credential_book(ctx), pubkey)
    if credential is None:
        raise Refused(f"{agent_name} holds no spending credential: its owner has not authorised it to spend", rule="credential")
    if state == "revoked":
        raise Refused(f"the credential is revoked: its owner withdrew {agent_name}'s right to spend", rule="credential")
    if state == "expired":
        raise Refused(f"the credential expired on {credential.expires_on}: {agent_name} may not spend until its owner issues a new one",
                      rule="credential")
    if state != "live":
        raise Refused(f"the credential is {state}: {agent_name} may not spend", rule="credential")
    spent = agent_spent_msat(payments, pubkey, credential.period)
    limit_msat = credential.limit_sats * 1000
    left = max(0, limit_msat - spent) // 1000
    if spent + needed_msat > limit_msat:
        raise Refused(
            f"over the credential's limit: {left:,} of {credential.limit_sats:,} sats left {PERIOD_WORDS[credential.period]}, "
            f"and this payment needs {_sats_up(needed_msat):,} sats with its fee reserve",
            rule="credential",
        )
    return left, credential.limit_sats


class Guard:
    """Pays for one agent, within its limits. Front ends make one per exchange (or per MCP session)."""

    def __init__(self, ctx: Context, agent: str, *, approve: Approver | None = None, approve_under: int | None = None,
                 service: WalletService | None = None) -> None:
        from sovtui.wallet.service import WalletService

        self.ctx = ctx
        self.agent_name = agent
        self.approve = approve
        #: This run's threshold (``agent ask --approve-under``); None: the agent's config.
        self.approve_under = approve_under
        self.service = service or WalletService(ctx)

    def agent(self) -> Agent:
        return load_agent(self.ctx, self.agent_name)

    def threshold(self, agent: Agent) -> int:
        return agent.config.approve_under if self.approve_under is None else max(0, self.approve_under)

    def plan(self, agent: Agent, invoice: str, amount_sat: int | None = None) -> tuple[PaymentPlan, int]:
        """The checked invoice, and what is left of the credential: Refused by the invoice, the credential or the budget."""
        if not agent.wallet:
            raise Refused(f"{agent.name} has no wallet to spend from: {agent.wallet_problem}", rule="wallet")
        check_credential(agent.name, agent.pubkey, [], 0, self.ctx)  # revoked or expired: before the invoice is looked at
        try:
            plan = self.service.prepare_payment(agent.wallet, invoice, amount_sat=amount_sat)
        except BudgetExceeded as exc:
            raise Refused(f"over the wallet's budget: {exc}", rule="budget") from None
        except InvoiceRefused as exc:
            raise Refused(str(exc), rule="invoice") from None
        payments = self.service.ledger(agent.wallet).payments()
        left, _ = check_credential(agent.name, agent.pubkey, payments, plan.amount_msat + plan.fee_reserve_msat, self.ctx)
        return plan, left

    async def pay(self, client: NwcClient, invoice: str, amount_sat: int | None = None, *,
                  agent: Agent | None = None) -> PaymentOutcome:
        """Pay ``invoice`` for the agent if every limit and the owner allow it; Refused (with the reason) if not.

        A payment cancelled while the wallet is asked stays pending in the
        ledger (written before the request left) and is looked up, never sent again.
        ``agent``: as the caller just loaded it for this call (read afresh if not given).
        """
        agent = agent or self.agent()
        plan, left = self.plan(agent, invoice, amount_sat)
        if plan.amount_sat >= self.threshold(agent):
            if self.approve is None:
                raise Refused(f"the owner must approve payments of {self.threshold(agent):,} sats or more, and nobody is "
                              "here to ask: not paid", rule="approval")
            request = ApprovalRequest(agent, plan, left, plan.budget)
            if not await self.approve(request):
                raise Refused("the owner declined this payment: not paid", rule="approval")
        needed = plan.amount_msat + plan.fee_reserve_msat

        def locked_check(payments: list[Payment]) -> None:  # under the ledger's lock, with the ledger as it is now
            check_credential(agent.name, agent.pubkey, payments, needed, self.ctx)

        try:
            return await self.service.pay(client, plan, agent=agent.pubkey, check=locked_check)
        except BudgetExceeded as exc:
            raise Refused(f"over the wallet's budget: {exc}", rule="budget") from None
        except Refused:
            raise
        except InvoiceRefused as exc:  # InvoiceAlreadyPaid among them: the ledger's refusal of a second payment
            raise Refused(str(exc), rule="invoice") from None
