"""The chat, persistence and kill -9 tests, run again against an OpenAI-compatible host.

The test functions are the Ollama ones, imported (not copied); this module's
``ollama`` fixture is the OpenAI-compatible emulator as config's ``local``
host (``api = "openai"``), so each runs once per API. Left out: what only
Ollama's API has (``think``, ``keep_alive``, the /api/chat body, "pull one").
"""

from __future__ import annotations

from tests.chat.test_cli_chat import (  # noqa: F401 - collected here, against the OpenAI API
    test_chats_list_show_export_rm,
    test_kill_9_mid_reply_leaves_a_readable_conversation,
)
from tests.chat.test_session_and_store import (  # noqa: F401
    test_backend_dying_mid_stream_keeps_what_arrived,
    test_cancelling_the_task_keeps_the_partial_reply,
    test_default_model_then_first_installed,
    test_edit_an_earlier_prompt_drops_what_followed,
    test_regenerate_replaces_the_last_reply,
    test_reply_streams_and_is_saved_with_stats,
    test_saves_at_least_every_second_while_streaming,
    test_stop_mid_stream_keeps_the_partial_reply,
    test_the_end_of_a_reply_is_announced_before_it_is_saved,
    test_unknown_model_keeps_the_prompt_and_no_empty_reply,
)
from tests.openai_fixtures import openai_as_ollama as ollama  # noqa: F401 - the host these tests talk to
from tests.openai_fixtures import openai_local  # noqa: F401


def test_these_tests_talk_to_the_openai_api(ollama, ctx) -> None:  # type: ignore[no-untyped-def]
    """The tests above reach the OpenAI-compatible emulator through config's ``local`` host."""
    from tests.openai_emulator import OpenAIEmulator

    assert isinstance(ollama, OpenAIEmulator)
    target = ctx.host()
    assert (target.api, target.url) == ("openai", ollama.url)
