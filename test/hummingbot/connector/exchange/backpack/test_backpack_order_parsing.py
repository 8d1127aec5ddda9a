"""``backpack_order_parsing``: table tests with SDK vectors, then properties over generated and mutated payloads
(each parser returns a valid result or raises ``KeyError``/``ValueError``/``TypeError``, never an unrelated
exception such as ``OverflowError`` or ``decimal.Overflow``)."""
import math
import unittest
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_order_parsing as P
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeSchema

from .exchange_test_support import official_vectors
from .hostile_payloads import junk, mutated

SCHEMA = TradeFeeSchema(maker_percent_fee_decimal=Decimal("0.0008"), taker_percent_fee_decimal=Decimal("0.001"))
PARSE_ERRORS = (KeyError, ValueError, TypeError)
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKETS = (official_vectors("test_market_order_book_state_and_visible_parse", expected=1)
           + official_vectors("test_market_rwa_market_type_parse", expected=1)
           + [{"symbol": "SOL_USDC", "baseSymbol": "SOL", "quoteSymbol": "USDC", "marketType": "SPOT",
               "visible": True, "orderBookState": "Open",
               "filters": {"price": {"minPrice": "0.01", "tickSize": "0.01"},
                           "quantity": {"minQuantity": "0.01", "stepSize": "0.01", "maxQuantity": "5000"}}}])
WS_ORDER_EVENTS = official_vectors("test_order_update", expected=3) + [
    {"e": "orderFill", "E": 1754939110175879, "s": "ETH_USDC", "c": 123456790, "S": "Bid", "o": "MARKET",
     "f": "GTC", "q": "0.0010", "Q": "4.30", "X": "Filled", "i": "5406825793", "t": 2888471, "l": "0.0010",
     "L": "4299.16", "m": False, "n": "0.000001", "N": "ETH", "z": "0.0010", "Z": "4.299160", "V": "RejectTaker",
     "T": 1754939110174705, "O": "USER", "r": False},
    {"e": "orderExpired", "E": 1748289570000000, "s": "SOL_USDC", "S": "Bid", "o": "LIMIT", "f": "IOC", "q": "1.00",
     "p": "170.00", "X": "Expired", "R": "PostOnlyTaker", "i": "114575842681290760", "z": "0.40", "Z": "68.00",
     "V": "RejectTaker", "T": 1748289569999000, "O": "USER"}]
REST_ORDER = {"id": "4239996998", "clientId": 42, "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit",
              "price": "150", "quantity": "1", "executedQuantity": "0", "executedQuoteQuantity": "0",
              "postOnly": False, "selfTradePrevention": "RejectTaker", "status": "New", "timeInForce": "GTC",
              "createdAt": 1735689600123, "expiryReason": None}
REST_FILL = {"tradeId": 11, "orderId": "4239996998", "clientId": "42", "symbol": "SOL_USDC", "side": "Bid",
             "price": "150.25", "quantity": "0.5", "fee": "0.01", "feeSymbol": "SOL", "isMaker": True,
             "timestamp": "2025-07-27T17:39:00.092"}


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
        market = official_vectors("test_market_order_book_state_and_visible_parse", expected=1)[0]
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
        for event in official_vectors("test_order_update", expected=3):
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


class OrderReferenceTests(unittest.TestCase):
    def test_order_id_when_known_else_uint32_client_id(self):
        self.assertEqual({"orderId": "7"}, P.order_reference("42", "7"))
        self.assertEqual({"clientId": 42}, P.order_reference("42", None))
        self.assertEqual({"clientId": 4294967295}, P.order_reference("4294967295", None))
        self.assertEqual({"orderId": "7"}, P.order_reference("4294967296", "7"))
        self.assertEqual({"orderId": "7"}, P.order_reference("HBOT-1", "7"))
        with self.assertRaises(ValueError):
            P.order_reference("HBOT-1", None)


