"""``BackpackOrderStatus`` alone (fake signed GET, fake tracker, fake fills), then order status through the exchange
(aioresponses, including generated unreadable answers)."""
import json
import logging
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import Any, Dict, List, Optional, Tuple

from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackOrderHistoryLagError,
    BackpackOrderNotFoundError,
    BackpackRateLimitError,
)
from hummingbot.connector.exchange.backpack.backpack_history_lag import HistoryLagGrace
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_order
from hummingbot.connector.exchange.backpack.backpack_order_status import BackpackOrderStatus, is_order_not_found
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, TradeUpdate
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, error_body, url_regex, wait_for
from .hostile_payloads import json_values, mutated, wire_text

NOT_FOUND = BackpackAPIError(404, "RESOURCE_NOT_FOUND", "Not Found")


def make_order(client_order_id: str = "42", exchange_order_id: Optional[str] = "7") -> InFlightOrder:
    return InFlightOrder(client_order_id=client_order_id, trading_pair="SOL-USDC", order_type=OrderType.LIMIT,
                         trade_type=TradeType.BUY, amount=Decimal("1"), creation_timestamp=1.0, price=Decimal("150"),
                         exchange_order_id=exchange_order_id, initial_state=OrderState.OPEN)


def order_row(status: str = "New", id_: str = "7", client_id: Any = 42, side: str = "Bid", executed: str = "0",
              symbol: str = "SOL_USDC") -> Dict[str, Any]:
    return {"id": id_, "clientId": client_id, "symbol": symbol, "side": side, "status": status,
            "executedQuantity": executed, "createdAt": 1735689600123}


def trade(order: InFlightOrder, trade_id: str, amount: str) -> TradeUpdate:
    return TradeUpdate(trade_id=trade_id, client_order_id=order.client_order_id, exchange_order_id="7",
                       trading_pair=order.trading_pair, fill_timestamp=2.0, fill_price=Decimal("150"),
                       fill_base_amount=Decimal(amount), fill_quote_amount=Decimal(amount) * 150,
                       fee=AddedToCostTradeFee())


class FakeTracker:
    def __init__(self):
        self.lost_orders: Dict[str, InFlightOrder] = {}
        self.trades: List[TradeUpdate] = []
        self.not_found: List[str] = []

    def process_trade_update(self, trade_update: TradeUpdate) -> None:
        self.trades.append(trade_update)

    async def process_order_not_found(self, client_order_id: str) -> None:
        self.not_found.append(client_order_id)


class OrderStatusAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.now = 1000.0
        self.gets: List[Tuple[str, Dict[str, Any]]] = []
        self.answers: Dict[str, list] = {CONSTANTS.ORDER_PATH_URL: [], CONSTANTS.ORDER_HISTORY_PATH_URL: []}
        self.fills: list = []
        self.executed: List[Any] = []
        self.tracker = FakeTracker()
        self.log_records: List[logging.LogRecord] = []
        logger = logging.getLogger("test_backpack_order_status")
        logger.setLevel(logging.DEBUG)
        handler = logging.Handler()
        handler.emit = self.log_records.append
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        self.status = BackpackOrderStatus(
            private_get=self._get, symbol_for=self._symbol,
            pair_of=lambda symbol: {"SOL_USDC": "SOL-USDC"}.get(symbol, symbol) if isinstance(symbol, str) else None,
            tracker=self.tracker, trade_updates_for_order=self._fills,
            note_executed_quantity=lambda order, executed: self.executed.append(executed),
            observation_time_s=lambda: 5.0, logger=lambda: logger,
            history_lag=HistoryLagGrace(clock=lambda: self.now))

    async def _get(self, path: str, params: Dict[str, Any]) -> Any:
        self.gets.append((path, params))
        answer = self.answers[path].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _symbol(self, trading_pair: str) -> str:
        return "SOL_USDC"

    async def _fills(self, order: InFlightOrder) -> List[TradeUpdate]:
        answer = self.fills.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def logged(self, level: int, fragment: str) -> bool:
        return any(r.levelno == level and fragment in r.getMessage() for r in self.log_records)

    async def test_open_order_by_order_id(self):
        self.answers[CONSTANTS.ORDER_PATH_URL] = [order_row("PartiallyFilled", executed="0.4")]
        update = await self.status.request(make_order())
        self.assertEqual(OrderState.PARTIALLY_FILLED, update.new_state)
        self.assertEqual([(CONSTANTS.ORDER_PATH_URL, {"symbol": "SOL_USDC", "orderId": "7"})], self.gets)
        self.assertEqual(["0.4"], self.executed)
        self.assertEqual([], self.tracker.trades)  # not final: fills come from the fills poll

    async def test_closed_order_found_in_history_by_order_id(self):
        self.answers[CONSTANTS.ORDER_PATH_URL] = [NOT_FOUND]
        self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL] = [[{"id": "6"}, "junk", order_row("Cancelled")]]
        update = await self.status.request(make_order())
        self.assertEqual(OrderState.CANCELED, update.new_state)
        self.assertEqual((CONSTANTS.ORDER_HISTORY_PATH_URL, {"symbol": "SOL_USDC", "orderId": "7", "limit": 10}),
                         self.gets[1])

    async def test_another_bots_order_with_our_client_id_is_not_ours(self):
        """Without an order id, a payload found by clientId must have our pair and side (several bots on one key)."""
        order = make_order(exchange_order_id=None)
        self.answers[CONSTANTS.ORDER_PATH_URL] = [order_row("New", id_="9", side="Ask")]
        self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL] = [[order_row("Filled", id_="8", side="Ask"),
                                                           order_row("Cancelled", id_="7")]]
        update = await self.status.request(order)
        self.assertEqual(OrderState.CANCELED, update.new_state)
        self.assertEqual({"symbol": "SOL_USDC", "clientId": 42}, self.gets[0][1])
        self.assertEqual({"symbol": "SOL_USDC", "limit": BackpackOrderStatus.ORDER_HISTORY_SCAN_LIMIT,
                          "sortDirection": "Desc"}, self.gets[1][1])

    async def test_history_lag_grace_then_not_found(self):
        order = make_order()
        for _ in range(2):
            self.answers[CONSTANTS.ORDER_PATH_URL].append(NOT_FOUND)
            self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL].append([])
            with self.assertRaises(BackpackOrderHistoryLagError):
                await self.status.request(order)
            self.now += HistoryLagGrace.GRACE_S / 2 - 1
        self.now += 2
        self.answers[CONSTANTS.ORDER_PATH_URL].append(NOT_FOUND)
        self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL].append([])
        with self.assertRaises(BackpackOrderNotFoundError):
            await self.status.request(order)

    async def test_not_found_at_once_for_lost_or_unacknowledged_orders(self):
        lost = make_order()
        self.tracker.lost_orders[lost.client_order_id] = lost
        unacknowledged = make_order("43", exchange_order_id=None)
        for order in (lost, unacknowledged):
            self.answers[CONSTANTS.ORDER_PATH_URL].append(NOT_FOUND)
            self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL].append({"not": "a list"})
            with self.assertRaises(BackpackOrderNotFoundError) as ctx:
                await self.status.request(order)
            self.assertTrue(is_order_not_found(ctx.exception))
        self.assertEqual({}, self.status.history_lag.first_missing)

    async def test_a_found_order_ends_its_grace(self):
        order = make_order()
        self.answers[CONSTANTS.ORDER_PATH_URL] = [NOT_FOUND, order_row("New")]
        self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL] = [[]]
        with self.assertRaises(BackpackOrderHistoryLagError):
            await self.status.request(order)
        self.assertIn("42", self.status.history_lag.first_missing)
        await self.status.request(order)
        self.assertEqual({}, self.status.history_lag.first_missing)

    async def test_an_answer_that_is_no_order_and_other_errors_raise(self):
        self.answers[CONSTANTS.ORDER_PATH_URL] = [[], BackpackAPIError(401, "UNAUTHORIZED", "Unauthorized")]
        with self.assertRaises(ValueError):
            await self.status.request(make_order())
        with self.assertRaises(BackpackAPIError) as ctx:
            await self.status.request(make_order())
        self.assertFalse(is_order_not_found(ctx.exception))
        self.assertEqual([CONSTANTS.ORDER_PATH_URL] * 2, [path for path, _ in self.gets])

    async def test_fills_of_a_final_order_are_applied_before_its_state(self):
        order = make_order(exchange_order_id=None)
        self.answers[CONSTANTS.ORDER_PATH_URL] = [order_row("Filled", executed="1")]
        self.fills = [[trade(order, "t1", "0.4"), trade(order, "t2", "0.6")]]
        update = await self.status.request(order)
        self.assertEqual(OrderState.FILLED, update.new_state)
        self.assertEqual(["t1", "t2"], [t.trade_id for t in self.tracker.trades])
        self.assertEqual("7", order.exchange_order_id)  # needed by the order's fill query

    async def test_final_order_fills_skipped_when_seen_or_unreadable_and_retried_on_failure(self):
        order = make_order()
        for executed in ("0", "NaN?", None):
            await self.status.apply_fills_of_final_order(order, order_row("Cancelled", executed=executed))
        self.fills = [IOError("fills down")]
        await self.status.apply_fills_of_final_order(order, order_row("Cancelled", executed="0.5"))
        self.assertEqual([], self.tracker.trades)
        self.assertTrue(self.logged(logging.DEBUG, "Fills of order 42 not fetched"))

    async def test_update_errors(self):
        order = make_order()
        await self.status.handle_update_error(order, BackpackOrderHistoryLagError("lagging"))
        await self.status.handle_update_error(order, BackpackAPIError(503, "", "maintenance"))
        self.assertEqual([], self.tracker.not_found)
        self.assertTrue(self.logged(logging.DEBUG, "lagging"))
        self.assertTrue(self.logged(logging.WARNING, "Error fetching status update for the active order 42"))
        await self.status.handle_update_error(order, BackpackOrderNotFoundError("gone"))
        self.assertEqual(["42"], self.tracker.not_found)


