"""Cancel by market end to end (``backpack_cancel_by_market``): Hummingbot's pure market making on three sandbox
markets cancels each market's quotes with one ``DELETE /api/v1/orders`` (§5.8) instead of one request per order
and settles ledger-exact; with two bots on one key, the one with the setting on never cancels the other's orders
(it sees them on the private stream and cancels by id while they are open)."""
import asyncio
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from backpack_bench import budget
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import ledger_failure
from backpack_harness.strategies import start_pure_market_making
from hummingbot.core.data_type.common import OrderType

pytestmark = pytest.mark.e2e
PAIRS = ["SOL-USDC", "BTC-USDC", "ETH-USDC"]
PAIR = "SOL-USDC"
AMOUNT = Decimal("0.1")


async def _pure_market_making(tmp_path):
    session = SandboxTradingSession(
        trading_pairs=PAIRS, log_path=tmp_path / "run.log",
        balances={"SOL": "100", "BTC": "1", "ETH": "20", "USDC": "60000"},
        sandbox_args=["--markets", "SOL_USDC,BTC_USDC,ETH_USDC", "--flow-pace", "2"],
        connector_settings={"backpack_sandbox_cancel_by_market": True})
    async with session:
        batcher = session.connector._cancel_batcher
        await start_pure_market_making(session, PAIRS[0])
        extra = budget.make_strategies(session.connector, PAIRS[1:], await budget.pmm_settings())
        for strategy in extra:
            session.core.clock.add_iterator(strategy)
        await session.run_for(30.0, lambda _: "", lambda _: None, until=lambda: batcher.market_requests >= 4)

        async def stop_extra_strategies():
            for strategy in extra:
                session.core.clock.remove_iterator(strategy)
        settlement = await session.settle(after_stop=stop_extra_strategies)
        stats = await session.sandbox.control("GET", "/_sandbox/stats")
        metrics = batcher.snapshot()
    return settlement.report(), stats, metrics


def test_pure_market_making_on_three_pairs_cancels_by_market_and_matches_the_ledger(tmp_path):
    report, stats, metrics = asyncio.run(_pure_market_making(tmp_path))
    routes = stats["requestsByRoute"]
    assert routes.get("DELETE /api/v1/orders", 0) >= 3 and stats["http429"] == 0, routes
    assert metrics["enabled"] and metrics["foreign_orders_cancelled"] == 0, metrics
    # most cancelled quotes went out in a request per market: fewer per-id cancels than orders cancelled that way
    assert routes.get("DELETE /api/v1/order", 0) < metrics["orders_cancelled"], (routes, metrics)
    assert report["orders_created"] > 0
    assert ledger_failure(report) is None, report


async def _quote(connector, bid: str, ask: str):
    ids = [connector.buy(PAIR, AMOUNT, OrderType.LIMIT, Decimal(bid)),
           connector.sell(PAIR, AMOUNT, OrderType.LIMIT, Decimal(ask))]
    orders = connector.in_flight_orders
    await wait_until(lambda: all(i in orders and orders[i].is_open and orders[i].exchange_order_id for i in ids),
                     30, "both quotes open")
    return [orders[i] for i in ids]


async def _cancel(connector, orders):
    for order in orders:
        connector.cancel(PAIR, order.client_order_id)
    await wait_until(lambda: all(order.is_cancelled for order in orders), 30, "both quotes cancelled")


@pytest.mark.asyncio
async def test_a_bot_with_the_setting_never_cancels_another_bots_orders_on_its_key(monkeypatch):
    async with sandbox(flow=False) as server:
        keys = server.add_account({"SOL": "100", "USDC": "100000"})
        async with running_connector(server, keys.api_key, keys.secret, [PAIR], monkeypatch,
                                     backpack_cancel_by_market=True) as alone, \
                running_connector(server, keys.api_key, keys.secret, [PAIR], monkeypatch,
                                  close_sessions=False) as other:
            batcher = alone._cancel_batcher
            others = await _quote(other, "140", "160")
            await wait_until(lambda: batcher.foreign.count(PAIR) == 2, 30, "the other bot's orders seen as foreign")
            ours = await _quote(alone, "141", "159")
            await _cancel(alone, ours)
            assert (batcher.market_requests, batcher.fallbacks["foreign_orders"]) == (0, 2)
            assert all(order.is_open for order in others)
            assert server.stats.by_route.get("DELETE /api/v1/orders", 0) == 0
            # alone on the market once the other bot's quotes are gone: one request for the market
            await _cancel(other, others)
            await wait_until(lambda: batcher.foreign.count(PAIR) == 0, 30, "the other bot's cancels seen")
            ours = await _quote(alone, "141", "159")
            await _cancel(alone, ours)
            assert (batcher.market_requests, batcher.market_cancelled_orders) == (1, 2)
            assert batcher.foreign_orders_cancelled == 0
