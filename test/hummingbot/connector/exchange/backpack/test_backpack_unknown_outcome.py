"""``UnknownOutcomeReconciler`` alone (fake status query, fake tracker), then unknown-outcome placements through the
exchange (aioresponses, including generated unreadable answers)."""
import asyncio
import json
import logging
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import List

from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackOrderNotFoundError
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_order
from hummingbot.connector.exchange.backpack.backpack_unknown_outcome import UnknownOutcomeReconciler
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, error_body, url, url_regex, wait_for
from .hostile_payloads import json_values, mutated, wire_text

REST_SETTINGS = settings(max_examples=40, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NOT_FOUND = error_body("RESOURCE_NOT_FOUND", "Not Found")


def pending_order(client_order_id: str = "42") -> InFlightOrder:
    return InFlightOrder(client_order_id=client_order_id, trading_pair="SOL-USDC", order_type=OrderType.LIMIT,
                         trade_type=TradeType.BUY, amount=Decimal("1"), creation_timestamp=1.0, price=Decimal("150"))


class FakeTracker:
    def __init__(self):
        self.not_found: List[str] = []

    async def process_order_not_found(self, client_order_id: str) -> None:
        self.not_found.append(client_order_id)


class ReconcilerAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.answers: list = []
        self.applied: List[OrderUpdate] = []
        self.counted = 0
        self.tracker = FakeTracker()
        self.reconciler = UnknownOutcomeReconciler(
            request_order_status=self._status, apply_update=lambda order, update: self.applied.append(update),
            tracker=self.tracker, on_unknown_outcome=self._count, logger=lambda: logging.getLogger("test_unknown"))
        self.reconciler.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0, 0.0)

    def tearDown(self):
        self.reconciler.cancel_pending()
        super().tearDown()

    def _count(self):
        self.counted += 1

    async def _status(self, order):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def update(self, state=OrderState.OPEN) -> OrderUpdate:
        return OrderUpdate(trading_pair="SOL-USDC", update_timestamp=1.0, new_state=state, client_order_id="42",
                           exchange_order_id="7")

    async def test_failed_and_not_found_checks_go_on_until_one_answers(self):
        order = pending_order()
        self.answers = [IOError("503"), BackpackOrderNotFoundError("no"), IOError("429"), self.update()]
        self.reconciler.start(order, IOError("503"))
        self.reconciler.start(order, IOError("503"))  # once per order
        self.assertTrue(self.reconciler.is_pending("42"))
        await wait_for(lambda: not self.reconciler.is_pending("42"))
        self.assertEqual([OrderState.OPEN], [u.new_state for u in self.applied])
        self.assertEqual(["42"], self.tracker.not_found)
        self.assertEqual(2, self.counted)

    async def test_stops_when_something_else_resolved_the_order(self):
        order = pending_order()
        order.current_state = OrderState.OPEN
        self.reconciler.start(order, IOError("503"))
        await wait_for(lambda: not self.reconciler.pending)
        self.assertEqual([], self.applied)

    async def test_cancel_pending(self):
        self.reconciler.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (60.0,)
        self.reconciler.start(pending_order(), IOError("503"))
        task = self.reconciler.pending["42"]
        await asyncio.sleep(0)  # let it start waiting
        self.reconciler.cancel_pending()
        await wait_for(lambda: task.done())
        self.assertTrue(task.cancelled())


