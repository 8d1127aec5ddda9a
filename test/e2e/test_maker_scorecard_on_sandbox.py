"""A short pure-MM session (``python -m backpack_demo``, 20 s) on the sandbox: the connector's maker scorecard
(``metrics_snapshot()["maker"]``) agrees with the sandbox's own view of the same window — maker and total volume
and fill counts exactly, two-sided and uptime shares within 2 percentage points."""
from decimal import Decimal
from test.e2e.module_run import run_report_command

import pytest

from backpack_harness.settle import scorecard_disagreements

pytestmark = pytest.mark.e2e


def test_connector_scorecard_matches_the_sandboxs_view(tmp_path):
    result, report, _ = run_report_command("backpack_demo", tmp_path, "--duration", "20")
    card = report["maker_scorecard"]
    assert card["band_bps"] == "100" and card["window_s"] >= 20
    market = card["markets"]["SOL-USDC"]
    assert market["fills"] == report["fills"] > 0
    assert Decimal(market["volume_quote"]) > 0 and market["uptime_share"] > 0.5 and market["two_sided_share"] > 0.3
    assert scorecard_disagreements(report) == []
    assert "maker scorecard     SOL-USDC: maker " in result.stdout
