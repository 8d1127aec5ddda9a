import asyncio
import json
import random
import re

import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import BackpackAPIOrderBookDataSource
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book_message import OrderBookMessageType
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.stream_fakes import (
    FakeConnector,
    FakeExchangeBook,
    FakeFactory,
    book_levels,
    wait_for,
)

PAIR = "SOL-USDC"


class FastTracker(OrderBookTracker):
    @staticmethod
    async def _sleep(delay: float):
        await asyncio.sleep(0)


def make_source(pairs=(PAIR,), clock=None):
    factory = FakeFactory()
    connector = FakeConnector()
    ds = BackpackAPIOrderBookDataSource(list(pairs), connector, factory, domain="exchange")
    if clock is not None:
        ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0))
    return ds, factory, connector


def serve(factory: FakeFactory, *books: FakeExchangeBook):
    by_symbol = {b.symbol: b for b in books}
    factory.rest_responder = lambda params: by_symbol[params["symbol"]].snapshot()


async def started_tracker(ds, pairs=(PAIR,)):
    tracker = FastTracker(data_source=ds, trading_pairs=list(pairs))
    tracker.start()
    return tracker


async def stop(tracker):
    tracker.stop()
    await asyncio.sleep(0)


# ----------------------------------------------------------------------------------------- with the real tracker
@pytest.mark.asyncio
async def test_in_order_diffs_keep_the_tracker_book_equal_to_the_exchange():
    ds, factory, _ = make_source()
    ex = FakeExchangeBook()
    serve(factory, ex)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and factory.sockets[0].sent and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        assert ws.sent[0] == {"method": "SUBSCRIBE", "params": ["depth.SOL_USDC", "trade.SOL_USDC"]}
        for _ in range(300):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        assert ds.metrics.gaps == 0 and ds.metrics.resyncs == 0
        assert ds.metrics.messages["depth"] == 300
        assert len(factory.rest_calls) == 1
        assert factory.rest_calls[0]["params"] == {"symbol": "SOL_USDC", "limit": "1000"}
    finally:
        await stop(tracker)


@pytest.mark.asyncio
async def test_gap_triggers_exactly_one_resync_and_the_book_matches_afterwards():
    ds, factory, _ = make_source()
    ex = FakeExchangeBook(seed=3)
    serve(factory, ex)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        for _ in range(50):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        ex.step()  # lost frame: the stream skips one update id
        ex.step()
        for _ in range(50):
            ws.push(ex.step())
        await wait_for(lambda: ds.metrics.resyncs == 1)
        for _ in range(20):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        assert ds.metrics.gaps == 1
        assert ds.metrics.resyncs == 1
        assert len(factory.rest_calls) == 2
    finally:
        await stop(tracker)


@pytest.mark.asyncio
async def test_reconnect_resyncs_every_book():
    clock = ManualClock()
    ds, factory, _ = make_source(pairs=(PAIR, "BTC-USDC"), clock=clock)
    sol, btc = FakeExchangeBook(seed=4), FakeExchangeBook(symbol="BTC_USDC", seed=5)
    serve(factory, sol, btc)
    tracker = await started_tracker(ds, pairs=(PAIR, "BTC-USDC"))
    try:
        await wait_for(lambda: factory.sockets and len(tracker.order_books) == 2)
        ws = factory.sockets[0]
        for _ in range(30):
            ws.push(sol.step())
            ws.push(btc.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == sol.expected()
                       and book_levels(tracker.order_books["BTC-USDC"]) == btc.expected())
        ws.close()
        for _ in range(10):  # updates sent while we are disconnected are lost
            sol.step()
            btc.step()
        await wait_for(lambda: ws.disconnected and clock.pending_sleeps >= 2)
        assert ds.metrics.reconnects == 1
        await clock.advance(1.0)  # backoff ≤ 1 s
        await wait_for(lambda: len(factory.sockets) == 2)
        await wait_for(lambda: ds.metrics.resyncs == 2)
        ws2 = factory.sockets[1]
        for _ in range(10):
            ws2.push(sol.step())
            ws2.push(btc.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == sol.expected()
                       and book_levels(tracker.order_books["BTC-USDC"]) == btc.expected())
        assert ds.metrics.gaps == 0
        assert ws2.sent[0]["params"] == ["depth.SOL_USDC", "trade.SOL_USDC", "depth.BTC_USDC", "trade.BTC_USDC"]
    finally:
        await stop(tracker)


