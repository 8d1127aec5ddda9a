"""``make chaos PROFILE=pessimistic``, shortened to 60 s: every undocumented reading at its worst at once (balance
stream refused, account history in the 30/min bucket and 3 s behind, the taker speed bump, an auto-lend account
with 99.5 % of its USDC lent and redeemed on the order flag) on top of the seeded fault schedule, 20 pairs quoted.
The run ends with zero discrepancies, and the connector's history polling never draws a rate-limit 429."""
from test.e2e.test_chaos import run_chaos_command

import pytest

from backpack_chaos.schedule import CHAOS_FAULTS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pessimistic_run(tmp_path_factory):
    return run_chaos_command(tmp_path_factory.mktemp("chaos-pessimistic"), "--profile", "pessimistic")


def test_the_pessimistic_run_reconciles_to_the_ledger_without_a_history_429(pessimistic_run):
    result, report, _, _ = pessimistic_run
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert report["profile"] == "pessimistic" and len(report["trading_pairs"]) == 20
    assert set(report["faults_injected"]) == set(CHAOS_FAULTS) and not report["fault_injection_errors"]
    assert report["discrepancies"] == {name: 0 for name in report["discrepancies"]}
    assert not report["conservation_mismatches"]
    assert report["fills"] > 0 and report["fills"] == report["exchange_fills"]
    assert report["http_429"]["history_rate_limited"] == 0 and report["http_429"]["history_requests"] > 0
    assert "result              PASS" in result.stdout


def test_the_pessimistic_readings_were_in_force(pessimistic_run):
    _, report, _, _ = pessimistic_run
    assert report["metrics"]["balance_stream"]["refused"] is True
    assert report["auto_lend"]["on"] is True and report["auto_lend"]["lent_at_end"]
    assert report["auto_lend"]["redeemed"].get("USDC")  # quotes needed lent funds, redeemed on the order flag
    assert report["speed_bump"]["ms"] == 100.0 and report["speed_bump"]["held"] > 0
    assert report["extra_pair_drivers"].get("placed", 0) > 0
    assert sum(1 for pair in report["fills_by_pair"] if pair.startswith("TOKEN")) >= 5
