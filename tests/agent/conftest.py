"""An agent ready to act: an owner and an agent key, a credential, a wallet on the simulator, a tools-capable model."""

from __future__ import annotations

from typing import Any

import pytest

from sovtui.config import AgentConfig
from sovtui.identity.credentials import CredentialBook
from sovtui.identity.keys import KeyStore
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri

PASSPHRASE = "agent pass phrase"
TOOLS_MODEL = "llama3.1:8b"


@pytest.fixture
def book(ctx) -> CredentialBook:  # type: ignore[no-untyped-def]
    return CredentialBook(ctx.paths.data_dir / "credentials")


@pytest.fixture
def keys(ctx, monkeypatch) -> KeyStore:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create(PASSPHRASE)
    store = KeyStore(ctx.vault)
    store.generate("me", "owner")
    store.generate("bot", "agent")
    return store


@pytest.fixture
def agent_setup(ctx, keys, book, wallet_sim, ollama, monkeypatch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """bot may spend 1,000 sats a day from main (budget 5,000 a day), below 500 sats without asking."""
    monkeypatch.setenv("SOVTUI_PASSPHRASE", PASSPHRASE)
    ollama.add_model(TOOLS_MODEL, family="llama", parameter_size="8.0B", capabilities=("completion", "tools"))
    service = WalletService(ctx, timeout=10.0)
    service.save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=5_000, budget_period="day", network="regtest")
    credential = book.issue(keys, "me", "bot", 1_000, "day")

    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.agents["bot"] = AgentConfig(wallet="main", approve_under=500, model=TOOLS_MODEL)

    ctx.update_config(change)
    return {"service": service, "credential": credential, "sim": wallet_sim, "ollama": ollama}
