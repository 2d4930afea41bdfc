"""``sovtui chat``: one prompt, the reply streamed to stdout (like ``ollama run``).

``sovtui chats`` lists, shows, exports, renames and removes saved
conversations, and ``sovtui personas`` manages the named system prompts.

A model's words are shown, never obeyed: every fragment of a reply and its
thinking goes through ``safe_text`` before it is written, on a terminal and
in a pipe alike (a pipe often ends on a terminal: ``| tee``, ``| less -R``,
a log tailed later). ``--json`` is the faithful channel for scripts: every
character is kept, escaped. Files asked for by name (``chats export -o``)
keep the conversation exactly as it was sent.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import sys
import time
from typing import TYPE_CHECKING, TextIO

from sovtui.cli.common import add_host_option, add_json_option, confirm, is_tty, run, table
from sovtui.cli.output import print_json
from sovtui.cli.passphrase import add_passphrase_option
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line, safe_text

if TYPE_CHECKING:
    from sovtui.chat.models import Message
    from sovtui.chat.session import ChatSession, ReplyEvent
    from sovtui.chat.store import ConversationStore


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "chat",
        help="send a prompt and stream the reply (reads stdin without PROMPT)",
        description="Send a prompt to a model and stream the reply to stdout. The conversation is saved like the app's.",
    )
    p.add_argument("prompt", nargs="*", help="the prompt (default: read stdin)")
    p.add_argument("-m", "--model", help="model to use (default: the conversation's, [inference] model, else the first installed)")
    p.add_argument("--persona", help="a persona from config.toml (see 'sovtui personas list')")
    p.add_argument("-c", "--continue", dest="continue_id", metavar="ID", help="continue a saved conversation")
    p.add_argument("--think", action=argparse.BooleanOptionalAction, default=None, help="ask a reasoning model to think (or not)")
    p.add_argument("--temperature", type=float, help="model option")
    p.add_argument("--seed", type=int, help="model option, for repeatable replies")
    p.add_argument("--num-ctx", type=int, help="model option: context window in tokens")
    p.add_argument("--keep-alive", help="how long the model stays loaded, e.g. 10m or 0")
    p.add_argument("-y", "--yes", action="store_true", help="send to a public-internet host without asking")
    p.add_argument("--agent", metavar="NAME",
                   help="give the conversation to an agent: the model may check the balance, make and pay invoices "
                        "and sign notes with the agent's key, within its credential ('' takes it back)")
    p.add_argument("--approve-under", type=int, metavar="SATS",
                   help="with an agent: pay without asking below SATS for this run (never above its limit or the budget)")
    add_host_option(p)
    add_json_option(p)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_chat)

    chats = subparsers.add_parser("chats", help="list, show, export and remove saved conversations", description="Saved conversations.")
    chats.set_defaults(group_parser=chats)
    sub = chats.add_subparsers(dest="chats_command", metavar="ACTION")
    q = sub.add_parser("list", aliases=["ls"], help="saved conversations, newest first")
    q.add_argument("-s", "--search", metavar="WORDS",
                   help="only those where every word begins a word of the title or a message ('bit' finds Bitcoin; case and "
                        f"accents ignored); the newest {SNIPPETS} matches also show the words around the match")
    add_json_option(q)
    q.set_defaults(handler=cmd_list)
    q = sub.add_parser("show", help="print a conversation")
    q.add_argument("id", help="an id or a unique start of one")
    q.set_defaults(handler=cmd_show)
    q = sub.add_parser("export", help="a conversation as Markdown or JSON")
    q.add_argument("id")
    q.add_argument("--format", choices=("md", "json"), default="md")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    q.set_defaults(handler=cmd_export)
    q = sub.add_parser("rename", help="give a conversation a title")
    q.add_argument("id")
    q.add_argument("title", nargs="+")
    q.set_defaults(handler=cmd_rename)
    q = sub.add_parser("rm", help="delete a conversation")
    q.add_argument("id")
    q.add_argument("-y", "--yes", action="store_true", help="do not ask")
    q.set_defaults(handler=cmd_rm)

    personas = subparsers.add_parser("personas", help="named system prompts", description="Personas: named system prompts in config.toml.")
    personas.set_defaults(group_parser=personas)
    sub = personas.add_subparsers(dest="personas_command", metavar="ACTION")
    q = sub.add_parser("list", help="every persona and its prompt")
    add_json_option(q)
    q.set_defaults(handler=cmd_personas_list)
    q = sub.add_parser("set", help="create or change a persona (PROMPT or stdin)")
    q.add_argument("name")
    q.add_argument("prompt", nargs="*")
    q.set_defaults(handler=cmd_personas_set)
    q = sub.add_parser("rm", help="delete a persona")
    q.add_argument("name")
    q.set_defaults(handler=cmd_personas_rm)
    q = sub.add_parser("default", help="the persona new conversations start with ('' for none)")
    q.add_argument("name")
    q.set_defaults(handler=cmd_personas_default)


def _read_prompt(words: list[str]) -> str:
    if words:
        return " ".join(words)
    if is_tty(sys.stdin):
        print("type your prompt, then ctrl+d:", file=sys.stderr)
    return sys.stdin.read().rstrip()


def cmd_chat(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.session import ChatSession
    from sovtui.chat.store import ConversationStore

    if args.approve_under is not None and args.approve_under < 0:
        raise UsageError("--approve-under is a whole number of sats, 0 or more")
    prompt = _read_prompt(args.prompt)
    if not prompt.strip():
        raise UsageError("nothing to send: give a PROMPT or pipe text on stdin")
    store = ConversationStore(ctx.paths)
    if args.continue_id:
        session = ChatSession(ctx, store.load(args.continue_id), host_name=args.host, store=store)
    else:
        session = ChatSession.new(ctx, persona=args.persona, host_name=args.host, store=store)
    if args.agent or session.conversation.agent:
        from sovtui.cli.keys_cmd import open_vault

        open_vault(ctx, args)  # the agent's key, and its wallet's secret
    settings = session.settings()
    settings.model = args.model or settings.model
    settings.persona = settings.persona if args.persona is None else args.persona
    settings.agent = settings.agent if args.agent is None else args.agent
    for key, value in (("temperature", args.temperature), ("seed", args.seed), ("num_ctx", args.num_ctx), ("keep_alive", args.keep_alive), ("think", args.think)):
        if value is not None:
            settings.options[key] = value
    session.configure(settings)
    terminal = _give_to_agent(session, args) if session.conversation.agent else None

    target = session.target()
    warn = " — leaves your network" if target.locality.is_public else ""
    print(f"→ {safe_line(target.label)}{warn}", file=sys.stderr, flush=True)
    _allow_public(session, args.yes)

    out = sys.stdout
    writer = ReplyWriter(out, sys.stderr, dim=is_tty(sys.stderr), quiet=args.json)

    async def go() -> Message:
        async for event in session.send(prompt):
            writer.write(event)
        return session.conversation.messages[-1]

    try:
        reply = run(go())
    except KeyboardInterrupt:
        out.write("\n")
        print(f"stopped; the partial reply is saved in conversation {session.conversation.id}", file=sys.stderr)
        return 130
    finally:
        if terminal is not None and terminal is not sys.stdin:
            terminal.close()
    if args.json:
        print_json(
            {
                "conversation": session.conversation.id,
                "agent": session.conversation.agent or None,
                "tool_calls": writer.results,
                "host": target.name,
                "locality": target.locality.label,
                "model": reply.model,
                "content": reply.content,
                "thinking": reply.thinking,
                "done_reason": reply.done_reason,
                "eval_count": reply.eval_count,
                "eval_duration": reply.eval_duration,
                "prompt_eval_count": reply.prompt_eval_count,
                "tokens_per_second": reply.tokens_per_second,
            }
        )
    else:
        if not safe_text(reply.content).endswith("\n"):
            out.write("\n")
        if is_tty(sys.stderr):
            print(f"\x1b[2m{safe_line(reply.model)} · {reply.stats} · conversation {session.conversation.id}\x1b[0m", file=sys.stderr)
    return 0


class ReplyWriter:
    """Shows a streaming reply as ``sovtui chat`` does: the words on ``out``,
    the thinking on ``err`` (dimmed on a terminal), every fragment through
    ``safe_text`` (one translate per fragment: nothing heavier on this path)."""

    def __init__(self, out: TextIO, err: TextIO, *, dim: bool, quiet: bool = False) -> None:
        self.out, self.err, self.dim = out, err, dim
        #: --json: nothing is written as it comes; the results are kept for the JSON at the end.
        self.quiet = quiet
        self.thinking_shown = False
        #: An agent's tool calls and what they came to (``ToolResult.to_dict``), for ``--json``.
        self.results: list[dict[str, object]] = []

    def write(self, event: ReplyEvent) -> None:
        if event.kind == "tool_result" and event.result is not None:
            self.results.append(event.result.to_dict())
        if self.quiet:
            return
        if event.kind == "tool_call" and event.call is not None:
            from sovtui.agent.tools import describe_call

            self.err.write(f"  → {describe_call(event.call.name, event.call.arguments)}\n")
            self.err.flush()
            return
        if event.kind == "tool_result" and event.result is not None:
            self.err.write(f"  ← {safe_line(event.result.name)}: {event.result.summary()}\n")
            self.err.flush()
            return
        if event.kind == "thinking":
            if not self.thinking_shown:
                self.err.write("\x1b[2mthinking: " if self.dim else "thinking: ")
                self.thinking_shown = True
            self.err.write(safe_text(event.text))
            self.err.flush()
        elif event.kind == "content":
            if self.thinking_shown:
                self.err.write("\x1b[0m\n" if self.dim else "\n")
                self.err.flush()
                self.thinking_shown = False
            self.out.write(safe_text(event.text))
            self.out.flush()


def _give_to_agent(session: ChatSession, args: argparse.Namespace) -> TextIO | None:
    """An agent's conversation: a payment above its threshold is asked on the terminal (y/N);
    with no terminal it is refused. The terminal, to close."""
    from sovtui.cli.agent_cmd import owner_terminal, terminal_approver

    terminal: TextIO | None = owner_terminal()
    session.approve = terminal_approver(terminal) if terminal is not None else None
    session.approve_under = args.approve_under
    return terminal


def _allow_public(session: ChatSession, yes: bool) -> None:
    """Ask the person when the session says the prompt needs their yes (a public host)."""
    from sovtui.chat.session import PublicHostUnconfirmed

    try:
        session.check_destination()
    except PublicHostUnconfirmed as need:
        url = need.target.url
        if not yes:
            if not is_tty(sys.stdin):
                raise UsageError(f"{url} is on the public internet: add --yes to send your prompt there") from None
            if not confirm(f"send this prompt to {url}, on the public internet?"):
                raise UsageError("nothing sent") from None
        session.allow_public(need.target)


#: How many of a search's matches (the newest) show the words around the match: FTS5 reads a conversation again for each.
SNIPPETS = 100


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.index import words
    from sovtui.chat.store import ConversationStore

    store = ConversationStore(ctx.paths)
    terms = words(args.search or "")
    if args.json:
        found = store.search(args.search) if args.search else store.summaries()
        _report_problems(store)
        snippets = store.snippets(args.search, [s.id for s in found[:SNIPPETS]]) if terms else {}
        print_json([{"id": s.id, "title": s.title, "updated": s.updated.isoformat(), "model": s.model, "messages": s.messages,
                     "agent": s.agent or None, "nostr_peer": s.nostr_peer or None,
                     **({"snippet": snippets.get(s.id)} if terms else {})} for s in found])
        return 0
    # Plain rows, not a Summary each: a word in half of a year's conversations lists thousands (issue 19: faster than grep).
    listed = store.listing(args.search or "")
    _report_problems(store)
    if not listed:
        if args.search:
            print(f"no conversation matches {safe_line(args.search)!r}", file=sys.stderr)
        else:
            print("no conversations yet: start one with 'sovtui chat PROMPT' or in the app", file=sys.stderr)
        return 0
    snippets = store.snippets(args.search, [row[0] for row in listed[:SNIPPETS]]) if terms else {}
    rows = [[safe_line(cid), local_minute(at, updated), safe_line(model), _who(agent, peer) if agent or peer else "-",
             str(messages), safe_line(title)[:50]]
            for cid, title, updated, at, model, messages, agent, peer in listed]
    text = table(rows, ["ID", "UPDATED", "MODEL", "AGENT", "MSGS", "TITLE"])
    if terms and (snippets or is_tty(sys.stdout)):
        mark = _marker(terms)
        header, *lines = text.split("\n")
        out = [header]
        for line, row in zip(lines, rows):
            # The title is the last column: marking its words cannot shift the columns.
            title = row[5]
            out.append(line[: len(line) - len(title)] + mark(title) if title and line.endswith(title) else line)
            if row[0] in snippets:
                out.append("    " + mark(safe_line(snippets[row[0]])))
        text = "\n".join(out)
    sys.stdout.write(text + "\n")
    return 0


def _who(agent: str, nostr_peer: str) -> str:
    """The agent answering, and "nostr" when held over Nostr private messages."""
    return safe_line(" · ".join(part for part in (agent, "nostr" if nostr_peer else "") if part)) or "-"


def _report_problems(store: ConversationStore) -> None:
    for problem in store.problems:
        print(f"sovtui: {problem}", file=sys.stderr)


def local_minute(at: float, updated: str) -> str:
    """A conversation's time as the list shows it: ``%Y-%m-%d %H:%M`` in the local time zone.

    The same text as ``datetime.astimezone().strftime`` of the parsed
    ``updated``, three to four times sooner (thousands of rows in a search):
    ``astimezone`` takes the UTC offset from ``time.localtime`` of the
    timestamp rounded down to the second, as ``time.localtime(at)`` does
    here. Within 2**33 s of 1970 (the years 1697 to 2242) floats are
    closer together than a microsecond, so the index's float timestamp of a
    time in microseconds rounds down to the same second as the time itself;
    other times, and years before 1000 (which ``strftime`` does not pad),
    take the datetime way.
    """
    if -_EXACT < at < _EXACT:
        moment = time.localtime(at)
        if moment.tm_year >= 1000:
            return "%d-%02d-%02d %02d:%02d" % moment[:5]
    from sovtui.chat.index import parse_time

    return parse_time(updated).astimezone().strftime("%Y-%m-%d %H:%M")


#: Below 2**33 s, floats are spaced under 1e-6 s apart: a timestamp's second is exact (see ``local_minute``).
_EXACT = 2.0**33


def _marker(terms: list[str]) -> Callable[[str], str]:
    """Bold the matched words, on a terminal only (a pipe gets the text as it is)."""
    from sovtui.chat.index import highlights

    if not is_tty(sys.stdout):
        return lambda text: text

    def mark(text: str) -> str:
        out, at = [], 0
        for start, end in highlights(text, terms):
            out += [text[at:start], "\x1b[1m", text[start:end], "\x1b[22m"]
            at = end
        return "".join(out) + text[at:]

    return mark


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.export import export_text
    from sovtui.chat.store import ConversationStore

    print(safe_text(export_text(ConversationStore(ctx.paths).load(args.id), "md")), end="")
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.export import export_text, export_to_file
    from sovtui.chat.store import ConversationStore

    conversation = ConversationStore(ctx.paths).load(args.id)
    if args.output:
        written = export_to_file(conversation, args.output, args.format)
        print(f"wrote {safe_line(str(written))}", file=sys.stderr)
    else:
        text = export_text(conversation, args.format)
        # Markdown on a screen is shown safely; redirected (``> chat.md``), it is the file as it is.
        sys.stdout.write(safe_text(text) if is_tty(sys.stdout) else text)
    return 0


def cmd_rename(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.store import ConversationStore

    store = ConversationStore(ctx.paths)
    conversation = store.load(args.id)
    conversation.rename(" ".join(args.title))
    store.save(conversation)  # merged with what other processes wrote meanwhile
    print(f"renamed {conversation.id} to {safe_line(conversation.title)!r}")
    return 0


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.store import ConversationStore

    store = ConversationStore(ctx.paths)
    conversation = store.load(args.id)
    if not args.yes:
        if not is_tty(sys.stdin):
            raise UsageError(f"not deleting {conversation.id} without confirmation: add --yes")
        if not confirm(f"delete conversation {conversation.id} ({safe_line(conversation.title)!r}, {len(conversation.messages)} messages)?"):
            print("nothing deleted", file=sys.stderr)
            return 1
    store.delete(conversation.id)
    print(f"deleted {conversation.id}")
    return 0


def cmd_personas_list(args: argparse.Namespace, ctx: Context) -> int:
    personas = ctx.config.personas
    default = ctx.config.inference.persona
    if args.json:
        print_json({name: {"prompt": p.prompt, "default": name == default} for name, p in sorted(personas.items())})
        return 0
    for name, persona in sorted(personas.items()):
        mark = "*" if name == default else " "
        print(f"{mark} {safe_line(name)}: {safe_line(persona.prompt)}")
    return 0


def cmd_personas_set(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.personas import set_persona

    prompt = " ".join(args.prompt) if args.prompt else sys.stdin.read().strip()
    set_persona(ctx, args.name, prompt)
    print(f"saved persona {args.name}")
    return 0


def cmd_personas_rm(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.personas import delete_persona

    delete_persona(ctx, args.name)
    print(f"deleted persona {args.name}")
    return 0


def cmd_personas_default(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.chat.personas import set_default_persona

    set_default_persona(ctx, args.name)
    print(f"new conversations start with persona {args.name or '(none)'}")
    return 0
