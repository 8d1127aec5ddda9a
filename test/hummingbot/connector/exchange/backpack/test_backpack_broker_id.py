"""Broker attribution: ``X-Broker-Id: 2200`` on order placement and cancel requests only (aioresponses)."""
import asyncio
import json
from decimal import Decimal
from test.hummingbot.connector.exchange.backpack.exchange_test_support import ExchangeTestCase, url, url_regex, wait_for
from typing import Any, Dict, List, Tuple

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.event.events import MarketEvent


def sent_requests(mock_api: aioresponses) -> List[Tuple[str, str, Dict[str, Any]]]:
    """``(method, path, headers)`` of every request aioresponses saw."""
    return [(method, str(request_url.path), call.kwargs.get("headers") or {})
            for (method, request_url), calls in mock_api.requests.items() for call in calls]


class BrokerHeaderTests(ExchangeTestCase):

    def test_constants(self):
        self.assertEqual({"X-Broker-Id": "2200"}, CONSTANTS.BROKER_HEADERS)

    async def test_placement_batch_cancel_and_cancel_all_carry_the_header_other_requests_do_not(self):
        self.exchange._set_current_timestamp(1700000000)
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "77", "status": "New"}))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].exchange_order_id == "77")

            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps(
                [{"operation": "Ok", "id": "78", "status": "New", "symbol": self.symbol}]))
            self.exchange.batch_order_create(
                [LimitOrder("", self.pair, True, "SOL", "USDC", Decimal("141"), Decimal("1"))])
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 2)

            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "77", "status": "Cancelled"}))
            self.assertEqual(order_id, await self.exchange._execute_cancel(self.pair, order_id))

            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([]))
            await self.exchange.cancel_all_on_exchange(self.pair)

            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL),
                         body=json.dumps(self.order_json(self.track("1", "5"), "New")))
            await self.exchange._request_order_status(self.exchange.in_flight_orders["1"])
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps({"spotMakerFee": "1", "spotTakerFee": "2"}))
            await self.exchange._update_trading_fees()
            mock_api.get(url(CONSTANTS.TICKER_PATH_URL) + "?symbol=SOL_USDC",
                         body=json.dumps({"symbol": "SOL_USDC", "lastPrice": "150"}))
            await self.exchange.get_last_traded_prices([self.pair])
            requests = sent_requests(mock_api)
        order_actions = {("POST", CONSTANTS.ORDER_PATH_URL), ("POST", CONSTANTS.ORDERS_PATH_URL),
                         ("DELETE", CONSTANTS.ORDER_PATH_URL), ("DELETE", CONSTANTS.ORDERS_PATH_URL)}
        self.assertEqual(order_actions, {(m, p) for m, p, _ in requests if (m, p) in order_actions})
        self.assertEqual(7, len(requests))
        for method, path, headers in requests:
            with self.subTest(method=method, path=path):
                if (method, path) in order_actions:
                    self.assertEqual("2200", headers.get("X-Broker-Id"))
                    self.assertIn(CONSTANTS.HEADER_SIGNATURE, headers)
                else:
                    self.assertNotIn("X-Broker-Id", headers)

    async def test_placement_still_signed_and_answered_when_the_header_is_sent(self):
        with aioresponses() as mock_api:
            sent = asyncio.Event()
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), callback=lambda *a, **k: sent.set(),
                          body=json.dumps({"id": "79", "status": "New"}))
            self.exchange.sell(self.pair, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("150"))
            await asyncio.wait_for(sent.wait(), 10)
            ((_, _, headers),) = sent_requests(mock_api)
        self.assertEqual(CONSTANTS.BROKER_ID, headers[CONSTANTS.HEADER_BROKER_ID])
        self.assertEqual("application/json", headers.get("Content-Type"))
