"""Table tests of the pure payload ↔ Hummingbot functions (backpack_order_parsing), with SDK vectors."""
import unittest
from decimal import Decimal

from hummingbot.connector.exchange.backpack import backpack_order_parsing as P
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError, error_from_response
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeSchema

from .exchange_test_support import official_vectors

SCHEMA = TradeFeeSchema(maker_percent_fee_decimal=Decimal("0.0008"), taker_percent_fee_decimal=Decimal("0.001"))


class ScalarTests(unittest.TestCase):
    def test_decimal_text(self):
        for value, text in [(Decimal("100.000"), "100"), (Decimal("1E-8"), "0.00000001"), (Decimal("150.25"), "150.25"),
                            (Decimal("0"), "0"), (Decimal("1E+2"), "100"), (Decimal("0.10"), "0.1")]:
            self.assertEqual(text, P.decimal_text(value), value)

    def test_bps_to_fraction(self):
        self.assertEqual(Decimal("0.0008"), P.bps_to_fraction("8"))
        self.assertEqual(Decimal("-0.0002"), P.bps_to_fraction("-2"))  # rebate
        self.assertEqual(Decimal("0.00095"), P.bps_to_fraction("9.5"))

    def test_iso_to_epoch_is_utc(self):
        self.assertEqual(1753637940.092, P.iso_to_epoch_s("2025-07-27T17:39:00.092"))
        self.assertEqual(1753637940.092, P.iso_to_epoch_s("2025-07-27T17:39:00.092Z"))
        with self.assertRaises(ValueError):
            P.iso_to_epoch_s("yesterday")

    def test_to_decimal_rejects_garbage(self):
        for bad in (None, "", "abc", "NaN", "Infinity"):
            with self.assertRaises(ValueError):
                P.to_decimal(bad)

    def test_trade_id_text_same_for_ws_int_and_rest_string(self):
        self.assertEqual(P.trade_id_text(2888471), P.trade_id_text("2888471"))
        with self.assertRaises(ValueError):
            P.trade_id_text(None)


class TradingRuleTests(unittest.TestCase):
    def test_rule_from_sdk_market_vector(self):
        market = official_vectors("test_market_order_book_state_and_visible_parse")[0]
        rule = P.trading_rule_from_market(market, "WEN-USDC")
        self.assertEqual(Decimal("0.0001"), rule.min_price_increment)
        self.assertEqual(Decimal("0.01"), rule.min_base_amount_increment)
        self.assertEqual(Decimal("0.01"), rule.min_order_size)
        self.assertEqual(Decimal("0"), rule.min_notional_size)  # no min-notional filter on Backpack (§4.4)

    def test_max_quantity_used_when_present(self):
        market = {"filters": {"price": {"tickSize": "0.01"},
                              "quantity": {"minQuantity": "0.1", "stepSize": "0.1", "maxQuantity": "5000"}}}
        self.assertEqual(Decimal("5000"), P.trading_rule_from_market(market, "A-B").max_order_size)

    def test_bad_filters_raise(self):
        for filters in ({}, {"price": {"tickSize": "0"}, "quantity": {"minQuantity": "1", "stepSize": "1"}},
                        {"price": {"tickSize": "x"}, "quantity": {"minQuantity": "1", "stepSize": "1"}}):
            with self.assertRaises((KeyError, ValueError)):
                P.trading_rule_from_market({"filters": filters}, "A-B")


class OrderPayloadTests(unittest.TestCase):
    def test_limit_maker_is_post_only_limit(self):
        body = P.build_order_payload("SOL_USDC", TradeType.SELL, OrderType.LIMIT_MAKER, Decimal("0.50"),
                                     Decimal("140.990"), 868620826)
        self.assertEqual({"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "price": "140.99",
                          "quantity": "0.5", "postOnly": True, "clientId": 868620826}, body)

    def test_market_sends_quantity_only(self):
        body = P.build_order_payload("SOL_USDC", TradeType.BUY, OrderType.MARKET, Decimal("2"), Decimal("NaN"), 7)
        self.assertEqual({"symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "2",
                          "clientId": 7}, body)

    def test_time_in_force(self):
        body = P.build_order_payload("SOL_USDC", TradeType.BUY, OrderType.LIMIT, Decimal("1"), Decimal("1"), 1, "ioc")
        self.assertEqual("IOC", body["timeInForce"])
        with self.assertRaises(ValueError):
            P.build_order_payload("SOL_USDC", TradeType.BUY, OrderType.LIMIT, Decimal("1"), Decimal("1"), 1, "GTX")
        with self.assertRaises(ValueError):
            P.build_order_payload("SOL_USDC", TradeType.BUY, OrderType.LIMIT_MAKER, Decimal("1"), Decimal("1"), 1,
                                  "FOK")

    def test_limit_without_price_rejected(self):
        with self.assertRaises(ValueError):
            P.build_order_payload("SOL_USDC", TradeType.BUY, OrderType.LIMIT, Decimal("1"), Decimal("NaN"), 1)


