"""``BackpackExchange``: Hummingbot's conformance suite (``AbstractExchangeConnectorTests.ExchangeConnectorTests``,
payloads shaped like Backpack's API, ``docs/backpack-api.md`` §4–§8), then what the exchange class itself owns:
construction, placement, the private stream listener and the network check; placement times (§5.13
``createdAt``, never NaN), the ``autoLendRedeem`` flag (U5) and broker attribution (``X-Broker-Id`` on order actions)
(aioresponses only). Batch creation and order status: ``test_backpack_batch_orders.py``,
``test_backpack_order_status.py``."""
import asyncio
import json
import math
import re
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple
from unittest.mock import AsyncMock

from aioresponses import aioresponses
from aioresponses.core import CallbackResult, RequestCall
from hypothesis import given, settings
from yarl import URL

from hummingbot.connector.backpack_common.signing import BackpackKeyError
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackCredentialsMissingError
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.connector.test_support.exchange_connector_test import AbstractExchangeConnectorTests
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeBase
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.network_iterator import NetworkStatus

from .exchange_test_support import OWN_FILL_EVENT, ExchangeTestCase, official_vectors, url, wait_for
from .hostile_payloads import mutated

# Throwaway key pair of docs/backpack-api.md §2.6 (seed = 32 bytes of 0x01).
API_KEY = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
API_SECRET = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="


def url_regex(path: str) -> re.Pattern:
    """Matches ``path`` with any query string (and nothing longer, so ``/order`` never matches ``/orders``)."""
    return re.compile("^" + re.escape(web_utils.public_rest_url(path)) + r"(\?.*)?$")


def market(symbol: str, base: str, quote: str, **overrides) -> Dict[str, Any]:
    """A ``GET /api/v1/markets`` element (§4.4)."""
    entry = {
        "symbol": symbol, "baseSymbol": base, "quoteSymbol": quote, "marketType": "SPOT",
        "filters": {
            "price": {"minPrice": "0.01", "maxPrice": None, "tickSize": "0.01", "maxMultiplier": "1.25",
                      "minMultiplier": "0.75", "maxImpactMultiplier": "1.03", "minImpactMultiplier": "0.97",
                      "meanMarkPriceBand": None, "meanPremiumBand": None, "borrowEntryFeeMaxMultiplier": None,
                      "borrowEntryFeeMinMultiplier": None},
            "quantity": {"minQuantity": "0.01", "maxQuantity": None, "stepSize": "0.001"},
        },
        "imfFunction": None, "mmfFunction": None, "fundingInterval": None, "fundingRateUpperBound": None,
        "fundingRateLowerBound": None, "openInterestLimit": "0", "orderBookState": "Open",
        "createdAt": "2025-01-21T06:34:54.691858", "visible": True, "positionLimitWeight": None,
    }
    entry.update(overrides)
    return entry


def order_payload(order: InFlightOrder, exchange_order_id: str, status: str, executed: Decimal = Decimal("0"),
                  history: bool = False) -> Dict[str, Any]:
    """Order object of §5.13 (or an order-history row of §5.11 when ``history``)."""
    return {
        "id": exchange_order_id, "clientId": int(order.client_order_id), "symbol": "COINALPHA_HBOT",
        "side": "Bid" if order.trade_type is TradeType.BUY else "Ask", "orderType": "Limit",
        "price": str(order.price), "quantity": str(order.amount), "quoteQuantity": None,
        "executedQuantity": str(executed), "executedQuoteQuantity": str(executed * order.price),
        "postOnly": False, "reduceOnly": None, "selfTradePrevention": "RejectTaker", "status": status,
        "timeInForce": "GTC", "expiryReason": None,
        "createdAt": "2025-07-27T18:05:40.897" if history else 1735689600123,
    }


def error_body(code: str, message: str) -> str:
    return json.dumps({"code": code, "message": message})


