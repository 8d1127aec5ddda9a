"""``backpack_order_book``: snapshot / diff / trade messages from official SDK vectors, documented frames and
mutated (hostile) payloads; level keys and message ordering in the C++ book."""
import bisect
import json
import math
from test.hummingbot.connector.exchange.backpack.hostile_payloads import mutated
from test.shared_fixtures import official_vectors

import msgspec
import pytest
import ujson
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_order_book as bob
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType
from hummingbot.core.data_type.order_book_row import OrderBookRow

SNAPSHOT_VECTORS = ["test_order_book_depth_last_update_id_as_string", "test_order_book_depth_last_update_id_as_i64"]
PARSE_ERRORS = (KeyError, ValueError, TypeError)
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DEPTH = {"e": "depth", "E": 1694687965941000, "s": "SOL_USDC", "a": [["18.70", "0.000"]],
         "b": [["18.67", "0.832"], ["18.68", "0.000"]], "U": 94978271, "u": 94978273, "T": 1694687965940999}
TRADE = {"e": "trade", "E": 1694688638091000, "s": "SOL_USDC", "p": "18.68", "q": "0.122",
         "b": "111063114377265150", "a": "111063114585735170", "t": 12345, "T": 1694688638089000, "m": True}


def snapshot_vectors():
    return [payload for name in SNAPSHOT_VECTORS for payload in official_vectors(name, expected=1)]


@pytest.mark.parametrize("name", SNAPSHOT_VECTORS)
def test_snapshot_from_official_vectors_accepts_string_and_int_ids(name):
    (payload,) = official_vectors(name, expected=1)
    msg = bob.snapshot_message(payload, "SOL-USDC")
    assert msg.type is OrderBookMessageType.SNAPSHOT
    assert msg.update_id == 94978271
    assert msg.trading_pair == "SOL-USDC"
    assert [(r.price, r.amount, r.update_id) for r in msg.bids] == [(18.67, 0.832, 94978271)]
    assert [(r.price, r.amount) for r in msg.asks] == [(18.70, 0.0)]
    assert msg.timestamp == pytest.approx(1694687965.941)


def test_snapshot_bids_ascending_still_give_best_bid_in_the_book():
    payload = {"asks": [["142.36", "10.50"], ["142.37", "3.20"]],
               "bids": [["142.33", "7.10"], ["142.34", "12.00"]], "lastUpdateId": "5796499452",
               "timestamp": 1785948116439400}
    msg = bob.snapshot_message(payload, "SOL-USDC")
    book = OrderBook()
    book.apply_snapshot(msg.bids, msg.asks, msg.update_id)
    assert book.get_price(False) == 142.34
    assert book.get_price(True) == 142.36
    assert book.snapshot_uid == 5796499452


def test_diff_fields_and_microseconds_to_seconds():
    msg = bob.diff_message(DEPTH, "SOL-USDC")
    assert msg.type is OrderBookMessageType.DIFF
    assert (msg.first_update_id, msg.update_id) == (94978271, 94978273)
    assert msg.timestamp == pytest.approx(1694687965.940999)
    assert [(r.price, r.amount, r.update_id) for r in msg.bids] == [(18.67, 0.832, 94978273), (18.68, 0.0, 94978273)]
    assert [(r.price, r.amount) for r in msg.asks] == [(18.70, 0.0)]


def test_diff_timestamp_falls_back_to_event_time():
    data = dict(DEPTH)
    del data["T"]
    assert bob.diff_message(data, "SOL-USDC").timestamp == pytest.approx(1694687965.941)


def test_trade_message_from_microseconds_and_taker_side():
    msg = bob.trade_message(TRADE, "SOL-USDC")
    assert msg.type is OrderBookMessageType.TRADE
    assert msg.timestamp == pytest.approx(1694688638.089)   # T in µs → s (upstream read it as ms)
    assert msg.trade_id == 12345
    assert msg.content["price"] == "18.68" and msg.content["amount"] == "0.122"
    assert msg.content["trade_type"] == float(TradeType.SELL.value)   # m: buyer is maker ⇒ taker sold
    buy = bob.trade_message(dict(TRADE, m=False), "SOL-USDC")
    assert buy.content["trade_type"] == float(TradeType.BUY.value)
    no_t = dict(TRADE)
    del no_t["T"]
    assert bob.trade_message(no_t, "SOL-USDC").timestamp == pytest.approx(1694688638.091)


@pytest.mark.parametrize("bad", [
    {k: v for k, v in TRADE.items() if k != "p"},
    dict(TRADE, m="yes"),
    dict(TRADE, p="abc"),
    dict(TRADE, t=None),
    dict(TRADE, T=None, E=None),
])
def test_trade_message_rejects_malformed(bad):
    with pytest.raises((KeyError, TypeError, ValueError)):
        bob.trade_message(bad, "SOL-USDC")


