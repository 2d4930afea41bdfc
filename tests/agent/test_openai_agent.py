"""The agent tests, run again against an OpenAI-compatible host.

The test functions are those of test_agent_acts.py, imported (not copied);
this module's ``ollama`` fixture is the OpenAI-compatible emulator as
config's ``local`` host, which streams tool calls as OpenAI does (an id, the
name, the arguments' JSON in pieces) and wants each result back by its
``tool_call_id``. A model that cannot take tools is refused by the server
(llama-server's 400), not by a capability list.
"""

from __future__ import annotations

from tests.agent.test_agent_acts import *  # noqa: F403 - collected here, against the OpenAI API
from tests.openai_fixtures import openai_as_ollama as ollama  # noqa: F401 - the host these tests talk to
from tests.openai_fixtures import openai_local  # noqa: F401