class BackpackExchangeConformanceTests(AbstractExchangeConnectorTests.ExchangeConnectorTests):

    # ------------------------------------------------------------------------------------------ URLs
    @property
    def all_symbols_url(self):
        return web_utils.public_rest_url(CONSTANTS.MARKETS_PATH_URL)

    @property
    def latest_prices_url(self):
        return url_regex(CONSTANTS.TICKER_PATH_URL)

    @property
    def network_status_url(self):
        return web_utils.public_rest_url(CONSTANTS.STATUS_PATH_URL)

    @property
    def trading_rules_url(self):
        return web_utils.public_rest_url(CONSTANTS.MARKETS_PATH_URL)

    @property
    def order_creation_url(self):
        return web_utils.private_rest_url(CONSTANTS.ORDER_PATH_URL)

    @property
    def balance_url(self):
        return web_utils.private_rest_url(CONSTANTS.BALANCE_PATH_URL)

    # ------------------------------------------------------------------------------------- responses
    @property
    def all_symbols_request_mock_response(self):
        return [market(self.exchange_trading_pair, self.base_asset, self.quote_asset)]

    @property
    def latest_prices_request_mock_response(self):
        return {"symbol": self.exchange_trading_pair, "firstPrice": "9000",
                "lastPrice": str(self.expected_latest_price),
                "priceChange": "999.9", "priceChangePercent": "0.1111", "high": "10001", "low": "8990",
                "volume": "12.5", "quoteVolume": "120000", "trades": "321"}

    @property
    def all_symbols_including_invalid_pair_mock_response(self) -> Tuple[str, Any]:
        closed = market("INVALID_PAIR", "INVALID", "PAIR", orderBookState="Closed")
        return "INVALID-PAIR", [market(self.exchange_trading_pair, self.base_asset, self.quote_asset), closed]

    @property
    def network_status_request_successful_mock_response(self):
        return {"status": "Ok", "message": None}

    @property
    def trading_rules_request_mock_response(self):
        return self.all_symbols_request_mock_response

    @property
    def trading_rules_request_erroneous_mock_response(self):
        broken = market(self.exchange_trading_pair, self.base_asset, self.quote_asset)
        broken["filters"] = {"price": {"minPrice": "0.01"}, "quantity": {"minQuantity": "0.01"}}
        return [broken]

    @property
    def order_creation_request_successful_mock_response(self):
        return {"id": self.expected_exchange_order_id, "clientId": 868620826, "symbol": self.exchange_trading_pair,
                "side": "Bid", "orderType": "Limit", "price": "10000", "quantity": "100", "executedQuantity": "0",
                "executedQuoteQuantity": "0", "postOnly": False, "reduceOnly": None, "relatedOrderId": None,
                "selfTradePrevention": "RejectTaker", "status": "New", "timeInForce": "GTC",
                "createdAt": 1735689600123, "triggerBy": None, "triggerPrice": None, "triggerQuantity": None,
                "triggeredAt": None}

    @property
    def balance_request_mock_response_for_base_and_quote(self):
        return {self.base_asset: {"available": "10", "locked": "5", "staked": "0"},
                self.quote_asset: {"available": "2000", "locked": "0", "staked": "0"}}

    @property
    def balance_request_mock_response_only_base(self):
        return {self.base_asset: {"available": "10", "locked": "5", "staked": "0"}}

    @property
    def balance_event_websocket_update(self):
        return {"stream": CONSTANTS.BALANCE_UPDATE_STREAM,
                "data": {"e": "balanceUpdate", "E": 1754939110175879, "a": self.base_asset, "A": "10", "L": "5",
                         "S": "0"}}

    # ------------------------------------------------------------------------------------ expectations
    @property
    def expected_latest_price(self):
        return 9999.9

    @property
    def expected_supported_order_types(self):
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    @property
    def expected_trading_rule(self):
        return TradingRule(trading_pair=self.trading_pair, min_order_size=Decimal("0.01"),
                           min_price_increment=Decimal("0.01"), min_base_amount_increment=Decimal("0.001"))

    @property
    def expected_logged_error_for_erroneous_trading_rule(self):
        return (f"Error parsing the trading rule of Backpack market {self.exchange_trading_pair}: "
                "KeyError('tickSize'). Skipping.")

    @property
    def expected_exchange_order_id(self):
        return "111051090663277568"

    @property
    def is_order_fill_http_update_included_in_status_update(self) -> bool:
        return True

    @property
    def is_order_fill_http_update_executed_during_websocket_order_event_processing(self) -> bool:
        return False

    @property
    def expected_partial_fill_price(self) -> Decimal:
        return Decimal("10500")

    @property
    def expected_partial_fill_amount(self) -> Decimal:
        return Decimal("0.5")

    @property
    def expected_fill_fee(self) -> TradeFeeBase:
        return TradeFeeBase.new_spot_fee(fee_schema=self.exchange.trade_fee_schema(), trade_type=TradeType.BUY,
                                         flat_fees=[TokenAmount(token=self.quote_asset, amount=Decimal("30"))])

    @property
    def expected_fill_trade_id(self) -> str:
        return "30000"

    def exchange_symbol_for_tokens(self, base_token: str, quote_token: str) -> str:
        return f"{base_token}_{quote_token}"

    def create_exchange_instance(self):
        exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                    trading_pairs=[self.trading_pair])
        # Hummingbot's tests: history in step with the open set (U3 reading)
        exchange._order_status.history_lag.GRACE_S = 0.0
        return exchange

    # -------------------------------------------------------------------------------------- validators
    def validate_auth_credentials_present(self, request_call: RequestCall):
        headers = request_call.kwargs["headers"]
        self.assertEqual(API_KEY, headers[CONSTANTS.HEADER_API_KEY])
        for header in (CONSTANTS.HEADER_SIGNATURE, CONSTANTS.HEADER_TIMESTAMP, CONSTANTS.HEADER_WINDOW):
            self.assertIn(header, headers)
        self.assertTrue(headers[CONSTANTS.HEADER_TIMESTAMP].isdigit())

    def validate_order_creation_request(self, order: InFlightOrder, request_call: RequestCall):
        body = json.loads(request_call.kwargs["data"])
        self.assertEqual(self.exchange_trading_pair, body["symbol"])
        self.assertEqual("Bid" if order.trade_type is TradeType.BUY else "Ask", body["side"])
        self.assertEqual("Limit", body["orderType"])
        self.assertEqual(order.amount, Decimal(body["quantity"]))
        self.assertEqual(order.price, Decimal(body["price"]))
        self.assertIsInstance(body["price"], str)
        self.assertEqual(int(order.client_order_id), body["clientId"])
        self.assertNotIn("postOnly", body)

    def validate_order_cancelation_request(self, order: InFlightOrder, request_call: RequestCall):
        body = json.loads(request_call.kwargs["data"])
        # By order id once known: another bot on the account may use the same clientId.
        self.assertEqual({"symbol": self.exchange_trading_pair, **(
            {"orderId": order.exchange_order_id} if order.exchange_order_id
            else {"clientId": int(order.client_order_id)})}, body)

    def validate_order_status_request(self, order: InFlightOrder, request_call: RequestCall):
        params = request_call.kwargs["params"]
        self.assertEqual(self.exchange_trading_pair, params["symbol"])
        if "orderId" in params:   # by order id once known (open order §5.9 or history §5.11)
            self.assertEqual(order.exchange_order_id, params["orderId"])
        else:                     # the open-order query by clientId (§5.9) before the order id is known
            self.assertEqual(order.client_order_id, params["clientId"])

    def validate_trades_request(self, order: InFlightOrder, request_call: RequestCall):
        params = request_call.kwargs["params"]
        if "orderId" in params:   # one order's fills
            self.assertEqual(self.exchange_trading_pair, params["symbol"])
        else:                     # the account-wide poll (U2)
            self.assertNotIn("symbol", params)
        self.assertEqual("User", params["fillType"])
        self.assertLessEqual(int(params["from"]), int(order.creation_timestamp * 1e3))

    # ------------------------------------------------------------------------------------ cancel mocks
    def configure_successful_cancelation_response(self, order: InFlightOrder, mock_api: aioresponses,
                                                  callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        url = web_utils.private_rest_url(CONSTANTS.ORDER_PATH_URL)
        body = order_payload(order, order.exchange_order_id or self.expected_exchange_order_id, "Cancelled")
        mock_api.delete(url, body=json.dumps(body), callback=callback)
        return url

    def configure_erroneous_cancelation_response(self, order: InFlightOrder, mock_api: aioresponses,
                                                 callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        url = web_utils.private_rest_url(CONSTANTS.ORDER_PATH_URL)
        mock_api.delete(url, status=400, body=error_body("INVALID_ORDER", "Invalid order"), callback=callback)
        return url

    def configure_order_not_found_error_cancelation_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        url = web_utils.private_rest_url(CONSTANTS.ORDER_PATH_URL)
        mock_api.delete(url, status=404, body=error_body("RESOURCE_NOT_FOUND", "Not Found"), callback=callback)
        return url

    def configure_one_successful_one_erroneous_cancel_all_response(
            self, successful_order: InFlightOrder, erroneous_order: InFlightOrder,
            mock_api: aioresponses) -> List[str]:
        url = web_utils.private_rest_url(CONSTANTS.ORDER_PATH_URL)

        def route(url_, **kwargs):
            order_id = json.loads(kwargs["data"])["orderId"]
            if order_id == successful_order.exchange_order_id:
                return CallbackResult(status=200, body=json.dumps(
                    order_payload(successful_order, successful_order.exchange_order_id, "Cancelled")))
            return CallbackResult(status=400, body=error_body("INVALID_ORDER", "Invalid order"))

        mock_api.delete(url, callback=route, repeat=True)
        return [url]

    # ------------------------------------------------------------------------------------ status mocks
    def _status_not_open(self, mock_api: aioresponses) -> re.Pattern:
        url = url_regex(CONSTANTS.ORDER_PATH_URL)
        mock_api.get(url, status=404, body=error_body("RESOURCE_NOT_FOUND", "Not Found"))
        return url

    def _history(self, mock_api: aioresponses, rows: List[Dict[str, Any]], callback: Optional[Callable]) -> re.Pattern:
        url = url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL)
        mock_api.get(url, body=json.dumps(rows), callback=callback)
        return url

    def configure_completely_filled_order_status_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> List[str]:
        row = order_payload(order, order.exchange_order_id, "Filled", executed=order.amount, history=True)
        return [self._status_not_open(mock_api), self._history(mock_api, [row], callback)]

    def configure_canceled_order_status_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> List[str]:
        row = order_payload(order, order.exchange_order_id, "Cancelled", history=True)
        return [self._status_not_open(mock_api), self._history(mock_api, [row], callback)]

    def configure_open_order_status_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> List[str]:
        url = url_regex(CONSTANTS.ORDER_PATH_URL)
        mock_api.get(url, body=json.dumps(order_payload(order, order.exchange_order_id, "New")), callback=callback)
        return [url]

    def configure_http_error_order_status_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        # The harness's "request fails" must be a genuine "order not found" here: only that counts toward declaring
        # an order lost (a 401/429/503 on a status query keeps the order as it is: StatusErrorTests below).
        url = url_regex(CONSTANTS.ORDER_PATH_URL)
        mock_api.get(url, status=404, body=error_body("RESOURCE_NOT_FOUND", "Not Found"), callback=callback)
        mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
        return url

    def configure_partially_filled_order_status_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        url = url_regex(CONSTANTS.ORDER_PATH_URL)
        body = order_payload(order, order.exchange_order_id, "PartiallyFilled",
                             executed=self.expected_partial_fill_amount)
        mock_api.get(url, body=json.dumps(body), callback=callback)
        return url

    def configure_order_not_found_error_order_status_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> List[str]:
        return [self._status_not_open(mock_api), self._history(mock_api, [], callback)]

    # ------------------------------------------------------------------------------------- fill mocks
    def _fill(self, order: InFlightOrder, price: Decimal, quantity: Decimal) -> Dict[str, Any]:
        """A ``GET /wapi/v1/history/fills`` element (§5.12; ``clientId`` is a string there)."""
        return {"tradeId": int(self.expected_fill_trade_id), "orderId": order.exchange_order_id,
                "clientId": order.client_order_id, "symbol": self.exchange_trading_pair,
                "side": "Bid" if order.trade_type is TradeType.BUY else "Ask", "price": str(price),
                "quantity": str(quantity), "fee": "30", "feeSymbol": self.quote_asset, "isMaker": False,
                "systemOrderType": None, "timestamp": "2025-07-27T17:39:00.092"}

    def configure_partial_fill_trade_response(self, order: InFlightOrder, mock_api: aioresponses,
                                              callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        url = url_regex(CONSTANTS.FILL_HISTORY_PATH_URL)
        fill = self._fill(order, self.expected_partial_fill_price, self.expected_partial_fill_amount)
        mock_api.get(url, body=json.dumps([fill]), callback=callback)
        return url

    def configure_erroneous_http_fill_trade_response(
            self, order: InFlightOrder, mock_api: aioresponses,
            callback: Optional[Callable] = lambda *args, **kwargs: None) -> str:
        url = url_regex(CONSTANTS.FILL_HISTORY_PATH_URL)
        mock_api.get(url, status=400, body=error_body("INVALID_CLIENT_REQUEST", "Invalid range"), callback=callback)
        return url

    def configure_full_fill_trade_response(self, order: InFlightOrder, mock_api: aioresponses,
                                           callback: Optional[Callable] = None) -> str:
        url = url_regex(CONSTANTS.FILL_HISTORY_PATH_URL)
        mock_api.get(url, body=json.dumps([self._fill(order, order.price, order.amount)]), callback=callback)
        return url

    # ---------------------------------------------------------------------------------- WS events (§8.5)
    def _order_event(self, order: InFlightOrder, event: str, status: str, **extra) -> Dict[str, Any]:
        data = {"e": event, "E": 1754939110175879, "s": self.exchange_trading_pair, "c": int(order.client_order_id),
                "S": "Bid" if order.trade_type is TradeType.BUY else "Ask", "o": "LIMIT", "f": "GTC",
                "q": str(order.amount), "p": str(order.price), "X": status, "i": order.exchange_order_id,
                "t": None, "z": "0", "Z": "0", "V": "RejectTaker", "T": 1754939110174705, "O": "USER", "r": False}
        data.update(extra)
        return {"stream": CONSTANTS.ORDER_UPDATE_STREAM, "data": data}

    def order_event_for_new_order_websocket_update(self, order: InFlightOrder):
        return self._order_event(order, "orderAccepted", "New")

    def order_event_for_canceled_order_websocket_update(self, order: InFlightOrder):
        return self._order_event(order, "orderCancelled", "Cancelled")

    def order_event_for_full_fill_websocket_update(self, order: InFlightOrder):
        return None  # Backpack's orderFill carries the new state (X) too: one event, see below

    def trade_event_for_full_fill_websocket_update(self, order: InFlightOrder):
        return self._order_event(
            order, "orderFill", "Filled", t=int(self.expected_fill_trade_id), l=str(order.amount), L=str(order.price),
            m=False, n="30", N=self.quote_asset, z=str(order.amount), Z=str(order.amount * order.price))


class ConstructionTests(ExchangeTestCase):
    def test_bad_key_fails_at_construction_without_leaking_the_secret(self):
        secret = "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg="   # valid base64 seed, not matching the key
        with self.assertRaises(BackpackKeyError) as ctx:
            BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=secret, trading_pairs=[])
        self.assertNotIn(secret, str(ctx.exception))
        with self.assertRaises(BackpackKeyError) as ctx:
            BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret="not-a-key!!", trading_pairs=[])
        self.assertNotIn("not-a-key!!", str(ctx.exception))

    def test_secret_not_kept_on_the_instance(self):
        self.assertNotIn(API_SECRET, repr(vars(self.exchange)))

    async def test_empty_keys_build_a_public_instance(self):
        exchange = BackpackExchange(backpack_api_key="", backpack_api_secret="", trading_pairs=[],
                                    trading_required=False)
        self.assertIsNone(exchange.authenticator)
        self.assertFalse(exchange.real_time_balance_update)
        with self.assertRaises(BackpackCredentialsMissingError) as ctx:
            await exchange._update_balances()
        self.assertIn("without an API key and secret", str(ctx.exception))

    def test_sandbox_domain_name(self):
        exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, domain="sandbox")
        self.assertEqual("backpack_sandbox", exchange.name)


