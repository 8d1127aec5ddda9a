"""``is_same_order`` alone, then every clientId lookup of the exchange refusing another bot's order that shares
the clientId (private events, status query, order history, fills polling)."""
import json
import unittest
from decimal import Decimal

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackOrderNotFoundError
from hummingbot.connector.exchange.backpack.backpack_order_identity import is_same_order
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState

from .exchange_test_support import OWN_FILL_EVENT, ExchangeTestCase, url_regex

NOT_FOUND = json.dumps({"code": "RESOURCE_NOT_FOUND", "message": "Not Found"})


def order(exchange_order_id=None, trade_type=TradeType.BUY):
    return InFlightOrder(client_order_id="42", trading_pair="SOL-USDC", order_type=OrderType.LIMIT,
                         trade_type=trade_type, amount=Decimal("1"), creation_timestamp=1, price=Decimal("150"),
                         exchange_order_id=exchange_order_id)


class IsSameOrderTests(unittest.TestCase):
    def test_pair_side_and_known_order_id_must_match(self):
        self.assertTrue(is_same_order(order(), "SOL-USDC", "Bid", "7"))
        self.assertTrue(is_same_order(order("7"), "SOL-USDC", "Bid", "7"))
        self.assertTrue(is_same_order(order(trade_type=TradeType.SELL), "SOL-USDC", "Ask", None))
        self.assertFalse(is_same_order(order(), "ETH-USDC", "Bid", None))
        self.assertFalse(is_same_order(order(), "SOL-USDC", "Ask", None))
        self.assertFalse(is_same_order(order("7"), "SOL-USDC", "Bid", "8"))

    def test_absent_or_garbled_fields_are_not_compared(self):
        self.assertTrue(is_same_order(order("7"), None, None, None))
        self.assertTrue(is_same_order(order("7"), ["x"], 3, ["8"]))


class ExchangeLookupTests(ExchangeTestCase):
    def test_private_event_of_another_bot_with_our_client_id_is_ignored(self):
        mine = self.track(client_order_id="42", exchange_order_id=None)   # placement answer not back yet
        for other in (dict(OWN_FILL_EVENT, i="e99", S="Ask"), dict(OWN_FILL_EVENT, i="e99", s="ETH_USDC")):
            self.exchange._process_order_event(other)
        self.assertEqual(2, self.exchange._user_event_counters["unknown_order"])
        self.assertEqual(Decimal("0"), mine.executed_amount_base)
        self.exchange._process_order_event(dict(OWN_FILL_EVENT, i="e42"))
        self.assertEqual(Decimal("0.25"), mine.executed_amount_base)

    async def test_status_by_client_id_refuses_another_bots_order_and_scans_history_by_side(self):
        mine = self.track(client_order_id="42", exchange_order_id=None)
        theirs = {"id": "e99", "clientId": 42, "symbol": self.symbol, "side": "Ask", "status": "New",
                  "orderType": "Limit", "price": "150", "quantity": "1", "executedQuantity": "0"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps(theirs))
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps([theirs]))
            with self.assertRaises(BackpackOrderNotFoundError):
                await self.exchange._request_order_status(mine)
            ours = dict(theirs, id="e42", side="Bid", status="Cancelled")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404, body=NOT_FOUND)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps([theirs, ours]))
            update = await self.exchange._request_order_status(mine)
        self.assertEqual(OrderState.CANCELED, update.new_state)

    async def test_fills_poll_takes_a_client_id_fill_only_of_our_symbol_and_side(self):
        mine = self.track(client_order_id="42", exchange_order_id=None)
        fill = {"tradeId": 1, "orderId": "e99", "clientId": "42", "symbol": self.symbol, "side": "Ask",
                "price": "150", "quantity": "0.5", "fee": "0", "feeSymbol": "USDC", "isMaker": True,
                "timestamp": "2023-11-14T22:13:20.000"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([fill]))
            await self.exchange._fills.update_orders_fills([mine])
            self.assertEqual(Decimal("0"), mine.executed_amount_base)
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL),
                         body=json.dumps([dict(fill, tradeId=2, orderId="e42", side="Bid")]))
            await self.exchange._fills.update_orders_fills([mine])
        self.assertEqual(Decimal("0.5"), mine.executed_amount_base)
