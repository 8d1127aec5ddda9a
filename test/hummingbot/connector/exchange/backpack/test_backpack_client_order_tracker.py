"""``BackpackClientOrderTracker``: ``fetch_order`` answers exactly like the base ``ClientOrderTracker``;
``find_order`` matches WS/REST ids; through the exchange, a lost order found closed leaves the lost list and an order
kept fillable takes fills after it left the cache; a cancelled order never reopens."""
import asyncio
import json
from decimal import Decimal

import pytest
from aioresponses import CallbackResult, aioresponses

from hummingbot.connector.client_order_tracker import ClientOrderTracker
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_client_order_tracker import BackpackClientOrderTracker
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, error_body, url, url_regex, wait_for

NOT_FOUND = error_body("RESOURCE_NOT_FOUND", "Not Found")


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
    from test.hummingbot.connector.exchange.backpack.exchange_test_support import API_KEY, API_SECRET

    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    connector = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, trading_pairs=["SOL-USDC"])
    assert type(connector._order_tracker) is BackpackClientOrderTracker


def test_find_order_by_client_id_or_exchange_id():
    tracker = _fill(BackpackClientOrderTracker(connector=_Connector()))
    tracker._lost_orders["4"] = _order("4", "E4")
    assert tracker.find_order(1, "E1").client_order_id == "1"            # WS ``c`` is an int
    assert tracker.find_order("3", None).client_order_id == "3"          # cached
    assert tracker.find_order(4, "E4").client_order_id == "4"            # lost
    assert tracker.find_order(1, "OTHER") is None                        # same uint32 clientId, another order
    assert tracker.find_order(None, "E1").client_order_id == "1"
    assert tracker.find_order(None, None) is None
    assert tracker.find_order(99, "E1") is None


class LostOrderRegressionTests(ExchangeTestCase):
    async def test_a_lost_order_found_filled_leaves_the_lost_list(self):
        """Regression (``make chaos``): a lost order (FAILED after repeated "not found") that a later lookup showed
        FILLED or CANCELED stayed on the lost list — the base tracker's lookup found it among the cached orders
        first — and was re-cancelled every few seconds for as long as the bot ran."""
        order = self.track(client_order_id="42", exchange_order_id="7", amount="1", price="150")
        tracker = self.exchange._order_tracker
        for _ in range(tracker._lost_order_count_limit + 1):
            await tracker.process_order_not_found("42")
        await wait_for(lambda: "42" in tracker.lost_orders and order.is_failure)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL),
                         body=json.dumps([self.order_json(order, "Cancelled", exchange_order_id="7")]))
            await self.exchange._cancel_lost_orders()
            await wait_for(lambda: "42" not in tracker.lost_orders)


class KeptFillableRegressionTests(ExchangeTestCase):
    async def test_a_fill_fetched_after_the_completed_order_left_the_cache_still_counts(self):
        """Regression (``make chaos PROFILE=pessimistic``): an order completed "with incomplete information" while
        its missed fills were being fetched; with history in the 30/min bucket they came back after Hummingbot's
        30 s cache had dropped the order, and the tracker ignored them (14 fills missing in a 600 s run)."""
        from hummingbot.connector.exchange.backpack.backpack_order_parsing import trade_update_from_fill
        from hummingbot.core.event.events import MarketEvent
        order = self.track(client_order_id="42", exchange_order_id="7", amount="1", price="150")
        tracker = self.exchange._order_tracker
        tracker.keep_fillable(order)
        tracker._in_flight_orders.pop("42")  # completed and gone from the cache
        self.assertIs(order, tracker.all_fillable_orders["42"])
        self.assertIs(order, tracker.all_fillable_orders_by_exchange_order_id["7"])
        tracker.process_trade_update(trade_update_from_fill(
            {"tradeId": 5, "orderId": "7", "price": "150", "quantity": "1", "fee": "0", "feeSymbol": "USDC",
             "isMaker": True, "timestamp": "2025-07-27T18:05:42.000"},
            "42", "7", self.pair, TradeType.BUY, self.exchange.trade_fee_schema()))
        self.assertEqual(["5"], [str(e.exchange_trade_id) for e in self.ev(MarketEvent.OrderFilled)])
        tracker.release_fillable("42")
        self.assertNotIn("42", tracker.all_fillable_orders)
        self.assertNotIn("7", tracker.all_fillable_orders_by_exchange_order_id)


class StaleAnswerRegressionTests(ExchangeTestCase):
    async def test_a_batch_answer_older_than_the_orders_cancel_event_does_not_reopen_it(self):
        """Regression (``test_several_bots_one_key``): a bid and a crossing ask of one bot went out in one batch; the
        ask cancelled the bid by self-trade prevention and the bid's cancel event arrived before the batch answer,
        whose bid element still said ``New``. The late answer moved the cancelled (cached) order back to OPEN, where
        nothing could cancel or complete it."""
        def answer(request_url, **kwargs):
            bid_id, ask_id = (str(body["clientId"]) for body in json.loads(kwargs["data"]))
            bid = self.exchange.in_flight_orders[bid_id]
            self.exchange._process_order_event(self.order_event(bid, "orderCancelled", "Cancelled", "e1")["data"])
            return CallbackResult(body=json.dumps([
                {"operation": "Ok", "id": "e1", "clientId": int(bid_id), "status": "New", "symbol": self.symbol,
                 "side": "Bid"},
                {"operation": "Ok", "id": "e2", "clientId": int(ask_id), "status": "Cancelled", "symbol": self.symbol,
                 "side": "Ask"}]))
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), callback=answer)
            bid_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("151"))
            self.exchange.sell(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("149"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 2)
            for _ in range(20):
                await asyncio.sleep(0)
        bid = self.exchange._order_tracker.fetch_order(bid_id)
        self.assertIs(OrderState.CANCELED, bid.current_state)
        self.assertEqual({}, self.exchange.in_flight_orders)
