"""Each strategy template trades on the sandbox for a short bounded time through Hummingbot's own strategies:
cross-exchange MM (maker: our connector; taker: the sandbox's paper-trade variant) and the DCA V2 script
(Hummingbot's DCAExecutor: every level placed, at least one filled). Ledger reconciled, nothing left open."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def run_module(module, tmp_path, duration):
    report_path, log_path = tmp_path / "report.json", tmp_path / "run.log"
    result = subprocess.run(
        [sys.executable, "-m", module, "--duration", str(duration), "--report", str(report_path),
         "--log", str(log_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = log_path.read_text()
    # Everything stayed on loopback: no attempt to resolve an internet host (rate oracle, gateway, ...).
    assert "Name or service not known" not in log and "gaierror" not in log
    return json.loads(report_path.read_text()), result.stdout


def test_cross_exchange_market_making_template_makes_on_backpack_and_hedges_on_paper_trade(tmp_path):
    report, stdout = run_module("backpack_demo.xemm", tmp_path, 25)
    assert report["strategy"] == "cross_exchange_market_making"
    assert report["maker"] == "backpack_sandbox" and report["taker"] == "backpack_sandbox_paper_trade"
    assert report["orders_created"] > 0
    assert report["fills"] > 0 and report["fills"] == report["exchange_fills"]
    assert report["hedge_fills"] > 0  # maker fills hedged by simulated fills on the paper-trade taker
    assert report["open_orders_at_exit"] == 0
    assert report["ledger_match"] is True
    assert "maker orders placed" in stdout and "ledger              MATCH" in stdout  # progress lines + summary


def test_dca_template_places_every_level_and_fills_one(tmp_path):
    report, stdout = run_module("backpack_demo.dca", tmp_path, 30)
    assert report["strategy"].startswith("backpack_dca")
    assert report["levels"] == 3 and report["levels_placed"] == report["levels"]
    assert report["level_fills"] >= 1
    assert report["executors"] == 1
    assert report["fills"] == report["exchange_fills"] and report["open_orders_at_exit"] == 0
    assert report["ledger_match"] is True
    assert "levels placed 3/3" in stdout and "levels placed       3/3" in stdout  # progress line + summary
    assert "ledger              MATCH" in stdout
