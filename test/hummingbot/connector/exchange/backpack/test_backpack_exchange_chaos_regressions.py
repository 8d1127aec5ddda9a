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
        self.assertEqual(CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S, self.exchange._backoff_s)
        self.assertLessEqual(self.exchange._backoff_remaining_s(), CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S)

    async def test_a_429_after_the_pause_ended_doubles_it(self):
        self.exchange._start_rate_limit_backoff(CONSTANTS.BALANCE_PATH_URL)
        first = self.exchange._backoff_s
        self.exchange._backoff_until = 0.0  # the pause is over
        self.exchange._start_rate_limit_backoff(CONSTANTS.BALANCE_PATH_URL)
        self.assertEqual(first * 2, self.exchange._backoff_s)

    async def test_a_rate_limited_network_check_still_means_connected(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), status=429, body=TOO_MANY)
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())  # pause: no request
            self.assertEqual(1, sum(len(calls) for calls in mock_api.requests.values()))
            self.exchange._backoff_until = 0.0  # the pause is over
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
