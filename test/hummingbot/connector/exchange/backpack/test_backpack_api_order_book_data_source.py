"""``BackpackAPIOrderBookDataSource`` with Hummingbot's real ``OrderBookTracker`` over the in-process fake socket
(``stream_fakes``) and over a real loopback WebSocket: sequence guard, resync, supervision, text hand-over, and
hostile frames (truncated JSON, garbage, wrong streams and types, bogus ids) that must be counted once each and
never stop the loop."""
import asyncio
import json
import random
import re
from collections import deque
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.hostile_payloads import (
    json_values as hostile_json_values,
    junk,
    mutated,
)
from test.hummingbot.connector.exchange.backpack.stream_fakes import (
    FakeConnector,
    FakeExchangeBook,
    FakeFactory,
    book_levels,
    wait_for,
)
from typing import List, Optional

import pytest
from aiohttp import WSMessage, WSMsgType, web
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import (
    backpack_api_order_book_data_source as data_source_module,
    backpack_web_utils as web_utils,
)
from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import (
    BackpackAPIOrderBookDataSource,
    BackpackTextWSConnection,
)
from hummingbot.connector.exchange.backpack.backpack_order_book import diff_message
from hummingbot.connector.exchange.backpack.backpack_order_book_tracker import BackpackOrderBookTracker
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book_message import OrderBookMessageType
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory
from hummingbot.core.web_assistant.connections.ws_connection import WSConnection

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


async def started_backpack_tracker(ds, pairs=(PAIR,)):
    """The connector's own tracker (its diff sink takes typed rows: ``apply_rows``)."""
    tracker = BackpackOrderBookTracker(data_source=ds, trading_pairs=list(pairs))
    tracker.start()
    return tracker


async def source_and_tracker(seed: int, backpack_tracker: bool = False, text: bool = False, typed: bool = True,
                             resync_delay_s: Optional[float] = None):
    """(data source, factory, fake exchange of ``seed``, started tracker): the connector's own tracker
    (``backpack_tracker``) or Hummingbot's; ``text``: frames handed over undecoded; ``typed``: msgspec decoder on."""
    ds, factory, _ = make_source()
    factory.text = text
    if not typed:
        ds._decode_depth = None
    if resync_delay_s is not None:
        ds.RESYNC_RETRY_DELAY_S = resync_delay_s
    ex = FakeExchangeBook(seed=seed)
    serve(factory, ex)
    return ds, factory, ex, await (started_backpack_tracker(ds) if backpack_tracker else started_tracker(ds))


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
@pytest.mark.parametrize("backpack_tracker", [False, True])
async def test_gap_triggers_exactly_one_resync_and_the_book_matches_afterwards(backpack_tracker, monkeypatch):
    """Also with the connector's own tracker and text frames, where diffs next in sequence are applied from their
    typed rows: no diff message is built (neither builder runs, the past-diffs window holds raw diffs), and the
    window still reads as the messages Hummingbot expects."""
    built = []
    for name in ("typed_diff_message", "diff_message_fast"):
        original = getattr(data_source_module, name)
        monkeypatch.setattr(data_source_module, name,
                            lambda *args, _original=original: built.append(1) or _original(*args))
    ds, factory, ex, tracker = await source_and_tracker(3, backpack_tracker, text=backpack_tracker)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        for _ in range(50):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected())
        window = tracker._past_diffs_windows[PAIR]
        if backpack_tracker:
            assert built == [] and {type(item) for item in deque.__iter__(window)} == {tuple}
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
        messages = list(window)
        ids = [m.update_id for m in messages]
        assert ids == sorted(set(ids)) and ids[-20:] == list(range(ex.update_id - 19, ex.update_id + 1))
        assert all(m.type is OrderBookMessageType.DIFF and m.trading_pair == PAIR for m in messages)
        assert all(r.update_id == m.update_id for m in messages for r in m.bids + m.asks)
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


# ------------------------------------------------------------------------------- text frames, decoded once
def test_text_frames_are_handed_over_undecoded_everything_else_as_hummingbot_does():
    text = json.dumps(FakeExchangeBook().step())
    assert BackpackTextWSConnection._build_resp(WSMessage(WSMsgType.TEXT, text, None)).data == text
    assert WSConnection._build_resp(WSMessage(WSMsgType.TEXT, text, None)).data == json.loads(text)
    assert BackpackTextWSConnection._build_resp(WSMessage(WSMsgType.BINARY, b"\x01", None)).data == b"\x01"


def _source_with_real_factory():
    factory = web_utils.build_api_factory_without_time_synchronizer_pre_processor(web_utils.create_throttler())
    return BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), factory, domain="exchange")


