"""A relay process and a wallet service simulator answering on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wallet.simulator import WalletSimulator


@pytest.fixture
def wallet_sim(relay) -> Iterator[WalletSimulator]:  # type: ignore[no-untyped-def]
    simulator = WalletSimulator(relay.url).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def nip04_sim(relay) -> Iterator[WalletSimulator]:  # type: ignore[no-untyped-def]
    """A legacy wallet service: NIP-04 only, no encryption tag understood but nip04."""
    simulator = WalletSimulator(relay.url, encryptions=("nip04",)).start()
    yield simulator
    simulator.stop()