class PlacementTests(ExchangeTestCase):
    async def test_limit_maker_buy_sends_post_only_and_time_in_force(self):
        with aioresponses() as mock_api:
            sent = asyncio.Event()
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), callback=lambda *a, **k: sent.set(),
                          body=json.dumps({"id": "77", "status": "New"}))
            order_id = self.exchange.buy(self.pair, Decimal("1.234"), OrderType.LIMIT, Decimal("150.019"),
                                         time_in_force="IOC")
            await asyncio.wait_for(sent.wait(), 10)
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].exchange_order_id == "77")
            body = json.loads(list(mock_api.requests.values())[0][0].kwargs["data"])
        self.assertEqual({"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "150.01",
                          "quantity": "1.23", "timeInForce": "IOC", "clientId": int(order_id),
                          "selfTradePrevention": "RejectTaker"}, body)

    async def test_post_only_rejection_fails_the_order_clearly(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=400,
                          body=error_body("INVALID_ORDER", "Order would immediately match and take liquidity"))
            order_id = self.exchange.sell(self.pair, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("150"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
        self.assertEqual(order_id, failures[0].order_id)
        self.assertIn("post-only order would have taken liquidity", failures[0].error_message)
        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertTrue(self.logged("WARNING", "post-only order would have taken liquidity"))

    async def test_answer_already_filled_is_applied(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "78", "status": "PartiallyFilled"}))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].current_state is OrderState.PARTIALLY_FILLED)

    async def test_accepted_post_only_expired_by_engine_fails(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL),
                          body=json.dumps({"id": "79", "status": "Expired", "expiryReason": "PostOnlyTaker"}))
            self.exchange.sell(self.pair, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("150"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
        self.assertIn("post-only", failures[0].error_message)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))


