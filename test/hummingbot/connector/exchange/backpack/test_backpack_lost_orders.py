"""``LostOrdersPacer`` alone, then the exchange's lost-order passes (aioresponses)."""
import unittest

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_lost_orders import LostOrdersPacer

from .exchange_test_support import ExchangeTestCase, url, url_regex, wait_for


class PacerTests(unittest.TestCase):
    def setUp(self):
        self.now = 100.0
        self.lost = True
        self.pacer = LostOrdersPacer(has_lost_orders=lambda: self.lost, clock=lambda: self.now)

    def test_due_once_per_interval_and_kind(self):
        self.assertTrue(self.pacer.due("cancel"))
        self.assertTrue(self.pacer.due("status"))
        self.assertFalse(self.pacer.due("cancel"))
        self.now += self.pacer.LOST_ORDERS_CHECK_INTERVAL_S
        self.assertTrue(self.pacer.due("cancel"))

    def test_never_due_without_lost_orders_and_reset(self):
        self.lost = False
        self.assertFalse(self.pacer.due("cancel"))
        self.lost = True
        self.assertTrue(self.pacer.due("cancel"))
        self.pacer.reset()
        self.assertTrue(self.pacer.due("cancel"))


class LostOrdersThroughExchangeTests(ExchangeTestCase):
    async def test_lost_orders_are_rechecked_at_most_every_interval(self):
        """Regression (``make chaos``): Hummingbot re-cancels and re-checks lost orders every 5 s; each check costs
        history requests from the 30/min pool, and a few lost orders starved every other lookup."""
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
