"""BackpackClientOrderTracker.fetch_order answers exactly like the base ClientOrderTracker."""
from decimal import Decimal

import pytest

from hummingbot.connector.client_order_tracker import ClientOrderTracker
from hummingbot.connector.exchange.backpack.backpack_client_order_tracker import BackpackClientOrderTracker
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder


class _Connector:
    current_timestamp = 1.0


def _order(client_id: str, exchange_id: str) -> InFlightOrder:
    return InFlightOrder(client_order_id=client_id, exchange_order_id=exchange_id, trading_pair="SOL-USDC",
                         order_type=OrderType.LIMIT, trade_type=TradeType.BUY, amount=Decimal("1"),
                         creation_timestamp=1.0, price=Decimal("100"))


def _fill(tracker):
    tracker._in_flight_orders["1"] = _order("1", "E1")
    tracker._in_flight_orders["2"] = _order("2", "E2")
    tracker._cached_orders["3"] = _order("3", "E3")
    tracker._cached_orders["2"] = _order("2", "E2-cached")   # in both maps: the cached one wins in the base
    return tracker


def test_fetch_order_matches_the_base():
    ours = _fill(BackpackClientOrderTracker(connector=_Connector()))
    base = _fill(ClientOrderTracker(connector=_Connector()))
    queries = [("1", None), ("2", None), ("3", None), ("9", None), (None, "E1"), (None, "E3"), (None, "nope"),
               ("9", "E1"), (None, None)]
    for client_id, exchange_id in queries:
        mine = ours.fetch_order(client_order_id=client_id, exchange_order_id=exchange_id)
        theirs = base.fetch_order(client_order_id=client_id, exchange_order_id=exchange_id)
        assert (mine and (mine.client_order_id, mine.exchange_order_id)) == \
            (theirs and (theirs.client_order_id, theirs.exchange_order_id)), (client_id, exchange_id)


@pytest.mark.asyncio
async def test_the_exchange_uses_it():  # the connector needs a running loop (as in Hummingbot)
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    from test.hummingbot.connector.exchange.backpack.exchange_test_support import API_KEY, API_SECRET
    connector = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, trading_pairs=["SOL-USDC"])
    assert type(connector._order_tracker) is BackpackClientOrderTracker
