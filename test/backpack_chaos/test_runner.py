"""The chaos run's verdict and summary (the run itself: ``test/e2e/test_chaos.py``)."""
from backpack_chaos.runner import DISCREPANCIES, chaos_failed, http_429s, summary_lines
from backpack_chaos.schedule import CHAOS_FAULTS

REPORT = {"duration_s": 60.0, "seed": 3, "faults_injected": {kind: 1 for kind in CHAOS_FAULTS},
          "reconnects": {"public": 2, "private": 1}, "resyncs": 4, "depth_gaps": 2, "orders_created": 10,
          "orders_filled": 5, "orders_cancelled": 5, "orders_failed": 0, "fills": 6, "exchange_fills": 6,
          "open_orders_at_exit": 0, "balances_start": {}, "balances_end": {}, "fees_paid": {}, "ledger_match": True,
          "conservation_mismatches": {}, "discrepancies": {name: 0 for name in DISCREPANCIES}, "settle_s": 2.5}


def test_a_run_fails_on_a_discrepancy_a_conservation_gap_a_fault_never_injected_or_no_fill():
    assert chaos_failed(REPORT) is None
    found = dict(REPORT, discrepancies=dict(REPORT["discrepancies"], missing_fills=2, orphan_orders=1))
    assert chaos_failed(found) == "discrepancies: missing_fills 2, orphan_orders 1"
    assert "do not explain" in chaos_failed(dict(REPORT, conservation_mismatches={"SOL": {}}))
    assert chaos_failed(dict(REPORT, faults_injected={"cancel_202": 1})).startswith("fault kinds never injected: ")
    assert chaos_failed(dict(REPORT, fills=0)) == "nothing traded"


def test_the_summary_ends_with_the_discrepancies_and_the_result():
    lines = summary_lines(REPORT)
    assert lines[1] == "Backpack chaos run — 60.0 s, seed 3"
    assert lines[-2] == "  result              PASS"
    assert lines[-3].startswith("  discrepancies       missing_fills 0, duplicate_fills 0")
    failed = dict(REPORT, discrepancies=dict(REPORT["discrepancies"], unresolved_orders=1))
    assert summary_lines(failed)[-2] == "  result              FAIL"


STATS = {"requestsByRoute": {"GET /wapi/v1/history/fills": 40, "GET /wapi/v1/history/orders": 12,
                             "POST /api/v1/order": 90},
         "http429ByRoute": {"GET /wapi/v1/history/fills": 2, "POST /api/v1/order": 3},
         "http429RateLimitedByRoute": {"GET /wapi/v1/history/orders": 1}}


def test_429s_are_counted_by_route_with_the_history_routes_apart():
    assert http_429s(STATS) == {
        "by_route": STATS["http429ByRoute"], "rate_limited_by_route": STATS["http429RateLimitedByRoute"],
        "history": 2, "history_rate_limited": 1, "history_requests": 52}
    assert http_429s({}) == {"by_route": {}, "rate_limited_by_route": {}, "history": 0, "history_rate_limited": 0,
                             "history_requests": 0}


def test_a_rate_limit_429_on_a_history_route_fails_only_a_profile_that_forbids_it():
    limited = dict(REPORT, http_429=http_429s(STATS))
    assert chaos_failed(limited) is None
    assert chaos_failed(dict(limited, history_429_fails=True)) == \
        "1 history requests over the 30/min limit answered 429"
    injected_only = dict(STATS, http429RateLimitedByRoute={})
    assert chaos_failed(dict(REPORT, http_429=http_429s(injected_only), history_429_fails=True)) is None


def test_the_summary_shows_the_profile_settle_time_429s_by_route_and_auto_lend():
    report = dict(REPORT, profile="pessimistic", trading_pairs=["A-USDC"] * 20, http_429=http_429s(STATS),
                  auto_lend={"on": True, "redeemed": {"USDC": "12.5"}, "lent_at_end": {"USDC": "97987.5"}})
    lines = summary_lines(report)
    assert lines[1] == "Backpack chaos run — 60.0 s, seed 3, profile pessimistic (20 pairs)"
    assert "  settle time         2.5 s" in lines
    assert "  429s by route       GET /wapi/v1/history/fills 2, POST /api/v1/order 3" in lines
    assert "  history 429s        2 (over the rate limit: 1; the rest injected) of 52 history requests" in lines
    assert "  auto-lend           redeemed {'USDC': '12.5'}, lent at end {'USDC': '97987.5'}" in lines