class StatusThroughExchangeTests(ExchangeTestCase):
    async def test_closed_order_found_in_history_as_filled_and_cancelled(self):
        for status, state in (("Filled", OrderState.FILLED), ("Cancelled", OrderState.CANCELED),
                              ("Expired", OrderState.CANCELED)):
            order = self.track(client_order_id="42", exchange_order_id="4239996998")
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404,
                             body=error_body("RESOURCE_NOT_FOUND", "Not Found"))
                mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps([
                    {"id": "4239996998", "clientId": 42, "status": status, "createdAt": "2025-07-27T18:05:40.897"}]))
                update = await self.exchange._request_order_status(order)
            self.assertEqual(state, update.new_state, status)
            self.exchange.stop_tracking_order("42")

    async def test_order_unknown_everywhere_is_not_found(self):
        self.exchange._order_status.history_lag.GRACE_S = 0.0
        order = self.track(client_order_id="42", exchange_order_id="1")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=400,
                         body=error_body("INVALID_CLIENT_REQUEST", "Order not found"))
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
            with self.assertRaises(BackpackOrderNotFoundError) as ctx:
                await self.exchange._request_order_status(order)
        self.assertTrue(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))

    async def test_other_errors_are_not_not_found(self):
        order = self.track(client_order_id="42", exchange_order_id="1")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="")
            with self.assertRaises(IOError) as ctx:
                await self.exchange._request_order_status(order)
        self.assertFalse(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))


