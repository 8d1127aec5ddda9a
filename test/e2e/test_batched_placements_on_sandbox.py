"""Batched placements end to end: Hummingbot's pure market making on three sandbox markets at once (one strategy per
pair on one clock) places its orders through ``POST /api/v1/orders`` batches, and the run settles ledger-exact, with
a batch taking one slot of the request limit or one per order (sandbox switch ``batch_rate_weight``, U8)."""
import asyncio

import pytest

from backpack_bench import budget
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import ledger_failure
from backpack_harness.strategies import start_pure_market_making

pytestmark = pytest.mark.e2e
PAIRS = ["SOL-USDC", "BTC-USDC", "ETH-USDC"]


async def _run(tmp_path, weight):
    session = SandboxTradingSession(
        trading_pairs=PAIRS, log_path=tmp_path / "run.log",
        balances={"SOL": "100", "BTC": "1", "ETH": "20", "USDC": "60000"},
        sandbox_args=["--markets", "SOL_USDC,BTC_USDC,ETH_USDC", "--flow-pace", "2", "--batch-rate-weight", weight])
    async with session:
        await start_pure_market_making(session, PAIRS[0])
        extra = budget.make_strategies(session.connector, PAIRS[1:], await budget.pmm_settings())
        for strategy in extra:
            session.core.clock.add_iterator(strategy)
        await session.run_for(25.0, lambda _: "", lambda _: None,
                              until=lambda: session.connector._order_batcher.batch_requests >= 3)

        async def stop_extra_strategies():
            for strategy in extra:
                session.core.clock.remove_iterator(strategy)
        settlement = await session.settle(after_stop=stop_extra_strategies)
        stats = await session.sandbox.control("GET", "/_sandbox/stats")
    return settlement.report(), stats


@pytest.mark.parametrize("weight", ["request", "order"])
def test_pure_market_making_on_three_pairs_batches_placements_and_matches_the_ledger(tmp_path, weight):
    report, stats = asyncio.run(_run(tmp_path, weight))
    assert stats["requestsByRoute"].get("POST /api/v1/orders", 0) >= 3 and stats["http429"] == 0
    assert report["orders_created"] > 0
    assert ledger_failure(report) is None, report
