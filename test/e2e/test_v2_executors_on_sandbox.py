"""Every Hummingbot V2 executor the wheel ships for CEX trading (order, position, grid, twap, xemm, arbitrage) runs
through our connector on the sandbox (``python -m backpack_demo.v2 --executor all``, 20 s each, one process per
executor): each places orders, shows its expected fills, leaves nothing open and matches the sandbox ledger; xemm and
arbitrage trade on two sandbox accounts (``backpack_sandbox`` and ``backpack_sandbox_2``), each matched with its own
side of the ledger."""
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from backpack_harness.settle import scorecard_disagreements

REPO = Path(__file__).resolve().parents[2]
KINDS = ("order", "position", "grid", "twap", "xemm", "arbitrage")
TWO_ACCOUNT_KINDS = ("xemm", "arbitrage")
pytestmark = pytest.mark.e2e


def run_v2(tmp_path, *extra):
    report_path, log_path = tmp_path / "v2.json", tmp_path / "v2.log"
    result = subprocess.run(
        [sys.executable, "-m", "backpack_demo.v2", "--executor", "all", "--duration", "20",
         "--report", str(report_path), "--log", str(log_path), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    report = json.loads(report_path.read_text())
    for kind in KINDS:
        log = log_path.with_name(f"v2-{kind}.log").read_text()
        # Everything stayed on loopback: no attempt to resolve an internet host (rate oracle, gateway, ...).
        assert "Name or service not known" not in log and "gaierror" not in log, kind
    return result, report["runs"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    result, runs = run_v2(tmp_path_factory.mktemp("v2"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert "ledger              MATCH" in result.stdout
    return runs


@pytest.mark.parametrize("kind", KINDS)
def test_executor_trades_through_our_connector_and_matches_the_ledger(runs, kind):
    run = runs[kind]
    assert run["executor"] == kind and run["executors"] >= 1
    assert run["orders_created"] > 0
    assert run["fills"] == run["exchange_fills"]
    assert run["open_orders_at_exit"] == 0
    assert run["ledger_match"] is True, run["ledger"]
    second = run["second_account"]
    if kind in TWO_ACCOUNT_KINDS:
        assert second["connector"] == "backpack_sandbox_2" and second["orders_created"] == run["hedge_orders"] > 0
        assert second["fills"] == second["exchange_fills"] == run["hedge_fills"]
        assert second["open_orders_at_exit"] == 0
        assert second["ledger_match"] is True, second["ledger"]
        assert not any(second["ledger"].values()), second["ledger"]
    else:
        assert second is None


@pytest.mark.parametrize("kind", KINDS)
def test_executor_run_reports_a_maker_scorecard_the_sandbox_agrees_with(runs, kind):
    run = runs[kind]
    market = run["maker_scorecard"]["markets"]["SOL-USDC"]
    assert market["fills"] == run["fills"]
    assert scorecard_disagreements(run) == []


def test_order_executor_quotes_two_levels_each_side_then_closes_at_market(runs):
    run = runs["order"]
    assert run["orders_created"] >= 4  # bid and ask on two levels
    assert run["maker_scorecard"]["markets"]["SOL-USDC"]["two_sided_share"] > 0  # quoted both sides
    assert run["close_types"].get("EARLY_STOP", 0) >= 1  # quotes withdrawn (refresh or end of quoting)
    close = run["market_close"]
    if Decimal(run["quote_net_base"]) != 0:  # the quotes left a position: a MARKET order closes all of it
        assert isinstance(close, dict) and close["filled"] == close["amount"]
    else:  # nothing filled, or the fills offset each other: no close is sent
        assert close == "not needed"


def test_position_executors_close_by_their_barriers(runs):
    run = runs["position"]
    assert run["executors_closed"] == 3
    assert run["positions"]["time_limit"] == "TIME_LIMIT"
    assert set(run["positions"].values()) <= {"TAKE_PROFIT", "STOP_LOSS", "TIME_LIMIT"}
    assert run["fills"] >= 3 + 3  # three MARKET entries, three closes


def test_grid_executor_rests_limit_maker_levels(runs):
    assert runs["grid"]["orders_created"] >= 2


def test_twap_executor_fills_every_slice(runs):
    run = runs["twap"]
    assert run["close_types"] == {"COMPLETED": 1}
    assert run["fills"] >= run["slices"] >= 3


def test_arbitrage_executor_completes_rounds_between_two_sandbox_accounts(runs):
    run = runs["arbitrage"]
    assert run["rounds_completed"] >= 1 and run["close_types"].get("COMPLETED", 0) == run["rounds_completed"]
    assert run["fills"] >= 1 and run["hedge_fills"] >= 1


def test_xemm_executor_hedges_maker_fills_on_the_second_sandbox_account(runs):
    """Hummingbot 20260922's XEMMExecutor ends a hedged round with no close type (``COMPLETED`` is never set), so
    a completed round is one whose maker and taker orders both filled."""
    run = runs["xemm"]
    assert run["hedge_fills"] >= 1 and run["hedged_executors"] >= 1
    assert set(run["hedged_close_types"]) <= {"NONE", "COMPLETED"}
    assert run["maker_scorecard"]["markets"]["SOL-USDC"]["maker_fills"] >= run["hedged_executors"]
