"""Real ``sovtui wallet pay`` processes started at the same moment against the same XDG folders.

Two SSH sessions, or a script and a person, paying at once: the budget and
"never twice" must hold between processes, not just inside one. Each child is
``python -m sovtui`` under the egress guard, talking to the wallet simulator
over the real test relay; the simulator counts what actually reached it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sovtui.wallet.bolt11 import decode
from sovtui.wallet.ledger import SETTLED
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.conftest import ROOT
from tests.wallet.simulator import merchant_invoice

PASSPHRASE = "pass phrase for two"
ROUNDS = 3


def start_cli(*args: str) -> subprocess.Popen[str]:
    from tests.egress import egress_env

    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    env["SOVTUI_PASSPHRASE"] = PASSPHRASE
    return subprocess.Popen([sys.executable, "-m", "sovtui", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=90)
    return proc.returncode, out, err


@pytest.fixture
def service(ctx, wallet_sim, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create(PASSPHRASE)
    svc = WalletService(ctx, timeout=10.0)
    svc.save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=1_000, budget_period="day", network="regtest")
    return svc


def test_two_processes_paying_600_against_1000_a_day_pay_exactly_one(service, wallet_sim):
    for round_ in range(ROUNDS):
        service.ledger("main").path.unlink(missing_ok=True)  # a new day for each round
        before = wallet_sim.count("pay_invoice")
        invoices = [merchant_invoice(600, f"round {round_} bill {i}")[0] for i in range(2)]
        procs = [start_cli("wallet", "pay", invoice, "--yes") for invoice in invoices]
        results = [finish(p) for p in procs]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 1], results
        refused = next(err for code, _, err in results if code == 1)
        assert "would pass your budget" in refused and "Traceback" not in refused
        assert wallet_sim.count("pay_invoice") - before == 1
        ledger = service.ledger("main").payments()
        assert [p.state for p in ledger] == [SETTLED]
        assert service.budget("main").spent_sat == 601  # 600 and the 1-sat fee the wallet reported


def test_two_processes_paying_the_same_invoice_pay_it_once(service, wallet_sim):
    service.set_budget("main", 10_000, "day")
    invoice, _ = merchant_invoice(700, "one bill, two shells")
    procs = [start_cli("wallet", "pay", invoice, "--yes") for _ in range(2)]
    results = [finish(p) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    assert wallet_sim.count("pay_invoice") == 1
    assert wallet_sim.balance_sat == 100_000 - 701
    assert service.ledger("main").find(decode(invoice).payment_hash).state == SETTLED
