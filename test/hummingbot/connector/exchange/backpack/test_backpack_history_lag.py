"""``HistoryLagGrace`` alone, then through the exchange (U3): an acknowledged order missing from both the open set and
the order history is not "not found" (nor lost, nor FAILED) within the grace — in the status poll and after a "not
found" cancel — and is once the grace has passed; fills missing from a lagging fill history are fetched again."""
import json
import unittest

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackOrderHistoryLagError,
    BackpackOrderNotFoundError,
)
from hummingbot.connector.exchange.backpack.backpack_history_lag import HistoryLagGrace
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, error_body, url, url_regex, wait_for

NOT_FOUND = error_body("RESOURCE_NOT_FOUND", "Not Found")


class HistoryLagGraceTests(unittest.TestCase):
    def test_missing_within_the_grace_of_the_first_miss_and_found_forgets(self):
        now = [100.0]
        grace = HistoryLagGrace(clock=lambda: now[0])
        self.assertTrue(grace.missing("1"))
        now[0] += grace.GRACE_S - 1
        self.assertTrue(grace.missing("1"))
        now[0] += 1
        self.assertFalse(grace.missing("1"))
        grace.found("1")
        self.assertTrue(grace.missing("1"))
        self.assertEqual({"1": now[0]}, grace.first_missing)


class HistoryLagThroughExchangeTests(ExchangeTestCase):
    def _status_answers(self, mock_api, history_rows):
        mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
        mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps(history_rows))

    async def test_a_closed_order_missing_from_history_is_not_lost_until_history_catches_up(self):
        """Regression (U3): four polls while history lagged marked a just-filled order lost and FAILED."""
        order = self.track("42", "4239996998")
        order.current_state = OrderState.OPEN
        limit = self.exchange._order_tracker.lost_order_count_limit
        with aioresponses() as mock_api:
            for _ in range(limit + 2):
                mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
                self._status_answers(mock_api, [])
                await self.exchange._update_order_status()
            self.assertIn("42", self.exchange.in_flight_orders)
            self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get("42", 0))
            self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            self._status_answers(mock_api, [self.order_json(order, "Cancelled")])
            await self.exchange._update_order_status()
        await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 1)
        self.assertEqual({}, self.exchange._order_status.history_lag.first_missing)

    async def test_after_the_grace_it_is_not_found(self):
        order = self.track("42", "4239996998")
        with aioresponses() as mock_api:
            self._status_answers(mock_api, [])
            with self.assertRaises(BackpackOrderHistoryLagError) as ctx:
                await self.exchange._request_order_status(order)
            self.assertFalse(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))
            self.exchange._order_status.history_lag.first_missing["42"] -= HistoryLagGrace.GRACE_S
            self._status_answers(mock_api, [])
            with self.assertRaises(BackpackOrderNotFoundError):
                await self.exchange._request_order_status(order)

    async def test_a_not_found_cancel_while_history_lags_counts_nothing(self):
        order = self.track("42", "4239996998")
        order.current_state = OrderState.OPEN
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            self._status_answers(mock_api, [])
            self.assertIsNone(await self.exchange._execute_cancel(self.pair, "42"))
        self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get("42", 0))
        self.assertIs(OrderState.OPEN, order.current_state)

    async def test_missed_fills_are_fetched_again_while_fill_history_lags(self):
        self.exchange._fills.MISSED_FILLS_DELAY_S = 0.0
        order = self.track("42", "4239996998", amount="1")
        fill = {"tradeId": 7, "orderId": "4239996998", "clientId": "42", "symbol": self.symbol, "side": "Bid",
                "price": "150", "quantity": "1", "fee": "0.001", "feeSymbol": "SOL", "isMaker": True,
                "timestamp": "2025-07-27T18:05:41.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            self.exchange._fills.note_executed_quantity(order, "1")
            await wait_for(lambda: "7" in order.order_fills)
