"""Conformance: Hummingbot's ``AbstractExchangeConnectorTests.ExchangeConnectorTests`` against ``BackpackExchange``,
with payloads shaped like Backpack's API (``docs/backpack-api.md`` §4–§8; errors carry ``code``/``message``)."""
import json
import re
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from aioresponses import aioresponses
from aioresponses.core import CallbackResult, RequestCall

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.connector.test_support.exchange_connector_test import AbstractExchangeConnectorTests
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeBase

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
        return BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                trading_pairs=[self.trading_pair])

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
        self.assertEqual({"symbol": self.exchange_trading_pair, "clientId": int(order.client_order_id)}, body)

    def validate_order_status_request(self, order: InFlightOrder, request_call: RequestCall):
        params = request_call.kwargs["params"]
        self.assertEqual(self.exchange_trading_pair, params["symbol"])
        if "orderId" in params:   # the order-history fallback (§5.11)
            self.assertEqual(order.exchange_order_id, params["orderId"])
        else:                     # the open-order query by clientId (§5.9)
            self.assertEqual(order.client_order_id, params["clientId"])

    def validate_trades_request(self, order: InFlightOrder, request_call: RequestCall):
        params = request_call.kwargs["params"]
        self.assertEqual(self.exchange_trading_pair, params["symbol"])
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
            client_id = json.loads(kwargs["data"])["clientId"]
            if client_id == int(successful_order.client_order_id):
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
        # an order lost (a 401/429/503 on a status query keeps the order as it is; test_hostile_input_rest).
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
