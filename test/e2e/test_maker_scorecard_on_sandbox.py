"""A short pure-MM session (``python -m backpack_demo``, 20 s) on the sandbox: the connector's maker scorecard
(``metrics_snapshot()["maker"]``) agrees with the sandbox's own view of the same window — maker and total volume
and fill counts exactly, two-sided and uptime shares within 2 percentage points."""
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from backpack_harness.settle import scorecard_disagreements

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_connector_scorecard_matches_the_sandboxs_view(tmp_path):
    report_path, log_path = tmp_path / "demo-report.json", tmp_path / "demo.log"
    result = subprocess.run(
        [sys.executable, "-m", "backpack_demo", "--duration", "20", "--report", str(report_path),
         "--log", str(log_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    card = report["maker_scorecard"]
    assert card["band_bps"] == "100" and card["window_s"] >= 20
    market = card["markets"]["SOL-USDC"]
    assert market["fills"] == report["fills"] > 0
    assert Decimal(market["volume_quote"]) > 0 and market["uptime_share"] > 0.5 and market["two_sided_share"] > 0.3
    assert scorecard_disagreements(report) == []
    assert "maker scorecard     SOL-USDC: maker " in result.stdout