@pytest.mark.asyncio
async def test_text_frames_from_a_real_socket_are_decoded_once_by_the_data_source(monkeypatch):
    ex = FakeExchangeBook()
    frames = [json.dumps(ex.step()), json.dumps(ex.step()), "not json {",
              json.dumps({"id": None, "error": {"code": 1}})]

    async def handler(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for frame in frames:
            await ws.send_str(frame)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setattr(web_utils, "wss_url", lambda domain="exchange": f"ws://127.0.0.1:{port}/ws")
    connections = ConnectionsFactory()  # a process-wide singleton: its shared session may belong to a closed loop
    monkeypatch.setattr(connections, "_shared_client", None)
    monkeypatch.setattr(connections, "_ws_independent_session", None)
    ds = _source_with_real_factory()
    await ds._pair_state(PAIR)       # routes for depth.SOL_USDC; no book yet, so diffs are buffered
    ws = await ds._connected_websocket_assistant()
    received = []
    try:
        assert type(ws._connection) is BackpackTextWSConnection
        with pytest.raises(ConnectionError):  # the server closes after the frames
            async for response in ws.iter_messages():
                received.append(response.data)
                ds._on_frame(response.data)
    finally:
        await ws.disconnect()
        await connections._shared_client.close()
        await runner.cleanup()
    assert received == frames
    assert ds.metrics.messages == {"depth": 2}
    assert ds.metrics.dropped_by_reason == {"malformed": 1, "error_frame": 1}
    assert [last for _, last, _ in ds._pairs[PAIR].sync.buffer] == [1001, 1002]


def test_decoded_and_text_frames_give_the_same_message():
    frame = FakeExchangeBook().step()
    messages = []
    for handover in (frame, json.dumps(frame)):
        ds = _source_with_real_factory()
        ds._routes["depth.SOL_USDC"] = lambda data, out=messages: out.append(data)
        ds._on_frame(handover)
    assert messages[0] == messages[1] == frame["data"]


@pytest.mark.asyncio
async def test_a_foreign_assistant_is_left_as_it_is():
    """A factory whose assistant has no Hummingbot ``WSConnection`` (a test fake, another transport) is not touched;
    the data source still takes decoded frames from it."""
    class Other:
        _connection = object()

        async def connect(self, **kwargs):
            return None

    class Factory:
        async def get_ws_assistant(self):
            return Other()

    ds = BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), Factory(), domain="exchange")
    ws = await ds._connected_websocket_assistant()
    assert type(ws) is Other and type(ws._connection) is object


# ---------------------------------------------------------------------------------------------- hostile frames
LOOP_SETTINGS = settings(max_examples=40, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NEXT = "<next id>"  # placeholder replaced by the next real update id when the frame is pushed

DEPTH_FRAME = {"stream": "depth.SOL_USDC", "data": {
    "e": "depth", "E": 1694687965941000, "s": "SOL_USDC", "a": [["100.05", "0.000"], ["100.07", "1.500"]],
    "b": [["99.97", "0.832"]], "U": NEXT, "u": NEXT, "T": 1694687965940999}}
TRADE_FRAME = {"stream": "trade.SOL_USDC", "data": {
    "e": "trade", "E": 1694688638091000, "s": "SOL_USDC", "p": "100.01", "q": "0.122", "b": "111063114377265150",
    "a": "111063114585735170", "t": 12345, "T": 1694688638089000, "m": True}}
WRONG_STREAMS = ["depth.ETH_USDC", "depth.", "depth.SOL_USDC.x", "depth", "DEPTH.SOL_USDC", "depth.200ms.SOL_USDC",
                 "trade.SOL-USDC", "bookTicker.SOL_USDC", "", " ", "account.orderUpdate", None, 5, ["depth.SOL_USDC"]]

public_frames = st.one_of(
    mutated(DEPTH_FRAME), mutated(DEPTH_FRAME), mutated(TRADE_FRAME), hostile_json_values,
    st.builds(lambda stream, data: {"stream": stream, "data": data}, st.sampled_from(WRONG_STREAMS),
              st.sampled_from([DEPTH_FRAME["data"], TRADE_FRAME["data"]])),
    st.builds(lambda data: {"stream": "depth.SOL_USDC", "data": data},
              st.fixed_dictionaries({"U": st.integers(-5, 10 ** 15) | junk, "u": st.integers(-5, 10 ** 15) | junk,
                                     "a": st.just([]), "b": st.just([]), "T": st.just(1)})),
)


def _resolve(frame, next_id: int):
    """Replace the NEXT placeholders (wherever mutations left them) with the next real update id."""
    if isinstance(frame, dict):
        return {k: _resolve(v, next_id) for k, v in frame.items()}
    if isinstance(frame, list):
        return [_resolve(v, next_id) for v in frame]
    return next_id if frame == NEXT else frame


def _valid_but_wrong(frame, next_id: int) -> bool:
    """A well-formed diff of our stream that would be applied in sequence: indistinguishable from a real one, so
    no connector can reject it; such frames are not pushed (everything else is)."""
    if not (isinstance(frame, dict) and frame.get("stream") == "depth.SOL_USDC"
            and isinstance(frame.get("data"), dict)):
        return False
    try:
        message = diff_message(frame["data"], PAIR)
    except Exception:
        return False
    return message.first_update_id <= next_id <= message.update_id


async def _hostile_loop(plan, backpack_tracker: bool = False, text: bool = False, typed: bool = True) -> None:
    """Push ``plan`` (hostile frames, truncated or garbage text, real frames) then 10 real frames: every frame is
    counted once and the book heals. ``backpack_tracker``: the connector's ``BackpackOrderBookTracker`` instead of
    Hummingbot's; ``text``: frames handed over undecoded; ``typed``: the msgspec decoder on."""
    ds, factory, ex, tracker = await source_and_tracker(5, backpack_tracker, text, typed, resync_delay_s=0.001)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        pushed = 0
        for frame, how, cut in plan:
            frame = _resolve(frame, ex.update_id + 1)
            if _valid_but_wrong(frame, ex.update_id + 1):
                continue
            text_frame = json.dumps(frame)
            if how == 0 and len(text_frame) > 1:
                text_frame = text_frame[:1 + cut % (len(text_frame) - 1)]           # truncated JSON
            elif how == 1:
                text_frame = random.Random(cut).randbytes(1 + cut % 40).decode("latin-1")   # binary garbage
            ws.push_raw(text_frame)
            pushed += 1
            if how == 2:
                ws.push(ex.step())                                  # interleave a real frame
                pushed += 1
        for _ in range(10):
            ws.push(ex.step())
        pushed += 10
        await wait_for(lambda: sum(ds.metrics.messages.values()) + ds.metrics.dropped == pushed,
                       message="every frame is counted once")
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected(),
                       message="the book heals after hostile frames")
        assert sum(ds.metrics.dropped_by_reason.values()) == ds.metrics.dropped
        assert len(factory.sockets) == 1 and ds.metrics.reconnects == 0 and ws.connected
    finally:
        await stop(tracker)


