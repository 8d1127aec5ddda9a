"""README "Crash and restart": an order a previous life of the bot left open untracked (placed before the bot
starts, with the same key, a ``clientId`` carrying the bot's tag) is cancelled by the start-up sweep of a pure-MM
bot with ``backpack_sandbox_instance_tag``; an order with another tag (another bot on the key) stays open; the
settle's ledger reconciliation finds no discrepancy."""
import asyncio
from typing import Any, Dict
from urllib.parse import quote

import ccxt.async_support as ccxt
import pytest

from backpack_harness.headless import wait_for
from backpack_harness.sandbox_process import SandboxProcess
from backpack_harness.session import SandboxTradingSession
from backpack_harness.strategies import start_pure_market_making
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.event.events import MarketEvent

pytestmark = pytest.mark.e2e
PAIR = "SOL-USDC"
TAG = 7
SWEEP_TIMEOUT_S = 60.0


async def leave_orders(sandbox: SandboxProcess, placed: Dict[str, Any]) -> None:
    """Two resting bids 20 % under the best bid through ccxt on the bot's own key: one with the bot's tag, one with
    another tag."""
    client = ccxt.backpack({"apiKey": sandbox.api_key, "secret": sandbox.secret})
    client.urls["api"] = {"public": sandbox.rest_url, "private": sandbox.rest_url}
    try:
        book: Dict[str, Any] = {"bids": []}

        async def has_bids() -> bool:
            book.update(await client.fetch_order_book("SOL/USDC", 5))
            return bool(book["bids"])
        for _ in range(100):
            if await has_bids():
                break
            await asyncio.sleep(0.2)
        price = round(book["bids"][0][0] * 0.8, 2)
        for name, tag in (("ours", TAG), ("theirs", TAG + 1)):
            order = await client.create_order("SOL/USDC", "limit", "buy", 0.5, price,
                                              {"clientOrderId": tag << 20 | 12345, "postOnly": True})
            placed[name] = str(order["id"])
    finally:
        await client.close()


def test_a_restarted_bot_with_a_stable_tag_cancels_only_its_previous_lifes_orders(tmp_path):
    async def run() -> None:
        placed: Dict[str, Any] = {}
        session = SandboxTradingSession(
            trading_pairs=[PAIR], log_path=tmp_path / "bot.log",
            before_connector=lambda sandbox: leave_orders(sandbox, placed),
            connector_settings={"backpack_sandbox_instance_tag": TAG})
        async with session:
            assert set(placed) == {"ours", "theirs"}
            await start_pure_market_making(session, PAIR)
            connector = session.connector
            assert await wait_for(lambda: connector.metrics_snapshot()["orphan_sweep"]["done"], SWEEP_TIMEOUT_S)
            assert connector.metrics_snapshot()["orphan_sweep"]["cancelled"] == 1
            status = {o["id"]: o["status"] for o in await session.sandbox.orders()}
            assert status[placed["ours"]] == "Cancelled" and status[placed["theirs"]] == "New"
            brokers = await session.sandbox.control(
                "GET", f"/_sandbox/accounts/{quote(session.sandbox.api_key, safe='')}/brokers")
            assert brokers[placed["ours"]]["cancelled"] == CONSTANTS.BROKER_ID   # the sweep's cancel is ours too
            assert await wait_for(lambda: connector.in_flight_orders, SWEEP_TIMEOUT_S)  # the strategy quotes
            settlement = await session.settle()
            report = settlement.report()
            assert report["ledger_match"] is True, report
            assert [o["id"] for o in settlement.open_orders_at_exit] == [placed["theirs"]]
            created = session.recorder.events(MarketEvent.BuyOrderCreated) + session.recorder.events(
                MarketEvent.SellOrderCreated)
            assert created and {int(event.order_id) >> 20 for event in created} == {TAG}
    asyncio.run(run())
