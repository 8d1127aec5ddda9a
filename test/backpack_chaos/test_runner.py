"""The chaos run's verdict and summary (the run itself: ``test/e2e/test_chaos.py``)."""
from backpack_chaos.runner import DISCREPANCIES, chaos_failed, summary_lines
from backpack_chaos.schedule import CHAOS_FAULTS

REPORT = {"duration_s": 60.0, "seed": 3, "faults_injected": {kind: 1 for kind in CHAOS_FAULTS},
          "reconnects": {"public": 2, "private": 1}, "resyncs": 4, "depth_gaps": 2, "orders_created": 10,
          "orders_filled": 5, "orders_cancelled": 5, "orders_failed": 0, "fills": 6, "exchange_fills": 6,
          "open_orders_at_exit": 0, "balances_start": {}, "balances_end": {}, "fees_paid": {}, "ledger_match": True,
          "conservation_mismatches": {}, "discrepancies": {name: 0 for name in DISCREPANCIES}}


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
