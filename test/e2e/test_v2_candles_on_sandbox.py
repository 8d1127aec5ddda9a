"""Candles for V2 on the sandbox: ``MarketDataProvider`` builds Hummingbot's shipped ``BackpackSpotCandles`` feed
(URLs pointed at the sandbox by configuration) attached to our connector — shared throttler, no 429 — which
backfills past minutes over REST and follows the live one over WS; the candle-driven script ``backpack_bollinger.py``
opens PositionExecutor positions on its Bollinger signal, and the ledger matches."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_bollinger_script_trades_on_backpack_candles_through_our_connector(tmp_path):
    report_path, log_path = tmp_path / "report.json", tmp_path / "run.log"
    result = subprocess.run(
        [sys.executable, "-m", "backpack_demo.bollinger", "--duration", "40", "--report", str(report_path),
         "--log", str(log_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    log = log_path.read_text()
    assert "Name or service not known" not in log and "gaierror" not in log
    # Backfill + live: four consecutive minutes, the last one the current minute (streamed while it is open).
    minutes = report["candle_minutes"]
    assert report["candles_ready"] and len(minutes) == 4
    assert [b - a for a, b in zip(minutes, minutes[1:])] == [60, 60, 60]
    assert minutes[-1] >= (time.time() - report["duration_s"] - 120) // 60 * 60
    assert report["feed_connector"] == "backpack_sandbox" and report["feed_shares_throttler"] is True
    assert report["rate_limited_429"] == 0 and " 429 " not in log
    # Signals → positions → fills, reconciled.
    assert len(report["signals"]) == 2 and report["executors"] == 2
    assert report["fills"] >= 2 and report["fills"] == report["exchange_fills"]
    assert report["open_orders_at_exit"] == 0 and report["ledger_match"] is True
