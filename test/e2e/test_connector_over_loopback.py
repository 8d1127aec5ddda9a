"""End to end over loopback: our connector against the in-process sandbox exchange (real sockets, real signing,
real matching), no mocks."""
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent

PAIR = "SOL-USDC"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _listen(connector, *events):
    logger = EventLogger()
    for event in events:
        connector.add_listener(event, logger)
    return logger


def _exchange_levels(server, symbol, side):
    bids, asks, _, _ = server.engine.depth(symbol, 1000)
    return {Decimal(str(p)): Decimal(str(q)) for p, q in (bids if side == "bids" else asks)}


def _connector_levels(connector, side):
    book = connector.order_books[PAIR]
    entries = book.bid_entries() if side == "bids" else book.ask_entries()
    return {Decimal(str(e.price)).quantize(Decimal("0.01")): Decimal(str(e.amount)).quantize(Decimal("0.01"))
            for e in entries}


async def test_limit_order_filled_cancelled_and_queried_after_close(monkeypatch):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        other = server.account(server.add_account({"SOL": "10", "USDC": "5000"}).api_key)
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            events = _listen(connector, MarketEvent.BuyOrderCreated, MarketEvent.OrderFilled,
                             MarketEvent.BuyOrderCompleted, MarketEvent.OrderCancelled)

            filled_id = connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("140"))
            await wait_until(lambda: connector.in_flight_orders.get(filled_id) is not None
                             and connector.in_flight_orders[filled_id].exchange_order_id is not None,
                             what="the buy to be acknowledged")
            filled_order = connector.in_flight_orders[filled_id]
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit",
                                        "price": "140", "quantity": "0.5"})
            await wait_until(lambda: any(e.order_id == filled_id for e in events.event_log
                                         if type(e).__name__ == "BuyOrderCompletedEvent"), what="the fill")
            fills = [e for e in events.event_log if type(e).__name__ == "OrderFilledEvent"]
            assert [(f.order_id, f.price, f.amount) for f in fills] == [(filled_id, Decimal("140"), Decimal("0.5"))]

            cancelled_id = connector.buy(PAIR, Decimal("0.3"), OrderType.LIMIT, Decimal("130"))
            await wait_until(lambda: connector.in_flight_orders.get(cancelled_id) is not None
                             and connector.in_flight_orders[cancelled_id].current_state == OrderState.OPEN,
                             what="the second buy to be open")
            cancelled_order = connector.in_flight_orders[cancelled_id]
            connector.cancel(PAIR, cancelled_id)
            await wait_until(lambda: any(getattr(e, "order_id", None) == cancelled_id for e in events.event_log
                                         if type(e).__name__ == "OrderCancelledEvent"), what="the cancel")

            # Both orders left the open set: the status query must find them in the order history.
            assert (await connector._request_order_status(filled_order)).new_state == OrderState.FILLED
            assert (await connector._request_order_status(cancelled_order)).new_state == OrderState.CANCELED
            assert server.engine.list_open(server.account(me.api_key)) == []


async def test_batch_create_and_cancel(monkeypatch):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            orders = connector.batch_order_create([
                LimitOrder(client_order_id="", trading_pair=PAIR, is_buy=True, base_currency="SOL",
                           quote_currency="USDC", price=Decimal("120"), quantity=Decimal("1")),
                LimitOrder(client_order_id="", trading_pair=PAIR, is_buy=False, base_currency="SOL",
                           quote_currency="USDC", price=Decimal("180"), quantity=Decimal("1")),
            ])
            ids = [o.client_order_id for o in orders]
            assert len(set(ids)) == 2 and all(i.isdigit() for i in ids)
            account = server.account(me.api_key)
            await wait_until(lambda: len(server.engine.list_open(account)) == 2, what="both orders resting")
            await wait_until(lambda: all(connector.in_flight_orders[i].current_state == OrderState.OPEN for i in ids),
                             what="both orders tracked as open")
            resting = {(o.side, str(o.price)) for o in server.engine.list_open(account)}
            assert resting == {("Bid", "120"), ("Ask", "180")}

            connector.batch_order_cancel(orders)
            await wait_until(lambda: server.engine.list_open(account) == [], what="both orders cancelled")
            await wait_until(lambda: all(i not in connector.in_flight_orders for i in ids),
                             what="the connector to see both cancels")


async def test_ws_drop_recovers_books_and_private_stream(monkeypatch):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        other = server.account(server.add_account({"SOL": "100", "USDC": "50000"}).api_key)
        for price in ("149", "148", "147"):
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit",
                                        "price": price, "quantity": "2"})
        for price in ("151", "152"):
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit",
                                        "price": price, "quantity": "3"})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            await wait_until(lambda: (_connector_levels(connector, "asks")
                                      == _exchange_levels(server, "SOL_USDC", "asks")),
                             what="the initial book")
            book_metrics = connector.order_book_tracker.data_source.metrics
            user_metrics = connector._user_stream_tracker.data_source.metrics
            reconnects_before = (book_metrics.reconnects, user_metrics.reconnects)

            server.faults.drop_ws(target="all")
            # The book changes while the connector may be disconnected: only a resync can bring it back.
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit",
                                        "price": "150.5", "quantity": "1"})
            server.engine.place(other, {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit",
                                        "price": "146", "quantity": "4"})
            await wait_until(lambda: book_metrics.reconnects > reconnects_before[0]
                             and user_metrics.reconnects > reconnects_before[1], 60, "both streams to reconnect")
            for side in ("bids", "asks"):
                await wait_until(lambda: (_connector_levels(connector, side)
                                          == _exchange_levels(server, "SOL_USDC", side)),
                                 60, f"the {side} to resync")

            # The private stream works again (it was re-signed): a fill arrives and the ledger still matches.
            events = _listen(connector, MarketEvent.OrderFilled)
            order_id = connector.buy(PAIR, Decimal("1"), OrderType.LIMIT, Decimal("150.5"))
            await wait_until(lambda: len(events.event_log) == 1, 60, "the fill after the reconnect")
            fill = events.event_log[0]
            assert (fill.order_id, fill.trade_type, fill.price, fill.amount) == (order_id, TradeType.BUY,
                                                                                 Decimal("150.5"), Decimal("1"))
            ledger = [f for f in server.engine.ledger if f.buyer_account == server.account(me.api_key).id]
            assert [str(f.trade_id) for f in ledger] == [fill.exchange_trade_id]
