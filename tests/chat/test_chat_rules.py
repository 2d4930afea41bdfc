"""The chat rules, once, at the service: what ``sovtui chat`` and the Chat pane both meet.

No screen and no terminal here: each rule is asked of ``sovtui.chat`` directly.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sovtui.chat.export import ExportFailed, export_text, export_to_file
from sovtui.chat.models import Conversation, Message, clean_title
from sovtui.chat.personas import set_default_persona, set_persona
from sovtui.chat.session import ChatSession, ChatSettings, PublicHostUnconfirmed, parse_option
from sovtui.chat.store import ConversationStore
from sovtui.config import HostConfig
from sovtui.context import Context
from sovtui.errors import UsageError


def public_host(ctx: Context, *, confirm: bool = True) -> None:
    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.hosts["cloud"] = HostConfig(url="https://203.0.113.9")
        config.privacy.confirm_public = confirm

    ctx.update_config(change)


# --- a public host needs the person's yes, once per conversation -------------------


def test_a_prompt_for_a_public_host_waits_for_a_yes_and_nothing_changes(ctx: Context) -> None:
    public_host(ctx)
    session = ChatSession.new(ctx, host_name="cloud")
    with pytest.raises(PublicHostUnconfirmed) as refused:
        session.send("secret plans")
    assert refused.value.target.url == "https://203.0.113.9:443"
    assert "public internet" in refused.value.question + refused.value.detail
    assert session.conversation.messages == []  # nothing appended, nothing saved
    assert ConversationStore(ctx.paths).summaries() == []


def test_once_allowed_the_conversation_is_not_asked_again(ctx: Context) -> None:
    public_host(ctx)
    session = ChatSession.new(ctx, host_name="cloud")
    with pytest.raises(PublicHostUnconfirmed) as refused:
        session.check_destination()
    session.allow_public(refused.value.target)
    assert session.check_destination().name == "cloud"
    session.send("hello")  # the stream is not read: no network in this test
    assert [m.content for m in session.conversation.messages] == ["hello"]


def test_regenerate_and_edit_ask_too(ctx: Context) -> None:
    public_host(ctx)
    conversation = Conversation(messages=[Message("user", "one"), Message("assistant", "reply")])
    session = ChatSession(ctx, conversation, host_name="cloud")
    with pytest.raises(PublicHostUnconfirmed):
        session.regenerate()
    with pytest.raises(PublicHostUnconfirmed):
        session.edit(0, "uno")
    assert [(m.role, m.content) for m in conversation.messages] == [("user", "one"), ("assistant", "reply")]


def test_no_question_for_this_machine_or_when_turned_off(ctx: Context) -> None:
    public_host(ctx, confirm=False)
    assert ChatSession.new(ctx, host_name="cloud").check_destination().name == "cloud"
    assert ChatSession.new(ctx).check_destination().locality.is_public is False


# --- personas, settings, titles, options ----------------------------------------------


def test_the_default_persona_must_exist(ctx: Context) -> None:
    with pytest.raises(UsageError, match="no persona named 'ghost'"):
        set_default_persona(ctx, "ghost")
    set_persona(ctx, "poet", "Answer in verse.")
    set_default_persona(ctx, "poet")
    assert ctx.reload().inference.persona == "poet"
    assert ChatSession.new(ctx).conversation.persona == "poet"
    set_default_persona(ctx, "")
    assert ctx.reload().inference.persona == ""


def test_settings_refuse_an_unknown_persona_and_are_saved_with_the_conversation(ctx: Context) -> None:
    session = ChatSession.new(ctx)
    with pytest.raises(UsageError, match="no persona named 'ghost'"):
        session.configure(ChatSettings(persona="ghost"))
    assert session.conversation.persona == ""
    session.conversation.messages.append(Message("user", "hi"))
    session.configure(ChatSettings(model="llama3.2:1b", options={"temperature": 0.2}))
    saved = ConversationStore(ctx.paths).load(session.conversation.id)
    assert (saved.model, saved.options) == ("llama3.2:1b", {"temperature": 0.2})


def test_the_planned_model_is_the_conversations_else_the_default(ctx: Context) -> None:
    session = ChatSession.new(ctx)
    assert session.planned_model() == ""  # the host's first installed one, found at send

    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.inference.model = "qwen3:0.6b"

    ctx.update_config(change)
    assert session.planned_model() == "qwen3:0.6b"
    session.conversation.model = "llama3.2:1b"
    assert session.planned_model() == "llama3.2:1b"


def test_a_title_is_one_line_and_not_empty() -> None:
    assert clean_title("  a\n long\ttitle ") == "a long title"
    assert len(clean_title("x" * 200)) == 80
    with pytest.raises(UsageError):
        Conversation().rename(" \n ")


def test_typed_options_are_read_or_refused_with_the_field_named() -> None:
    assert parse_option("temperature", " 0.7 ") == 0.7
    assert parse_option("num_ctx", "8192") == 8192
    assert parse_option("keep_alive", "10m") == "10m"
    with pytest.raises(UsageError, match="seed: expected a whole number, got 'abc'"):
        parse_option("seed", "abc")


def test_one_token_is_one_token() -> None:
    """At 80x24 a new user saw "prompt 1 tokens" under a reply."""
    assert Message("assistant", eval_count=1, prompt_eval_count=1).stats == "1 token · prompt 1 token"
    assert Message("assistant", eval_count=2, prompt_eval_count=18).stats == "2 tokens · prompt 18 tokens"


# --- export: one function, one private file, the user's folder left alone -----------------


def conversation() -> Conversation:
    found = Conversation(title="soup")
    found.messages += [Message("user", "recipe?"), Message("assistant", "Boil \x1b[31mwater\u202e.")]
    return found


def test_export_writes_a_private_file_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    written = export_to_file(conversation(), folder / "soup.md")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert written.read_text().startswith("# soup")
    assert "\x1b[31m" in written.read_text()  # the conversation exactly as it was sent


def test_export_expands_home_and_refuses_a_missing_folder(tmp_path: Path) -> None:
    written = export_to_file(conversation(), "~/soup.md")
    assert written == Path.home() / "soup.md" and written.is_file()
    with pytest.raises(ExportFailed, match="there is no folder"):
        export_to_file(conversation(), tmp_path / "nowhere" / "soup.md")
    with pytest.raises(UsageError):
        export_to_file(conversation(), tmp_path / "soup.txt", "txt")


def test_json_export_is_the_same_data_and_safe_to_show() -> None:
    text = export_text(conversation(), "json")
    assert "\x1b" not in text and "\u202e" not in text
    assert json.loads(text)["messages"][1]["content"] == "Boil \x1b[31mwater\u202e."
