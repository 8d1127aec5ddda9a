"""``BackpackCancelFlow`` alone (fake signed call, fake tracker), then cancels through the exchange (aioresponses)."""
import asyncio
import json
import logging
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import Any, Dict, List, Optional

from aioresponses import CallbackResult, aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_cancels import (
    CANCEL_ACCEPTED,
    CANCEL_CONFIRMED,
    BackpackCancelFlow,
)
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackOrderNotFoundError,
    BackpackRateLimitError,
)
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_order
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, error_body, url, url_regex, wait_for

TOO_MANY = error_body("TOO_MANY_REQUESTS", "Too many requests")
NOT_FOUND = error_body("RESOURCE_NOT_FOUND", "Not Found")


def make_order(client_order_id: str = "42", exchange_order_id: Optional[str] = "7",
               state: OrderState = OrderState.OPEN) -> InFlightOrder:
    return InFlightOrder(client_order_id=client_order_id, trading_pair="SOL-USDC", order_type=OrderType.LIMIT,
                         trade_type=TradeType.BUY, amount=Decimal("1"), creation_timestamp=1.0, price=Decimal("150"),
                         exchange_order_id=exchange_order_id, initial_state=state)


class FakeTracker:
    def __init__(self, *orders: InFlightOrder):
        self.orders = {order.client_order_id: order for order in orders}
        self.updates: List[OrderUpdate] = []
        self.lookups: List[tuple] = []

    @property
    def active_orders(self) -> Dict[str, InFlightOrder]:
        return self.orders

    def process_order_update(self, order_update: OrderUpdate) -> None:
        self.updates.append(order_update)

    def find_order(self, client_id: Any, exchange_order_id: Any, trading_pair: Optional[str] = None,
                   side: Any = None) -> Optional[InFlightOrder]:
        self.lookups.append((client_id, exchange_order_id, trading_pair, side))
        return self.orders.get(str(client_id))


class CancelFlowAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.calls: List[tuple] = []
        self.answers: list = []
        self.status_answers: list = []
        self.applied: List[OrderUpdate] = []
        self.executed: List[Any] = []
        self.reconciling = set()
        self.order = make_order()
        self.tracker = FakeTracker(self.order)
        self.flow = BackpackCancelFlow(
            private_call=self._call, symbol_for=self._symbol, tracker=self.tracker,
            request_order_status=self._status, apply_update=lambda order, update: self.applied.append(update),
            note_executed_quantity=lambda order, executed: self.executed.append(executed),
            placement_reconciling=lambda client_order_id: client_order_id in self.reconciling,
            current_timestamp=lambda: 1700000000.0, wall_time=lambda: 5.0,
            logger=lambda: logging.getLogger("test_backpack_cancels"))

    async def _call(self, path, method, body, headers=None):
        self.calls.append((path, method.value, body))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _symbol(self, trading_pair: str) -> str:
        return "SOL_USDC"

    async def _status(self, order):
        answer = self.status_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def test_place_cancel_outcomes(self):
        self.answers = [(200, {"status": "Cancelled", "executedQuantity": "0.2"}), (202, None),
                        (200, {"status": "New"}), (200, [])]
        self.assertEqual(CANCEL_CONFIRMED, await self.flow.place_cancel(self.order))
        self.assertEqual([CANCEL_ACCEPTED] * 3, [await self.flow.place_cancel(self.order) for _ in range(3)])
        self.assertEqual((CONSTANTS.ORDER_PATH_URL, "DELETE", {"symbol": "SOL_USDC", "orderId": "7"}), self.calls[0])
        self.assertEqual(["0.2", None], self.executed)

    async def test_cancel_confirmed_accepted_and_timestamps(self):
        self.answers = [(200, {"status": "Cancelled"}), (202, None)]
        self.assertTrue(await self.flow.cancel(self.order))
        self.flow._current_timestamp = lambda: float("nan")
        self.assertTrue(await self.flow.cancel(self.order))
        self.assertEqual([(OrderState.CANCELED, 1700000000.0), (OrderState.PENDING_CANCEL, 5.0)],
                         [(u.new_state, u.update_timestamp) for u in self.tracker.updates])

    async def test_429_is_false_and_other_errors_raise(self):
        self.answers = [BackpackRateLimitError(429, "", ""), BackpackAPIError(503, "", "")]
        self.assertFalse(await self.flow.cancel(self.order))
        with self.assertRaises(BackpackAPIError):
            await self.flow.cancel(self.order)
        self.assertEqual([], self.tracker.updates)

    async def test_not_found_looks_the_order_up(self):
        filled = OrderUpdate(trading_pair="SOL-USDC", update_timestamp=1.0, new_state=OrderState.FILLED,
                             client_order_id="42", exchange_order_id="7")
        not_found = BackpackAPIError(404, "RESOURCE_NOT_FOUND", "Not Found")
        self.answers = [not_found, not_found]
        self.status_answers = [filled, BackpackOrderNotFoundError("no")]
        self.assertFalse(await self.flow.cancel(self.order))
        self.assertEqual([filled], self.applied)
        with self.assertRaises(BackpackAPIError):  # unknown everywhere: ExchangePyBase counts it towards "lost"
            await self.flow.cancel(self.order)
        self.assertEqual(set(), self.flow.closed_order_lookups)

    async def test_waits_for_the_placement_answer_unless_reconciling(self):
        order = make_order(exchange_order_id=None, state=OrderState.PENDING_CREATE)
        self.flow.CANCEL_WAITS_FOR_PLACEMENT_S = 0.05
        self.assertTrue(await self.flow.wait_for_placement_answer(order))   # deadline: cancel by clientId anyway
        self.flow.CANCEL_WAITS_FOR_PLACEMENT_S = 60.0
        waiting = asyncio.ensure_future(self.flow.wait_for_placement_answer(order))
        await asyncio.sleep(0.05)
        self.assertFalse(waiting.done())
        order.current_state = OrderState.FAILED
        self.assertFalse(await asyncio.wait_for(waiting, 10))                # failed meanwhile: nothing to cancel
        self.assertTrue(await self.flow.wait_for_placement_answer(order))   # a lost order is cancelled as usual
        order.current_state = OrderState.PENDING_CREATE
        self.reconciling.add("42")
        self.assertTrue(await asyncio.wait_for(self.flow.wait_for_placement_answer(order), 10))

    async def test_cancel_all_200_and_202(self):
        other = make_order("43", "8")
        self.tracker.orders["43"] = other
        self.answers = [(200, [5, {"id": "7", "clientId": 42, "status": "Cancelled", "executedQuantity": "0"},
                               {"id": "x", "clientId": 99, "status": "Cancelled"},
                               {"id": "8", "clientId": 43, "status": []}]),
                        (202, None)]
        self.assertEqual(1, await self.flow.cancel_all("SOL-USDC"))
        self.assertEqual([("42", OrderState.CANCELED)],
                         [(u.client_order_id, u.new_state) for u in self.tracker.updates])
        self.assertEqual({"symbol": "SOL_USDC"}, self.calls[0][2])
        client_id, *rest = self.tracker.lookups[0]
        self.assertEqual(("42", "7", "SOL-USDC", None), (str(client_id), *rest))
        self.assertEqual(2, await self.flow.cancel_all("SOL-USDC"))
        self.assertEqual([OrderState.PENDING_CANCEL] * 2, [u.new_state for u in self.tracker.updates[1:]])


