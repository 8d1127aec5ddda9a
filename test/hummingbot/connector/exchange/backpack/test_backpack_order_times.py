"""Exchange times of orders (§5.13 ``createdAt``): ``created_at_s`` alone, then ``_place_order`` and placement
answers through the exchange, also before the connector's clock has ticked (never NaN)."""
import json
import math
import unittest
from decimal import Decimal

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_order_parsing import created_at_s
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState

from .exchange_test_support import ExchangeTestCase, url_regex, wait_for

#: A recorded-shape placement answer (§5.5) whose createdAt came as a string of milliseconds.
ANSWER = {"id": "114575842681290753", "clientId": 123456, "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit",
          "price": "150", "quantity": "1", "executedQuantity": "0", "executedQuoteQuantity": "0", "postOnly": False,
          "selfTradePrevention": "RejectTaker", "status": "New", "timeInForce": "GTC",
          "createdAt": "1735689600123"}


class CreatedAtTests(unittest.TestCase):
    def test_milliseconds_as_int_or_string_and_iso(self):
        self.assertEqual(1735689600.123, created_at_s({"createdAt": 1735689600123}))
        self.assertEqual(1735689600.123, created_at_s({"createdAt": "1735689600123"}))
        self.assertAlmostEqual(1737441294.691858, created_at_s({"createdAt": "2025-01-21T06:34:54.691858"}), places=5)

    def test_unreadable_is_none(self):
        for value in (None, True, "", "soon", float("nan"), float("inf"), 0, -5, [1], {"a": 1}):
            self.assertIsNone(created_at_s({"createdAt": value}), value)
        self.assertIsNone(created_at_s({}))
        self.assertIsNone(created_at_s(None))


class PlacementTimeTests(ExchangeTestCase):
    async def test_place_order_returns_created_at_in_seconds(self):
        with aioresponses() as mock_api:
            mock_api.post(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps(ANSWER))
            exchange_id, timestamp = await self.exchange._place_order(
                "123456", self.pair, Decimal("1"), TradeType.BUY, OrderType.LIMIT, Decimal("150"))
        self.assertEqual(("114575842681290753", 1735689600.123), (exchange_id, timestamp))

    async def test_never_nan_before_the_clock_ticks(self):
        exchange = self.exchange
        exchange._set_current_timestamp(float("nan"))  # as built, before the clock's first tick
        self.assertTrue(math.isnan(exchange.current_timestamp))
        without_time = dict(ANSWER, id="2")
        del without_time["createdAt"]
        with aioresponses() as mock_api:
            mock_api.post(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps(without_time))
            _, timestamp = await exchange._place_order(
                "123457", self.pair, Decimal("1"), TradeType.BUY, OrderType.LIMIT, Decimal("150"))
        self.assertFalse(math.isnan(timestamp))
        self.assertGreater(timestamp, 1_700_000_000)
        order = self.track(client_order_id="123456", exchange_order_id=None)
        exchange._apply_order_answer(order, ANSWER)
        await wait_for(lambda: order.current_state is OrderState.OPEN)
        self.assertEqual(1735689600.123, order.last_update_timestamp)
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps(dict(ANSWER, status="Filled")))
            update = await exchange._request_order_status(order)
        self.assertFalse(math.isnan(update.update_timestamp))