class StateTests(unittest.TestCase):
    def test_status_table(self):
        table = [("New", None, OrderState.OPEN), ("PartiallyFilled", None, OrderState.PARTIALLY_FILLED),
                 ("Filled", None, OrderState.FILLED), ("Cancelled", None, OrderState.CANCELED),
                 ("Expired", "ImmediateOrCancel", OrderState.CANCELED), ("Expired", "PostOnlyTaker", OrderState.FAILED),
                 ("Expired", "POST_ONLY_TAKER", OrderState.FAILED), ("TriggerPending", None, OrderState.OPEN),
                 ("TriggerFailed", None, OrderState.FAILED)]
        for status, reason, state in table:
            self.assertEqual(state, P.order_state(status, reason), (status, reason))
        with self.assertRaises(ValueError):
            P.order_state("Bogus")

    def test_ws_vectors_of_the_official_sdk(self):
        expected = {"triggerPlaced": OrderState.OPEN, "orderAccepted": OrderState.OPEN,
                    "orderCancelled": OrderState.CANCELED}
        for event in official_vectors("test_order_update"):
            update = P.order_update_from_ws(event, "1", "SOL-USDC")
            self.assertEqual(expected[event["e"]], update.new_state)
            self.assertEqual(event["i"], update.exchange_order_id)
            self.assertAlmostEqual(event["T"] / 1e6, update.update_timestamp)

    def test_post_only_expiry_carries_clear_message(self):
        update = P.order_update_from_order({"id": "9", "status": "Expired", "expiryReason": "PostOnlyTaker"},
                                           "1", "SOL-USDC", 1.0)
        self.assertEqual(OrderState.FAILED, update.new_state)
        self.assertIn("post-only order would have taken liquidity", update.misc_updates["error_message"])


class FillTests(unittest.TestCase):
    REST_FILL = {"tradeId": 9748827, "orderId": "4238907375", "clientId": "42", "symbol": "ETH_USDC", "side": "Bid",
                 "price": "3826.15", "quantity": "0.0026", "fee": "0.0000026", "feeSymbol": "ETH", "isMaker": False,
                 "systemOrderType": None, "timestamp": "2025-07-27T17:39:00.092"}
    WS_FILL = {"e": "orderFill", "E": 1754939110175879, "s": "ETH_USDC", "c": 42, "S": "Bid", "o": "LIMIT",
               "f": "GTC", "q": "0.0026", "p": "3826.15", "X": "Filled", "i": "4238907375", "t": 9748827,
               "l": "0.0026", "L": "3826.15", "m": False, "n": "0.0000026", "N": "ETH", "z": "0.0026",
               "Z": "9.94799", "T": 1753637940092000}

    def test_rest_and_ws_give_the_same_trade(self):
        rest = P.trade_update_from_fill(self.REST_FILL, "42", "4238907375", "ETH-USDC", TradeType.BUY, SCHEMA)
        ws = P.trade_update_from_ws(self.WS_FILL, "42", "ETH-USDC", TradeType.BUY, SCHEMA)
        self.assertEqual("9748827", rest.trade_id)
        for field in ("trade_id", "client_order_id", "exchange_order_id", "trading_pair", "fill_price",
                      "fill_base_amount", "fill_quote_amount", "is_taker"):
            self.assertEqual(getattr(rest, field), getattr(ws, field), field)
        self.assertAlmostEqual(rest.fill_timestamp, ws.fill_timestamp, places=3)
        self.assertEqual([TokenAmount("ETH", Decimal("0.0000026"))], rest.fee.flat_fees)
        self.assertEqual(rest.fee.flat_fees, ws.fee.flat_fees)
        self.assertEqual("ETH-USDC", rest.trading_pair)  # the Hummingbot pair, not the symbol (§11.5)


class ErrorTests(unittest.TestCase):
    def test_not_found_variants(self):
        for status, code, message, expected in [
                (404, "RESOURCE_NOT_FOUND", "Not Found", True),
                (400, "INVALID_CLIENT_REQUEST", "Order not found", True),
                (400, "INVALID_ORDER", "Order does not exist", True),
                (400, "INVALID_CLIENT_REQUEST", "Invalid signature", False),
                (500, "SERVER_ERROR", "boom", False)]:
            self.assertEqual(expected, BackpackAPIError(status, code, message).is_order_not_found, message)

    def test_parsing_of_bodies(self):
        self.assertTrue(error_from_response(400, '{"code":"INVALID_CLIENT_REQUEST","message":"Request has expired"}',
                                            "GET", "/x").is_request_expired)
        plain = error_from_response(400, "failed to parse parameter `limit`", "GET", "/x")
        self.assertEqual(("", "failed to parse parameter `limit`"), (plain.code, plain.message))
        self.assertTrue(error_from_response(503, "", "POST", "/api/v1/order").is_unknown_outcome)
        self.assertTrue(error_from_response(400, '{"code":"TIMEOUT","message":"t"}', "POST", "/o").is_unknown_outcome)