@pytest.mark.parametrize("bad", [
    {k: v for k, v in DEPTH.items() if k != "u"},
    dict(DEPTH, b="18.67"),
    dict(DEPTH, a=[["18.70"]]),
    dict(DEPTH, a=[["x", "1"]]),
    dict(DEPTH, U=True),
    dict(DEPTH, u=1.5),
])
def test_diff_message_rejects_malformed(bad):
    with pytest.raises((KeyError, TypeError, ValueError)):
        bob.diff_message(bad, "SOL-USDC")


def test_ids_given_as_strings_are_accepted():
    msg = bob.diff_message(dict(DEPTH, U="94978271", u="94978273"), "SOL-USDC")
    assert (msg.first_update_id, msg.update_id) == (94978271, 94978273)


def test_numeric_price_keys_merge_rest_and_ws_spellings():
    snapshot = bob.snapshot_message({"bids": [["86700", "1.5"], ["86699.5", "2"]], "asks": [["86701", "1"]],
                                     "lastUpdateId": "10"}, "BTC-USDC")
    book = OrderBook()
    book.apply_snapshot(snapshot.bids, snapshot.asks, snapshot.update_id)
    update = bob.diff_message({"U": 11, "u": 11, "T": 1, "a": [], "b": [["86700.0", "3.000"]]}, "BTC-USDC")
    book.apply_diffs(update.bids, update.asks, update.update_id)
    assert [(r.price, r.amount) for r in book.bid_entries()] == [(86700.0, 3.0), (86699.5, 2.0)]
    delete = bob.diff_message({"U": 12, "u": 12, "T": 1, "a": [], "b": [["86700.0", "0.000"]]}, "BTC-USDC")
    book.apply_diffs(delete.bids, delete.asks, delete.update_id)
    assert [(r.price, r.amount) for r in book.bid_entries()] == [(86699.5, 2.0)]


def test_restore_from_snapshot_replays_only_newer_diffs():
    """The base OrderBookMessage ordering makes restore_from_snapshot_and_diffs replay every past diff; ours
    replays only those newer than the snapshot."""
    snapshot = bob.snapshot_message({"bids": [["10", "1"]], "asks": [["11", "1"]], "lastUpdateId": "100"}, "X-Y",
                                    default_timestamp=2.0)
    past = [bob.diff_message({"U": i, "u": i, "T": 1, "a": [], "b": [["9", "5"]]}, "X-Y") for i in (98, 99, 100)]
    assert bisect.bisect_right(past, snapshot) == 3
    base_snapshot = OrderBookMessage(OrderBookMessageType.SNAPSHOT, snapshot.content, snapshot.timestamp)
    base_past = [OrderBookMessage(OrderBookMessageType.DIFF, m.content, m.timestamp) for m in past]
    assert bisect.bisect_right(base_past, base_snapshot) == 0   # what the base class does: replay everything
    assert bisect.bisect_right(past, base_snapshot) == 3        # mixed comparisons use our ordering too
    assert past[0] <= past[1] and past[2] >= past[1] and past[2] > past[0]
    book = OrderBook()
    book.restore_from_snapshot_and_diffs(snapshot, past)
    assert [(r.price, r.amount) for r in book.bid_entries()] == [(10.0, 1.0)]
    newer = past + [bob.diff_message({"U": 101, "u": 101, "T": 1, "a": [], "b": [["9", "5"]]}, "X-Y")]
    book.restore_from_snapshot_and_diffs(snapshot, newer)
    assert [(r.price, r.amount) for r in book.bid_entries()] == [(10.0, 1.0), (9.0, 5.0)]


def test_messages_order_by_update_id_then_trade_id():
    a = bob.diff_message(dict(DEPTH, U=5, u=5), "X-Y")
    b = bob.diff_message(dict(DEPTH, U=6, u=6), "X-Y")
    assert a < b and not b < a
    t1 = bob.trade_message(dict(TRADE, t=1), "X-Y")
    t2 = bob.trade_message(dict(TRADE, t=2), "X-Y")
    assert t1 < t2 and not t2 < t1


# ------------------------------------------------------------------------------------------ hostile payloads
# Each parser returns a valid message or raises KeyError/ValueError/TypeError, never another exception.
@FAST
@given(payload=st.deferred(lambda: st.sampled_from(snapshot_vectors()).flatmap(mutated)))
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
        bob.snapshot_message(dict(snapshot_vectors()[0], timestamp=10 ** 400), "SOL-USDC")


# ----------------------------------------------------------------------------------- typed depth decoding (msgspec)
def typed_diff(text: str, trading_pair: str = "SOL-USDC"):
    frame = bob.decode_depth_frame(text)
    return frame.stream, bob.typed_diff_message(frame.data, trading_pair)


def exact_rows(rows):
    """Rows as comparable values: floats compared with ``==`` (so ``-0.0 == 0.0``), NaN as a marker."""
    return [tuple("nan" if v != v else v for v in (float(r.price), float(r.amount))) + (r.update_id,) for r in rows]


