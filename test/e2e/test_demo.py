"""`make demo`'s job, shortened: Hummingbot's pure-MM strategy trades on the sandbox through our connector. The
run uses a known secret; nothing it writes may show the secret (any encoding) or the unmasked API key."""
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from test.e2e.secret_scan import leaks

import pytest
from nacl.signing import SigningKey

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_demo_trades_leaves_nothing_open_and_matches_the_ledger(tmp_path):
    report_path, log_path = tmp_path / "demo-report.json", tmp_path / "demo.log"
    seed = bytes(range(200, 232))
    secret = base64.b64encode(seed).decode()
    result = subprocess.run(
        [sys.executable, "-m", "backpack_demo", "--duration", "20", "--report", str(report_path),
         "--log", str(log_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=dict(os.environ, BACKPACK_SANDBOX_SECRET=secret))
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
    api_key = base64.b64encode(bytes(SigningKey(seed).verify_key)).decode()
    texts = {"stdout": result.stdout, "stderr": result.stderr, "log": log, "report": report_path.read_text()}
    assert leaks(texts, secret, api_key) == []
