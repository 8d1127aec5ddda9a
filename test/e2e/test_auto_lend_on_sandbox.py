"""Auto-lend (U5) end to end: Hummingbot's pure market making for an account with 90 % of its USDC lent and
``autoLend`` on quotes full size, fills, and reconciles with the sandbox ledger (lend positions in the totals) —
under both redemption readings (switch ``lend_redeem``: ``flag`` / ``always``). Each run is a child process (one
Hummingbot application per process)."""
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lend_redeem", ["flag", "always"])
def test_pure_mm_with_lent_usdc_quotes_full_size_and_reconciles(tmp_path, lend_redeem):
    report_path, log_path = tmp_path / "report.json", tmp_path / "run.log"
    result = subprocess.run(
        [sys.executable, "-m", "test.e2e.auto_lend_run", lend_redeem, str(report_path), str(log_path), "90"],
        cwd=REPO, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["start_balances"]["USDC"] == {"available": "50", "locked": "0", "lent": "450"}
    assert report["auto_lend_seen"] is True
    assert report["bid_amounts"] and all(Decimal(a) == Decimal("0.5") for a in report["bid_amounts"]), report
    assert not [f for f in report["failures"] if "INSUFFICIENT_FUNDS" in f], report["failures"]
    assert Decimal(report["redeemed"].get("USDC", "0")) > 0
    assert report["fills"] > 0 and report["fills"] == report["exchange_fills"]
    assert report["open_orders_at_exit"] == 0
    assert report["ledger_match"] is True, report["ledger"]
    assert Decimal(report["lent_total"]) > 0  # what stayed lent is part of the reconciled totals