def test_typed_depth_frame_gives_diff_message_rows_as_numbers():
    text = json.dumps({"stream": "depth.SOL_USDC", "data": DEPTH})
    stream, message = typed_diff(text)
    reference = bob.diff_message(DEPTH, "SOL-USDC")
    assert stream == "depth.SOL_USDC"
    assert (message.type, message.trading_pair, message.first_update_id, message.update_id, message.timestamp) == (
        reference.type, reference.trading_pair, reference.first_update_id, reference.update_id, reference.timestamp)
    assert exact_rows(message.bids) == exact_rows(reference.bids) and exact_rows(message.asks) == exact_rows(
        reference.asks)
    assert [tuple(r) for r in message.bids] == [tuple(r) for r in reference.bids]   # unpacks like OrderBookRow
    books = []
    for m in (message, reference):
        book = OrderBook()
        book.apply_snapshot([], [], 1)
        book.apply_diffs(m.bids, m.asks, m.update_id)
        books.append((list(book.bid_entries()), list(book.ask_entries())))
    assert books[0] == books[1] and books[0][0][0].update_id == 94978273


@pytest.mark.parametrize("change, expected", [
    ({"U": "94978271", "u": "94978273"}, (94978271, 94978273, 1694687965.940999)),
    ({"T": None}, (94978271, 94978273, 1694687965.941)),
    ({"T": 0}, (94978271, 94978273, 1694687965.941)),
    ({"T": "1694687965940999", "U": 94978271.0}, (94978271, 94978273, 1694687965.940999)),
    ({"a": [[18.7, 0]], "b": []}, (94978271, 94978273, 1694687965.940999)),
])
def test_typed_depth_frame_ids_as_strings_numbers_and_event_time_fallback(change, expected):
    data = {k: v for k, v in dict(DEPTH, **change).items() if v is not None}
    _, message = typed_diff(json.dumps({"stream": "depth.SOL_USDC", "data": data}))
    assert (message.first_update_id, message.update_id) == expected[:2]
    assert message.timestamp == pytest.approx(expected[2])


def test_typed_depth_rejects_what_the_ujson_path_must_classify():
    with pytest.raises(ValueError):          # no time at all: nothing is stamped
        frame = bob.decode_depth_frame(json.dumps({"stream": "depth.SOL_USDC", "data": dict(
            {k: v for k, v in DEPTH.items() if k not in ("T", "E")})}))
        bob.typed_diff_message(frame.data, "SOL-USDC")
    for data in (dict(DEPTH, b=[["18.67", "0.832", "1"]]), dict(DEPTH, b=[["18.67"]]), dict(DEPTH, U=True),
                 dict(DEPTH, a=[[True, "1"]]), {k: v for k, v in DEPTH.items() if k != "b"}):
        with pytest.raises(msgspec.DecodeError):
            bob.decode_depth_frame(json.dumps({"stream": "depth.SOL_USDC", "data": data}))
    with pytest.raises(msgspec.DecodeError):
        bob.decode_depth_frame(json.dumps({"stream": "trade.SOL_USDC", "data": TRADE}))


@FAST
@given(data=mutated(DEPTH))
def test_typed_depth_accepts_only_what_the_ujson_path_accepts_with_the_same_rows(data):
    """The data source tries the typed decoder first and leaves whatever it rejects to ``ujson`` +
    ``diff_message``: so whatever it accepts must parse there too, to the same ids, time and exact rows."""
    text = json.dumps({"stream": "depth.SOL_USDC", "data": data})
    try:
        _, message = typed_diff(text)
    except Exception:
        return
    reference = bob.diff_message(ujson.loads(text)["data"], "SOL-USDC")
    assert (message.first_update_id, message.update_id, message.timestamp) == (
        reference.first_update_id, reference.update_id, reference.timestamp)
    assert exact_rows(message.bids) == exact_rows(reference.bids)
    assert exact_rows(message.asks) == exact_rows(reference.asks)


def test_typed_diff_message_of_frame_scoped_levels_keeps_copies_with_the_frame_id():
    """``DepthLevel`` rows read the class attribute ``update_id`` (whatever frame is being applied): the message
    holds ``OrderBookRow`` copies with its own ``u``; ``StampedDepthLevel`` rows are stamped in place."""
    text = json.dumps({"stream": "depth.SOL_USDC", "data": DEPTH})
    scoped = bob.typed_diff_message(bob.decode_depth_frame(text).data, "SOL-USDC")
    stamped = bob.typed_diff_message(bob.decode_stamped_depth_frame(text).data, "SOL-USDC")
    bob.DepthLevel.update_id = 7                                  # a later frame
    reference = bob.diff_message(DEPTH, "SOL-USDC")
    for message, row_type in ((scoped, OrderBookRow), (stamped, bob.StampedDepthLevel)):
        assert {type(r) for r in message.bids + message.asks} == {row_type}
        assert exact_rows(message.bids) == exact_rows(reference.bids)
        assert exact_rows(message.asks) == exact_rows(reference.asks)
