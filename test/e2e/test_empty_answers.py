"""Issue 17 item 9 over loopback: a tracked pair whose ticker answers 204 (no trades, §4.5; sandbox switch
``ticker_204_without_trades``) costs at most one ticker request per poll period, its last price falls back to the
book's mid, and an order placed meanwhile reaches the exchange at once."""
import time
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.connector.exchange.backpack.backpack_order_book_tracker import BackpackOrderBookTracker
from hummingbot.core.data_type.common import OrderType

PAIR = "SOL-USDC"
TICKER = "GET /api/v1/ticker"
POLL_S = getattr(BackpackOrderBookTracker, "LAST_PRICE_POLL_S", 5.0)
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _ticker_arrivals(server):
    return [(t, status) for t, route, status in server.stats.arrivals if route == TICKER]


@pytest.mark.parametrize("ticker_204,quoted", [(True, True), (True, False), (False, True)],
                         ids=["ticker-204", "ticker-204-empty-book", "ticker-200"])
async def test_a_pair_without_trades_never_spins_the_ticker(monkeypatch, ticker_204, quoted):
    async with sandbox(flow=False, ticker_204_without_trades=ticker_204) as server:
        maker = server.account(server.add_account({"SOL": "10", "USDC": "5000"}).api_key)
        for side, price in (("Bid", "149"), ("Ask", "153")) if quoted else ():
            server.engine.place(maker, {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price,
                                        "quantity": "1"})
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            # Three poll periods of a pair without trades: at most 2 ticker requests per period.
            await wait_until(lambda: len(_ticker_arrivals(server)) >= 3, 6 * POLL_S, "three ticker requests")
            first = _ticker_arrivals(server)[0][0]
            assert len(_ticker_arrivals(server)) <= 2 * ((time.monotonic() - first) / POLL_S + 1)
            assert {status for _, status in _ticker_arrivals(server)} == {204 if ticker_204 else 200}
            last_price = connector.order_books[PAIR].last_trade_price
            if not ticker_204:
                assert last_price == 150.0  # the ticker's
            elif quoted:
                assert last_price == 151.0  # the book's mid
            else:
                assert last_price != last_price  # NaN: nothing to fall back to

            requested = time.monotonic()
            order_id = connector.buy(PAIR, Decimal("0.1"), OrderType.LIMIT, Decimal("140"))
            await wait_until(lambda: any(route == "POST /api/v1/order" for _, route, _ in server.stats.arrivals),
                             10, "the order to reach the sandbox")
            arrived = next(t for t, route, _ in server.stats.arrivals if route == "POST /api/v1/order")
            assert arrived - requested < 5.0  # generous: it waited ~20 s behind the spinning ticker before
            await wait_until(lambda: connector.in_flight_orders.get(order_id) is not None
                             and connector.in_flight_orders[order_id].exchange_order_id is not None, 10,
                             "the order to be acknowledged")
            assert len(_ticker_arrivals(server)) <= 2 * ((time.monotonic() - first) / POLL_S + 1)
            assert server.stats.http_429 == 0
