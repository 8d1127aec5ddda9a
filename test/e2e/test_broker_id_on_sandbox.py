"""Broker attribution end to end: orders our connector places and cancels on the sandbox carry ``X-Broker-Id:
2200`` (recorded per order by the sandbox)."""
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.core.data_type.common import OrderType

PAIR = "SOL-USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


async def test_placed_and_cancelled_order_records_the_broker_id(monkeypatch):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            order_id = connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("140"))
            await wait_until(lambda: order_id in connector.in_flight_orders
                             and connector.in_flight_orders[order_id].exchange_order_id is not None,
                             what="the buy to be acknowledged")
            exchange_order_id = connector.in_flight_orders[order_id].exchange_order_id
            assert server.broker_ids(me.api_key)[exchange_order_id] == {"placed": "2200", "cancelled": None}
            connector.cancel(PAIR, order_id)
            await wait_until(lambda: order_id not in connector.in_flight_orders, what="the cancel")
            assert server.broker_ids(me.api_key)[exchange_order_id] == {"placed": "2200", "cancelled": "2200"}
            assert server.engine.orders[exchange_order_id].status == "Cancelled"