class UnknownOutcomeThroughExchangeTests(ExchangeTestCase):
    def setUp(self):
        super().setUp()
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0,) * 6

    async def test_503_keeps_the_order_and_the_clientid_query_finds_it_open(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=503,
                          body=error_body("SERVICE_UNAVAILABLE", "Unknown error, please check your request"))
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "555", "status": "New"}))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
            status_query = [calls for (method, u), calls in mock_api.requests.items() if method == "GET"][0][0]
        order = self.exchange.in_flight_orders[order_id]
        self.assertEqual("555", order.exchange_order_id)
        self.assertEqual(order_id, status_query.kwargs["params"]["clientId"])
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
        self.assertEqual(1, self.exchange.metrics_snapshot()["rest"]["unknown_outcome_orders"])

    async def test_unknown_outcome_not_found_anywhere_fails_after_the_usual_retries(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), exception=asyncio.TimeoutError())
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND, repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]", repeat=True)
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
        self.assertEqual(order_id, failures[0].order_id)
        self.assertIn(order_id, self.exchange._order_tracker.lost_orders)  # keeps being checked as a lost order

    async def test_unknown_outcome_found_filled_in_history(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=500, body="")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            row = {"id": "556", "clientId": int(order_id), "status": "Filled", "createdAt": "2025-07-27T18:05:40.897"}
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL),
                         body=json.dumps([{"id": "1", "clientId": 1, "status": "Cancelled"}, row]))
            self.exchange._order_tracker.TRADE_FILLS_WAIT_TIMEOUT = 0.1
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
            completed = self.ev(MarketEvent.BuyOrderCompleted)
            history_query = [calls for (method, u), calls in mock_api.requests.items()
                             if "history" in str(u)][0][0]
        self.assertEqual("556", completed[0].exchange_order_id)
        self.assertEqual("Desc", history_query.kwargs["params"]["sortDirection"])

    async def test_an_unknown_outcome_order_found_filled_gets_its_missed_fills(self):
        """Regression (``make chaos``): a 503'd order (placed after all) that filled at once: the reconciliation
        found it Filled, but the fills fetch had no exchange order id yet (Hummingbot sets it only after waiting
        for fills), so its fills never came."""
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0,)
        order = self.track(client_order_id="42", exchange_order_id=None, amount="1", price="150")
        fill = {"tradeId": 4, "orderId": "7", "price": "150", "quantity": "1", "fee": "0", "feeSymbol": "USDC",
                "isMaker": False, "timestamp": "2025-07-27T18:05:42.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps([
                self.order_json(order, "Filled", exchange_order_id="7", executed="1")]))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            self.exchange._unknown_outcomes.start(order, IOError("503"))
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        self.assertEqual(["4"], [str(e.exchange_trade_id) for e in self.ev(MarketEvent.OrderFilled)])
        self.assertFalse(self.logged("WARNING", "did not arrive on time"))

    async def test_unknown_outcome_checks_go_on_past_the_listed_delays_until_one_answers(self):
        """Regression (``make chaos``): the clientId checks of a 503'd order stopped after five failed ones, leaving
        the order PENDING_CREATE until a status poll minutes later."""
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0, 0.0)
        order = self.track(client_order_id="42", exchange_order_id=None, amount="1", price="150")
        with aioresponses() as mock_api:
            for _ in range(6):
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL),
                         body=json.dumps(self.order_json(order, "New", exchange_order_id="7")))
            self.exchange._unknown_outcomes.start(order, IOError("503"))
            await wait_for(lambda: order.current_state is OrderState.OPEN)
        self.assertEqual("7", order.exchange_order_id)
        self.assertNotIn("42", self.exchange._order_tracker._order_not_found_records)

    async def test_placement_answer_that_is_not_json_is_an_unknown_outcome(self):
        """Regression: a 200 placement answer that was not JSON (truncated, HTML) or not an order (``null``) made the
        order FAILED although Backpack had accepted it: an untracked open order on the exchange."""
        for body in ('{"id": "77", "sta', "<html>oops</html>", "null"):
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=body)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "555", "status": "New"}))
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                await wait_for(lambda: order_id in self.exchange.in_flight_orders
                               and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
            self.assertEqual("555", self.exchange.in_flight_orders[order_id].exchange_order_id)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
        self.assertEqual(3, self.exchange.metrics_snapshot()["rest"]["unknown_outcome_orders"])

    async def test_placement_503_with_plain_text_or_html_is_still_an_unknown_outcome(self):
        for body in ("Service Unavailable", "<html><body>503</body></html>", ""):
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=503, body=body)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "9", "status": "New"}))
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                await wait_for(lambda: order_id in self.exchange.in_flight_orders
                               and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))

    def test_an_unreadable_placement_answer_is_an_unknown_outcome_not_a_failure(self):
        """A 2xx placement answer: readable → its state (FAILED only for a post-only expiry, with an OrderFailure
        event); unreadable → an unknown outcome resolved by the clientId query (OPEN, id "555", no failure)."""
        body = {"id": "77", "clientId": 1, "symbol": "SOL_USDC", "status": "New", "side": "Bid", "price": "150",
                "quantity": "1", "executedQuantity": "0", "createdAt": 1735689600123}

        @settings(REST_SETTINGS)
        @given(text=st.one_of(st.sampled_from(["", "null", "[]", "{}", '{"id": "77"}',
                                               json.dumps(dict(body, status="Expired", expiryReason="PostOnlyTaker"))]),
                              wire_text(st.one_of(mutated(body), json_values))))
        def check(text):
            self.run_async_with_timeout(self._one_placement(text), timeout=30)
        check()

    async def _one_placement(self, text: str):
        failures_before = len(self.ev(MarketEvent.OrderFailure))
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=text)
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "555", "status": "New"}),
                         repeat=True)
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            try:
                readable = order_update_from_order(json.loads(text), order_id, self.pair, 0)
            except Exception:
                readable = None
            tracker = self.exchange._order_tracker
            if readable is None:
                await wait_for(lambda: order_id in self.exchange.in_flight_orders
                               and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
                self.assertEqual("555", self.exchange.in_flight_orders[order_id].exchange_order_id)
                self.assertEqual(failures_before, len(self.ev(MarketEvent.OrderFailure)))
            else:
                await wait_for(lambda: tracker.fetch_order(order_id) is not None
                               and tracker.fetch_order(order_id).current_state is not OrderState.PENDING_CREATE)
                order = tracker.fetch_order(order_id)
                self.assertEqual(readable.exchange_order_id, order.exchange_order_id)
                if readable.new_state is OrderState.FAILED:
                    await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == failures_before + 1)
                    self.assertEqual(order_id, self.ev(MarketEvent.OrderFailure)[-1].order_id)
                    self.assertIs(OrderState.FAILED, order.current_state)
                else:
                    self.assertEqual(failures_before, len(self.ev(MarketEvent.OrderFailure)))
                    self.assertIs(readable.new_state, order.current_state)
        self.exchange.stop_tracking_order(order_id)