# ================================================================================= properties (hostile input)
class CreatedAtTests(unittest.TestCase):
    def test_milliseconds_as_int_or_string_and_iso(self):
        self.assertEqual(1735689600.123, P.created_at_s({"createdAt": 1735689600123}))
        self.assertEqual(1735689600.123, P.created_at_s({"createdAt": "1735689600123"}))
        self.assertAlmostEqual(1737441294.691858, P.created_at_s({"createdAt": "2025-01-21T06:34:54.691858"}), places=5)

    def test_unreadable_is_none(self):
        for value in (None, True, "", "soon", float("nan"), float("inf"), 0, -5, [1], {"a": 1}):
            self.assertIsNone(P.created_at_s({"createdAt": value}), value)
        self.assertIsNone(P.created_at_s({}))
        self.assertIsNone(P.created_at_s(None))


def finite_decimal(value) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def assert_valid_fill(update: TradeUpdate) -> None:
    assert isinstance(update.trade_id, str) and update.trade_id.lstrip("-").isdigit()
    assert finite_decimal(update.fill_price) and update.fill_price > 0
    assert finite_decimal(update.fill_base_amount) and update.fill_base_amount > 0
    assert finite_decimal(update.fill_quote_amount) and update.fill_quote_amount > 0
    assert math.isfinite(update.fill_timestamp)
    assert isinstance(update.exchange_order_id, str) and update.exchange_order_id
    for token_amount in update.fee.flat_fees:
        assert isinstance(token_amount.token, str) and finite_decimal(token_amount.amount)


def assert_valid_order_update(update: OrderUpdate) -> None:
    assert isinstance(update.new_state, OrderState)
    assert isinstance(update.exchange_order_id, str) and update.exchange_order_id  # never str(None)
    assert math.isfinite(update.update_timestamp)


# ----------------------------------------------------------------------------------------------- scalars
@FAST
@given(value=junk)
def test_scalar_parsers_return_valid_values_or_value_error(value):
    for parse, valid in ((P.to_decimal, finite_decimal), (P.bps_to_fraction, finite_decimal),
                         (P.iso_to_epoch_s, math.isfinite), (P.us_to_s, math.isfinite),
                         (P.trade_id_text, lambda text: text.lstrip("-").isdigit())):
        try:
            result = parse(value)
        except (ValueError, TypeError):
            continue
        assert valid(result), (parse.__name__, value, result)


def test_huge_decimals_are_rejected_not_overflowing_later():
    """Regression: ``"1e999999999"`` parsed as a finite Decimal; the first arithmetic on it (``price * quantity`` of
    a fill, ``available + locked`` of a balance, bps → fraction) raised ``decimal.Overflow`` — neither ValueError nor
    caught by the callers, so one such REST fill or balance entry aborted the whole poll."""
    for text in ("1e999999999", "-1e999999999", "9e1000"):
        with pytest.raises(ValueError):
            P.to_decimal(text)
        with pytest.raises(ValueError):
            P.bps_to_fraction(text)
    fill = dict(REST_FILL, price="1e999999", quantity="1e999999")
    with pytest.raises(ValueError):
        P.trade_update_from_fill(fill, "42", "4239996998", "SOL-USDC", TradeType.BUY, SCHEMA)
    assert P.to_decimal("123456789012.000000000001") == Decimal("123456789012.000000000001")
    assert P.to_decimal("1E-18") == Decimal("1E-18")


def test_infinite_json_numbers_in_ids_and_times_are_value_errors():
    """Regression: JSON ``1e400`` decodes to ``inf``; ``int(inf)`` raised ``OverflowError`` out of ``us_to_s`` and
    ``trade_id_text`` (documented: ValueError)."""
    for parse in (P.us_to_s, P.trade_id_text):
        for value in (float("inf"), float("-inf"), float("nan")):
            with pytest.raises(ValueError):
                parse(value)


# ----------------------------------------------------------------------------------------- trading rules
@FAST
@given(market=st.sampled_from(MARKETS).flatmap(mutated))
def test_trading_rule_from_mutated_market(market):
    try:
        rule = P.trading_rule_from_market(market, "SOL-USDC")
    except PARSE_ERRORS:
        return
    assert isinstance(rule, TradingRule)
    assert finite_decimal(rule.min_price_increment) and rule.min_price_increment > 0
    assert finite_decimal(rule.min_base_amount_increment) and rule.min_base_amount_increment > 0
    assert finite_decimal(rule.min_order_size)
    assert finite_decimal(rule.max_order_size)


