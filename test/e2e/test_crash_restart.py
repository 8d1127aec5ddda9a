"""Issue 14 item 4, short run: a headless bot with Hummingbot's SQLite persistence, in its own process, is killed
with SIGKILL while its orders rest and fills arrive; a taker sweeps its best bid and ask while it is down; it
restarts from its saved state. Restored orders are reconciled, the fills while down are ``TradeFill`` rows exactly
once, no order is orphaned, and fills and balances equal the sandbox ledger (``make crash-restart``: 5 kills). Every
life uses one instance tag: the restarted bot's start-up sweep runs and leaves the restored orders alone."""
import asyncio

import pytest

from backpack_harness.crash_restart import CrashRestartOptions, failure, run_crash_restart

pytestmark = pytest.mark.e2e


def test_a_killed_bot_restarts_from_its_saved_state_ledger_exact(tmp_path):
    options = CrashRestartOptions(kills=1, down_s=1.0, last_life_s=3.0, work_dir=tmp_path / "run",
                                  report_path=tmp_path / "report.json", instance_tag=9)
    lines = []
    report = asyncio.run(run_crash_restart(options, lines.append))
    assert failure(report) is None, (report, lines)
    [restart] = report["restarts"]
    assert restart["orders_restored"] >= 2 and restart["not_restored"] == []
    assert restart["fills_while_down"] >= 1
    assert restart["fills_while_down_recorded"] == restart["fills_while_down"]
    assert report["duplicate_fills"] == 0 and report["ledger_match"] is True
    assert report["db_fills"] == report["exchange_fills"]
    # Every life carries tag 9: the restarted bot's start-up sweep ran and spared every restored order.
    assert restart["orphan_sweep"]["enabled"] and restart["orphan_sweep"]["done"]
    assert restart["orphans_swept"] == 0 and report["orphans_swept"] == 0
