"""Open question U1 end to end: the connector against the sandbox under each reading of ``account.balanceUpdate``
(every change, fills only, refused). Order events always flow; balances match the exchange after a fill with the
status poll switched off, so only balance events (or, when refused, the REST refresh after each fill) can update
them."""
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.core.data_type.common import OrderType

PAIR = "SOL-USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _exchange_balances(server, api_key):
    account = server.account(api_key)
    return {asset: (account.available.get(asset, Decimal(0)),
                    account.available.get(asset, Decimal(0)) + account.locked.get(asset, Decimal(0)))
            for asset in ("SOL", "USDC")}


def _connector_balances(connector):
    return {asset: (connector.get_available_balance(asset), connector.get_balance(asset)) for asset in ("SOL", "USDC")}


@pytest.mark.parametrize("reading", ["all", "fills", "refused"])
async def test_orders_and_balances_under_each_balance_stream_reading(reading, monkeypatch):
    async with sandbox(flow=False, balance_stream=reading) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        other = server.account(server.add_account({"SOL": "10", "USDC": "5000"}).api_key)
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            await wait_until(lambda: connector._user_stream_tracker.data_source.metrics.connected,
                             what="the private stream")
            if reading == "refused":
                await wait_until(lambda: connector.metrics_snapshot()["balance_stream"]["refused"],
                                 what="the refusal to be seen")
            connector.SHORT_POLL_INTERVAL = connector.LONG_POLL_INTERVAL = 3600.0  # no status poll from here on
            order_id = connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("140"))
            await wait_until(lambda: order_id in connector.in_flight_orders
                             and connector.in_flight_orders[order_id].exchange_order_id is not None,
                             what="the buy to be acknowledged")
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit",
                                        "price": "140", "quantity": "0.5"})
            await wait_until(lambda: order_id not in connector.in_flight_orders, what="the fill over the stream")
            await wait_until(lambda: _connector_balances(connector) == _exchange_balances(server, me.api_key),
                             what=lambda: f"balances {_connector_balances(connector)} to match "
                                          f"{_exchange_balances(server, me.api_key)}")
            snapshot = connector.metrics_snapshot()
            assert snapshot["private_stream"]["messages"].get("account.orderUpdate", 0) >= 2
            assert snapshot["private_stream"]["auth_failures"] == 0
            assert snapshot["balance_stream"]["refused"] is (reading == "refused")
            notes = connector.health().notes
            assert any("balance stream refused" in n for n in notes) is (reading == "refused")
