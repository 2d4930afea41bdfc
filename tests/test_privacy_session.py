"""A whole CLI session under the egress guard: models, chat, keys, wallet, doctor.

Every command runs as its own process, as a user would type it, with the
guard's audit hook inside. The session must reach level 4 while sovtui
connects to exactly two places: the model server and the wallet's relay, the
only ones this config names.
"""

from __future__ import annotations

import json

from sovtui.paths import Paths
from tests.conftest import run_cli
from tests.egress import take_child_violations
from tests.ollama_emulator import OllamaEmulator
from tests.wallet.simulator import merchant_invoice

PASS = {"SOVTUI_PASSPHRASE": "a long vault passphrase"}


def test_a_full_session_reaches_only_the_configured_hosts(ollama: OllamaEmulator, wallet_sim, xdg: Paths) -> None:
    def ok(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
        result = run_cli(*args, input=input, env=env)
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    # Models and chat, on the emulator.
    assert "llama3.2:1b" in {m["name"] for m in json.loads(ok("models", "list", "--json"))}
    ok("models", "pull", "gemma3:1b")
    ok("models", "pull", "smollm2:135m")  # one that can use tools: the agent below can act (level 4)
    reply = ok("chat", "-m", "llama3.2:1b", "say hello")
    assert reply.strip()
    assert len(json.loads(ok("chats", "list", "--json"))) == 1

    # Keys and an agent credential: no network at all.
    ok("keys", "new", "--label", "me", env=PASS)
    ok("keys", "new", "--label", "bot", "--role", "agent", env=PASS)
    signed = json.loads(ok("keys", "sign", "me", "a note", env=PASS))
    assert ok("keys", "verify", input=json.dumps(signed)).startswith("npub1")
    ok("keys", "credential", "issue", "--owner", "me", "--agent", "bot", "--limit", "1000", "--period", "day", env=PASS)

    # The wallet, over the test relay.
    ok("wallet", "connect", "home", "--budget", "10000", "--period", "day", input=wallet_sim.uri, env=PASS)
    assert json.loads(ok("wallet", "balance", "--json", env=PASS))["balance_sats"] == 100_000
    ok("wallet", "invoice", "500", "--json", env=PASS)
    bill, _ = merchant_invoice(700, "tea")
    ok("wallet", "pay", bill, "--yes", env=PASS)

    report = json.loads(ok("doctor", "--json"))
    assert report["level"] == 4, report["findings"]
    assert sorted(e["url"] for e in report["endpoints"]) == sorted([ollama.url, wallet_sim.relay_url])
    assert all(not e["public"] for e in report["endpoints"])
    assert take_child_violations() == []
