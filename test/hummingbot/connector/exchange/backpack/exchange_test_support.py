"""Shared helpers of the BackpackExchange unit tests (not a test module)."""
import asyncio
import json
import re
from decimal import Decimal
from test import shared_fixtures
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import Any, Callable, Dict, List, Optional

from bidict import bidict

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent

API_KEY = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="     # docs/backpack-api.md §2.6 throwaway pair
API_SECRET = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#: How many payloads each official SDK test has in ``../shared/fixtures`` (for callers that do not say).
OFFICIAL_VECTOR_COUNTS = {"test_order_update": 3, "test_market_order_book_state_and_visible_parse": 1,
                          "test_market_rwa_market_type_parse": 1, "test_order_book_depth_last_update_id_as_string": 1,
                          "test_order_book_depth_last_update_id_as_i64": 1}

#: An ``orderFill`` event (§8.4) of client order 42 / exchange order ``e42`` (1 SOL at 150, 0.25 filled).
OWN_FILL_EVENT = {"e": "orderFill", "E": 1754939110175879, "s": "SOL_USDC", "c": 42, "S": "Bid", "o": "LIMIT",
                  "f": "GTC", "q": "1", "p": "150", "X": "PartiallyFilled", "i": "e42", "t": 2888471, "l": "0.25",
                  "L": "150", "m": True, "n": "0.01", "N": "USDC", "z": "0.25", "Z": "37.5", "V": "RejectTaker",
                  "T": 1754939110174705, "O": "USER"}


def official_vectors(test_name: str, expected: Optional[int] = None) -> List[Any]:
    """``test.shared_fixtures.official_vectors`` with ``expected`` defaulting to ``OFFICIAL_VECTOR_COUNTS``."""
    return shared_fixtures.official_vectors(test_name, expected=OFFICIAL_VECTOR_COUNTS[test_name]
                                            if expected is None else expected)


def url_regex(path: str) -> re.Pattern:
    return re.compile("^" + re.escape(web_utils.public_rest_url(path)) + r"(\?.*)?$")


def url(path: str) -> str:
    return web_utils.public_rest_url(path)


def error_body(code: str, message: str) -> str:
    return json.dumps({"code": code, "message": message})


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (polling the loop), failing after a generous ``timeout``."""
    async def _poll():
        while not condition():
            await asyncio.sleep(0.005)
    await asyncio.wait_for(_poll(), timeout)


class ExchangeTestCase(IsolatedAsyncioWrapperTestCase):
    """An exchange with SOL-USDC and ETH-USDC rules/symbols loaded, log capture and event loggers."""
    level = 0
    pair = "SOL-USDC"
    symbol = "SOL_USDC"
    #: Extra ``BackpackExchange`` arguments of the test case's exchange.
    exchange_kwargs: Dict[str, Any] = {}

    def setUp(self):
        super().setUp()
        self.log_records = []
        self.exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                         trading_pairs=[self.pair, "ETH-USDC"], **self.exchange_kwargs)
        self.exchange.logger().setLevel(1)
        self.exchange.logger().addHandler(self)
        self.exchange._order_tracker.logger().setLevel(1)
        self.exchange._order_tracker.logger().addHandler(self)
        self.exchange._time_synchronizer.add_time_offset_ms_sample(0)
        self.exchange._set_current_timestamp(1700000000)
        self.exchange._set_trading_pair_symbol_map(bidict({self.symbol: self.pair, "ETH_USDC": "ETH-USDC"}))
        for pair in (self.pair, "ETH-USDC"):
            self.exchange._trading_rules[pair] = TradingRule(
                trading_pair=pair, min_order_size=Decimal("0.01"), min_price_increment=Decimal("0.01"),
                min_base_amount_increment=Decimal("0.01"))
        self.events: Dict[MarketEvent, EventLogger] = {}
        for event in (MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated, MarketEvent.OrderFilled,
                      MarketEvent.OrderCancelled, MarketEvent.OrderFailure, MarketEvent.BuyOrderCompleted,
                      MarketEvent.SellOrderCompleted):
            self.events[event] = EventLogger()
            self.exchange.add_listener(event, self.events[event])

    def tearDown(self):
        self.exchange._unknown_outcomes.cancel_pending()
        self.exchange._fills.cancel_pending()
        super().tearDown()

    def ev(self, event: MarketEvent) -> list:
        """Events logged so far (``EventLogger.event_log`` returns a fresh copy on each access)."""
        return self.events[event].event_log

    def handle(self, record):
        self.log_records.append(record)

    def logged(self, level: str, fragment: str) -> bool:
        return any(r.levelname == level and fragment in r.getMessage() for r in self.log_records)

    def track(self, client_order_id: str = "123456", exchange_order_id: str = "111", amount: str = "1",
              price: str = "150", order_type: OrderType = OrderType.LIMIT, trade_type: TradeType = TradeType.BUY,
              pair: str = None) -> InFlightOrder:
        self.exchange.start_tracking_order(
            order_id=client_order_id, exchange_order_id=exchange_order_id, trading_pair=pair or self.pair,
            trade_type=trade_type, price=Decimal(price), amount=Decimal(amount), order_type=order_type)
        return self.exchange.in_flight_orders[client_order_id]

    def order_json(self, order: InFlightOrder, status: str, exchange_order_id: str = None, executed: str = "0",
                   **extra) -> Dict[str, Any]:
        body = {"id": exchange_order_id or order.exchange_order_id or "999", "clientId": int(order.client_order_id),
                "symbol": self.symbol, "side": "Bid" if order.trade_type is TradeType.BUY else "Ask",
                "orderType": "Limit", "price": str(order.price), "quantity": str(order.amount),
                "executedQuantity": executed, "executedQuoteQuantity": "0", "postOnly": False,
                "selfTradePrevention": "RejectTaker", "status": status, "timeInForce": "GTC",
                "createdAt": 1735689600123}
        body.update(extra)
        return body

    def ws(self, data: Dict[str, Any], stream: str = CONSTANTS.ORDER_UPDATE_STREAM) -> Dict[str, Any]:
        return {"stream": stream, "data": data}

    def order_event(self, order: InFlightOrder, event: str, status: str, exchange_order_id: str = None,
                    **extra) -> Dict[str, Any]:
        data = {"e": event, "E": 1754939110175879, "s": self.symbol, "c": int(order.client_order_id),
                "S": "Bid" if order.trade_type is TradeType.BUY else "Ask", "o": "LIMIT", "f": "GTC",
                "q": str(order.amount), "p": str(order.price), "X": status,
                "i": exchange_order_id or order.exchange_order_id, "t": None, "z": "0", "Z": "0",
                "V": "RejectTaker", "T": 1754939110174705, "O": "USER"}
        data.update(extra)
        return self.ws(data)

    def fill_event(self, order: InFlightOrder, trade_id: int, qty: str, price: str, status: str,
                   exchange_order_id: str = None, fee: str = "0.01", fee_asset: str = "USDC") -> Dict[str, Any]:
        return self.order_event(order, "orderFill", status, exchange_order_id=exchange_order_id, t=trade_id,
                                l=qty, L=price, m=True, n=fee, N=fee_asset)