class OrderEventTests(ExchangeTestCase):
    async def test_sdk_vectors_without_client_id_match_by_order_id(self):
        expected = {"triggerPlaced": OrderState.OPEN, "orderAccepted": OrderState.OPEN,
                    "orderCancelled": OrderState.CANCELED}
        for index, event in enumerate(official_vectors("test_order_update", expected=3)):
            self.assertNotIn("c", event)
            order = self.track(client_order_id=str(index + 1), exchange_order_id=None,
                               order_type=OrderType.MARKET if event["o"] == "MARKET" else OrderType.LIMIT,
                               trade_type=TradeType.SELL)
            order.update_exchange_order_id(event["i"])
            self.exchange._process_user_stream_message(self.ws(event))
            await wait_for(lambda: order.current_state is expected[event["e"]])
        self.assertEqual(1, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_each_event_type(self):
        cases = [
            ("orderAccepted", "New", {}, OrderState.OPEN),
            ("triggerPlaced", "TriggerPending", {}, OrderState.OPEN),
            ("orderModified", "New", {"q": "0.5"}, OrderState.OPEN),
            ("orderCancelled", "Cancelled", {}, OrderState.CANCELED),
            ("orderExpired", "Expired", {"R": "ImmediateOrCancel", "f": "IOC"}, OrderState.CANCELED),
            ("orderExpired", "Expired", {"R": "PostOnlyTaker", "y": True}, OrderState.FAILED),
            ("triggerFailed", "TriggerFailed", {}, OrderState.FAILED),
        ]
        for index, (event_type, status, extra, state) in enumerate(cases):
            order = self.track(client_order_id=str(1000 + index), exchange_order_id=f"x{index}")
            if state is not OrderState.OPEN:  # final states need an order that was open
                self.exchange._process_user_stream_message(self.order_event(order, "orderAccepted", "New"))
                await wait_for(lambda: order.current_state is OrderState.OPEN)
            self.exchange._process_user_stream_message(self.order_event(order, event_type, status, **extra))
            await wait_for(lambda: order.current_state is state)
        failures = self.ev(MarketEvent.OrderFailure)
        self.assertIn("post-only order would have taken liquidity", failures[0].error_message)
        self.assertTrue(self.logged("WARNING", "post-only order would have taken liquidity"))

    async def test_partial_then_full_fill(self):
        order = self.track(amount="1", price="150")
        self.exchange._process_user_stream_message(self.fill_event(order, 1, "0.4", "150", "PartiallyFilled",
                                                                   fee="0.06", fee_asset="USDC"))
        await wait_for(lambda: order.current_state is OrderState.PARTIALLY_FILLED)
        self.exchange._process_user_stream_message(self.fill_event(order, 2, "0.6", "149.5", "Filled"))
        await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        fills = self.ev(MarketEvent.OrderFilled)
        self.assertEqual([Decimal("0.4"), Decimal("0.6")], [f.amount for f in fills])
        self.assertEqual(Decimal("0.06"), fills[0].trade_fee.flat_fees[0].amount)
        self.assertEqual("USDC", fills[0].trade_fee.flat_fees[0].token)
        self.assertEqual(["1", "2"], [f.exchange_trade_id for f in fills])
        self.assertAlmostEqual(1754939110.174705, order.order_fills["1"].fill_timestamp, places=5)

    async def test_fill_seen_on_ws_and_rest_is_counted_once(self):
        order = self.track(client_order_id="42", exchange_order_id="4238907375", amount="1", price="150")
        self.exchange._process_user_stream_message(self.fill_event(order, 9748827, "0.5", "150", "PartiallyFilled"))
        await wait_for(lambda: len(self.ev(MarketEvent.OrderFilled)) == 1)
        rest_fill = {"tradeId": 9748827, "orderId": "4238907375", "clientId": "42", "symbol": self.symbol,
                     "side": "Bid", "price": "150", "quantity": "0.5", "fee": "0.01", "feeSymbol": "USDC",
                     "isMaker": True, "timestamp": "2025-08-11T19:05:10.174"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([rest_fill]))
            await self.exchange._update_orders_fills([order])
        self.assertEqual(Decimal("0.5"), order.executed_amount_base)
        self.assertEqual(1, len(self.ev(MarketEvent.OrderFilled)))

    async def test_fill_before_acceptance_is_not_lost(self):
        order = self.track(client_order_id="77", exchange_order_id=None, amount="1", price="150")
        self.assertTrue(order.is_pending_create)
        self.exchange._process_user_stream_message(self.fill_event(order, 5, "0.3", "150", "PartiallyFilled",
                                                                   exchange_order_id="e77"))
        await wait_for(lambda: order.current_state is OrderState.PARTIALLY_FILLED)
        self.assertEqual("e77", order.exchange_order_id)
        self.assertEqual(Decimal("0.3"), order.executed_amount_base)
        self.assertEqual(1, len(self.ev(MarketEvent.BuyOrderCreated)))
        # the placement answer ("New", older than the fill) arrives afterwards: no step back to OPEN
        self.exchange._apply_order_answer(order, {"id": "e77", "status": "New"})
        self.exchange._process_user_stream_message(self.order_event(order, "orderAccepted", "New"))
        await asyncio.sleep(0)
        await wait_for(lambda: self.exchange._user_event_counters["processed"] == 2)
        self.assertEqual(OrderState.PARTIALLY_FILLED, order.current_state)

    async def test_events_of_unknown_orders_are_ignored(self):
        mine = self.track(client_order_id="42", exchange_order_id="mine")
        foreign = {"e": "orderFill", "E": 1, "s": self.symbol, "c": 42, "S": "Bid", "o": "LIMIT", "f": "GTC",
                   "X": "Filled", "i": "someone-else", "t": 1, "l": "1", "L": "1", "m": False, "n": "0", "N": "USDC",
                   "T": 1}
        unknown = dict(foreign, c=999, i="other")
        no_client_id = {k: v for k, v in unknown.items() if k != "c"}
        for event in (foreign, unknown, no_client_id):
            self.exchange._process_user_stream_message(self.ws(event))
        self.assertEqual(3, self.exchange._user_event_counters["unknown_order"])
        self.assertEqual(Decimal("0"), mine.executed_amount_base)
        self.assertFalse(any(r.levelname == "ERROR" for r in self.log_records))

    async def test_malformed_messages_are_logged_and_the_loop_goes_on(self):
        order = self.track(client_order_id="42", exchange_order_id="e42")
        queue = AsyncMock()
        queue.get.side_effect = [
            "garbage",
            {"stream": CONSTANTS.ORDER_UPDATE_STREAM, "data": {"e": "orderAccepted"}},          # no i/X
            {"stream": CONSTANTS.ORDER_UPDATE_STREAM, "data": dict(self.order_event(order, "orderAccepted", "New")[
                "data"], X="Weird")},
            {"stream": "account.somethingNew", "data": {}},
            self.order_event(order, "orderAccepted", "New"),
            asyncio.CancelledError,
        ]
        self.exchange._user_stream_tracker._user_stream = queue
        with self.assertRaises(asyncio.CancelledError):
            await self.exchange._user_stream_event_listener()
        await wait_for(lambda: order.current_state is OrderState.OPEN)
        counters = self.exchange.metrics_snapshot()["user_stream_events"]
        self.assertEqual(3, counters["malformed"])
        self.assertEqual(1, counters["ignored"])
        self.assertEqual(3, sum(1 for r in self.log_records
                                if r.getMessage() == "Unexpected error in user stream listener loop."))


class UserStreamMessageTests(ExchangeTestCase):
    """``_process_user_stream_message`` straight (the listener's body): an exception is counted as malformed by the
    listener, so what matters here is that nothing *wrong* is applied to the tracked order."""

    def test_mutated_fills_never_apply_non_positive_or_non_finite_amounts(self):
        order = self.track(client_order_id="42", exchange_order_id="e42", amount="1", price="150")

        @settings(max_examples=150, deadline=None)
        @given(data=mutated(OWN_FILL_EVENT))
        def check(data):
            before = order.executed_amount_base
            try:
                self.exchange._process_user_stream_message({"stream": "account.orderUpdate", "data": data})
            except Exception:
                pass
            after = order.executed_amount_base
            assert after.is_finite() and after >= before
            assert order.cumulative_fee_paid(token="USDC").is_finite()
            for trade in order.order_fills.values():
                assert trade.fill_base_amount > 0 and trade.fill_price > 0
        check()
        self.assertLessEqual(order.executed_amount_base, Decimal("1000000"))


class PlacementErrorTests(ExchangeTestCase):
    ANSWERS = {401: error_body("UNAUTHORIZED", "Unauthorized"), 451: "",
               429: error_body("TOO_MANY_REQUESTS", "Too many requests")}

    async def test_placement_refused_fails_clearly(self):
        expected = {401: "HTTP 401", 451: "region", 429: "HTTP 429"}
        for status, fragment in expected.items():
            self.exchange._rest.backoff_until = 0.0
            self.exchange._rest.backoff_s = 0.0
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=status, body=self.ANSWERS[status])
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                await wait_for(lambda: any(e.order_id == order_id for e in self.ev(MarketEvent.OrderFailure)))
            failure = [e for e in self.ev(MarketEvent.OrderFailure) if e.order_id == order_id][0]
            self.assertIn(fragment, failure.error_message, status)
            self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertEqual(1, self.exchange.metrics_snapshot()["rest"]["rate_limited_429"])

    async def test_expired_window_on_placement_is_retried_once_then_fails_clearly(self):
        async def no_resync():
            return None
        self.exchange._update_time_synchronizer = no_resync
        with aioresponses() as mock_api:
            for _ in range(2):
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=400,
                              body=error_body("INVALID_CLIENT_REQUEST", "Request has expired"))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: any(e.order_id == order_id for e in self.ev(MarketEvent.OrderFailure)))
            posts = [call for (method, _), calls in mock_api.requests.items() if method == "POST" for call in calls]
        self.assertEqual(2, len(posts))
        failure = [e for e in self.ev(MarketEvent.OrderFailure) if e.order_id == order_id][0]
        self.assertIn("clock", failure.error_message)


