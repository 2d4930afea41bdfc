"""``sovtui agent list | ask | log`` as real processes, against the emulator, the test relay and the wallet simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sovtui.wallet.bolt11 import decode
from sovtui.wallet.ledger import PENDING, SETTLED
from tests.conftest import ROOT
from tests.wallet.simulator import merchant_invoice


def pay(invoice: str) -> str:
    return "call pay_invoice " + json.dumps({"invoice": invoice})


def test_list_shows_the_agent_its_owner_wallet_and_limit(cli, agent_setup):
    result = cli("agent", "list", "--json")
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["name"], row["state"], row["owner"], row["wallet"], row["limit_sats"], row["left_sats"]) == (
        "bot", "live", "me", "main", 1_000, 1_000)
    table = cli("agent", "list")
    assert "bot" in table.stdout and "1,000/day" in table.stdout


def test_ask_pays_within_the_limits_and_shows_each_call(cli, agent_setup):
    invoice, _ = merchant_invoice(300, "a bill")
    result = cli("agent", "ask", "bot", f"call get_balance\n{pay(invoice)}")
    assert result.returncode == 0, result.stderr
    assert "→ get_balance()" in result.stderr and "← pay_invoice: paid: 300 sats" in result.stderr
    assert "Done." in result.stdout and "Traceback" not in result.stderr
    assert agent_setup["sim"].count("pay_invoice") == 1
    log = cli("agent", "log", "bot", "--json")
    assert [(e["tool"], e["outcome"]) for e in json.loads(log.stdout)] == [("get_balance", "ok"), ("pay_invoice", "ok")]


def test_ask_with_the_prompt_on_stdin_and_json(cli, agent_setup):
    result = cli("agent", "ask", "bot", "--json", input="call get_public_key\n")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["tool_calls"][0]["tool"] == "get_public_key" and data["tool_calls"][0]["result"]["npub"].startswith("npub1")
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "tool", "assistant"]


def test_ask_above_the_threshold_with_nobody_to_ask_is_refused_and_approve_under_never_lifts_the_limit(cli, agent_setup):
    invoice, _ = merchant_invoice(600, "needs approval")
    result = cli("agent", "ask", "bot", pay(invoice))
    assert result.returncode == 0 and "refused: the owner must approve" in result.stderr
    assert agent_setup["sim"].count("pay_invoice") == 0
    big, _ = merchant_invoice(1_200, "over the credential")
    result = cli("agent", "ask", "bot", pay(big), "--approve-under", "100000")
    assert "refused: over the credential's limit: 1,000 of 1,000 sats left today" in result.stderr
    result = cli("agent", "ask", "bot", pay(invoice), "--approve-under", "1000")
    assert "← pay_invoice: paid: 600 sats" in result.stderr
    assert agent_setup["sim"].count("pay_invoice") == 1


def test_a_model_without_tools_is_told_plainly(cli, agent_setup):
    result = cli("agent", "ask", "-m", "llama3.2:1b", "bot", "call get_balance")
    assert result.returncode == 1
    assert "cannot use tools" in result.stderr and "Traceback" not in result.stderr
    assert "its host does not list" in result.stderr  # any host: it said "Ollama" on the built-in engine too


def test_an_unknown_agent_and_a_damaged_log_line(cli, agent_setup, ctx):
    result = cli("agent", "ask", "nobody", "hello")
    assert result.returncode == 2 and "no agent key named 'nobody'" in result.stderr
    cli("agent", "ask", "bot", "call get_public_key")
    path = ctx.paths.state_dir / "agents" / "bot.log.jsonl"
    with path.open("ab") as handle:
        handle.write(b'{"time": 1, "tool": "pay_inv')  # a crash mid-line
    cli("agent", "ask", "bot", "call get_public_key")
    log = cli("agent", "log", "bot")
    assert log.returncode == 0 and "line 2 of" in log.stderr and "damaged" in log.stderr
    assert log.stdout.count("get_public_key") == 2


def start(*args: str) -> subprocess.Popen[str]:
    from tests.egress import egress_env

    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    return subprocess.Popen([sys.executable, "-m", "sovtui", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_agent_runs_at_once_cannot_overrun_the_credential(agent_setup):
    """Two processes, 600 sats each, against a 1,000-a-day credential (the budget, 5,000, would take both)."""
    sim, service = agent_setup["sim"], agent_setup["service"]
    for round_ in range(2):
        service.ledger("main").path.unlink(missing_ok=True)  # a new day each round
        before = sim.count("pay_invoice")
        invoices = [merchant_invoice(600, f"round {round_} bill {i}")[0] for i in range(2)]
        procs = [start("agent", "ask", "bot", pay(invoice), "--approve-under", "1000") for invoice in invoices]
        outs = [p.communicate(timeout=90) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        errs = [err for _, err in outs]
        assert sum("paid: 600 sats" in err for err in errs) == 1, errs
        assert sum("over the credential's limit" in err for err in errs) == 1, errs
        assert sim.count("pay_invoice") - before == 1
        paid = [p for p in service.ledger("main").payments() if p.state == "settled"]
        assert len(paid) == 1 and paid[0].payment_hash in {decode(i).payment_hash for i in invoices}


def test_kill_9_during_a_payment_leaves_it_pending_and_it_is_never_paid_twice(cli, agent_setup, ctx):
    """A real agent ask killed (SIGKILL) while its pay request is in flight; the next run looks it up."""
    sim, service = agent_setup["sim"], agent_setup["service"]
    sim.pay_delay = 30.0  # the wallet pays at once but answers late: the request is in flight when the process dies
    invoice, _ = merchant_invoice(100, "killed mid-payment")
    payment_hash = decode(invoice).payment_hash
    ledger = service.ledger("main")
    proc = start("agent", "ask", "bot", pay(invoice))
    try:
        deadline = time.monotonic() + 60
        while not (ledger.find(payment_hash) is not None and sim.count("pay_invoice")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert ledger.find(payment_hash).state == PENDING  # written before the request left
    sim.pay_delay = 0.0

    result = cli("agent", "ask", "bot", f"call get_balance\n{pay(invoice)}", "--approve-under", "1000")
    assert result.returncode == 0, result.stderr
    # looked up, not sent again: settled in the ledger, refused as already paid
    assert sim.count("lookup_invoice") >= 1 and sim.count("pay_invoice") == 1
    assert ledger.find(payment_hash).state == SETTLED
    assert "← pay_invoice: refused:" in result.stderr and "already paid" in result.stderr
    # the simulator's own record: one outgoing payment, paid once
    paid = [t for t in sim.transactions.values() if t["type"] == "outgoing"]
    assert [t["payment_hash"] for t in paid] == [payment_hash]
    assert sim.balance_sat == 100_000 - 100 - sim.fee_msat // 1000
    # it counts against the credential, and the log is readable (the killed run left no torn line)
    listed = json.loads(cli("agent", "list", "--json").stdout)[0]
    assert listed["spent_sats"] >= 100
    log = cli("agent", "log", "bot", "--json")
    assert "damaged" not in log.stderr
    assert [(e["tool"], e["outcome"]) for e in json.loads(log.stdout)][-2:] == [("get_balance", "ok"), ("pay_invoice", "refused")]