class CancelsThroughExchangeTests(ExchangeTestCase):
    async def test_202_is_not_a_confirmation(self):
        order = self.track()
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=202, body="")
            result = await self.exchange._execute_cancel(self.pair, order.client_order_id)
        self.assertEqual(order.client_order_id, result)
        await wait_for(lambda: order.current_state is OrderState.PENDING_CANCEL)
        self.assertIn(order.client_order_id, self.exchange.in_flight_orders)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))
        # an older REST view ("New") does not reopen it; the WS confirmation closes it
        self.exchange._process_order_update_keeping_progress(
            order, order_update_from_order({"id": "111", "status": "New"}, order.client_order_id, self.pair, 1.0))
        self.exchange._process_user_stream_message(self.order_event(order, "orderCancelled", "Cancelled"))
        await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 1)
        self.assertNotIn(order.client_order_id, self.exchange.in_flight_orders)

    async def test_cancel_all_on_exchange(self):
        first, second = self.track("1", "a1"), self.track("2", "a2")
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                self.order_json(first, "Cancelled"), {"id": "zz", "clientId": None, "status": "Cancelled"}]))
            self.assertEqual(1, await self.exchange.cancel_all_on_exchange(self.pair))
            await wait_for(lambda: first.is_cancelled)
            self.assertTrue(second.is_open)
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), status=202, body="")
            self.assertEqual(1, await self.exchange.cancel_all_on_exchange(self.pair))
            await wait_for(lambda: second.current_state is OrderState.PENDING_CANCEL)
            body = json.loads(list(mock_api.requests.values())[0][0].kwargs["data"])
        self.assertEqual({"symbol": "SOL_USDC"}, body)

    async def test_cancel_all_answer_with_junk_elements(self):
        """Regression: a cancel-all answer element that was not an object raised ``AttributeError``: the loop stopped
        and the tracked orders after it in the answer were not updated."""
        first = self.track("1", "a1")
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                5, "x", None, {"id": "a1", "clientId": 1, "status": []}, self.order_json(first, "Cancelled")]))
            self.assertEqual(1, await self.exchange.cancel_all_on_exchange(self.pair))
        await wait_for(lambda: first.is_cancelled)

    async def test_batch_cancel_per_order(self):
        first, second = self.track("1", "a1"), self.track("2", "a2")

        def route(_url, **kwargs):
            if json.loads(kwargs["data"])["orderId"] == "a1":
                return CallbackResult(body=json.dumps(self.order_json(first, "Cancelled")))
            return CallbackResult(status=404, body=NOT_FOUND)

        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), callback=route, repeat=True)
            results = await self.exchange._execute_batch_cancel([first.to_limit_order(), second.to_limit_order()])
        self.assertEqual([("1", True), ("2", False)], [(r.order_id, r.success) for r in results])
        await wait_for(lambda: first.is_cancelled)
        self.assertEqual(1, self.exchange._order_tracker._order_not_found_records["2"])

    async def test_cancel_errors_keep_the_order_tracked_and_open(self):
        answers = {401: error_body("UNAUTHORIZED", "Unauthorized"), 451: "", 429: TOO_MANY,
                   503: error_body("SERVICE_UNAVAILABLE", "Unknown error, please check your request.")}
        order = self.track()
        order.current_state = OrderState.OPEN
        for status, body in answers.items():
            self.exchange._rest.backoff_until = 0.0
            self.exchange._rest.backoff_s = 0.0
            self.log_records.clear()
            with aioresponses() as mock_api:
                mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=status, body=body)
                result = await self.exchange._execute_cancel(self.pair, order.client_order_id)
            self.assertIsNone(result, status)
            self.assertIn(order.client_order_id, self.exchange.in_flight_orders)
            self.assertIs(OrderState.OPEN, order.current_state)
            self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get(order.client_order_id, 0))
            self.assertTrue(any(r.levelname in ("ERROR", "WARNING") and order.client_order_id in r.getMessage()
                                and ("Failed to cancel" in r.getMessage() or "429" in r.getMessage())
                                for r in self.log_records), status)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_a_rate_limited_cancel_is_retried_within_a_second_until_answered(self):
        """Issue 17: a cancel answered 429 is sent again within a second (random delay) until another answer, and
        it starts the polling pause without waiting for it; before, the 429 ended the cancel (the order stayed open
        while the strategy waited for its next cancel, behind the connector-wide pause)."""
        order = self.track()
        delays = []

        async def no_sleep(delay):
            delays.append(delay)
        self.exchange._rest._sleep = no_sleep
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=429, body=TOO_MANY)
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=429, body=TOO_MANY)
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), body=json.dumps(self.order_json(order, "Cancelled")))
            self.assertEqual(order.client_order_id,
                             await self.exchange._execute_cancel(self.pair, order.client_order_id))
        self.assertEqual(2, len(delays))
        self.assertTrue(all(0 < d < 1 for d in delays) and delays[0] != delays[1])
        await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 1)
        self.assertEqual(2, self.exchange.metrics_snapshot()["rest"]["cancel_retries_after_429"])
        self.assertGreater(self.exchange._rest.backoff_remaining_s(), 0)  # polling paused, the cancel was not

    async def test_a_cancel_waits_for_the_placement_answer_before_it_is_sent(self):
        """Regression (``make chaos``): a cancel of an order whose placement request was still waiting (behind a 429
        pause) reached the exchange first, was "not found", and the order — placed a moment later — became lost
        and was dropped while open."""
        order = self.track(exchange_order_id=None)  # PENDING_CREATE: the POST is still on its way
        sent = []
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL),
                            callback=lambda *_, **__: sent.append(order.exchange_order_id),
                            body=json.dumps(self.order_json(order, "Cancelled", exchange_order_id="777")))
            cancel = asyncio.ensure_future(self.exchange._execute_cancel(self.pair, order.client_order_id))
            await asyncio.sleep(0.05)
            self.assertEqual([], sent)  # nothing sent while the placement is unanswered
            self.exchange._apply_order_answer(order, self.order_json(order, "New", exchange_order_id="777"))
            self.assertEqual(order.client_order_id, await asyncio.wait_for(cancel, 10))
        self.assertEqual(["777"], sent)
        await wait_for(lambda: order.is_cancelled)

    async def test_a_cancel_of_an_order_whose_placement_failed_sends_nothing(self):
        """Regression companion: when the awaited placement fails, the cancel sends nothing."""
        order = self.track(exchange_order_id=None)
        with aioresponses():  # any request would fail: none may be sent
            cancel = asyncio.ensure_future(self.exchange._execute_cancel(self.pair, order.client_order_id))
            await asyncio.sleep(0.05)
            self.exchange._update_order_after_failure(order.client_order_id, self.pair, exception=IOError("503"))
            self.assertIsNone(await asyncio.wait_for(cancel, 10))
        self.assertTrue(order.is_failure)

    async def test_a_cancel_not_found_looks_the_order_up_and_applies_its_fills_and_final_state(self):
        """Regression (``make chaos``): a cancel answered "not found" because the order had filled (its WS events
        lost) counted towards "lost" and the order was dropped without its fills; now the connector looks the order
        up at once and applies its fills and final state."""
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0
        order = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        fill = {"tradeId": 9001, "orderId": "4239996998", "clientId": "42", "symbol": self.symbol, "side": "Bid",
                "price": "150", "quantity": "1", "fee": "0.001", "feeSymbol": "SOL", "isMaker": True,
                "timestamp": "2025-07-27T18:05:41.000"}
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps([
                self.order_json(order, "Filled", executed="1")]))
            self.assertIsNone(await self.exchange._execute_cancel(self.pair, "42"))
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        self.assertEqual(["9001"], [str(e.exchange_trade_id) for e in self.ev(MarketEvent.OrderFilled)])
        self.assertEqual(OrderState.FILLED, order.current_state)
        self.assertNotIn("42", self.exchange._order_tracker._order_not_found_records)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_one_history_lookup_per_order_however_often_it_is_cancelled(self):
        """Regression (``make chaos``): repeated cancels of one closed order each started a history lookup,
        exhausting the history rate-limit pool."""
        order = self.track(client_order_id="42", exchange_order_id="7", amount="1", price="150")
        release = asyncio.Event()

        async def slow_history(*_, **__):
            await asyncio.wait_for(release.wait(), 10)
            return CallbackResult(body=json.dumps([self.order_json(order, "Cancelled", exchange_order_id="7")]))

        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND, repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND, repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), callback=slow_history, repeat=True)
            first = asyncio.ensure_future(self.exchange._execute_cancel(self.pair, "42"))
            await wait_for(lambda: "42" in self.exchange._cancels.closed_order_lookups)
            for _ in range(3):  # the strategy cancels again while the lookup waits
                self.assertIsNone(await self.exchange._execute_cancel(self.pair, "42"))
            release.set()
            self.assertIsNone(await asyncio.wait_for(first, 10))
            history_calls = sum(len(calls) for (method, u), calls in mock_api.requests.items() if "history" in str(u))
        self.assertEqual(1, history_calls)
        await wait_for(lambda: order.is_cancelled)
        self.assertNotIn("42", self.exchange._order_tracker._order_not_found_records)