@LOOP_SETTINGS
@given(plan=st.lists(st.tuples(public_frames, st.integers(0, 9), st.integers(0, 10 ** 6)), min_size=1, max_size=6))
def test_public_loop_counts_hostile_frames_and_the_book_heals(plan):
    asyncio.run(_hostile_loop(plan))


@pytest.mark.asyncio
async def test_a_bogus_future_sequence_id_does_not_freeze_the_book():
    """Regression: one frame with a far-future ``U`` (a corrupt id) is a gap; it was then kept at the head of the
    resync buffer, where it made every snapshot look like it had a hole after it, so the book stayed frozen until
    5000 further diffs pushed it out of the buffer. Now the join starts at the buffered diff that continues the
    snapshot."""
    ds, factory, _ = make_source()
    ds.RESYNC_RETRY_DELAY_S = 0.001
    ex = FakeExchangeBook(seed=6)
    serve(factory, ex)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        ws.push({"stream": "depth.SOL_USDC", "data": dict(DEPTH_FRAME["data"], U=10 ** 15, u=10 ** 15)})
        for _ in range(20):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected(), timeout=10,
                       message="book frozen behind a bogus sequence id")
        assert ds.metrics.gaps >= 1 and ds.metrics.resyncs >= 1
    finally:
        await stop(tracker)


@pytest.mark.asyncio
async def test_the_session_surface_follows_configure_time_and_the_open_socket():
    ds, factory, _ = make_source()
    first = ds.metrics
    assert first.name == "backpack.public" and ds.supervisor.metrics is first and ds.last_recv_time == 0.0
    clock = ManualClock()
    ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), wall=clock)
    assert ds.metrics is not first and ds.supervisor.metrics is ds.metrics
    task = asyncio.ensure_future(ds.listen_for_subscriptions())
    try:
        await wait_for(lambda: factory.sockets and ds.metrics.connected)
        ws = factory.sockets[0]
        assert ds._ws_assistant is ws
        ws.last_recv_time = 1234.5
        assert ds.last_recv_time == 1234.5
        ds._drop("malformed", "Dropped a test frame", {"x": 1})
        assert ds.metrics.dropped_by_reason == {"malformed": 1}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert ws.disconnected and ds._ws_assistant is None and ds.last_recv_time == 1234.5


# ------------------------------------------------------------------------------ typed depth decoding (msgspec)
def _emitted_rows(messages):
    """Emitted messages as comparable values (row floats by ``==``, NaN as a marker)."""
    def rows(levels):
        return [tuple("nan" if v != v else v for v in (float(r.price), float(r.amount))) + (r.update_id,)
                for r in levels]
    return [(m.type, m.first_update_id, m.update_id, m.timestamp, rows(m.bids), rows(m.asks)) for m in messages]