class StatusErrorsThroughExchangeTests(ExchangeTestCase):
    ANSWERS = {401: error_body("UNAUTHORIZED", "Unauthorized"), 451: "",
               429: error_body("TOO_MANY_REQUESTS", "Too many requests"),
               503: error_body("SERVICE_UNAVAILABLE", "Unknown error, please check your request or try again later.")}

    def test_an_unreadable_status_answer_never_loses_the_order(self):
        """A 200 status answer: readable → the order takes its state; unreadable → the order stays tracked and
        nothing counts toward "not found" (no OrderFailure)."""
        self.exchange._order_tracker.TRADE_FILLS_WAIT_TIMEOUT = 0.01

        @settings(max_examples=40, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(text=st.one_of(st.sampled_from([json.dumps({"id": "4239996998", "status": s}) for s in
                                               ("New", "PartiallyFilled", "Filled", "Cancelled", "TriggerFailed")]),
                              wire_text(st.one_of(mutated({"id": "4239996998", "clientId": 42, "status": "New",
                                                           "symbol": "SOL_USDC"}), json_values))))
        def check(text):
            self.run_async_with_timeout(self._one_status_answer(text), timeout=30)
        check()

    async def _one_status_answer(self, text: str):
        tracker = self.exchange._order_tracker
        for client_order_id in list(self.exchange.in_flight_orders):
            self.exchange.stop_tracking_order(client_order_id)
        tracker._cached_orders.clear()
        tracker._lost_orders.clear()
        tracker._order_not_found_records.clear()
        self.exchange._throttler._task_logs.clear()  # many examples: keep the 30/min history limit out of the way
        failures_before = len(self.ev(MarketEvent.OrderFailure))
        order = self.track("42", "4239996998")
        try:
            readable = order_update_from_order(json.loads(text), "42", self.pair, 0)
        except Exception:
            readable = None
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]", repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=text, repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]", repeat=True)
            for _ in range(tracker.lost_order_count_limit + 2):
                await self.exchange._update_order_status()
            if readable is not None:
                await wait_for(lambda: tracker.fetch_order("42") is not None
                               and tracker.fetch_order("42").current_state is readable.new_state)
            self.exchange._fills.cancel_pending()
        self.assertEqual(0, tracker._order_not_found_records.get("42", 0))
        if readable is None:
            self.assertIn("42", self.exchange.in_flight_orders)
            self.assertIs(OrderState.PENDING_CREATE, order.current_state)
            self.assertEqual(failures_before, len(self.ev(MarketEvent.OrderFailure)))
        else:
            expected_failures = failures_before + (readable.new_state is OrderState.FAILED)
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == expected_failures)

    async def test_status_answer_that_is_no_order_is_not_order_not_found(self):
        """Regression: a 200 status answer that was not an order object (``[]``, ``null``...) fell through to the
        history lookup and, not found there, counted toward declaring the (open) order lost."""
        order = self.track("42", "4239996998")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
            with self.assertRaises(ValueError) as ctx:
                await self.exchange._request_order_status(order)
        self.assertFalse(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))
        self.assertIn(f"unexpected answer of GET {CONSTANTS.ORDER_PATH_URL}", str(ctx.exception))

    async def test_status_errors_are_not_order_not_found(self):
        """Regression: any failed status query (a 401 during a key rotation, 429s, a 503 maintenance) counted as "order
        not found"; after four polls every open order was declared FAILED (lost) although it was still open on the
        exchange. Only "neither open nor in the history" counts now; other errors are logged and retried."""
        self.exchange._order_status.history_lag.GRACE_S = 0.0
        order = self.track("42", "4239996998")
        order.current_state = OrderState.OPEN
        for status in (401, 451, 429, 503):
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]", repeat=True)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=status, body=self.ANSWERS[status],
                             repeat=True)
                for _ in range(self.exchange._order_tracker.lost_order_count_limit + 2):
                    self.exchange._rest.backoff_until = 0.0
                    self.exchange._rest.backoff_s = 0.0
                    await self.exchange._update_order_status()
            self.assertIn("42", self.exchange.in_flight_orders, status)
            self.assertIs(OrderState.OPEN, order.current_state)
            self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get("42", 0))
            self.assertTrue(self.logged("WARNING", "Error fetching status update for the active order 42"))
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
        # a genuine "not found anywhere" still counts
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404,
                         body=error_body("RESOURCE_NOT_FOUND", "Not Found"))
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
            await self.exchange._update_order_status()
        self.assertEqual(1, self.exchange._order_tracker._order_not_found_records["42"])


