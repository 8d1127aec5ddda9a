"""Hostile input, pure parsers: generated values and mutated real payloads (official SDK vectors in
``../shared/fixtures`` plus the documented frames of ``backpack-api.md``) fed to the order book parsers and key
parsing. (The order-parsing and REST-error properties live in ``test_backpack_order_parsing.py`` and
``test_backpack_errors.py``.)

Contract checked for each: it returns a *valid* result or raises the error type its module documents —
``KeyError``/``ValueError``/``TypeError`` for ``backpack_order_book``, ``BackpackKeyError`` for key parsing — never
an unrelated exception (``OverflowError``, ``decimal.Overflow``, ``AttributeError``...).
"""
import binascii
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.backpack_common.signing import BackpackKeyError, Ed25519Signer, decode_api_key, decode_secret
from hummingbot.connector.exchange.backpack import backpack_order_book as bob
from hummingbot.core.data_type.order_book_message import OrderBookMessageType

from .exchange_test_support import API_KEY, API_SECRET, official_vectors
from .hostile_payloads import json_values, mutated

PARSE_ERRORS = (KeyError, ValueError, TypeError)
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SNAPSHOTS = (official_vectors("test_order_book_depth_last_update_id_as_string")
             + official_vectors("test_order_book_depth_last_update_id_as_i64"))
DEPTH = {"e": "depth", "E": 1694687965941000, "s": "SOL_USDC", "a": [["18.70", "0.000"]],
         "b": [["18.67", "0.832"], ["18.68", "0.000"]], "U": 94978271, "u": 94978273, "T": 1694687965940999}
TRADE = {"e": "trade", "E": 1694688638091000, "s": "SOL_USDC", "p": "18.68", "q": "0.122",
         "b": "111063114377265150", "a": "111063114585735170", "t": 12345, "T": 1694688638089000, "m": True}


# ------------------------------------------------------------------------------------ order book messages
@FAST
@given(payload=st.sampled_from(SNAPSHOTS).flatmap(mutated))
def test_snapshot_from_mutated_depth(payload):
    try:
        message = bob.snapshot_message(payload, "SOL-USDC", default_timestamp=1.0)
    except PARSE_ERRORS:
        return
    assert message.type is OrderBookMessageType.SNAPSHOT and type(message.update_id) is int
    assert math.isfinite(message.timestamp)
    for row in message.bids + message.asks:
        assert isinstance(row.price, float) and isinstance(row.amount, float)


@FAST
@given(data=mutated(DEPTH))
def test_diff_from_mutated_depth_frame(data):
    try:
        message = bob.diff_message(data, "SOL-USDC")
    except PARSE_ERRORS:
        return
    assert message.type is OrderBookMessageType.DIFF
    assert type(message.update_id) is int and type(message.first_update_id) is int
    assert math.isfinite(message.timestamp)


@FAST
@given(data=mutated(TRADE))
def test_trade_from_mutated_trade_frame(data):
    try:
        message = bob.trade_message(data, "SOL-USDC")
    except PARSE_ERRORS:
        return
    assert message.type is OrderBookMessageType.TRADE and type(message.trade_id) is int
    assert math.isfinite(message.timestamp)
    float(message.content["price"]), float(message.content["amount"])


def test_book_parsers_raise_documented_errors_for_non_objects_and_huge_times():
    """Regression: ``trade_message`` of a list raised ``AttributeError`` (``data.get``), and a timestamp beyond
    float range (``10**400`` µs) raised ``OverflowError``; both are documented as KeyError/TypeError/ValueError."""
    with pytest.raises(PARSE_ERRORS):
        bob.trade_message(["p", "q"], "SOL-USDC")
    with pytest.raises(PARSE_ERRORS):
        bob.trade_message(dict(TRADE, T=10 ** 400), "SOL-USDC")
    with pytest.raises(PARSE_ERRORS):
        bob.diff_message(dict(DEPTH, T=10 ** 400), "SOL-USDC")
    with pytest.raises(PARSE_ERRORS):
        bob.snapshot_message(dict(SNAPSHOTS[0], timestamp=10 ** 400), "SOL-USDC")


# ---------------------------------------------------------------------------------------------- key parsing
SECRET_RAW = binascii.a2b_base64(API_SECRET)


@st.composite
def mutated_key_text(draw, text: str) -> str:
    operation = draw(st.integers(0, 5))
    if operation == 0:
        return text[:draw(st.integers(0, len(text) - 1))]
    if operation == 1:
        index = draw(st.integers(0, len(text) - 1))
        return text[:index] + draw(st.characters()) + text[index + 1:]
    if operation == 2:
        return text + draw(st.text(min_size=1, max_size=8))
    if operation == 3:
        return draw(st.binary(max_size=70)).hex()
    if operation == 4:
        return binascii.b2a_base64(draw(st.binary(max_size=70)), newline=False).decode()
    return draw(st.text(max_size=90))


@FAST
@given(secret=st.one_of(mutated_key_text(API_SECRET), mutated_key_text(SECRET_RAW.hex()), json_values))
def test_decode_secret_returns_a_seed_or_a_key_error_without_the_secret(secret):
    try:
        seed = decode_secret(secret)
    except BackpackKeyError as e:
        if isinstance(secret, str) and len(secret.strip()) >= 8:
            assert secret.strip() not in str(e)
        return
    assert isinstance(seed, bytes) and len(seed) == 32


@FAST
@given(api_key=st.one_of(mutated_key_text(API_KEY), json_values))
def test_decode_api_key_returns_32_bytes_or_a_key_error(api_key):
    try:
        raw = decode_api_key(api_key)
    except BackpackKeyError:
        return
    assert isinstance(raw, bytes) and len(raw) == 32


@settings(max_examples=120, deadline=None)
@given(secret=mutated_key_text(API_SECRET), api_key=st.one_of(st.just(API_KEY), mutated_key_text(API_KEY)))
def test_signer_with_mutated_keys_fails_clearly_without_leaking_the_secret(secret, api_key):
    try:
        signer = Ed25519Signer(secret, api_key)
    except BackpackKeyError as e:
        text = str(e)
        assert text  # says what is wrong
        forms = {secret.strip(), API_SECRET, SECRET_RAW.hex()}
        try:
            raw = decode_secret(secret)
            forms |= {binascii.b2a_base64(raw, newline=False).decode(), raw.hex()}
        except BackpackKeyError:
            pass
        for form in forms:
            if len(form) >= 8:
                assert form not in text
        return
    assert decode_api_key(api_key) == signer.verify_key_bytes
