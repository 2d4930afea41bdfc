"""The level and findings from constructed state, one case per level."""

from __future__ import annotations

from sovtui.net import Locality
from sovtui.sovereignty import AgentState, HostState, SovereigntyState, WalletState, assess

LOCAL = HostState("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE, answering=True, models=1)
LOCAL_TOOLS = HostState("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE, answering=True, models=2,
                        tools_models=["qwen3:4b"])
LAN = HostState("gpu-box", "http://192.168.1.20:11434", Locality.PRIVATE_NETWORK, answering=True, models=3)
PUBLIC = HostState("cloud", "https://ollama.example.com", Locality.PUBLIC_INTERNET, answering=True, models=5)


def ids(state: SovereigntyState) -> set[str]:
    return {finding.id for finding in assess(state).findings}


def test_level_0_when_nothing_answers() -> None:
    state = SovereigntyState(hosts=[HostState("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE, False)])
    assessment = assess(state)
    assert assessment.level == 0
    assert "ollama-missing" in ids(state)


def test_installed_but_stopped_says_how_to_start() -> None:
    state = SovereigntyState(
        hosts=[HostState("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE, False)],
        ollama_installed=True,
    )
    (finding,) = [f for f in assess(state).findings if f.id == "ollama-stopped"]
    assert finding.next_step == "start it with 'sovtui backend start'"


def test_the_built_in_engine_answering_is_local_inference_and_stopped_is_its_own_step() -> None:
    engine = HostState("builtin", "http://127.0.0.1:41234/v1", Locality.THIS_MACHINE, answering=True, models=1, builtin=True)
    ollama_down = HostState("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE, False)
    serving = SovereigntyState(hosts=[ollama_down, engine], ollama_installed=True, builtin_default=True)
    assert assess(serving).level == 2
    assert not {"ollama-missing", "ollama-stopped", "builtin-stopped"} & ids(serving)
    # The engine answers but new chats go to Ollama, which is down: that is still to fix.
    beside = SovereigntyState(hosts=[ollama_down, engine], ollama_installed=True, builtin_default=False)
    assert assess(beside).level == 2 and "ollama-stopped" in ids(beside)

    idle = HostState("builtin", "http://127.0.0.1:0/v1", Locality.THIS_MACHINE, False, models=1, builtin=True)
    stopped = SovereigntyState(hosts=[ollama_down, idle], builtin_default=True)
    assert assess(stopped).level == 0
    assert "builtin-stopped" in ids(stopped) and "ollama-missing" not in ids(stopped)
    # With autostart, sovtui starts it for the first prompt: its model answers a chat, local inference.
    on_demand = HostState("builtin", "http://127.0.0.1:0/v1", Locality.THIS_MACHINE, False, models=1, builtin=True, on_demand=True)
    ready = SovereigntyState(hosts=[ollama_down, on_demand], builtin_default=True, autostart=True, ollama_installed=True)
    assert assess(ready).level == 2
    assert "builtin-autostart" in ids(ready) and "ollama-stopped" not in ids(ready)
    empty = HostState("builtin", "http://127.0.0.1:0/v1", Locality.THIS_MACHINE, False, models=0, builtin=True)
    (finding,) = [f for f in assess(SovereigntyState(hosts=[empty], builtin_default=True, autostart=True)).findings
                  if f.id.startswith("builtin")]
    assert finding.id == "builtin-no-model" and "models suggest --host builtin" in finding.next_step


def test_a_host_of_the_users_own_called_builtin_is_not_the_engine() -> None:
    theirs = HostState("builtin", "http://127.0.0.1:8080/v1", Locality.THIS_MACHINE, False)  # builtin=False: theirs
    state = SovereigntyState(hosts=[theirs], ollama_installed=True)
    assert "ollama-stopped" in ids(state) and not {f for f in ids(state) if f.startswith("builtin")}


def test_level_1_when_only_a_public_host_answers() -> None:
    state = SovereigntyState(hosts=[PUBLIC])
    assert assess(state).level == 1
    assert "public-host" in ids(state)


def test_a_host_with_no_model_does_not_count() -> None:
    empty = HostState("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE, answering=True, models=0)
    state = SovereigntyState(hosts=[empty], ollama_installed=True, recommended_model="gemma3:1b")
    assert assess(state).level == 0
    (finding,) = [f for f in assess(state).findings if f.id == "no-model"]
    assert "sovtui models pull gemma3:1b" in finding.next_step


def test_level_2_with_a_local_or_lan_model() -> None:
    assert assess(SovereigntyState(hosts=[LOCAL], ollama_installed=True)).level == 2
    assert assess(SovereigntyState(hosts=[LAN, PUBLIC])).level == 2


def test_unprotected_keys_do_not_reach_level_3() -> None:
    state = SovereigntyState(
        hosts=[LOCAL], ollama_installed=True, vault_exists=True, vault_protected=False,
        owner_keys=1, wallets=[WalletState("alby", 10_000, "day")],
    )
    assert assess(state).level == 2
    assert "keys-unprotected" in ids(state)


def test_level_3_with_protected_owner_key_and_wallet() -> None:
    state = SovereigntyState(
        hosts=[LOCAL], ollama_installed=True, vault_exists=True, vault_protected=True,
        owner_keys=1, wallets=[WalletState("alby")],
    )
    assert assess(state).level == 3
    assert {"wallet-no-budget", "no-agent"} <= ids(state)


def agent_state(**changes: object) -> SovereigntyState:
    """An owner, a budgeted wallet, bot with a live credential on it, and a local model that can use tools."""
    base: dict[str, object] = dict(
        hosts=[LOCAL_TOOLS], ollama_installed=True, vault_exists=True, vault_protected=True,
        owner_keys=1, agent_keys=1, live_credentials=1, wallets=[WalletState("alby", 10_000, "day")],
        agents=[AgentState("bot", "live", "alby")],
    )
    base.update(changes)
    return SovereigntyState(**base)  # type: ignore[arg-type]


def test_level_4_only_with_an_agent_that_can_act() -> None:
    assessment = assess(agent_state())
    assert assessment.level == 4
    assert assessment.to_dict()["level_name"] == "autonomous agent"
    assert not [f for f in assessment.findings if f.severity == "risk"]
    assert not {"no-tools-model", "agent-no-wallet", "no-credential"} & ids(agent_state())


def test_a_key_and_credential_without_a_tools_model_stay_at_3() -> None:
    """What the top bar used to call an autonomous agent: key and credential, but no model can call its tools."""
    state = agent_state(hosts=[LOCAL])
    assert assess(state).level == 3
    (finding,) = [f for f in assess(state).findings if f.id == "no-tools-model"]
    assert "cannot act" in finding.title and "sovtui models pull qwen3" in finding.next_step
    # a tools model only on a public host does not count
    public_tools = HostState("cloud", "https://ollama.example.com", Locality.PUBLIC_INTERNET, True, 5, ["qwen3:32b"])
    assert assess(agent_state(hosts=[LOCAL, public_tools])).level == 3


def test_an_agent_without_a_wallet_or_a_live_credential_stays_at_3() -> None:
    no_wallet = agent_state(agents=[AgentState("bot", "live", "")])
    assert assess(no_wallet).level == 3 and "agent-no-wallet" in ids(no_wallet)
    for credential in ("revoked", "expired", "none"):
        assert assess(agent_state(agents=[AgentState("bot", credential, "alby")])).level == 3
    # a live credential held by another agent key than the one with the wallet does not make an acting agent
    split = agent_state(agents=[AgentState("bot", "revoked", "alby"), AgentState("other", "live", "")])
    assert assess(split).level == 3
    # the agent's wallet must have a budget
    unbudgeted = agent_state(wallets=[WalletState("alby"), WalletState("spare", 5_000, "day")])
    assert assess(unbudgeted).level == 3


def test_agent_without_credential_stays_at_3() -> None:
    state = SovereigntyState(
        hosts=[LOCAL], ollama_installed=True, vault_exists=True, vault_protected=True,
        owner_keys=1, agent_keys=1, live_credentials=0, wallets=[WalletState("alby", 10_000, "day")],
    )
    assert assess(state).level == 3
    assert "no-credential" in ids(state)


def test_loose_file_modes_are_a_risk() -> None:
    state = SovereigntyState(loose_files=["/home/me/.config/sovtui/config.toml"])
    (finding,) = [f for f in assess(state).findings if f.id == "loose-permissions"]
    assert finding.severity == "risk"
    assert finding.next_step == "chmod 600 '/home/me/.config/sovtui/config.toml'"
    folder = SovereigntyState(loose_files=["/home/me/.local/share/sovtui/"])
    (finding,) = [f for f in assess(folder).findings if f.id == "loose-permissions"]
    assert finding.next_step == "chmod 700 '/home/me/.local/share/sovtui'"


def test_json_shape() -> None:
    data = assess(SovereigntyState()).to_dict()
    assert set(data) == {"level", "level_name", "findings"}
    assert all(set(f) == {"id", "severity", "title", "next_step"} for f in data["findings"])
