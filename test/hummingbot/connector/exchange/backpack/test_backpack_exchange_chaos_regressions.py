"""Regressions for the bugs `make chaos` found, one focused test each (aioresponses only):

1. a burst of concurrent 429 answers doubled the REST pause once per answer (1 → 30 s after five) instead of once;
2. a 429 on the network check (``GET /api/v1/status``) marked the network down and tore the streams down;
3. a cancel of an order whose placement request was still waiting (e.g. behind a 429 pause) reached the exchange
   first, was "not found", and the order — placed a moment later — became lost and was dropped while open;
4. a cancel answered "not found" because the order had filled (its WS events lost) counted towards "lost" and the
   order was dropped without its fills; now the connector looks the order up at once and applies fills and state;
5. a cancel refused by a 429 logged an ERROR with a traceback; it is now a warning and the order stays open.
"""
import asyncio
import json

from aioresponses import CallbackResult, aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.network_iterator import NetworkStatus

from .exchange_test_support import ExchangeTestCase, error_body, url, url_regex, wait_for

TOO_MANY = error_body("TOO_MANY_REQUESTS", "Too many requests")
NOT_FOUND = error_body("RESOURCE_NOT_FOUND", "Not Found")


class RateLimitRegressionTests(ExchangeTestCase):
    async def test_a_burst_of_concurrent_429s_pauses_once_not_once_per_answer(self):
        arrived, all_sent = [], asyncio.Event()

        async def answer_once_all_five_are_in_flight(*_, **__):
            arrived.append(1)
            if len(arrived) == 5:
                all_sent.set()
            await asyncio.wait_for(all_sent.wait(), 10)
            return CallbackResult(status=429, body=TOO_MANY)

        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), callback=answer_once_all_five_are_in_flight, repeat=True)
            results = await asyncio.gather(*[self.exchange._api_get(path_url=CONSTANTS.BALANCE_PATH_URL,
                                                                     is_auth_required=True) for _ in range(5)],
                                           return_exceptions=True)
        self.assertEqual(5, len([r for r in results if isinstance(r, Exception)]))
        self.assertEqual(CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S, self.exchange._rest.backoff_s)
        self.assertLessEqual(self.exchange._rest.backoff_remaining_s(), CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S)

    async def test_a_429_after_the_pause_ended_doubles_it(self):
        self.exchange._rest.start_backoff(CONSTANTS.BALANCE_PATH_URL)
        first = self.exchange._rest.backoff_s
        self.exchange._rest.backoff_until = 0.0  # the pause is over
        self.exchange._rest.start_backoff(CONSTANTS.BALANCE_PATH_URL)
        self.assertEqual(first * 2, self.exchange._rest.backoff_s)

    async def test_a_rate_limited_network_check_still_means_connected(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), status=429, body=TOO_MANY)
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())  # pause: no request
            self.assertEqual(1, sum(len(calls) for calls in mock_api.requests.values()))
            self.exchange._rest.backoff_until = 0.0  # the pause is over
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), status=503, body="")
            self.assertEqual(NetworkStatus.NOT_CONNECTED, await self.exchange.check_network())

    async def test_a_rate_limited_cancel_is_a_warning_and_the_order_stays_open(self):
        order = self.track()
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=429, body=TOO_MANY)
            self.assertIsNone(await self.exchange._execute_cancel(self.pair, order.client_order_id))
        self.assertTrue(order.is_open)
        self.assertNotIn(order.client_order_id, self.exchange._order_tracker._order_not_found_records)
        self.assertFalse(any(r.levelname == "ERROR" for r in self.log_records))
        self.assertTrue(self.logged("WARNING", "rate limit"))


class CancelRaceRegressionTests(ExchangeTestCase):
    async def test_a_cancel_waits_for_the_placement_answer_before_it_is_sent(self):
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
        order = self.track(exchange_order_id=None)
        with aioresponses():  # any request would fail: none may be sent
            cancel = asyncio.ensure_future(self.exchange._execute_cancel(self.pair, order.client_order_id))
            await asyncio.sleep(0.05)
            self.exchange._update_order_after_failure(order.client_order_id, self.pair, exception=IOError("503"))
            self.assertIsNone(await asyncio.wait_for(cancel, 10))
        self.assertTrue(order.is_failure)

    async def test_a_cancel_not_found_looks_the_order_up_and_applies_its_fills_and_final_state(self):
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


