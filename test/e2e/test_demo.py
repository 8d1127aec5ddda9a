"""`make demo`'s job, shortened: Hummingbot's pure-MM strategy trades on the sandbox through our connector."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_demo_trades_leaves_nothing_open_and_matches_the_ledger(tmp_path):
    report_path, log_path = tmp_path / "demo-report.json", tmp_path / "demo.log"
    result = subprocess.run(
        [sys.executable, "-m", "backpack_demo", "--duration", "20", "--report", str(report_path), "--log", str(log_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["orders_created"] > 0
    assert report["fills"] > 0 and report["fills"] == report["exchange_fills"]
    assert report["open_orders_at_exit"] == 0
    assert report["ledger_match"] is True
    assert set(report) >= {"duration_s", "trading_pair", "orders_created", "orders_filled", "orders_cancelled",
                           "fills", "open_orders_at_exit", "balances_start", "balances_end", "fees_paid",
                           "ledger_match"}
    assert "[ " in result.stdout and "ledger              MATCH" in result.stdout  # progress lines + summary
    log = log_path.read_text()
    # Everything stayed on loopback: no attempt to resolve an internet host (rate oracle, gateway, ...).
    assert "Name or service not known" not in log and "gaierror" not in log
