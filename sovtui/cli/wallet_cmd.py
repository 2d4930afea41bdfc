"""``sovtui wallet``: your Lightning wallet over Nostr Wallet Connect (NIP-47).

The connection URI is read from stdin (hidden on a terminal), never from
argv, and kept in the vault. Payments are decoded and shown before they are
sent, ask for confirmation unless --yes is given, count against the budget
you set (with a fee reserve: NIP-47 sends no fee limit), and are never sent
twice. Amounts are in sats. Everything the wallet or an invoice says is
shown with its control characters removed: it cannot move the cursor or
reach the clipboard.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sovtui.cli.common import add_json_option, confirm, described, is_tty, run, table
from sovtui.cli.output import print_json
from sovtui.cli.passphrase import add_passphrase_option
from sovtui.config import PERIODS
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.wallet.nwc import NwcClient, Transaction, WalletInfo
    from sovtui.wallet.service import PaymentOutcome, WalletService


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("wallet", help="your Lightning wallet over Nostr Wallet Connect", description=described(__doc__))
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="wallet_command", metavar="ACTION")

    p = sub.add_parser("connect", help="connect a wallet: paste its nostr+walletconnect:// URI on stdin")
    p.add_argument("name")
    p.add_argument("--budget", type=int, metavar="SATS", help="a spending budget to start with")
    p.add_argument("--period", choices=PERIODS, default="day")
    p.add_argument("--unprotected", action="store_true", help="when creating the vault: no passphrase (plain text, 0600)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_connect)

    p = sub.add_parser("list", help="connected wallets, their relays and budgets (no secrets)")
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    for action, helptext, handler in (
        ("info", "the wallet's alias, network, methods and encryption", cmd_info),
        ("balance", "the balance in sats, and the budget used and left", cmd_balance),
        ("history", "payments and invoices, newest first", cmd_history),
    ):
        p = sub.add_parser(action, help=helptext)
        _wallet_options(p)
        if action == "history":
            p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
            p.add_argument("--offset", type=int, default=0, help="skip this many newest ones (paging)")
        p.set_defaults(handler=handler)

    p = sub.add_parser("invoice", help="make an invoice to receive SATS (with a QR code on a terminal)")
    p.add_argument("sats", type=int)
    p.add_argument("--memo", default="", help="the description the payer sees")
    p.add_argument("--expiry", type=int, default=3600, metavar="SECONDS")
    p.add_argument("--wait", action="store_true", help="wait until it is paid")
    _wallet_options(p)
    p.set_defaults(handler=cmd_invoice)

    p = sub.add_parser("pay", help="pay a BOLT11 invoice (decoded and confirmed first)")
    p.add_argument("invoice")
    p.add_argument("--amount", type=int, metavar="SATS", help="for an invoice without an amount")
    p.add_argument("--fee-reserve", "--max-fee", dest="fee_reserve", type=int, metavar="SATS",
                   help="what the budget keeps back for routing fees until the wallet reports them (default: 1%%, at least 10 sats)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _wallet_options(p)
    p.set_defaults(handler=cmd_pay)

    p = sub.add_parser("lookup", help="the state of an invoice or payment, by payment hash")
    p.add_argument("payment_hash")
    _wallet_options(p)
    p.set_defaults(handler=cmd_lookup)

    p = sub.add_parser("budget", help="set the spending budget of a wallet (0 removes it)")
    p.add_argument("name")
    p.add_argument("sats", type=int)
    p.add_argument("--period", choices=PERIODS, default="day")
    add_json_option(p)
    p.set_defaults(handler=cmd_budget)

    p = sub.add_parser("rm", help="forget a wallet (its secret and settings; the payment log stays)")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_rm)


def _wallet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wallet", metavar="NAME", help="which wallet (optional with only one connected)")
    add_json_option(parser)
    add_passphrase_option(parser)


def _service(ctx: Context) -> WalletService:
    from sovtui.wallet.service import WalletService

    return WalletService(ctx)


def _unlock(ctx: Context, args: argparse.Namespace, *, create: bool = False) -> None:
    from sovtui.cli.keys_cmd import open_vault

    if not ctx.vault.is_unlocked:
        open_vault(ctx, args, create=create)


def _client(ctx: Context, args: argparse.Namespace) -> tuple[WalletService, str, NwcClient]:
    service = _service(ctx)
    name = service.resolve(args.wallet)
    _unlock(ctx, args)
    return service, name, service.client(name)


# --- commands ----------------------------------------------------------------------


def cmd_connect(args: argparse.Namespace, ctx: Context) -> int:
    service = _service(ctx)
    name = service.check_new_name(args.name)  # before the secret is asked for
    if is_tty(sys.stdin):
        import getpass

        text = getpass.getpass("paste the nostr+walletconnect:// URI (hidden): ")
    else:
        text = sys.stdin.read()
    from sovtui.wallet.uri import parse_nwc_uri

    parse_nwc_uri(text)  # a bad URI is refused before anything else happens
    print("reaching the wallet…", file=sys.stderr)
    tested = run(service.test(text))
    _unlock(ctx, args, create=True)
    service.save(name, tested.uri, budget_sats=args.budget, budget_period=args.period, network=tested.info.network)
    print(f"connected {name}: {tested.describe()}")
    if not args.budget:
        print(f"no spending budget yet: 'sovtui wallet budget {name} 10000 --period day' sets one", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    service = _service(ctx)
    wallets = [(name, service.config_of(name), service.budget(name)) for name in service.names()]
    if args.json:
        print_json([{"name": name, "relays": cfg.relays, "wallet_pubkey": cfg.wallet_pubkey, "lud16": cfg.lud16, **budget.to_dict()}
                    for name, cfg, budget in wallets])
        return 0
    if not wallets:
        print("no wallet connected: 'sovtui wallet connect NAME' and paste its NWC URI", file=sys.stderr)
        return 0
    print(table([[name, ", ".join(cfg.relays), budget.describe()] for name, cfg, budget in wallets], ["NAME", "RELAYS", "BUDGET"]))
    return 0


def cmd_info(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.wallet.views import info_rows

    service, name, client = _client(ctx, args)

    async def go() -> tuple[WalletInfo, str]:
        async with client:
            return await service.wallet_info(client), client.encryption

    info, encryption = run(go())
    if args.json:
        print_json({"wallet": name, **info.to_dict(), "encryption": encryption})
        return 0
    print("\n".join(f"{label}: {value}" for label, value in [("wallet", name), *info_rows(info, encryption)]))
    return 0


def cmd_balance(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.wallet.views import sats

    service, name, client = _client(ctx, args)

    async def go() -> int:
        async with client:
            return await client.get_balance()

    balance = run(go())
    budget = service.budget(name)
    if args.json:
        print_json({"wallet": name, "balance_sats": balance // 1000, "balance_msat": balance, **budget.to_dict()})
        return 0
    print(f"{sats(balance)}\nbudget: {budget.describe()}")
    return 0


def cmd_history(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.wallet.service import WalletService
    from sovtui.wallet.views import HISTORY_COLUMNS, history_row

    WalletService.check_page(limit=args.limit, offset=args.offset)
    service, name, client = _client(ctx, args)

    async def go() -> list[Transaction]:
        async with client:
            await service.reconcile(client, name)
            return await service.history(client, name, limit=args.limit, offset=args.offset)

    items = run(go())
    if args.json:
        print_json([t.to_dict() for t in items])
        return 0
    if not items:
        print("no transactions yet", file=sys.stderr)
        return 0
    rows = [list(history_row(t, width=40)) for t in items]
    print(table(rows, [column.upper() for column in HISTORY_COLUMNS]))
    return 0


def cmd_invoice(args: argparse.Namespace, ctx: Context) -> int:
    service, name, client = _client(ctx, args)

    async def go() -> Transaction | None:
        async with client:
            tx = await service.receive(client, args.sats, args.memo, expiry=args.expiry)
            _show_invoice(tx, args)
            if args.wait:
                print("waiting for the payment… (ctrl+c stops waiting; the invoice stays valid)", file=sys.stderr)
                return await service.wait_paid(client, tx.payment_hash, timeout=args.expiry)
            return None

    paid = run(go())
    if paid is not None:
        print(f"{safe_line(paid.state)}: {paid.amount_sat:,} sats" if paid.state != "settled" else f"paid: {paid.amount_sat:,} sats received")
    return 0


def _show_invoice(tx: Transaction, args: argparse.Namespace) -> None:
    if args.json:
        print_json(tx.to_dict())
        return
    if is_tty(sys.stdout):
        from sovtui.qr import qr_lines

        print("\n".join(qr_lines(tx.invoice.upper())))
    print(safe_line(tx.invoice))
    print(f"{tx.amount_sat:,} sats · payment hash {tx.payment_hash}", file=sys.stderr)


def cmd_pay(args: argparse.Namespace, ctx: Context) -> int:
    service = _service(ctx)
    name = service.resolve(args.wallet)
    plan = service.prepare_payment(name, args.invoice, amount_sat=args.amount, max_fee_sat=args.fee_reserve)
    if not args.json or not args.yes:
        for label, value in plan.summary():
            print(f"{label:>12}: {value}", file=sys.stderr)
    if not args.yes:
        if not is_tty(sys.stdin):
            raise UsageError("not paying without confirmation: add --yes to pay from a script")
        if not confirm(f"pay {plan.amount_sat:,} sats (fee reserve {plan.fee_reserve_sat:,}) from {name}?"):
            print("not paid", file=sys.stderr)
            return 1
    _unlock(ctx, args)
    client = service.client(name)

    async def go() -> PaymentOutcome:
        async with client:
            return await service.pay(client, plan)

    outcome = run(go())
    if args.json:
        print_json({"wallet": name, "state": outcome.state, "proved": outcome.proved, "payment_hash": outcome.payment.payment_hash,
                    "amount_sats": outcome.payment.amount_msat // 1000, "fee_reserve_sats": plan.fee_reserve_sat,
                    "fees_paid_msat": outcome.payment.fees_paid_msat, "preimage": outcome.payment.preimage,
                    "error": outcome.payment.error})
    else:
        print(outcome.describe(), file=sys.stdout if outcome.state == "settled" else sys.stderr)
    # 0 paid and proved, 3 pending (not sent again), 4 the wallet says paid without proof, 1 failed
    return {"settled": 0, "pending": 3, "unproved": 4}.get(outcome.state, 1)


def cmd_lookup(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.wallet.views import transaction_line

    service, name, client = _client(ctx, args)

    async def go() -> Transaction:
        async with client:
            return await service.lookup(client, name, args.payment_hash)

    tx = run(go())
    if args.json:
        print_json(tx.to_dict())
        return 0
    print(transaction_line(tx))
    return 0


def cmd_budget(args: argparse.Namespace, ctx: Context) -> int:
    budget = _service(ctx).set_budget(args.name, args.sats, args.period)
    if args.json:
        print_json({"wallet": args.name, **budget.to_dict()})
    else:
        print(f"{args.name}: {budget.after_change()}")
    return 0


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    service = _service(ctx)
    name = service.resolve(args.name)
    if not args.yes:
        if not is_tty(sys.stdin):
            raise UsageError(f"not removing {name} without confirmation: add --yes")
        if not confirm(f"forget the wallet {name}? (its connection secret is deleted; the wallet itself is untouched)"):
            print("kept", file=sys.stderr)
            return 1
    _unlock(ctx, args)
    service.remove(name)
    print(f"removed {name}")
    return 0
