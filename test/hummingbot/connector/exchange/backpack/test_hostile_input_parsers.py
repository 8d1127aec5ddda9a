"""Hostile input, pure parsers: generated values and mutated real payloads (official SDK vectors in
``../shared/fixtures`` plus the documented frames of ``backpack-api.md``) fed to every parser.

Contract checked for each: it returns a *valid* result (finite numbers, positive fill price and size, an order
id, a known state...) or raises the error type its module documents — ``KeyError``/``ValueError``/``TypeError``
for ``backpack_order_parsing``, nothing at all for ``error_from_response`` — never an unrelated exception
(``OverflowError``, ``decimal.Overflow``, ``AttributeError``...).
"""
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_order_parsing as P
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError, error_from_response
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.in_flight_order import OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.trade_fee import TradeFeeSchema

from .exchange_test_support import official_vectors
from .hostile_payloads import json_values, junk, mutated

PARSE_ERRORS = (KeyError, ValueError, TypeError)
SCHEMA = TradeFeeSchema(maker_percent_fee_decimal=Decimal("0.0008"), taker_percent_fee_decimal=Decimal("0.001"))
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MARKETS = (official_vectors("test_market_order_book_state_and_visible_parse")
           + official_vectors("test_market_rwa_market_type_parse")
           + [{"symbol": "SOL_USDC", "baseSymbol": "SOL", "quoteSymbol": "USDC", "marketType": "SPOT",
               "visible": True, "orderBookState": "Open",
               "filters": {"price": {"minPrice": "0.01", "tickSize": "0.01"},
                           "quantity": {"minQuantity": "0.01", "stepSize": "0.01", "maxQuantity": "5000"}}}])
WS_ORDER_EVENTS = official_vectors("test_order_update") + [
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


# ------------------------------------------------------------------------------------------ error bodies
@FAST
@given(status=st.integers(100, 599), body=st.one_of(st.text(max_size=400), json_values.map(
    lambda value: __import__("json").dumps(value))))
def test_error_from_any_answer_is_a_clear_api_error(status, body):
    error = error_from_response(status, body, "POST", "/api/v1/order")
    assert isinstance(error, BackpackAPIError) and error.status == status
    text = str(error)
    assert str(status) in text and "/api/v1/order" in text and len(text) < 1200
    error.is_order_not_found, error.is_request_expired, error.is_unknown_outcome, error.is_post_only_rejection


@pytest.mark.parametrize("status, body, fragments", [
    (401, '{"code": "UNAUTHORIZED", "message": "Invalid X-API-Key"}',
     ("HTTP 401", "refused the API credentials", "check the API key and secret", "Invalid X-API-Key")),
    (403, "", ("HTTP 403", "refused the API credentials")),
    (429, '{"code": "TOO_MANY_REQUESTS", "message": ""}', ("HTTP 429", "rate limit", "not executed")),
    (451, "", ("HTTP 451", "region")),
    (400, '{"code": "INVALID_CLIENT_REQUEST", "message": "Request has expired"}',
     ("HTTP status is 400", "Request has expired", "system clock")),
])
def test_error_answers_read_clearly(status, body, fragments):
    """401/403, 429, 451 and an expired window say what happened and what to do (the 401 one was the generic
    "HTTP status is 401" text, the expired one did not mention the clock)."""
    text = str(error_from_response(status, body, "POST", "/api/v1/order"))
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "/api/v1/order" in text