@pytest.mark.asyncio
async def test_runtime_added_pair_subscribes_exchange_symbol_and_gets_a_synced_book():
    ds, factory, _ = make_source()
    sol, btc = FakeExchangeBook(seed=6), FakeExchangeBook(symbol="BTC_USDC", seed=7)
    serve(factory, sol, btc)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and tracker.ready)
        ws = factory.sockets[0]
        for _ in range(5):
            btc.step()
        assert await tracker.add_trading_pair("BTC-USDC")
        assert {"method": "SUBSCRIBE", "params": ["depth.BTC_USDC", "trade.BTC_USDC"]} in ws.sent
        assert not any("BTC-USDC" in json.dumps(p) for p in ws.sent)
        for _ in range(40):
            ws.push(btc.step())
        await wait_for(lambda: book_levels(tracker.order_books["BTC-USDC"]) == btc.expected())
        assert await ds.unsubscribe_from_trading_pair("BTC-USDC")
        assert ws.sent[-1] == {"method": "UNSUBSCRIBE", "params": ["depth.BTC_USDC", "trade.BTC_USDC"]}
        assert "BTC-USDC" not in ds._trading_pairs
    finally:
        await stop(tracker)


# ------------------------------------------------------------------------------------- sequence guard, unit level
async def drain(queue: asyncio.Queue):
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


@pytest.mark.asyncio
async def test_stale_diffs_before_the_snapshot_are_dropped():
    ds, factory, _ = make_source()
    ex = FakeExchangeBook(seed=8)
    early = [ex.step() for _ in range(3)]      # ids 1001..1003, included in the snapshot
    snapshot = ex.snapshot()
    late = [ex.step() for _ in range(2)]       # 1004, 1005
    await ds._pair_state(PAIR)
    for frame in early + late:
        ds._on_frame(frame)                   # buffered: no book yet
    assert await drain(ds._diff_output) == []
    factory.rest_responder = snapshot
    book = await ds.get_new_order_book(PAIR)
    emitted = await drain(ds._diff_output)
    assert [(m.first_update_id, m.update_id) for m in emitted] == [(1004, 1004), (1005, 1005)]
    for m in emitted:
        book.apply_diffs(m.bids, m.asks, m.update_id)
    assert book_levels(book) == ex.expected()
    ds._on_frame(early[1])                    # a late duplicate after sync: ignored, not a gap
    assert await drain(ds._diff_output) == [] and ds.metrics.gaps == 0


@pytest.mark.asyncio
async def test_first_diff_may_straddle_the_snapshot_id():
    ds, factory, _ = make_source()
    factory.rest_responder = {"bids": [["99", "1"]], "asks": [["101", "1"]], "lastUpdateId": "10"}
    await ds.get_new_order_book(PAIR)
    ds._on_frame({"stream": "depth.SOL_USDC", "data": {"U": 8, "u": 12, "T": 5, "a": [], "b": [["99", "2"]]}})
    ds._on_frame({"stream": "depth.SOL_USDC", "data": {"U": 13, "u": 13, "T": 6, "a": [], "b": [["98", "2"]]}})
    assert [m.update_id for m in await drain(ds._diff_output)] == [12, 13]
    assert ds.metrics.gaps == 0


