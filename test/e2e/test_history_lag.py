"""Issue 17 item 3 over loopback (U3): with orders and fills reaching history 2.5 s late (sandbox switch
``history_lag_ms``) and private events late, an order filled on the exchange is never marked lost or FAILED while
history catches up, and its fill is not lost — and the same holds with history in step (switch off)."""
import asyncio
import time
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent

PAIR = "SOL-USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


@pytest.mark.parametrize("lag_ms", [2500, 0], ids=["history-lag-2.5s", "history-in-step"])
async def test_a_just_filled_order_is_never_lost_while_history_lags(monkeypatch, lag_ms):
    async with sandbox(flow=False, history_lag_ms=lag_ms) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        other = server.account(server.add_account({"SOL": "10", "USDC": "5000"}).api_key)
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            events = EventLogger()
            for event in (MarketEvent.OrderFilled, MarketEvent.OrderFailure, MarketEvent.BuyOrderCompleted):
                connector.add_listener(event, events)
            order_id = connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("140"))
            await wait_until(lambda: connector.in_flight_orders.get(order_id) is not None
                             and connector.in_flight_orders[order_id].current_state == OrderState.OPEN, 15,
                             "the buy to be open")
            server.faults.delay_private_events(ms=20000)   # the stream cannot settle it: REST must
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "price": "140",
                                        "quantity": "0.5"})
            deadline = time.monotonic() + 20
            polls = 0
            while order_id in connector.in_flight_orders and time.monotonic() < deadline:
                await connector._update_order_status()     # the status poll, many times within the lag
                polls += 1
                await asyncio.sleep(0.2)
            names = [type(e).__name__ for e in events.event_log]
            assert "MarketOrderFailureEvent" not in names
            if lag_ms:  # more "neither open nor in history" answers than Hummingbot's not-found limit
                assert polls > connector._order_tracker.lost_order_count_limit + 1
            assert order_id not in connector._order_tracker.lost_orders
            await wait_until(lambda: any(type(e).__name__ == "BuyOrderCompletedEvent" for e in events.event_log),
                             10, "the order to complete")
            fills = [e for e in events.event_log if type(e).__name__ == "OrderFilledEvent"]
            assert [(f.order_id, f.amount, f.price) for f in fills] == [(order_id, Decimal("0.5"), Decimal("140"))]
