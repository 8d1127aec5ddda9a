"""Every V2 executor through our connector under the chaos fault schedule (``python -m backpack_demo.v2 --executor
all --chaos-seed 1``, 18 s each, every fault kind injected once): zero discrepancies between the connector and the
sandbox ledger (fills, orders, balances), nothing left open — for xemm and arbitrage on both sandbox accounts
(``backpack_sandbox`` and ``backpack_sandbox_2``)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backpack_chaos.schedule import CHAOS_FAULTS

REPO = Path(__file__).resolve().parents[2]
KINDS = ("order", "position", "grid", "twap", "xemm", "arbitrage")
pytestmark = pytest.mark.e2e


def test_every_executor_under_faults_ends_with_zero_discrepancies(tmp_path):
    report_path, log_path = tmp_path / "v2-chaos.json", tmp_path / "v2-chaos.log"
    result = subprocess.run(
        [sys.executable, "-m", "backpack_demo.v2", "--executor", "all", "--duration", "18", "--chaos-seed", "1",
         "--report", str(report_path), "--log", str(log_path)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    runs = json.loads(report_path.read_text())["runs"]
    assert set(runs) == set(KINDS)
    for kind, run in runs.items():
        assert run["chaos_seed"] == 1
        assert set(run["faults_injected"]) == set(CHAOS_FAULTS), kind
        assert run["orders_created"] > 0, kind
        assert not any(run["discrepancies"].values()), (kind, run["discrepancy_details"])
        assert not run["conservation_mismatches"], kind
        assert run["open_orders_at_exit"] == 0 and run["ledger_match"] is True, kind
        second = run["second_account"]
        if kind in ("xemm", "arbitrage"):
            assert second["connector"] == "backpack_sandbox_2", kind
            assert not any(second["discrepancies"].values()), (kind, second["discrepancy_details"])
            assert not second["conservation_mismatches"], kind
            assert second["open_orders_at_exit"] == 0 and second["ledger_match"] is True, kind
            if kind == "arbitrage":  # its rounds start at once: both accounts trade under faults
                assert second["orders_created"] > 0 and second["fills"] == second["exchange_fills"] > 0
        else:
            assert second is None, kind