async def _typed_and_plain_sources(seed: int):
    """Two sources on one snapshot: the default one (typed depth decoder) and one decoding every frame with ujson."""
    sources = []
    for typed in (True, False):
        ds, factory, _ = make_source()
        if not typed:
            ds._decode_depth = None
        factory.rest_responder = FakeExchangeBook(seed=seed).snapshot()
        book = await ds.get_new_order_book(PAIR)
        sources.append((ds, book))
    return sources


@pytest.mark.asyncio
async def test_text_depth_frames_take_the_typed_path_and_build_the_same_book(monkeypatch):
    (typed, typed_book), (plain, plain_book) = await _typed_and_plain_sources(seed=3)
    assert typed._decode_depth is not None and plain._decode_depth is None
    calls: List[str] = []
    for name in ("typed_diff_message", "diff_message_fast"):
        original = getattr(data_source_module, name)
        monkeypatch.setattr(data_source_module, name,
                            lambda *args, _original=original, _name=name: calls.append(_name) or _original(*args))
    ex = FakeExchangeBook(seed=3)
    texts = [json.dumps(ex.step()) for _ in range(300)]
    del texts[100]                                           # a gap: both resync the same way
    builders = []
    for ds, book in ((typed, typed_book), (plain, plain_book)):
        for text in texts:
            ds._on_frame(text)
        builders.append(set(calls))
        calls.clear()
    assert builders == [{"typed_diff_message"}, {"diff_message_fast"}]   # setting _decode_depth switches the path
    emitted = [await drain(typed._diff_output), await drain(plain._diff_output)]
    assert len(emitted[0]) == 100 and _emitted_rows(emitted[0]) == _emitted_rows(emitted[1])
    # a sink without apply_rows: the typed rows are StampedDepthLevel, each with its own update id (never the
    # frame-scoped DepthLevel rows, whose update id is the frame being applied)
    assert {type(r).__name__ for m in emitted[0] for r in m.bids + m.asks} == {"StampedDepthLevel"}
    assert all(r.update_id == m.update_id for m in emitted[0] for r in m.bids + m.asks)
    assert {type(r).__name__ for m in emitted[1] for r in m.bids + m.asks} == {"OrderBookRow"}
    for (messages, book) in zip(emitted, (typed_book, plain_book)):
        for m in messages:
            book.apply_diffs(m.bids, m.asks, m.update_id)
    assert book_levels(typed_book) == book_levels(plain_book)
    assert typed.metrics.messages == plain.metrics.messages == {"depth": 299}
    assert typed.metrics.gaps == plain.metrics.gaps == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=st.lists(st.tuples(public_frames, st.integers(0, 9), st.integers(0, 10 ** 6)), min_size=1, max_size=8))
def test_typed_and_ujson_paths_classify_and_emit_every_text_frame_alike(plan):
    """Text frames (hostile, truncated, garbage, interleaved with real ones) give the same counts, gaps and emitted
    messages whether depth frames go through the typed decoder first or straight to ujson."""
    async def run():
        (typed, _), (plain, _) = await _typed_and_plain_sources(seed=5)
        ex = FakeExchangeBook(seed=5)
        texts = []
        for frame, how, cut in plan:
            text = json.dumps(_resolve(frame, ex.update_id + 1))
            if how == 0 and len(text) > 1:
                text = text[:1 + cut % (len(text) - 1)]
            texts.append(text)
            if how == 2:
                texts.append(json.dumps(ex.step()))
        for ds in (typed, plain):
            for text in texts:
                ds._on_frame(text)
        assert typed.metrics.messages == plain.metrics.messages
        assert typed.metrics.dropped_by_reason == plain.metrics.dropped_by_reason
        assert typed.metrics.gaps == plain.metrics.gaps
        assert _emitted_rows(await drain(typed._diff_output)) == _emitted_rows(await drain(plain._diff_output))
        assert [m.trade_id for m in await drain(typed._trade_output)] == [
            m.trade_id for m in await drain(plain._trade_output)]
        for ds in (typed, plain):
            for state in ds._pairs.values():
                ds._cancel_resync(state)
    asyncio.run(run())


# ------------------------------------------------------------- typed rows straight into BackpackOrderBookTracker
@LOOP_SETTINGS
@given(plan=st.lists(st.tuples(public_frames, st.integers(0, 9), st.integers(0, 10 ** 6)), min_size=1, max_size=6),
       typed=st.booleans())
def test_backpack_tracker_loop_counts_hostile_text_frames_and_the_book_heals(plan, typed):
    """The hostile loop over text frames into the connector's own tracker, typed decoder on (rows path) or off."""
    asyncio.run(_hostile_loop(plan, backpack_tracker=True, text=True, typed=typed))
