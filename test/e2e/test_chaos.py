"""`make chaos`, shortened to 60 s: Hummingbot's pure MM and the order driver trade through our connector while the
sandbox injects every fault kind on a seeded schedule; afterwards the connector's fills, orders and balances equal
the exchange's ledger. The run uses a known secret, and nothing it writes (stdout, stderr, log, report) may contain
the secret in any encoding or the unmasked API key."""
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from test.e2e.secret_scan import leaks

import pytest
from nacl.signing import SigningKey

from backpack_chaos.schedule import CHAOS_FAULTS

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
SEED = bytes(range(100, 132))  # the run's account secret: known to this test, random to everyone else


def run_chaos_command(tmp: Path, *options: str):
    """``python -m backpack_chaos --duration 60 --seed 3 <options>`` in ``tmp`` with the known secret →
    ``(completed process, report or None, log text, secret)``."""
    report_path, log_path = tmp / "chaos-report.json", tmp / "chaos.log"
    secret = base64.b64encode(SEED).decode()
    env = dict(os.environ, BACKPACK_SANDBOX_SECRET=secret)
    result = subprocess.run(
        [sys.executable, "-m", "backpack_chaos", "--duration", "60", "--seed", "3", "--report", str(report_path),
         "--log", str(log_path), *options], cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return result, report, log_path.read_text() if log_path.exists() else "", secret


@pytest.fixture(scope="module")
def chaos_run(tmp_path_factory):
    return run_chaos_command(tmp_path_factory.mktemp("chaos"))


def test_chaos_run_injects_every_fault_and_reconciles_to_the_ledger(chaos_run):
    result, report, _, _ = chaos_run
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert set(report["faults_injected"]) == set(CHAOS_FAULTS) and not report["fault_injection_errors"]
    assert report["discrepancies"] == {name: 0 for name in report["discrepancies"]}
    assert set(report["discrepancies"]) >= {"missing_fills", "duplicate_fills", "orphan_orders",
                                            "unresolved_orders", "balance_mismatches"}
    assert report["fills"] > 0 and report["fills"] == report["exchange_fills"]
    assert report["reconnects"]["public"] >= 1 and report["reconnects"]["private"] >= 1
    assert report["resyncs"] >= 1
    assert report["driver"].get("batch_placed", 0) > 0 and report["driver"].get("cancels", 0) > 0
    assert "result              PASS" in result.stdout


def test_chaos_run_never_shows_the_secret_or_the_unmasked_api_key(chaos_run):
    result, report, log, secret = chaos_run
    api_key = base64.b64encode(bytes(SigningKey(SEED).verify_key)).decode()
    texts = {"stdout": result.stdout, "stderr": result.stderr, "log": log, "report": json.dumps(report)}
    assert log and report is not None
    assert leaks(texts, secret, api_key) == []