class ConnectivityTests(ExchangeTestCase):
    async def test_a_rate_limited_network_check_still_means_connected(self):
        """Regression (``make chaos``): a 429 on the network check (``GET /api/v1/status``) marked the network down,
        which stopped the streams and the order book; a rate-limiting Backpack is up."""
        too_many = error_body("TOO_MANY_REQUESTS", "Too many requests")
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), status=429, body=too_many)
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())  # pause: no request
            self.assertEqual(1, sum(len(calls) for calls in mock_api.requests.values()))
            self.exchange._rest.backoff_until = 0.0  # the pause is over
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), status=503, body="")
            self.assertEqual(NetworkStatus.NOT_CONNECTED, await self.exchange.check_network())
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), body=json.dumps({"status": "Maintenance"}))
            self.assertEqual(NetworkStatus.NOT_CONNECTED, await self.exchange.check_network())
            mock_api.get(url(CONSTANTS.STATUS_PATH_URL), body=json.dumps({"status": "Ok"}))
            self.assertEqual(NetworkStatus.CONNECTED, await self.exchange.check_network())

    def test_a_private_resubscription_triggers_the_status_poll(self):
        """Regression (``make chaos``): events sent while the private stream was down are not replayed, and the
        status poll only ran at its next interval; every (re)subscription now triggers it at once."""
        self.assertFalse(self.exchange._poll_notifier.is_set())
        self.exchange._on_private_stream_subscribed()
        self.assertTrue(self.exchange._poll_notifier.is_set())


