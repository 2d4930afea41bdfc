"""A conversation held on the built-in engine continues there, not on the default host."""

from __future__ import annotations

from sovtui.chat.models import Conversation, Message
from sovtui.chat.session import ChatSession


def test_a_saved_builtin_conversation_goes_back_to_the_builtin_engine(ctx) -> None:  # type: ignore[no-untyped-def]
    conversation = Conversation(host="builtin", model="smollm2", messages=[Message("user", "hi")])
    session = ChatSession(ctx, conversation)
    assert ctx.config.inference.host != "builtin"
    assert session.destination() == "builtin"
    assert session.target().name == "builtin"
    # a host of the user's own named "builtin" is theirs, and is used as any host is
    assert ChatSession(ctx, Conversation(host="gone-host")).destination() == ""
