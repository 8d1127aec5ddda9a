"""BackpackOrderBookTracker: diffs applied as emitted (as messages or as rows), in order (saved ones first), resync
snapshots restore the book, stale diffs rejected, errors contained; initial books built concurrently without the 1 s
pauses."""
import asyncio
import json
import time
from collections import deque
from typing import Dict, List

import pytest

from hummingbot.connector.exchange.backpack.backpack_order_book import (
    BackpackOrderBookMessage,
    DepthLevel,
    decode_depth_frame,
    diff_message,
    snapshot_message,
)
from hummingbot.connector.exchange.backpack.backpack_order_book_tracker import BackpackOrderBookTracker
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessageType
from hummingbot.core.data_type.order_book_row import OrderBookRow
from hummingbot.core.data_type.order_book_tracker_data_source import OrderBookTrackerDataSource

PAIR = "SOL-USDC"
pytestmark = pytest.mark.asyncio


def _diff(u: int, bids=(), asks=()):
    return diff_message({"U": u, "u": u, "T": 1_700_000_000_000_000, "b": [list(b) for b in bids],
                         "a": [list(a) for a in asks]}, PAIR)


def _snapshot(u: int, bids, asks):
    return snapshot_message({"lastUpdateId": str(u), "bids": [list(b) for b in bids],
                             "asks": [list(a) for a in asks]}, PAIR, default_timestamp=1.0)


def _levels(book: OrderBook):
    return ([(e.price, e.amount) for e in book.bid_entries()], [(e.price, e.amount) for e in book.ask_entries()])


class _FakeDataSource(OrderBookTrackerDataSource):
    """Books from ``snapshots``; ``gates[pair]`` (if any) holds the snapshot until set."""

    def __init__(self, trading_pairs: List[str], snapshots: Dict[str, object]):
        super().__init__(trading_pairs)
        self.snapshots = snapshots
        self.gates: Dict[str, asyncio.Event] = {}
        self.requested: List[str] = []
        self.price_requests: List[List[str]] = []
        self.prices: Dict[str, float] = {}

    async def get_new_order_book(self, trading_pair: str) -> OrderBook:
        self.requested.append(trading_pair)
        if trading_pair in self.gates:
            await self.gates[trading_pair].wait()
        snapshot = self.snapshots[trading_pair]
        book = OrderBook()
        book.apply_snapshot(snapshot.bids, snapshot.asks, snapshot.update_id)
        return book

    async def get_last_traded_prices(self, trading_pairs, domain=None):
        self.price_requests.append(list(trading_pairs))
        await asyncio.sleep(0)  # like a request: the loop yields
        return {p: self.prices[p] for p in trading_pairs if p in self.prices}

    async def subscribe_to_trading_pair(self, trading_pair: str) -> bool:
        return True

    async def unsubscribe_from_trading_pair(self, trading_pair: str) -> bool:
        return True


def _tracker(pairs=(PAIR,), snapshots=None):
    snapshots = snapshots or {p: _snapshot(10, [("99", "1")], [("101", "1")]) for p in pairs}
    source = _FakeDataSource(list(pairs), snapshots)
    tracker = BackpackOrderBookTracker(data_source=source, trading_pairs=list(pairs))

    async def no_pause(delay):
        raise AssertionError("the tracker must not pause between books")
    tracker._sleep = no_pause
    return tracker, source


async def test_diffs_are_applied_as_emitted_with_saved_ones_first():
    tracker, _ = _tracker()
    sink = tracker._order_book_diff_stream
    sink.put_nowait(_diff(11, bids=[("98", "5")]))          # before the book exists: saved
    sink.put_nowait(_diff(12, bids=[("98", "6")]))
    assert len(tracker._saved_message_queues[PAIR]) == 2
    await tracker._init_order_books()
    sink.put_nowait(_diff(13, bids=[("98", "7")], asks=[("101", "0")]))
    book = tracker.order_books[PAIR]
    assert _levels(book) == ([(99.0, 1.0), (98.0, 7.0)], [])
    assert book.last_diff_uid == 13
    assert not tracker._saved_message_queues[PAIR]
    assert [m.update_id for m in tracker._past_diffs_windows[PAIR]] == [11, 12, 13]
    assert tracker.metrics.total_diffs_processed == 3
    assert tracker.metrics.per_pair_metrics[PAIR].diffs_processed == 3
    assert sink.empty() and sink.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        sink.get_nowait()


async def test_resync_snapshot_replaces_the_book_and_stale_diffs_are_rejected():
    tracker, _ = _tracker()
    await tracker._init_order_books()
    sink = tracker._order_book_diff_stream
    sink.put_nowait(_diff(11, bids=[("98", "5")]))
    sink.put_nowait(_snapshot(20, [("97", "2")], [("103", "3")]))
    book = tracker.order_books[PAIR]
    assert _levels(book) == ([(97.0, 2.0)], [(103.0, 3.0)])   # no stale diff replayed on top
    sink.put_nowait(_diff(15, bids=[("96", "9")]))             # older than the snapshot
    assert _levels(book) == ([(97.0, 2.0)], [(103.0, 3.0)])
    assert tracker.metrics.total_diffs_rejected == 1
    sink.put_nowait(_diff(21, asks=[("102", "1")]))
    assert _levels(book) == ([(97.0, 2.0)], [(102.0, 1.0), (103.0, 3.0)])


