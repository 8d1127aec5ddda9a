"""``BackpackFillsTracker`` alone (fake GET, fake tracker), then fills polling and missed-fill recovery through the
exchange (aioresponses, including generated hostile fills)."""
import asyncio
import json
import logging
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import Any, Dict, List

from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_fills import BackpackFillsTracker
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, TradeUpdate
from hummingbot.core.data_type.trade_fee import TradeFeeSchema
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, url, url_regex, wait_for
from .hostile_payloads import mutated

REST_SETTINGS = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCHEMA = TradeFeeSchema(maker_percent_fee_decimal=Decimal("0.0008"), taker_percent_fee_decimal=Decimal("0.001"))


def rest_fill(trade_id: int, order_id: str = "e1", client_id: str = "1", qty: str = "0.5",
              timestamp: str = "2025-07-27T17:39:00.092") -> Dict[str, Any]:
    return {"tradeId": trade_id, "orderId": order_id, "clientId": client_id, "symbol": "SOL_USDC", "side": "Bid",
            "price": "150", "quantity": qty, "fee": "0.01", "feeSymbol": "SOL", "isMaker": True,
            "timestamp": timestamp}


def order(client_order_id: str = "1", exchange_order_id: str = "e1", amount: str = "1",
          created_s: float = 1700000000.0) -> InFlightOrder:
    return InFlightOrder(client_order_id=client_order_id, trading_pair="SOL-USDC", order_type=OrderType.LIMIT,
                         trade_type=TradeType.BUY, amount=Decimal(amount), creation_timestamp=created_s,
                         price=Decimal("150"), exchange_order_id=exchange_order_id, initial_state=OrderState.OPEN)


class FakeTracker:
    def __init__(self):
        self.trades: List[TradeUpdate] = []
        self.completed: List[str] = []
        self.kept: List[str] = []

    def process_trade_update(self, trade_update: TradeUpdate) -> None:
        self.trades.append(trade_update)

    def complete_if_fully_filled(self, client_order_id: str, timestamp: float) -> bool:
        self.completed.append(client_order_id)
        return True

    def keep_fillable(self, order: InFlightOrder) -> None:
        self.kept.append(order.client_order_id)

    def release_fillable(self, client_order_id: str) -> None:
        self.kept.remove(client_order_id)


class FillsTrackerAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.gets: List[Dict[str, Any]] = []
        self.pages: List[Any] = []
        self.fetched = 0
        self.tracker = FakeTracker()
        self.fills = BackpackFillsTracker(private_get=self._get, symbol_for=self._symbol, tracker=self.tracker,
                                          fee_schema=lambda: SCHEMA, server_time_s=lambda: 1700000600.0,
                                          on_missed_fills_fetched=self._count,
                                          logger=lambda: logging.getLogger("test_backpack_fills"))

    def tearDown(self):
        self.fills.cancel_pending()
        super().tearDown()

    def _count(self):
        self.fetched += 1

    async def _get(self, path: str, params: Dict[str, Any]) -> Any:
        self.gets.append(dict(params, path=path))
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page

    async def _symbol(self, trading_pair: str) -> str:
        return trading_pair.replace("-", "_")

    async def test_one_account_wide_request_matched_by_order_or_client_id_and_cursor(self):
        first, second = order("1", "e1"), order("2", None)
        self.pages = [[rest_fill(11, "e1", "1"), rest_fill(12, "e9", "2"), rest_fill(13, "zz", "zz"), "junk"]]
        await self.fills.update_orders_fills([first, second])
        self.assertEqual(["11", "12"], [t.trade_id for t in self.tracker.trades])
        self.assertEqual(["1", "2"], [t.client_order_id for t in self.tracker.trades])
        params = self.gets[0]
        self.assertEqual({"path": CONSTANTS.FILL_HISTORY_PATH_URL, "fillType": "User",
                          "limit": 1000, "sortDirection": "Asc",
                          "from": 1700000000 * 1000 - self.fills.FILLS_OVERLAP_MS}, params)
        self.assertEqual(1700000600000, self.fills.cursor_ms)  # complete: next poll from this start
        self.pages = [[]]
        await self.fills.update_orders_fills([first])
        self.assertEqual(1700000600000 - self.fills.FILLS_OVERLAP_MS, self.gets[1]["from"])

    async def test_pages_until_a_short_page_or_the_budget(self):
        self.fills.FILLS_PAGE_LIMIT = 2
        self.fills.FILLS_MAX_PAGES = 2
        self.pages = [[rest_fill(1), rest_fill(2)], [rest_fill(3), rest_fill(4, timestamp="2025-07-27T17:40:00")]]
        await self.fills.update_orders_fills([order()])
        self.assertEqual([None, 2], [g.get("offset") for g in self.gets])
        # budget ran out: the cursor stays at the newest fill seen, not the poll start
        self.assertEqual(int(1753638000 * 1000), self.fills.cursor_ms)

    async def test_a_failed_poll_is_logged_and_keeps_the_cursor(self):
        self.pages = [IOError("503")]
        with self.assertLogs("test_backpack_fills", "WARNING") as logs:
            await self.fills.update_orders_fills([order()])
        self.assertIn("Failed to fetch trade updates", logs.output[0])
        self.assertEqual(0, self.fills.cursor_ms)

    async def test_all_trade_updates_for_order_needs_its_exchange_id(self):
        self.assertEqual([], await self.fills.all_trade_updates_for_order(order("1", None)))
        self.assertEqual([], self.gets)
        self.pages = [[rest_fill(5, "e1"), rest_fill(6, "other")]]
        updates = await self.fills.all_trade_updates_for_order(order("1", "e1"))
        self.assertEqual(["5"], [u.trade_id for u in updates])
        self.assertEqual("e1", self.gets[0]["orderId"])

    async def test_executed_quantity_above_the_fills_seen_fetches_once(self):
        self.fills.MISSED_FILLS_DELAY_S = 0.0
        tracked = order(amount="1")
        self.pages = [[rest_fill(7, qty="1")]]
        for executed in ("1", "1", "junk", None):
            self.fills.note_executed_quantity(tracked, executed)
        self.assertEqual(["1"], list(self.fills.missed_fill_fetches))
        await wait_for(lambda: not self.fills.missed_fill_fetches)
        self.assertEqual(["7"], [t.trade_id for t in self.tracker.trades])
        self.assertEqual(["1"], self.tracker.completed)
        self.assertEqual((1, 1), (len(self.gets), self.fetched))

    async def test_no_fetch_when_covered_or_seen_during_the_delay(self):
        tracked = order(amount="1")
        self.fills.note_executed_quantity(tracked, "0")
        self.assertEqual({}, self.fills.missed_fill_fetches)
        self.fills.MISSED_FILLS_DELAY_S = 0.01
        self.fills.note_executed_quantity(tracked, "0.5")
        tracked.executed_amount_base = Decimal("0.5")  # the WS fill arrived meanwhile
        await wait_for(lambda: not self.fills.missed_fill_fetches)
        self.assertEqual(([], 0), (self.gets, self.fetched))

    async def test_orders_awaiting_missed_fills_share_one_account_wide_request(self):
        """Regression (``make chaos PROFILE=pessimistic``): every order missing fills sent its own fill-history
        request; with history in the 30/min bucket (U2) they queued for minutes, and fills that came back after
        Hummingbot stopped keeping the completed order were lost. One account-wide request now serves them all."""
        self.fills.MISSED_FILLS_DELAY_S = 0.01
        orders = [order(str(n), f"e{n}", created_s=1700000000.0 + n) for n in range(1, 6)]
        orders.append(order("9", None))  # no exchange id yet: nothing to match its fills with
        self.pages = [[rest_fill(100 + n, f"e{n}", str(n), qty="1") for n in range(1, 6)]
                      + [rest_fill(200, "other", "77")]]
        for tracked in orders:
            self.fills.note_executed_quantity(tracked, "1")
        await wait_for(lambda: len(self.tracker.trades) == 5)
        self.assertEqual(1, len(self.gets))
        self.assertNotIn("symbol", self.gets[0])
        self.assertNotIn("orderId", self.gets[0])
        self.assertEqual(1700000001 * 1000 - self.fills.MISSED_FILLS_MARGIN_MS, self.gets[0]["from"])
        self.assertEqual({(str(100 + n), str(n)) for n in range(1, 6)},
                         {(t.trade_id, t.client_order_id) for t in self.tracker.trades})
        self.assertEqual([str(n) for n in range(1, 6)], sorted(self.tracker.completed))
        self.assertEqual(1, self.fetched)

    async def test_an_order_stays_fillable_while_its_missed_fills_are_fetched(self):
        self.fills.MISSED_FILLS_DELAY_S = 0.01
        self.pages = [[rest_fill(7, qty="1")]]
        self.fills.note_executed_quantity(order(amount="1"), "1")
        self.assertEqual(["1"], self.tracker.kept)
        await wait_for(lambda: not self.fills.missed_fill_fetches)
        self.assertEqual(([], ["7"]), (self.tracker.kept, [t.trade_id for t in self.tracker.trades]))

    async def test_a_failed_fetch_is_a_warning(self):
        self.fills.MISSED_FILLS_DELAY_S = 0.0
        self.pages = [IOError("boom")]
        with self.assertLogs("test_backpack_fills", "WARNING") as logs:
            self.fills.note_executed_quantity(order(), "1")
            await wait_for(lambda: not self.fills.missed_fill_fetches)
        self.assertTrue(any("Fetching the missed fills of order 1 failed" in line for line in logs.output))
        self.assertEqual(0, self.fetched)