@pytest.mark.asyncio
async def test_snapshot_older_than_the_buffered_stream_is_fetched_again():
    clock = ManualClock()
    ds, factory, _ = make_source(clock=clock)
    ex = FakeExchangeBook(seed=9)
    old_snapshot = ex.snapshot()               # 1000
    frames = [ex.step() for _ in range(6)]
    answers = [old_snapshot, ex.snapshot()]
    factory.rest_responder = lambda params: answers.pop(0) if answers else ex.snapshot()
    first_snapshot = {"bids": [["99", "1"]], "asks": [["101", "1"]], "lastUpdateId": "990"}
    factory.rest_responder, later = first_snapshot, factory.rest_responder
    await ds.get_new_order_book(PAIR)          # book at 990; the stream then starts at 1003: a gap
    factory.rest_responder = later
    for frame in frames[2:]:
        ds._on_frame(frame)
    assert ds.metrics.gaps == 1
    await wait_for(lambda: len(factory.rest_calls) == 2)   # 1000: older than the buffer start (1003)
    assert ds.metrics.resyncs == 0
    await clock.advance(1)
    await wait_for(lambda: ds.metrics.resyncs == 1)
    emitted = await drain(ds._diff_output)
    assert [m.type for m in emitted] == [OrderBookMessageType.SNAPSHOT]
    assert emitted[0].update_id == 1006


@pytest.mark.asyncio
async def test_trades_reach_the_trade_queue_in_seconds():
    ds, factory, _ = make_source()
    await ds._pair_state(PAIR)
    out = asyncio.Queue()
    task = asyncio.ensure_future(ds.listen_for_trades(asyncio.get_running_loop(), out))
    try:
        await asyncio.sleep(0)
        ds._on_frame({"stream": "trade.SOL_USDC", "data": {
            "e": "trade", "E": 1694688638091000, "s": "SOL_USDC", "p": "18.68", "q": "0.122", "t": 12345,
            "T": 1694688638089000, "m": True}})
        msg = await asyncio.wait_for(out.get(), 5)
        assert msg.trading_pair == PAIR and msg.trade_id == 12345
        assert msg.timestamp == pytest.approx(1694688638.089)
        assert msg.content["trade_type"] == float(TradeType.SELL.value)
        assert ds.metrics.messages == {"trade": 1}
    finally:
        task.cancel()


@pytest.mark.asyncio
async def test_error_and_unknown_frames_are_counted_not_fatal():
    ds, factory, _ = make_source()
    await ds._pair_state(PAIR)
    ds._on_frame({"id": None, "error": {"code": 4006, "message": "Invalid stream"}})
    ds._on_frame({"stream": "depth.ETH_USDC", "data": {}})
    ds._on_frame("not json {")
    assert ds.metrics.dropped_by_reason == {"error_frame": 1, "unknown_stream": 1, "malformed": 1}


@pytest.mark.asyncio
async def test_get_last_traded_prices_delegates_to_the_connector():
    ds, _, connector = make_source()
    assert await ds.get_last_traded_prices([PAIR]) == {PAIR: 100.0}
    assert connector.last_prices_calls == [[PAIR]]


@pytest.mark.asyncio
async def test_snapshot_request_url_and_limit_with_the_real_web_assistant():
    factory = web_utils.build_api_factory_without_time_synchronizer_pre_processor(web_utils.create_throttler())
    ds = BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), factory)
    with aioresponses() as mocked:
        pattern = re.compile(r"^https://api\.backpack\.exchange/api/v1/depth\?.*$")
        mocked.get(pattern, payload={"bids": [["99", "1"]], "asks": [["101", "2"]], "lastUpdateId": "7",
                                     "timestamp": 1700000000000000})
        msg = await ds._order_book_snapshot(PAIR)
        (method, url), _ = next(iter(mocked.requests.items()))
        assert url.query["symbol"] == "SOL_USDC" and url.query["limit"] == "1000"
    assert msg.update_id == 7 and msg.timestamp == 1700000000.0