async def test_an_apply_error_is_logged_not_raised(caplog):
    caplog.set_level(1)
    tracker, _ = _tracker()
    await tracker._init_order_books()
    bad = _diff(11)
    bad.content["bids"] = None  # apply_diffs cannot iterate it
    tracker._order_book_diff_stream.put_nowait(bad)
    assert _levels(tracker.order_books[PAIR]) == ([(99.0, 1.0)], [(101.0, 1.0)])
    assert "Unexpected error tracking order book" in caplog.text


async def test_initial_books_are_built_concurrently():
    pairs = ("SOL-USDC", "BTC-USDC", "ETH-USDC")
    snapshots = {p: _snapshot(10, [("99", str(i + 1))], [("101", "1")]) for i, p in enumerate(pairs)}
    tracker, source = _tracker(pairs, snapshots)
    source.gates = {p: asyncio.Event() for p in pairs}
    init = asyncio.ensure_future(tracker._init_order_books())
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(source.requested) == sorted(pairs)             # all requested before any answered
    source.gates["ETH-USDC"].set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert list(tracker.order_books) == ["ETH-USDC"] and not tracker.ready
    for gate in source.gates.values():
        gate.set()
    await asyncio.wait_for(init, 5)
    assert tracker.ready and set(tracker.order_books) == set(pairs)
    assert _levels(tracker.order_books["BTC-USDC"])[0] == [(99.0, 2.0)]
    for task in tracker._tracking_tasks.values():
        task.cancel()
    await asyncio.gather(*tracker._tracking_tasks.values(), return_exceptions=True)


async def test_the_exchange_uses_it():
    from test.hummingbot.connector.exchange.backpack.exchange_test_support import API_KEY, API_SECRET

    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    connector = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, trading_pairs=[PAIR])
    assert type(connector.order_book_tracker) is BackpackOrderBookTracker
    assert connector.order_book_tracker.data_source is connector._orderbook_ds


async def test_a_pair_left_out_of_the_price_answer_is_not_asked_again_at_once():
    """Regression: a 204 ticker left the pair out and Hummingbot's loop asked again at once (~2000 requests in 3 s,
    the shared rate limit exhausted). Each pair is asked at most once per ``LAST_PRICE_POLL_S``."""
    pairs = ("SOL-USDC", "ETH-USDC")
    tracker, source = _tracker(pairs)
    source.prices = {"ETH-USDC": 3000.0}
    await tracker._init_order_books()
    loop_task = asyncio.ensure_future(tracker._update_last_trade_prices_loop())
    try:
        for _ in range(200):
            if source.price_requests:
                break
            await asyncio.sleep(0)
        for _ in range(500):
            await asyncio.sleep(0)
        assert source.price_requests == [list(pairs)]
        assert tracker.order_books["ETH-USDC"].last_trade_price == 3000.0
        assert tracker.order_books["SOL-USDC"].last_trade_price_rest_updated > 0
    finally:
        loop_task.cancel()
        for task in tracker._tracking_tasks.values():
            task.cancel()
        await asyncio.gather(loop_task, *tracker._tracking_tasks.values(), return_exceptions=True)


def _rows(u: int, bids=(), asks=()):
    """``apply_rows`` arguments of a diff at ``u`` (rows stamped with ``u``, time in µs)."""
    return (PAIR, u, u, 1_700_000_000_000_000 + u, [OrderBookRow(float(p), float(q), u) for p, q in bids],
            [OrderBookRow(float(p), float(q), u) for p, q in asks])


async def test_rows_are_applied_at_once_and_the_window_reads_as_messages():
    tracker, _ = _tracker()
    await tracker._init_order_books()
    apply_rows = tracker._order_book_diff_stream.apply_rows
    apply_rows(*_rows(11, bids=[("98", "5")]))
    apply_rows(*_rows(12, asks=[("101", "0"), ("102", "3")]))
    book = tracker.order_books[PAIR]
    assert _levels(book) == ([(99.0, 1.0), (98.0, 5.0)], [(102.0, 3.0)]) and book.last_diff_uid == 12
    window = tracker._past_diffs_windows[PAIR]
    assert all(type(item) is tuple for item in deque.__iter__(window))     # no message built while applying
    messages = list(window)
    assert [type(m) for m in messages] == [BackpackOrderBookMessage] * 2
    assert [(m.type, m.trading_pair, m.first_update_id, m.update_id) for m in messages] == [
        (OrderBookMessageType.DIFF, PAIR, 11, 11), (OrderBookMessageType.DIFF, PAIR, 12, 12)]
    assert messages[1].timestamp == pytest.approx((1_700_000_000_000_000 + 12) * 1e-6)
    assert [(r.price, r.amount, r.update_id) for r in messages[1].asks] == [(101.0, 0.0, 12), (102.0, 3.0, 12)]
    assert tracker.metrics.total_diffs_processed == 2 and tracker.metrics.per_pair_metrics[PAIR].diffs_processed == 2
    tracker._order_book_diff_stream.put_nowait(_snapshot(20, [("97", "2")], [("103", "3")]))   # restore reads it
    assert _levels(book) == ([(97.0, 2.0)], [(103.0, 3.0)])