class FillsThroughExchangeTests(ExchangeTestCase):
    def setUp(self):
        super().setUp()
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0

    def rest_fill(self, trade_id, qty, order_id="4239996998", client_id="42"):
        return {"tradeId": trade_id, "orderId": order_id, "clientId": client_id, "symbol": self.symbol, "side": "Bid",
                "price": "150", "quantity": qty, "fee": "0.001", "feeSymbol": "SOL", "isMaker": True,
                "timestamp": "2025-07-27T18:05:41.000"}

    async def test_one_account_wide_fills_request_for_many_orders_and_pairs(self):
        """U2: history requests may count in the 30/min bucket; one request a cycle whatever the number of pairs."""
        sol = [self.track(str(i), f"e{i}") for i in range(1, 4)]
        self.track("9", "e9", pair="ETH-USDC")
        fills = [rest_fill(10 + i, f"e{i}", str(i)) for i in range(1, 4)]
        eth_fill = dict(rest_fill(20, "e9", "9"), symbol="ETH_USDC")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps(fills + [eth_fill]))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            await self.exchange._update_orders_fills(list(self.exchange.in_flight_orders.values()))
            calls = [call for calls in mock_api.requests.values() for call in calls]
        self.assertEqual(1, len(calls))
        self.assertNotIn("symbol", calls[0].kwargs["params"])
        self.assertEqual(Decimal("0.5"), self.exchange.in_flight_orders["9"].executed_amount_base)
        for tracked in sol:
            self.assertEqual(Decimal("0.5"), tracked.executed_amount_base)
        self.assertEqual(4, len(self.ev(MarketEvent.OrderFilled)))

    def test_a_bad_fill_never_hides_the_good_fills_of_the_same_answer(self):
        @settings(REST_SETTINGS)
        @given(bad=mutated(rest_fill(12, "e2", "2")))
        def check(bad):
            self.run_async_with_timeout(self._one_bad_fill(bad), timeout=30)
        check()

    async def _one_bad_fill(self, bad):
        for client_order_id in list(self.exchange.in_flight_orders):
            self.exchange.stop_tracking_order(client_order_id)
        self.exchange._order_tracker._cached_orders.clear()
        self.exchange._fills.cursor_ms = 0
        self.exchange._throttler._task_logs.clear()  # many examples: keep the 30/min history limit out of the way
        orders = [self.track(str(i), f"e{i}", amount="10") for i in (1, 2, 3)]
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL),
                         body=json.dumps([rest_fill(11, "e1", "1"), bad, rest_fill(13, "e3", "3")]))
            await self.exchange._update_orders_fills(orders)
        for tracked, trade_id in ((orders[0], "11"), (orders[2], "13")):
            self.assertEqual(Decimal("0.5"), tracked.order_fills[trade_id].fill_base_amount)
        for tracked in orders:
            self.assertTrue(tracked.executed_amount_base.is_finite() and tracked.executed_amount_base >= 0)

    async def test_a_ws_cancel_reporting_more_executed_than_seen_fetches_the_missed_fill(self):
        """Regression (``make chaos``): fills whose WS events were lost came back only if the order was still polled;
        a WS ``orderCancelled`` whose ``z`` exceeds the fills seen now fetches them."""
        tracked = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([self.rest_fill(77, "0.4")]))
            self.exchange._process_user_stream_message(self.order_event(tracked, "orderCancelled", "Cancelled",
                                                                        z="0.4"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFilled)) == 1)
        self.assertEqual("77", str(self.ev(MarketEvent.OrderFilled)[0].exchange_trade_id))
        self.assertEqual(1, len(self.ev(MarketEvent.OrderCancelled)))
        self.assertEqual(1, self.exchange.metrics_snapshot()["rest"]["missed_fills_fetches"])

    async def test_a_cancel_answer_reporting_executed_quantity_fetches_the_missed_fill(self):
        """Regression (``make chaos``): an order filled while its private events were lost, then cancelled over REST,
        ended with its fills missing; the cancel answer's ``executedQuantity`` now fetches them."""
        tracked = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL),
                            body=json.dumps(self.order_json(tracked, "Cancelled", executed="0.25")))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([self.rest_fill(78, "0.25")]))
            self.assertEqual("42", await self.exchange._execute_cancel(self.pair, "42"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFilled)) == 1)
        self.assertEqual(1, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_no_fetch_when_the_fills_seen_cover_the_executed_quantity(self):
        tracked = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        with aioresponses():  # any request would fail the fetch and be logged as a warning
            self.exchange._process_user_stream_message(self.order_event(
                tracked, "orderFill", "PartiallyFilled", t=5, l="0.5", L="150", m=True, n="0.01", N="USDC", z="0.5"))
            self.exchange._process_user_stream_message(self.order_event(tracked, "orderCancelled", "Cancelled",
                                                                        z="0.5"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 1)
            await asyncio.sleep(0.05)
        self.assertEqual({}, self.exchange._fills.missed_fill_fetches)
        self.assertEqual(0, self.exchange.metrics_snapshot()["rest"]["missed_fills_fetches"])
        self.assertFalse(self.logged("WARNING", "missed fills"))

    async def test_missed_fills_adding_up_to_the_amount_complete_the_order(self):
        """Regression (``make chaos``): an order whose missed fills (fetched over REST) added up to its amount stayed
        open (its WS status was lost) and the strategy's cancels hit "not found"."""
        from hummingbot.connector.exchange.backpack.backpack_order_parsing import trade_update_from_fill
        tracked = self.track(client_order_id="42", exchange_order_id="7", amount="1", price="150")
        self.exchange._order_tracker.process_trade_update(trade_update_from_fill(
            {"tradeId": 1, "orderId": "7", "price": "150", "quantity": "0.4", "fee": "0", "feeSymbol": "USDC",
             "isMaker": True, "timestamp": "2025-07-27T18:05:41.000"},
            "42", "7", self.pair, TradeType.BUY, self.exchange.trade_fee_schema()))
        self.assertFalse(self.exchange._order_tracker.complete_if_fully_filled("42", 1.0))
        fill = {"tradeId": 2, "orderId": "7", "price": "150", "quantity": "0.6", "fee": "0", "feeSymbol": "USDC",
                "isMaker": True, "timestamp": "2025-07-27T18:05:42.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            self.exchange._fills.note_executed_quantity(tracked, "1")  # e.g. a status answer's executedQuantity
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        self.assertEqual(OrderState.FILLED, tracked.current_state)
        self.assertNotIn("42", self.exchange.in_flight_orders)

    async def test_a_placement_answer_with_unseen_executed_quantity_fetches_the_fills(self):
        """Regression (``make chaos``): an order that filled on arrival (the placement answer says Filled) while its
        WS fills were lost was completed "with incomplete information" and its fills never came."""
        tracked = self.track(client_order_id="42", exchange_order_id=None, amount="1", price="150")
        fill = {"tradeId": 3, "orderId": "7", "price": "150", "quantity": "1", "fee": "0", "feeSymbol": "USDC",
                "isMaker": False, "timestamp": "2025-07-27T18:05:42.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            self.exchange._apply_order_answer(tracked, self.order_json(tracked, "Filled", exchange_order_id="7",
                                                                       executed="1"))
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        self.assertEqual(["3"], [str(e.exchange_trade_id) for e in self.ev(MarketEvent.OrderFilled)])

    async def test_no_fetch_when_the_stream_delivered_the_fill_in_time(self):
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.05
        tracked = self.track(client_order_id="42", exchange_order_id=None, amount="1", price="150")
        with aioresponses():  # a fetch would fail and be logged
            self.exchange._apply_order_answer(tracked, self.order_json(tracked, "Filled", exchange_order_id="7",
                                                                       executed="1"))
            self.exchange._process_user_stream_message(self.order_event(
                tracked, "orderFill", "Filled", exchange_order_id="7", t=3, l="1", L="150", m=False, n="0",
                N="USDC", z="1"))
            await wait_for(lambda: not self.exchange._fills.missed_fill_fetches)
        self.assertEqual(1, len(self.ev(MarketEvent.OrderFilled)))
        self.assertEqual(0, self.exchange.metrics_snapshot()["rest"]["missed_fills_fetches"])