# ------------------------------------------------------------------------------------------ supervision
@pytest.mark.asyncio
async def test_watchdog_replaces_a_silent_public_connection():
    clock = ManualClock()
    ds, factory, _ = make_source(clock=clock)
    task = asyncio.ensure_future(ds.listen_for_subscriptions())
    try:
        await wait_for(lambda: factory.sockets and ds.metrics.connected)
        await clock.advance(90)
        assert len(factory.sockets) == 1 and not factory.sockets[0].disconnected
        await clock.advance(60)
        await wait_for(lambda: factory.sockets[0].disconnected)
        await clock.advance(1)
        await wait_for(lambda: len(factory.sockets) == 2)
        assert ds.metrics.reconnects == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_connect_failures_back_off_exponentially():
    clock = ManualClock()
    ds, factory, _ = make_source(clock=clock)
    factory.connect_error = ConnectionError("refused")
    task = asyncio.ensure_future(ds.listen_for_subscriptions())
    try:
        delays = []
        for _ in range(5):
            await wait_for(lambda: ds.supervisor.last_delay_s is not None and ds.metrics.reconnects == len(delays) + 1)
            delays.append(ds.supervisor.last_delay_s)
            await clock.advance(delays[-1] + 0.01, step=delays[-1] + 0.01)
        for n, delay in enumerate(delays, start=1):
            assert 0.8 * 2 ** (n - 1) <= delay <= 2 ** (n - 1)
        assert ds.metrics.consecutive_failures == ds.metrics.reconnects >= 5
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# ----------------------------------------------------------------------------------------------- fuzzing
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12)
depth_like = st.fixed_dictionaries({"stream": st.just("depth.SOL_USDC")}, optional={
    "data": st.fixed_dictionaries({}, optional={"U": json_values, "u": json_values, "a": json_values,
                                                "b": json_values, "T": json_values, "E": json_values})})
trade_like = st.fixed_dictionaries({"stream": st.just("trade.SOL_USDC")}, optional={
    "data": st.fixed_dictionaries({}, optional={"p": json_values, "q": json_values, "t": json_values,
                                                "m": json_values, "T": json_values})})
frames = st.one_of(json_values, depth_like, trade_like, st.text(max_size=40))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=frames)
def test_fuzzed_frames_never_raise_and_bad_ones_are_counted(frame):
    async def run():
        ds, factory, _ = make_source()
        factory.rest_responder = {"bids": [["99", "1"]], "asks": [["101", "1"]], "lastUpdateId": "10"}
        await ds.get_new_order_book(PAIR)
        before = ds.metrics.dropped
        ds._on_frame(frame)
        counted = ds.metrics.dropped - before
        handled = sum(ds.metrics.messages.values())
        queued = ds._diff_output.qsize() + ds._trade_output.qsize()
        # each frame is either processed (counted as a message) or dropped (counted), never both, never lost
        assert counted + handled == 1
        assert queued <= handled
    asyncio.run(run())


@pytest.mark.asyncio
async def test_malformed_frames_on_the_socket_do_not_stop_the_loop():
    ds, factory, _ = make_source()
    ex = FakeExchangeBook(seed=11)
    serve(factory, ex)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        ws.push_raw('{"stream":"depth.SOL_USDC","data":{"U":1')        # truncated JSON
        ws.push({"stream": "depth.SOL_USDC"})                          # missing data
        ws.push({"stream": "trade.SOL_USDC", "data": {"p": 1}})        # missing fields
        ws.push({"stream": "depth.SOL_USDC", "data": {"U": "x", "u": [], "a": 5, "b": None}})  # wrong types
        ws.push([1, 2, 3])
        for _ in range(30):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        assert ds.metrics.dropped == 5
        assert len(factory.sockets) == 1 and ds.metrics.reconnects == 0
    finally:
        await stop(tracker)


@pytest.mark.asyncio
async def test_hourly_safety_resync_keeps_the_book_exact_without_counting_a_gap():
    clock = ManualClock()
    ds, factory, _ = make_source(clock=clock)
    ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), wall=clock)  # pings on the manual clock
    ex = FakeExchangeBook(seed=12)
    serve(factory, ex)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        for _ in range(20):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        for _ in range(121):  # an hour of server pings (WSConnection stamps last_recv_time): stays connected
            ws.last_recv_time = clock.now
            await clock.advance(30, step=30)
        await wait_for(lambda: ds.metrics.resyncs == 1)
        for _ in range(10):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        assert ds.metrics.gaps == 0 and ds.metrics.reconnects == 0
        assert len(factory.rest_calls) == 2
    finally:
        await stop(tracker)
