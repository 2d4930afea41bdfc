"""``sovtui keys``: your Nostr keys and your agents', kept in the encrypted vault.

Secret material never travels through argv: imports read stdin (hidden on a
terminal), passphrases come from a prompt, ``--passphrase-file`` or
``SOVTUI_PASSPHRASE``. A secret is printed only by ``export`` with an explicit
``--nsec`` or ``--ncryptsec``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from typing import TYPE_CHECKING

from sovtui.cli.common import add_json_option, described, is_tty, table
from sovtui.cli.output import print_json
from sovtui.cli.passphrase import add_passphrase_option, ask, get_passphrase
from sovtui.context import Context
from sovtui.errors import UsageError

if TYPE_CHECKING:
    from sovtui.identity.credentials import CredentialBook
    from sovtui.identity.keys import KeyStore
    from sovtui.identity.vault import Vault


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="your Nostr keys and your agents' (encrypted vault)", description=described(__doc__))
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION")

    p = sub.add_parser("list", help="labels, roles and npubs (no secrets)")
    add_json_option(p)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("new", help="generate a key pair")
    p.add_argument("--label", required=True)
    p.add_argument("--role", choices=("owner", "agent"), default="owner")
    p.add_argument("--unprotected", action="store_true", help="when creating the vault: no passphrase (plain text, 0600)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_new)

    p = sub.add_parser(
        "import",
        help="import an nsec, hex, ncryptsec or NIP-06 seed phrase read from stdin (never argv)",
        description="Import a key read from stdin (hidden on a terminal): an nsec, 64 hex digits, an ncryptsec (its own "
        "password is asked, or SOVTUI_KEY_PASSWORD) or a NIP-06 seed phrase of 12 to 24 words.",
    )
    p.add_argument("--label", required=True)
    p.add_argument("--role", choices=("owner", "agent"), default="owner")
    p.add_argument("--account", type=int, default=0, metavar="N", help="for a seed phrase: the account in m/44'/1237'/N'/0/0 (default 0)")
    p.add_argument("--unprotected", action="store_true", help="when creating the vault: no passphrase (plain text, 0600)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export", help="print a key as npub or nprofile; as nsec or ncryptsec only when asked")
    p.add_argument("label")
    form = p.add_mutually_exclusive_group(required=True)
    for fmt in ("npub", "nprofile", "nsec", "ncryptsec"):
        form.add_argument(f"--{fmt}", dest="format", action="store_const", const=fmt)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("rm", help="delete a key (type its label to confirm)")
    p.add_argument("label")
    p.add_argument("--confirm", metavar="LABEL", help="the label again, for scripts")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_rm)

    p = sub.add_parser("passwd", help="change the vault passphrase (re-encrypts everything at once)")
    p.add_argument("--unprotected", action="store_true", help="remove the passphrase (plain text, 0600)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_passwd)

    p = sub.add_parser("sign", help="sign TEXT (or stdin) as a key: prints the event JSON (not published)")
    p.add_argument("label")
    p.add_argument("text", nargs="*")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_sign)

    p = sub.add_parser("verify", help="check a signed event (FILE or stdin): prints the signer's npub")
    p.add_argument("file", nargs="?")
    p.set_defaults(handler=cmd_verify)

    cred = sub.add_parser("credential", help="an agent's spending credential: issue, verify, revoke")
    cred.set_defaults(group_parser=cred)
    csub = cred.add_subparsers(dest="credential_command", metavar="ACTION")
    c = csub.add_parser("issue", help="sign a credential for an agent key (prints the event JSON)")
    c.add_argument("--owner", required=True, metavar="LABEL", help="the owner key that signs it")
    c.add_argument("--agent", required=True, metavar="LABEL", help="the agent key it lets spend")
    c.add_argument("--limit", required=True, type=int, metavar="SATS", help="the most the agent may spend in a period")
    c.add_argument("--period", required=True, choices=("day", "week", "month"), help="how often the limit starts again")
    c.add_argument("--expires", type=int, default=30, metavar="DAYS", help="days until it expires (default 30)")
    add_passphrase_option(c)
    c.set_defaults(handler=cmd_credential_issue)
    c = csub.add_parser("list", help="the credentials you issued here, live, expired or revoked, newest first")
    add_json_option(c)
    c.set_defaults(handler=cmd_credential_list)
    c = csub.add_parser("verify", help="check a credential (FILE or stdin), against revocations kept here too; exit 1 if invalid, expired or revoked")
    c.add_argument("file", nargs="?")
    c.add_argument("--revocation", metavar="FILE", help="a revocation to check it against")
    add_json_option(c)
    c.set_defaults(handler=cmd_credential_verify)
    c = csub.add_parser("revoke", help="sign a revocation of a credential (FILE or stdin)")
    c.add_argument("file", nargs="?")
    c.add_argument("--owner", required=True, metavar="LABEL")
    add_passphrase_option(c)
    c.set_defaults(handler=cmd_credential_revoke)


# --- the vault ---------------------------------------------------------------------


def open_vault(ctx: Context, args: argparse.Namespace, *, create: bool = False) -> Vault:
    from sovtui.identity.access import Opening, open_or_create, opening
    from sovtui.identity.vault import EmptyPassphrase, NoVault, WrongPassphrase

    vault = ctx.vault
    needs = opening(vault)
    if needs is Opening.NO_VAULT:
        if not create:
            raise NoVault("you have no keys yet: create one with 'sovtui keys new --label me'")
        unprotected = bool(getattr(args, "unprotected", False))
        passphrase = None if unprotected else get_passphrase(args, prompt="new vault passphrase: ", confirm=True)
        made = False
        try:
            made = open_or_create(vault, passphrase)
        except EmptyPassphrase as exc:
            raise UsageError(f"{exc}, or pass --unprotected to keep keys in plain text") from None
        except WrongPassphrase:
            if passphrase is not None:
                raise
            vault.unlock(get_passphrase(args))  # --unprotected, but another sovtui just made a protected one
        if not vault.is_protected and (passphrase is not None or made):
            how = "the vault is" if made else "another sovtui just made the vault"
            print(f"sovtui: {how} UNPROTECTED: keys are kept in plain text (mode 0600). 'sovtui keys passwd' adds a passphrase.", file=sys.stderr)
        return vault
    if needs is not Opening.OPEN:
        vault.unlock(get_passphrase(args) if needs in (Opening.PASSPHRASE, Opening.PASSPHRASE_CHANGED) else None)
    return vault


def _store(ctx: Context, args: argparse.Namespace, *, create: bool = False) -> KeyStore:
    from sovtui.identity.keys import KeyStore

    return KeyStore(open_vault(ctx, args, create=create))


def _key_password(prompt: str, *, confirm: bool = False) -> str:
    if "SOVTUI_KEY_PASSWORD" in os.environ:
        return os.environ["SOVTUI_KEY_PASSWORD"]
    return ask(prompt, confirm=confirm, what="the ncryptsec's password", hint="set SOVTUI_KEY_PASSWORD")


# --- commands ----------------------------------------------------------------------


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    if not ctx.vault.exists:
        keys = []
    else:
        keys = _store(ctx, args).list()
    if args.json:
        print_json([k.to_dict() for k in keys])
        return 0
    if not keys:
        print("no keys yet: 'sovtui keys new --label me' makes one", file=sys.stderr)
        return 0
    print(table([[k.label, k.role, k.npub, k.created[:10]] for k in keys], ["LABEL", "ROLE", "NPUB", "CREATED"]))
    return 0


def cmd_new(args: argparse.Namespace, ctx: Context) -> int:
    info = _store(ctx, args, create=True).generate(args.label, args.role)
    print(f"{info.label} ({info.role}): {info.npub}")
    return 0


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.identity.keys import check_label, check_role, needs_key_password, parse_secret

    check_label(args.label)
    check_role(args.role)
    if is_tty(sys.stdin):
        import getpass

        text = getpass.getpass("paste the nsec, hex, ncryptsec or seed phrase (hidden): ")
    else:
        text = sys.stdin.read()
    if not text.strip():
        raise UsageError("no key on stdin: pipe or paste an nsec, hex, ncryptsec or seed phrase")
    password = _key_password("the ncryptsec's own password: ") if needs_key_password(text) else None
    parse_secret(text, key_password=password, account=args.account)  # a bad key is refused before the vault is touched
    info = _store(ctx, args, create=True).import_key(args.label, text, args.role, key_password=password, account=args.account)
    print(f"{info.label} ({info.role}): {info.npub}")
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    store = _store(ctx, args)
    password = _key_password("password for the ncryptsec: ", confirm=True) if args.format == "ncryptsec" else None
    print(store.export(args.label, args.format, relays=ctx.config.nostr.relays, password=password))
    return 0


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    store = _store(ctx, args)
    label = args.label
    info = store.deletable(label)
    shown = f"{label} ({info.short_npub})" if info else f"{label} (an entry the vault refuses to trust)"
    typed = args.confirm
    if typed is None:
        if not is_tty(sys.stdin):
            raise UsageError(f"not deleting {label} without confirmation: add --confirm {label}")
        typed = input(f"this deletes {shown} for good; type its label to confirm: ").strip()
    store.delete(label, confirm=typed)
    print(f"deleted {label}")
    return 0


def cmd_passwd(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.identity.access import change_passphrase
    from sovtui.identity.vault import EmptyPassphrase, NoVault

    vault = ctx.vault
    if not vault.exists:  # before any passphrase is asked for
        raise NoVault("there is no vault yet: 'sovtui keys new --label me' creates one")
    old = get_passphrase(args, prompt="current passphrase: ") if vault.is_protected else None
    if args.unprotected:
        new = None
    elif "SOVTUI_NEW_PASSPHRASE" in os.environ:
        new = os.environ["SOVTUI_NEW_PASSPHRASE"]
    else:
        new = ask("new passphrase: ", confirm=True, what="the new passphrase", hint="set SOVTUI_NEW_PASSPHRASE")
    try:
        change_passphrase(vault, old, new)
    except EmptyPassphrase as exc:
        raise UsageError(f"{exc}, or pass --unprotected") from None
    print("the vault is now " + ("protected by the new passphrase" if new else "UNPROTECTED (plain text, 0600)"))
    return 0


def cmd_sign(args: argparse.Namespace, ctx: Context) -> int:
    text = " ".join(args.text) if args.text else sys.stdin.read()
    event = _store(ctx, args).sign(args.label, text)
    print(json.dumps(event, ensure_ascii=False))
    return 0


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.identity import nip19
    from sovtui.identity.keys import verify_event

    print(nip19.hex_to_npub(verify_event(_read_input(args.file))))
    return 0


def _read_input(path: str | None) -> str:
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path} is not UTF-8 text: a Nostr event is JSON in UTF-8") from None
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise UsageError("the input is not UTF-8 text: a Nostr event is JSON in UTF-8") from None


def _book(ctx: Context) -> CredentialBook:
    from sovtui.identity.credentials import CredentialBook

    return CredentialBook(ctx.paths.data_dir / "credentials")


def cmd_credential_issue(args: argparse.Namespace, ctx: Context) -> int:
    event = _book(ctx).issue(_store(ctx, args), args.owner, args.agent, args.limit, args.period, expires_days=args.expires)
    print(json.dumps(event, ensure_ascii=False))
    return 0


def cmd_credential_list(args: argparse.Namespace, ctx: Context) -> int:
    kept = _book(ctx).all()
    if args.json:
        print_json([{**credential.to_dict(), "state": state} for credential, state in kept])
        return 0
    if not kept:
        print("no credentials issued yet: 'sovtui keys credential issue --owner L --agent L2 --limit SATS --period day'")
    for credential, state in kept:
        print(f"{state:<8} {credential.id[:12]}  {credential.describe()}")  # describe() is safe to show
    return 0


def cmd_credential_verify(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.identity import credentials
    from sovtui.text import safe_line

    credential = credentials.parse(_read_input(args.file))
    # A revocation handed over with --revocation counts, and so does one kept on this machine
    # (by id or by address), and so does a newer version of the same credential kept here.
    state = _book(ctx).state_of(credential, revocation=_read_input(args.revocation) if args.revocation else None)
    report = {**credential.to_dict(), "state": state, "revoked": state == "revoked", "replaced": state == "replaced", "valid": state == "live"}
    if args.json:
        print_json(report)
    else:
        shown = state.upper() if state != "live" else "valid"
        print(safe_line(f"{shown}: {report['agent']} may spend up to {credential.limit_sats:,} sats per {credential.period}, issued by {report['owner']}"))
    return 0 if report["valid"] else 1


def cmd_credential_revoke(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.identity import credentials

    credential = credentials.parse(_read_input(args.file))
    book = _book(ctx)
    book.check_revocable(credential)  # before the passphrase is asked for
    print(json.dumps(book.revoke(_store(ctx, args), credential, args.owner), ensure_ascii=False))
    return 0