class MissedFillsRegressionTests(ExchangeTestCase):
    """6. fills whose WS events were lost came back only if the order was still polled; now an executed quantity
    above the fills seen (WS ``z``, cancel answer, status answer) fetches them; and every private (re)subscription
    triggers the status poll at once."""

    def setUp(self):
        super().setUp()
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0

    def rest_fill(self, trade_id, qty, order_id="4239996998", client_id="42"):
        return {"tradeId": trade_id, "orderId": order_id, "clientId": client_id, "symbol": self.symbol, "side": "Bid",
                "price": "150", "quantity": qty, "fee": "0.001", "feeSymbol": "SOL", "isMaker": True,
                "timestamp": "2025-07-27T18:05:41.000"}

    async def test_a_ws_cancel_reporting_more_executed_than_seen_fetches_the_missed_fill(self):
        order = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([self.rest_fill(77, "0.4")]))
            self.exchange._process_user_stream_message(self.order_event(order, "orderCancelled", "Cancelled",
                                                                        z="0.4"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFilled)) == 1)
        self.assertEqual("77", str(self.ev(MarketEvent.OrderFilled)[0].exchange_trade_id))
        self.assertEqual(1, len(self.ev(MarketEvent.OrderCancelled)))
        self.assertEqual(1, self.exchange.metrics_snapshot()["rest"]["missed_fills_fetches"])

    async def test_a_cancel_answer_reporting_executed_quantity_fetches_the_missed_fill(self):
        order = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL),
                            body=json.dumps(self.order_json(order, "Cancelled", executed="0.25")))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([self.rest_fill(78, "0.25")]))
            self.assertEqual("42", await self.exchange._execute_cancel(self.pair, "42"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFilled)) == 1)
        self.assertEqual(1, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_no_fetch_when_the_fills_seen_cover_the_executed_quantity(self):
        order = self.track(client_order_id="42", exchange_order_id="4239996998", amount="1", price="150")
        with aioresponses():  # any request would fail the fetch and be logged as a warning
            self.exchange._process_user_stream_message(self.order_event(
                order, "orderFill", "PartiallyFilled", t=5, l="0.5", L="150", m=True, n="0.01", N="USDC", z="0.5"))
            self.exchange._process_user_stream_message(self.order_event(order, "orderCancelled", "Cancelled",
                                                                        z="0.5"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 1)
            await asyncio.sleep(0.05)
        self.assertEqual({}, self.exchange._fills.missed_fill_fetches)
        self.assertEqual(0, self.exchange.metrics_snapshot()["rest"]["missed_fills_fetches"])
        self.assertFalse(self.logged("WARNING", "missed fills"))

    def test_a_private_resubscription_triggers_the_status_poll(self):
        self.assertFalse(self.exchange._poll_notifier.is_set())
        self.exchange._on_private_stream_subscribed()
        self.assertTrue(self.exchange._poll_notifier.is_set())


class TrackerRegressionTests(ExchangeTestCase):
    """7. an order whose missed fills (fetched over REST) add up to its amount stayed open (its WS status was lost)
    and was cancelled into "not found"; 8. a lost order later found FILLED/CANCELED stayed on the lost list and was re-cancelled forever;
    9. repeated cancels of one closed order each started a history lookup, exhausting the 30/min history pool."""

    def rest_trade(self, order, trade_id, qty):
        from hummingbot.connector.exchange.backpack.backpack_order_parsing import trade_update_from_fill
        return trade_update_from_fill(
            {"tradeId": trade_id, "orderId": order.exchange_order_id, "price": "150", "quantity": qty, "fee": "0",
             "feeSymbol": "USDC", "isMaker": True, "timestamp": "2025-07-27T18:05:41.000"},
            order.client_order_id, order.exchange_order_id, order.trading_pair, order.trade_type,
            self.exchange.trade_fee_schema())

    async def test_missed_fills_adding_up_to_the_amount_complete_the_order(self):
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0
        order = self.track(client_order_id="42", exchange_order_id="7", amount="1", price="150")
        self.exchange._order_tracker.process_trade_update(self.rest_trade(order, 1, "0.4"))
        self.assertFalse(self.exchange._order_tracker.complete_if_fully_filled("42", 1.0))
        fill = {"tradeId": 2, "orderId": "7", "price": "150", "quantity": "0.6", "fee": "0", "feeSymbol": "USDC",
                "isMaker": True, "timestamp": "2025-07-27T18:05:42.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            self.exchange._fills.note_executed_quantity(order, "1")  # e.g. a status answer's executedQuantity
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        self.assertEqual(OrderState.FILLED, order.current_state)
        self.assertNotIn("42", self.exchange.in_flight_orders)

    async def test_a_lost_order_found_filled_leaves_the_lost_list(self):
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

    async def test_one_history_lookup_per_order_however_often_it_is_cancelled(self):
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


class PlacementFillsRegressionTests(ExchangeTestCase):
    """10. an order that filled on arrival (the placement answer says Filled) while its WS fills were lost was
    completed "with incomplete information" and its fills never came; now the answer's executedQuantity fetches
    them, and only when the stream did not deliver them within ``MISSED_FILLS_DELAY_S``."""

    async def test_a_placement_answer_with_unseen_executed_quantity_fetches_the_fills(self):
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0
        order = self.track(client_order_id="42", exchange_order_id=None, amount="1", price="150")
        fill = {"tradeId": 3, "orderId": "7", "price": "150", "quantity": "1", "fee": "0", "feeSymbol": "USDC",
                "isMaker": False, "timestamp": "2025-07-27T18:05:42.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            self.exchange._apply_order_answer(order, self.order_json(order, "Filled", exchange_order_id="7",
                                                                     executed="1"))
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        self.assertEqual(["3"], [str(e.exchange_trade_id) for e in self.ev(MarketEvent.OrderFilled)])

    async def test_no_fetch_when_the_stream_delivered_the_fill_in_time(self):
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.05
        order = self.track(client_order_id="42", exchange_order_id=None, amount="1", price="150")
        with aioresponses():  # a fetch would fail and be logged
            self.exchange._apply_order_answer(order, self.order_json(order, "Filled", exchange_order_id="7",
                                                                     executed="1"))
            self.exchange._process_user_stream_message(self.order_event(
                order, "orderFill", "Filled", exchange_order_id="7", t=3, l="1", L="150", m=False, n="0",
                N="USDC", z="1"))
            await wait_for(lambda: not self.exchange._fills.missed_fill_fetches)
        self.assertEqual(1, len(self.ev(MarketEvent.OrderFilled)))
        self.assertEqual(0, self.exchange.metrics_snapshot()["rest"]["missed_fills_fetches"])

    async def test_an_unknown_outcome_order_found_filled_gets_its_missed_fills(self):
        """11. a 503'd order (placed after all) that filled at once: the reconciliation found it Filled, but the
        fills fetch had no exchange order id yet (Hummingbot sets it only after waiting for fills)."""
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
        """12. the clientId checks of a 503'd order stopped after five failed ones."""
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


class LostOrdersRegressionTests(ExchangeTestCase):
    async def test_lost_orders_are_rechecked_at_most_every_interval(self):
        """13. Hummingbot re-cancels and re-checks lost orders every 5 s; each check costs history requests from the
        30/min pool, and a few lost orders starved every other lookup."""
        self.track(client_order_id="42", exchange_order_id="7")
        tracker = self.exchange._order_tracker
        for _ in range(tracker._lost_order_count_limit + 1):
            await tracker.process_order_not_found("42")
        await wait_for(lambda: "42" in tracker.lost_orders)
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]", repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="", repeat=True)
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=500, body="", repeat=True)
            for _ in range(3):
                await self.exchange._cancel_lost_orders()
                await self.exchange._update_lost_orders_status()
            calls = sum(len(c) for c in mock_api.requests.values())
        self.assertEqual(3, calls)  # one cancel, one fills query, one status query: once, not three times
        self.exchange._lost_orders_pacer.reset()  # the interval passed
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="")
            await self.exchange._update_lost_orders_status()
            self.assertEqual(2, sum(len(c) for c in mock_api.requests.values()))