#: A recorded-shape placement answer (§5.5) whose createdAt came as a string of milliseconds.
ANSWER = {"id": "114575842681290753", "clientId": 123456, "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit",
          "price": "150", "quantity": "1", "executedQuantity": "0", "executedQuoteQuantity": "0", "postOnly": False,
          "selfTradePrevention": "RejectTaker", "status": "New", "timeInForce": "GTC",
          "createdAt": "1735689600123"}


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


class AutoLendRedeemFlagTests(ExchangeTestCase):
    """Orders carry ``autoLendRedeem: true`` (§5.5) exactly when the account's ``autoLend`` is on (U5)."""

    async def _placed_bodies(self, auto_lend: bool):
        self.exchange._fees.auto_lend = auto_lend
        with aioresponses() as mock_api:
            sent = asyncio.Event()
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), callback=lambda *a, **k: sent.set(),
                          body=json.dumps({"id": "77", "status": "New"}))
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL),
                          body=json.dumps([{"operation": "Ok", "id": "78", "status": "New"}]))
            self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await asyncio.wait_for(sent.wait(), 10)
            self.exchange.batch_order_create(
                [LimitOrder("", self.pair, True, "SOL", "USDC", Decimal("141"), Decimal("1"))])
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 2)
            single = json.loads(mock_api.requests[("POST", _url(CONSTANTS.ORDER_PATH_URL))][0].kwargs["data"])
            batch = json.loads(mock_api.requests[("POST", _url(CONSTANTS.ORDERS_PATH_URL))][0].kwargs["data"])
        return single, batch[0]

    async def test_orders_carry_auto_lend_redeem_only_when_auto_lend_is_on(self):
        single, element = await self._placed_bodies(True)
        self.assertIs(True, single["autoLendRedeem"])
        self.assertIs(True, element["autoLendRedeem"])

    async def test_orders_carry_no_flag_when_auto_lend_is_off(self):
        single, element = await self._placed_bodies(False)
        self.assertNotIn("autoLendRedeem", single)
        self.assertNotIn("autoLendRedeem", element)


def _url(path: str) -> URL:
    return URL(url(path))


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
