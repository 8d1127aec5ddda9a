"""Our connector against the sandbox's engine rules (docs/backpack-api.md §4.4, §6.3): a limit price outside the
price band ends FAILED with Backpack's message; a market order stopped by the impact limit keeps its fills and
ends CANCELED (``Expired`` with ``PriceImpact``)."""
from decimal import Decimal

import pytest

from hummingbot.core.data_type.common import OrderType
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent

from .loopback import running_connector, sandbox, wait_until

PAIR = "SOL-USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _events(logger, name):
    return [e for e in logger.event_log if type(e).__name__ == name]


async def test_band_rejection_fails_and_impact_limit_keeps_the_partial_fill(monkeypatch):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        other = server.account(server.add_account({"SOL": "10", "USDC": "5000"}).api_key)
        for price in ("150", "152", "160"):  # 150 × 1.03 = 154.5: a market buy stops after 152
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit",
                                        "price": price, "quantity": "1"})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            logger = EventLogger()
            for event in (MarketEvent.OrderFailure, MarketEvent.OrderFilled, MarketEvent.OrderCancelled,
                          MarketEvent.BuyOrderCompleted):
                connector.add_listener(event, logger)

            market_id = connector.buy(PAIR, Decimal("3"), OrderType.MARKET, Decimal("150"))
            await wait_until(lambda: any(e.order_id == market_id for e in _events(logger, "OrderCancelledEvent")),
                             what="the market order to end")
            fills = [(f.price, f.amount) for f in _events(logger, "OrderFilledEvent") if f.order_id == market_id]
            assert sorted(fills) == [(Decimal("150"), Decimal("1")), (Decimal("152"), Decimal("1"))]
            assert not _events(logger, "BuyOrderCompletedEvent")
            order = server.engine.orders[next(iter(server.engine.history[server.account(me.api_key).id])).id]
            assert (order.status, order.expiry_reason) == ("Expired", "PriceImpact")

            far_id = connector.buy(PAIR, Decimal("1"), OrderType.LIMIT, Decimal("100"))  # last trade 152: band 114+
            await wait_until(lambda: any(e.order_id == far_id for e in _events(logger, "MarketOrderFailureEvent")),
                             what="the out-of-band order to fail")
            failure = next(e for e in _events(logger, "MarketOrderFailureEvent") if e.order_id == far_id)
            assert "Price is too far from the last active price" in (failure.error_message or "")
            assert far_id not in connector.in_flight_orders