class OpenOrdersPollAloneTests(OrderStatusAloneTests):
    """``update_orders``: one open-orders request a poll; only orders absent from it are looked up alone."""

    def setUp(self):
        super().setUp()
        self.answers[CONSTANTS.ORDERS_PATH_URL] = []
        self.applied: List[Any] = []
        self.errors: List[Tuple[str, Exception]] = []

    async def _on_error(self, order: InFlightOrder, error: Exception) -> None:
        self.errors.append((order.client_order_id, error))

    async def poll(self, *orders: InFlightOrder) -> None:
        await self.status.update_orders(list(orders), self.applied.append, self._on_error)

    def paths(self) -> List[str]:
        return [path for path, _ in self.gets]

    async def test_orders_in_the_open_list_cost_no_lookup_of_their_own(self):
        by_id, by_client_id = make_order("42", "7"), make_order("43", None)
        self.answers[CONSTANTS.ORDERS_PATH_URL] = [[
            order_row("PartiallyFilled", id_="7", client_id=42, executed="0.4"),
            order_row("New", id_="8", client_id=43), order_row("New", id_="99", client_id=1234)]]
        await self.poll(by_id, by_client_id)
        self.assertEqual([(CONSTANTS.ORDERS_PATH_URL, {"marketType": "SPOT"})], self.gets)
        self.assertEqual([("42", OrderState.PARTIALLY_FILLED, "7"), ("43", OrderState.OPEN, "8")],
                         [(u.client_order_id, u.new_state, u.exchange_order_id) for u in self.applied])
        self.assertEqual(["0.4", "0"], self.executed)  # missed-fill detection as with one lookup
        self.assertEqual(0, self.status.last_looked_up)

    async def test_order_absent_from_the_list_is_looked_up_alone(self):
        self.answers[CONSTANTS.ORDERS_PATH_URL] = [[order_row("New", id_="8", client_id=43)]]
        self.answers[CONSTANTS.ORDER_PATH_URL] = [NOT_FOUND]
        self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL] = [[order_row("Cancelled", id_="7")]]
        await self.poll(make_order("42", "7"), make_order("43", "8"))
        self.assertEqual([CONSTANTS.ORDERS_PATH_URL, CONSTANTS.ORDER_PATH_URL, CONSTANTS.ORDER_HISTORY_PATH_URL],
                         self.paths())
        self.assertEqual({"42": OrderState.CANCELED, "43": OrderState.OPEN},
                         {u.client_order_id: u.new_state for u in self.applied})
        self.assertEqual(1, self.status.last_looked_up)

    async def test_rows_of_the_list_are_applied_before_any_lookup_awaits(self):
        """A lookup takes its own round trips; a row applied after it could be older than a WS event seen meanwhile."""
        self.answers[CONSTANTS.ORDERS_PATH_URL] = [[order_row("New", id_="8", client_id=43)]]
        self.answers[CONSTANTS.ORDER_PATH_URL] = [order_row("PartiallyFilled", id_="7")]
        applied_before_lookup: List[List[str]] = []
        get = self._get

        async def recording_get(path: str, params: Dict[str, Any]) -> Any:
            if path == CONSTANTS.ORDER_PATH_URL:
                applied_before_lookup.append([u.client_order_id for u in self.applied])
            return await get(path, params)
        self.status._private_get = recording_get
        await self.poll(make_order("42", "7"), make_order("43", "8"))
        self.assertEqual([["43"]], applied_before_lookup)
        self.assertEqual(["43", "42"], [u.client_order_id for u in self.applied])

    async def test_another_bots_order_with_the_same_client_id_is_not_ours(self):
        """Several bots on one key (§5.5): a row with our clientId but another side is not our order."""
        self.answers[CONSTANTS.ORDERS_PATH_URL] = [[order_row("New", id_="9", client_id=43, side="Ask")]]
        self.answers[CONSTANTS.ORDER_PATH_URL] = [NOT_FOUND]
        self.answers[CONSTANTS.ORDER_HISTORY_PATH_URL] = [[]]
        await self.poll(make_order("43", None))
        self.assertEqual([], self.applied)
        self.assertEqual("43", self.errors[0][0])
        self.assertIsInstance(self.errors[0][1], BackpackOrderNotFoundError)

    async def test_unreadable_list_falls_back_to_one_lookup_per_order(self):
        for failure in (BackpackAPIError(503, "SERVICE_UNAVAILABLE", ""), {"not": "a list"}):
            self.gets.clear()
            self.applied.clear()
            self.answers[CONSTANTS.ORDERS_PATH_URL] = [failure]
            self.answers[CONSTANTS.ORDER_PATH_URL] = [order_row("New", id_="7"), order_row("New", id_="8")]
            await self.poll(make_order("42", "7"), make_order("43", "8"))
            self.assertEqual([CONSTANTS.ORDERS_PATH_URL, CONSTANTS.ORDER_PATH_URL, CONSTANTS.ORDER_PATH_URL],
                             self.paths())
            self.assertEqual(2, len(self.applied))
        self.assertTrue(self.logged(logging.WARNING, "looking each tracked order up alone"))

    async def test_429_on_the_list_leaves_the_orders_for_the_next_poll(self):
        self.answers[CONSTANTS.ORDERS_PATH_URL] = [BackpackRateLimitError(429, "TOO_MANY_REQUESTS", "")]
        await self.poll(make_order("42", "7"), make_order("43", "8"))
        self.assertEqual([CONSTANTS.ORDERS_PATH_URL], self.paths())
        self.assertEqual(([], []), (self.applied, self.errors))

    async def test_no_orders_no_request(self):
        await self.poll()
        self.assertEqual([], self.gets)


class OpenOrdersPollThroughExchangeTests(ExchangeTestCase):
    async def test_status_poll_of_open_orders_is_one_request(self):
        orders = [self.track(str(40 + i), str(700 + i)) for i in range(3)]
        rows = [self.order_json(order, "New") for order in orders[:2]]
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.ORDERS_PATH_URL), body=json.dumps(rows))
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps(self.order_json(orders[2], "New")))
            await self.exchange._update_order_status()
            requested = sorted(str(u).split("?")[0].rsplit("/", 1)[-1] for _, u in mock_api.requests)
        self.assertEqual(["fills", "order", "orders"], requested)
        await wait_for(lambda: all(o.current_state is OrderState.OPEN for o in orders))
        self.assertEqual(4 + 2, self.exchange._status_poller._requests_per_poll())
