"""REST-only market data and order tracking with WebSockets blocked (sandbox switch ``ws_refuse``): the connector
becomes ready, books track the sandbox's book from REST snapshots, trades arrive once each, a pure-market-making
round trip works with orders tracked by status polling, ``metrics_snapshot()``/``health()`` say ``rest``; when
the switch goes off the public stream comes back and the mode returns to ``websocket``."""
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState

PAIR = "SOL-USDC"
SYMBOL = "SOL_USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _levels(server):
    bids, asks, _, _ = server.engine.depth(SYMBOL, 1000)
    return ({Decimal(str(p)): Decimal(str(q)) for p, q in bids}, {Decimal(str(p)): Decimal(str(q)) for p, q in asks})


def _book(connector):
    book = connector.order_books[PAIR]

    def side(entries):
        return {Decimal(str(e.price)).quantize(Decimal("0.01")): Decimal(str(e.amount)).quantize(Decimal("0.01"))
                for e in entries}
    return side(book.bid_entries()), side(book.ask_entries())


def _limit(side, price, quantity):
    return {"symbol": SYMBOL, "side": side, "orderType": "Limit", "price": price, "quantity": quantity}


def _mode(connector):
    return connector.metrics_snapshot()["market_data"]["mode"]


async def test_rest_only_market_data_and_order_tracking_while_websockets_are_refused(monkeypatch):
    async with sandbox(flow=False, ws_refuse="503") as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        maker = server.account(server.add_account({"SOL": "100", "USDC": "50000"}).api_key)
        taker = server.account(server.add_account({"SOL": "100", "USDC": "50000"}).api_key)
        server.engine.place(maker, _limit("Bid", "140", "3"))
        server.engine.place(maker, _limit("Ask", "160", "4"))
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch,
                                     backpack_ws_failures_before_rest=2) as connector:
            market_data = connector._orderbook_ds.rest_market_data
            await wait_until(lambda: _mode(connector) == "rest", what="REST market data")
            assert "connect failed 2 times" in market_data.reason
            notes = " | ".join(connector.health().notes)
            assert "market data mode rest" in notes and "REST status polling" in notes
            assert connector.metrics_snapshot()["private_stream_polling"] is True
            await wait_until(lambda: _book(connector) == _levels(server), what="the book from REST snapshots")

            # pure market making: a bid and an ask inside the spread; the bid fills, the ask is cancelled
            bid_id = connector.buy(PAIR, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("145"))
            ask_id = connector.sell(PAIR, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("155"))
            await wait_until(lambda: all(o in connector.in_flight_orders
                                         and connector.in_flight_orders[o].current_state is OrderState.OPEN
                                         for o in (bid_id, ask_id)), what="both quotes open")
            await wait_until(lambda: _book(connector) == _levels(server), what="our quotes in the tracked book")
            server.engine.place(taker, _limit("Ask", "145", "1"))  # a taker sells into our bid
            server.engine.place(taker, _limit("Bid", "160", "0.5"))  # and buys half of our ask (the best)
            await wait_until(lambda: bid_id not in connector.in_flight_orders, 60, what="the bid filled (polling)")
            await wait_until(lambda: market_data.trades == 2, what="both public trades from REST")
            connector.cancel(PAIR, ask_id)
            await wait_until(lambda: ask_id not in connector.in_flight_orders, what="the ask cancelled")
            account = server.account(me.api_key)
            await wait_until(lambda: all(connector.get_balance(asset) == account.total(asset)
                                         for asset in ("SOL", "USDC")), what="balances equal to the sandbox's")
            snapshots = market_data.snapshots
            await wait_until(lambda: market_data.snapshots >= snapshots + 2 and _book(connector) == _levels(server),
                             what="more REST cycles")
            assert market_data.trades == 2  # no trade twice
            assert connector.get_balance("SOL") == Decimal("10.4992")  # +1 bought less the 8 bps fee, -0.5 sold
            assert server.stats.ws_connections_total == 0 and server.stats.ws_refused >= 4

            server.switches.set("ws_refuse", "off")
            await wait_until(lambda: _mode(connector) == "websocket", 90, what="the public stream back")
            await wait_until(lambda: connector._orderbook_ds.metrics.connected, what="the public stream connected")
            server.engine.place(maker, _limit("Bid", "141", "2"))
            await wait_until(lambda: _book(connector) == _levels(server), what="the book from the stream again")
            assert not any("market data mode rest" in note for note in connector.health().notes)


async def test_rest_market_data_forced_by_the_setting_never_opens_the_public_stream(monkeypatch):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        maker = server.account(server.add_account({"SOL": "100", "USDC": "50000"}).api_key)
        server.engine.place(maker, _limit("Bid", "140", "3"))
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch,
                                     backpack_rest_market_data=True) as connector:
            assert _mode(connector) == "rest" and connector.metrics_snapshot()["market_data"]["forced"] is True
            await wait_until(lambda: connector._user_stream_tracker.data_source.metrics.connected,
                             what="the private stream")
            server.engine.place(maker, _limit("Ask", "150", "2"))
            await wait_until(lambda: _book(connector) == _levels(server), what="the book from REST snapshots")
            assert server.stats.ws_connections_total == 1  # the private stream only
            health = connector.health()
            assert not any("public stream" in reason for reason in health.reasons)
            assert any("forced by the rest_market_data setting" in note for note in health.notes)
