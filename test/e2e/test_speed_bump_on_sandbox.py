"""Our connector with and without the taker speed bump (U4): takers fill, a cancel requested while the placement
is held ends CANCELED (never lost), post-only orders are never held."""
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState

PAIR = "SOL-USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _state(connector, order_id):
    order = connector._order_tracker.all_orders.get(order_id)
    return order.current_state if order is not None else None


@pytest.mark.parametrize("bump_ms", [100, 0], ids=["speed-bump-100ms", "no-speed-bump"])
async def test_taker_maker_and_cancel_during_hold(monkeypatch, bump_ms):
    async with sandbox(flow=False, taker_speed_bump_ms=bump_ms) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        other = server.account(server.add_account({"SOL": "10", "USDC": "5000"}).api_key)
        server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "price": "140",
                                    "quantity": "0.5", "postOnly": True})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            taker_id = connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("140"))
            await wait_until(lambda: _state(connector, taker_id) == OrderState.FILLED, what="the taker to fill")

            # The cancel is requested before the placement answer (which the bump delays) has come back.
            held_id = connector.buy(PAIR, Decimal("0.3"), OrderType.LIMIT, Decimal("130"))
            connector.cancel(PAIR, held_id)
            await wait_until(lambda: _state(connector, held_id) == OrderState.CANCELED,
                             what="the held order to be cancelled")
            assert held_id not in connector._order_tracker.lost_orders

            maker_id = connector.buy(PAIR, Decimal("0.3"), OrderType.LIMIT_MAKER, Decimal("120"))
            await wait_until(lambda: _state(connector, maker_id) == OrderState.OPEN, what="the maker to rest")
            assert server.engine.list_open(server.account(me.api_key))[0].client_id == int(maker_id)

        expected_held = 2 if bump_ms else 0
        assert (server.speed_bump.held, server.speed_bump.passed) == (expected_held, 3 - expected_held)