async def test_rows_before_the_book_exists_are_saved_then_applied_and_stale_rows_are_rejected():
    tracker, _ = _tracker()
    apply_rows = tracker._order_book_diff_stream.apply_rows
    apply_rows(*_rows(11, bids=[("98", "5")]))                   # before the book exists: saved as a message
    assert [m.update_id for m in tracker._saved_message_queues[PAIR]] == [11]
    await tracker._init_order_books()
    book = tracker.order_books[PAIR]
    assert _levels(book)[0] == [(99.0, 1.0), (98.0, 5.0)]
    tracker._order_book_diff_stream.put_nowait(_snapshot(20, [("97", "2")], [("103", "3")]))
    apply_rows(*_rows(15, bids=[("96", "9")]))                   # older than the snapshot
    assert _levels(book) == ([(97.0, 2.0)], [(103.0, 3.0)]) and tracker.metrics.total_diffs_rejected == 1


async def test_an_apply_error_of_rows_is_logged_not_raised(caplog):
    caplog.set_level(1)
    tracker, _ = _tracker()
    await tracker._init_order_books()
    pair, first, u, ts, bids, asks = _rows(11, bids=[("98", "5")])
    tracker._order_book_diff_stream.apply_rows(pair, first, u, ts, None, asks)   # apply_diffs cannot iterate it
    assert _levels(tracker.order_books[PAIR]) == ([(99.0, 1.0)], [(101.0, 1.0)])
    assert "Unexpected error tracking order book" in caplog.text


async def test_counts_of_applied_rows_reach_the_metrics_when_read_or_when_the_window_is_dropped():
    """``apply_rows`` counts in the pair's window; ``metrics`` adds them once (reading twice counts nothing twice),
    with the time of the last applied diff; dropping the window (Hummingbot's ``remove_trading_pair``) adds them
    first, so none is lost."""
    tracker, _ = _tracker()
    await tracker._init_order_books()
    apply_rows = tracker._order_book_diff_stream.apply_rows
    before = time.perf_counter()
    apply_rows(*_rows(11, bids=[("98", "5")]))
    apply_rows(*_rows(12, bids=[("98", "6")]))
    assert tracker._metrics.total_diffs_processed == 0                       # pending in the window
    metrics = tracker.metrics
    assert metrics.total_diffs_processed == 2 and tracker.metrics.total_diffs_processed == 2
    pair_metrics = metrics.per_pair_metrics[PAIR]
    assert pair_metrics.diffs_processed == 2 and pair_metrics.last_diff_timestamp >= before
    tracker._order_book_diff_stream.put_nowait(_diff(13, bids=[("98", "7")]))  # a diff message: the same way
    apply_rows(*_rows(14, bids=[("98", "8")]))
    tracker._past_diffs_windows.pop(PAIR, None)
    assert tracker._metrics.total_diffs_processed == 4 and pair_metrics.diffs_processed == 4


def _frame_levels(u: int, bids):
    """A typed frame's bid ``DepthLevel`` rows, with ``DepthLevel.update_id`` set to ``u`` as the hot path does."""
    frame = decode_depth_frame(json.dumps({"stream": "depth.SOL_USDC",
                                           "data": {"U": u, "u": u, "T": 1, "b": [list(b) for b in bids], "a": []}}))
    DepthLevel.update_id = u
    return frame.data.b


@pytest.mark.skipif(decode_depth_frame is None, reason="msgspec not installed")
async def test_frame_scoped_levels_kept_past_the_call_keep_their_own_update_id():
    """``DepthLevel`` rows read the class attribute ``update_id`` (the frame being applied): a diff saved before the
    book exists and the window's messages hold ``OrderBookRow`` copies with the diff's own id."""
    tracker, _ = _tracker()
    apply_rows = tracker._order_book_diff_stream.apply_rows
    apply_rows(PAIR, 11, 11, 1, _frame_levels(11, [("98", "5")]), [])     # before the book exists: saved
    DepthLevel.update_id = 99                                              # later frames move it on
    await tracker._init_order_books()
    apply_rows(PAIR, 12, 12, 1, _frame_levels(12, [("97", "1")]), [])     # applied at once, kept in the window
    DepthLevel.update_id = 99
    book = tracker.order_books[PAIR]
    assert [(e.price, e.update_id) for e in book.bid_entries()] == [(99.0, 10), (98.0, 11), (97.0, 12)]
    messages = list(tracker._past_diffs_windows[PAIR])
    assert [[(r.price, r.update_id) for r in m.bids] for m in messages] == [[(98.0, 11)], [(97.0, 12)]]
    assert {type(r) for m in messages for r in m.bids} == {OrderBookRow}
