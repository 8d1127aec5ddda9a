"""``BackpackStatusPoller`` alone, then its hooks in the exchange (user stream task, re-subscription, timestamps,
fills of a final order before its status is returned)."""
import asyncio
import json
import logging
import math
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_status_poller import BackpackStatusPoller
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState

from .exchange_test_support import ExchangeTestCase, url_regex, wait_for

_LOGGER = logging.getLogger(__name__)


class PollerTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.loop_running = False
        self.interval = 30.0
        self.requests = 3
        self.budget = 1600.0
        self.backoff = 0.0
        self.fetches = 0
        self.fail = False
        self.poller = BackpackStatusPoller(
            fetch_updates=self._fetch, status_loop_running=lambda: self.loop_running,
            poll_interval_s=lambda: self.interval, requests_per_poll=lambda: self.requests,
            polling_budget_per_min=lambda: self.budget, backoff_remaining_s=lambda: self.backoff,
            logger=lambda: _LOGGER)

    def tearDown(self):
        self.poller.stop()
        super().tearDown()

    async def _fetch(self):
        self.fetches += 1
        if self.fail:
            raise IOError("boom")

    async def test_polls_only_while_no_status_polling_loop_runs(self):
        self.assertTrue(await self.poller.poll_once())
        self.loop_running = True
        self.assertFalse(await self.poller.poll_once())
        self.assertEqual((1, 1, 1), (self.fetches, self.poller.completed, self.poller.skipped))

    async def test_a_failed_poll_is_counted_and_the_next_one_runs(self):
        self.fail = True
        with self.assertLogs(_LOGGER, "WARNING"):
            self.assertTrue(await self.poller.poll_once())
        self.fail = False
        await self.poller.poll_once()
        self.assertEqual((2, 1), (self.fetches, self.poller.errors))

    def test_gap_is_the_interval_stretched_by_the_rate_budget_and_a_429_pause(self):
        self.assertEqual(30.0, self.poller.next_gap_s())
        self.requests = 403                       # 400 order lookups: 403 / (1600 * 0.25 / 60) s
        self.assertAlmostEqual(403 / (1600 * BackpackStatusPoller.BUDGET_SHARE / 60), self.poller.next_gap_s())
        self.budget = 800                         # a rate-limit share of 50 %: twice as long
        self.assertAlmostEqual(403 / (800 * BackpackStatusPoller.BUDGET_SHARE / 60), self.poller.next_gap_s())
        self.requests, self.backoff = 3, 45.0
        self.assertEqual(45.0, self.poller.next_gap_s())
        self.backoff, self.interval = 0.0, 0.0
        self.assertEqual(BackpackStatusPoller.MIN_GAP_S, self.poller.next_gap_s())

    async def test_notify_polls_before_the_interval_and_the_loop_keeps_polling(self):
        self.poller.MIN_GAP_S = 0.01
        self.poller.start()
        await asyncio.sleep(0.05)
        self.assertEqual(0, self.fetches)         # the interval (30 s) has not passed
        self.poller.notify()
        await wait_for(lambda: self.fetches == 1)
        self.interval = 0.01
        self.poller.notify()
        await wait_for(lambda: self.fetches >= 3)

    async def test_start_keeps_the_running_loop_and_a_late_stop_of_an_old_loop_spares_a_new_one(self):
        first = self.poller.start()
        self.assertIs(first, self.poller.start())
        self.poller.stop()
        second = self.poller.start()
        self.poller.stop(first)                   # e.g. the done-callback of an earlier user stream task
        self.assertTrue(self.poller.running)
        self.poller.stop(second)
        self.assertFalse(self.poller.running)


class PollerThroughExchangeTests(ExchangeTestCase):
    async def test_the_user_stream_task_starts_the_poller_and_its_end_stops_it(self):
        self.exchange._user_stream_tracker.start = lambda: asyncio.sleep(3600)
        task = self.exchange._create_user_stream_tracker_task()
        self.assertTrue(self.exchange._status_poller.running)
        task.cancel()
        await wait_for(lambda: not self.exchange._status_poller.running)
        self.exchange._user_stream_tracker_task = self.exchange._create_user_stream_tracker_task()
        self.assertTrue(self.exchange._status_poller.running)
        await asyncio.sleep(0)
        await self.exchange.stop_network()
        self.assertFalse(self.exchange._status_poller.running)

    async def test_a_private_resubscription_asks_for_a_poll(self):
        self.exchange._on_private_stream_subscribed()
        self.assertTrue(self.exchange._status_poller._wake.is_set())
        self.assertTrue(self.exchange._poll_notifier.is_set())

    async def test_a_poll_without_clock_stamps_the_wall_clock_then_fetches(self):
        seen = []

        async def fetch():
            seen.append(self.exchange.current_timestamp)
        self.exchange._time = lambda: 1800000000.0
        self.exchange._status_polling_loop_fetch_updates = fetch
        await self.exchange._status_poller.poll_once()
        self.assertEqual([1800000000.0], seen)

    async def test_the_poller_stands_down_while_the_status_polling_loop_runs(self):
        self.exchange._status_polling_task = asyncio.ensure_future(asyncio.sleep(3600))
        try:
            self.assertFalse(await self.exchange._status_poller.poll_once())
        finally:
            self.exchange._status_polling_task.cancel()

    async def test_an_order_placed_before_any_tick_gets_the_wall_clock_as_creation_time(self):
        self.exchange._set_current_timestamp(math.nan)
        self.exchange._time = lambda: 1800000000.0
        with aioresponses() as mock_api:
            mock_api.post(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="", repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="", repeat=True)
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: self.exchange._order_tracker.fetch_order(order_id) is not None)
            self.assertEqual(1800000000.0, self.exchange._order_tracker.fetch_order(order_id).creation_timestamp)
            self.exchange._set_current_timestamp(1700000005)
            self.exchange._stamp_if_never_ticked()     # a ticked (or set) timestamp is left alone
            self.assertEqual(1700000005, self.exchange.current_timestamp)

    async def test_the_fills_of_a_filled_order_are_applied_before_its_status_is_returned(self):
        """hummingbot-api's restart reconciliation drops an order as soon as ``_request_order_status`` says it is
        final: fills only fetched later (missed-fill recovery) would find no tracked order."""
        order = self.track("42", "4239996998", amount="1")
        fill = {"tradeId": 7, "orderId": "4239996998", "clientId": "42", "symbol": self.symbol, "side": "Bid",
                "price": "150", "quantity": "1", "fee": "0.001", "feeSymbol": "SOL", "isMaker": True,
                "timestamp": "2025-07-27T18:05:41.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL),
                         body=json.dumps(self.order_json(order, "Filled", executed="1")))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            update = await self.exchange._request_order_status(order)
        self.assertIs(OrderState.FILLED, update.new_state)
        self.assertEqual(Decimal("1"), order.executed_amount_base)
        self.assertEqual(["7"], [str(e.exchange_trade_id) for e in self.ev_fills()])

    async def test_an_open_order_and_a_filled_one_with_its_fills_seen_cost_no_fills_request(self):
        order = self.track("42", "4239996998", amount="1")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL),
                         body=json.dumps(self.order_json(order, "New", executed="0")))
            update = await self.exchange._request_order_status(order)
            self.assertIs(OrderState.OPEN, update.new_state)
            self.assertEqual(1, sum(len(c) for c in mock_api.requests.values()))

    def ev_fills(self):
        from hummingbot.core.event.events import MarketEvent
        return self.ev(MarketEvent.OrderFilled)