# ------------------------------------------------------------------------------------------ order states
@FAST
@given(status=junk, reason=junk)
def test_order_state_of_anything_is_a_state_or_value_error(status, reason):
    try:
        state = P.order_state(status, reason)
    except ValueError:
        return
    assert isinstance(state, OrderState)


def test_unhashable_status_is_a_value_error():
    """Regression: ``{"status": []}`` raised ``TypeError: unhashable type`` out of ``order_state`` (documented:
    ValueError for an unknown status), which the cancel-all answer loop did not catch."""
    with pytest.raises(ValueError):
        P.order_state([])
    with pytest.raises(ValueError):
        P.order_update_from_order(dict(REST_ORDER, status={"a": 1}), "42", "SOL-USDC", 1.0)


@FAST
@given(order=mutated(REST_ORDER))
def test_order_update_from_mutated_rest_order(order):
    try:
        update = P.order_update_from_order(order, "42", "SOL-USDC", 1700000000.0)
    except PARSE_ERRORS:
        return
    assert_valid_order_update(update)


@FAST
@given(event=st.sampled_from(WS_ORDER_EVENTS).flatmap(mutated))
def test_order_update_from_mutated_ws_event(event):
    try:
        update = P.order_update_from_ws(event, "42", "SOL-USDC")
    except PARSE_ERRORS:
        return
    assert_valid_order_update(update)


def test_missing_order_id_is_rejected():
    """Regression: ``{"id": null, "status": "New"}`` gave exchange order id ``"None"``; the tracked order then
    ignored every WS event carrying the real id (the ids differ) and history lookups searched for "None"."""
    for bad in (None, True, "", [], {}):
        with pytest.raises(ValueError):
            P.order_update_from_order(dict(REST_ORDER, id=bad), "42", "SOL-USDC", 1.0)
        with pytest.raises(ValueError):
            P.order_update_from_ws(dict(WS_ORDER_EVENTS[3], i=bad), "42", "SOL-USDC")
    assert P.order_update_from_order(dict(REST_ORDER, id=123), "42", "SOL-USDC", 1.0).exchange_order_id == "123"


# ------------------------------------------------------------------------------------------------- fills
@FAST
@given(fill=mutated(REST_FILL))
def test_trade_update_from_mutated_rest_fill(fill):
    try:
        update = P.trade_update_from_fill(fill, "42", "4239996998", "SOL-USDC", TradeType.BUY, SCHEMA)
    except PARSE_ERRORS:
        return
    assert_valid_fill(update)


@FAST
@given(event=mutated(WS_ORDER_EVENTS[3]))
def test_trade_update_from_mutated_ws_fill(event):
    try:
        update = P.trade_update_from_ws(event, "42", "SOL-USDC", TradeType.BUY, SCHEMA)
    except PARSE_ERRORS:
        return
    assert_valid_fill(update)


def test_non_positive_or_foreign_fill_values_are_rejected():
    """Regression: a fill of ``"-5"`` (or ``"0"``) was accepted and would have moved the order's executed amount
    backwards; a fee asset that is not a string became a ``TokenAmount`` of a dict."""
    for key, bad in (("quantity", "-5"), ("quantity", "0"), ("price", "-150"), ("price", "0"), ("feeSymbol", {})):
        with pytest.raises(ValueError):
            P.trade_update_from_fill(dict(REST_FILL, **{key: bad}), "42", "1", "SOL-USDC", TradeType.BUY, SCHEMA)
    for key, bad in (("l", "-0.001"), ("L", "0"), ("N", 5)):
        with pytest.raises(ValueError):
            P.trade_update_from_ws(dict(WS_ORDER_EVENTS[3], **{key: bad}), "42", "SOL-USDC", TradeType.BUY, SCHEMA)
