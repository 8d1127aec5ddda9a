"""``BackpackAPIUserStreamDataSource`` over the in-process fake socket (``stream_fakes``): signed subscription,
auth failures, supervision, and hostile frames fed through the running loop into the exchange's real user-stream
listener (every frame counted once, the loop never stops, nothing wrong reaches a tracked order)."""
import asyncio
import base64
import json
import logging
import random
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.exchange_test_support import OWN_FILL_EVENT, ExchangeTestCase
from test.hummingbot.connector.exchange.backpack.hostile_payloads import (
    json_values as hostile_json_values,
    mutated,
    wire_text,
)
from test.hummingbot.connector.exchange.backpack.stream_fakes import FakeConnector, FakeFactory, wait_for
from test.shared_fixtures import official_vectors

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from nacl.signing import SigningKey, VerifyKey

from hummingbot.connector.exchange.backpack.backpack_api_user_stream_data_source import BackpackAPIUserStreamDataSource
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.core.data_type.in_flight_order import OrderState

SEED = bytes(range(32))
SIGNING_KEY = SigningKey(SEED)
API_KEY = base64.b64encode(bytes(SIGNING_KEY.verify_key)).decode()
SECRET = base64.b64encode(SEED).decode()

ORDER_UPDATE = {"stream": "account.orderUpdate", "data": {
    "e": "orderAccepted", "E": 1748288615134547, "s": "SOL_USDC", "c": 123456789, "S": "Ask", "o": "LIMIT",
    "f": "GTC", "q": "20.03", "p": "178.15", "X": "New", "i": "114575842681290753", "t": None, "z": "0", "Z": "0",
    "V": "RejectTaker", "T": 1748288615133255, "O": "USER"}}
BALANCE_UPDATE = {"stream": "account.balanceUpdate", "data": {
    "e": "balanceUpdate", "E": 1748288615134547, "a": "USDC", "A": "100.5", "L": "3", "S": "0"}}
ERROR_FRAME = {"id": None, "error": {"code": 4003, "message": "Invalid signature"}}


class FakeTime:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def time(self) -> float:
        self.now += 1.5  # every read moves on: two signatures never share a timestamp
        return self.now


def make_source(clock: ManualClock = None):
    factory = FakeFactory()
    auth = BackpackAuth(API_KEY, SECRET, FakeTime(), window_ms=5000)
    ds = BackpackAPIUserStreamDataSource(auth, ["SOL-USDC"], FakeConnector(), factory, domain="exchange")
    if clock is not None:
        ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(1))
    return ds, factory


def verify_subscribe_frame(frame, stream="account.orderUpdate"):
    assert frame["method"] == "SUBSCRIBE"
    assert frame["params"] == [stream]
    key, signature, timestamp, window = frame["signature"]
    assert all(isinstance(x, str) for x in frame["signature"])
    assert key == API_KEY and window == "5000"
    message = f"instruction=subscribe&timestamp={timestamp}&window={window}".encode()
    VerifyKey(base64.b64decode(key)).verify(message, base64.b64decode(signature))  # raises if invalid
    return int(timestamp)


@pytest.mark.asyncio
async def test_subscribe_frame_signature_verifies_and_data_messages_pass_unchanged():
    clock = ManualClock()
    ds, factory = make_source(clock)
    out = asyncio.Queue()
    task = asyncio.ensure_future(ds.listen_for_user_stream(out))
    try:
        await wait_for(lambda: factory.sockets and factory.sockets[0].sent and ds.metrics.connected)
        ws = factory.sockets[0]
        assert ws.url == "wss://ws.backpack.exchange/"
        verify_subscribe_frame(ws.sent[0])
        verify_subscribe_frame(ws.sent[1], "account.balanceUpdate")  # its own frame: a refusal spares orders
        assert len(ws.sent) == 2
        assert ws.pings == 1
        ws.push(ORDER_UPDATE)
        ws.push(BALANCE_UPDATE)
        assert await asyncio.wait_for(out.get(), 5) == ORDER_UPDATE
        assert await asyncio.wait_for(out.get(), 5) == BALANCE_UPDATE
        assert ds.metrics.messages == {"account.orderUpdate": 1, "account.balanceUpdate": 1}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_reconnect_sends_a_new_signature_with_a_new_timestamp():
    clock = ManualClock()
    ds, factory = make_source(clock)
    task = asyncio.ensure_future(ds.listen_for_user_stream(asyncio.Queue()))
    try:
        await wait_for(lambda: factory.sockets and factory.sockets[0].sent)
        factory.sockets[0].close()
        await wait_for(lambda: clock.pending_sleeps >= 1 and ds.metrics.reconnects == 1)
        await clock.advance(1.0)
        await wait_for(lambda: len(factory.sockets) == 2 and factory.sockets[1].sent)
        first, second = factory.sockets[0].sent[0], factory.sockets[1].sent[0]
        t1, t2 = verify_subscribe_frame(first), verify_subscribe_frame(second)
        assert t2 > t1
        assert first["signature"][1] != second["signature"][1]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_error_frame_is_an_auth_failure_with_backed_off_reconnect(caplog):
    clock = ManualClock()
    ds, factory = make_source(clock)
    out = asyncio.Queue()
    task = asyncio.ensure_future(ds.listen_for_user_stream(out))
    try:
        with caplog.at_level(logging.ERROR):
            await wait_for(lambda: factory.sockets and factory.sockets[0].sent)
            factory.sockets[0].push(ERROR_FRAME)  # a bad signature answers both subscription frames
            factory.sockets[0].push(ERROR_FRAME)
            await wait_for(lambda: ds.metrics.auth_failures == 1 and factory.sockets[0].disconnected)
        assert ("Backpack rejected the private stream subscription: Invalid signature. "
                "Check the API key/secret and the system clock.") in caplog.text
        assert SECRET not in caplog.text
        assert out.empty()
        await wait_for(lambda: clock.pending_sleeps >= 1 and ds.supervisor.last_delay_s is not None)
        first_delay = ds.supervisor.last_delay_s
        assert 0.8 <= first_delay <= 1.0
        await clock.advance(1.0)
        await wait_for(lambda: len(factory.sockets) == 2 and factory.sockets[1].sent)
        factory.sockets[1].push(ERROR_FRAME)
        factory.sockets[1].push(ERROR_FRAME)
        await wait_for(lambda: ds.metrics.auth_failures == 2 and ds.metrics.reconnects == 2)
        assert 1.6 <= ds.supervisor.last_delay_s <= 2.0  # backed off, not a fixed pace
        assert ds.metrics.dropped_by_reason == {"error_frame": 4}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_refused_balance_subscription_keeps_the_connection_and_order_events(caplog):
    clock = ManualClock()
    ds, factory = make_source(clock)
    refusals = []
    ds._on_balance_stream_refused = lambda: refusals.append(ds.balance_stream_refused)
    out = asyncio.Queue()
    task = asyncio.ensure_future(ds.listen_for_user_stream(out))
    refused = {"id": None, "error": {"code": 4006, "message": "Invalid stream"}}
    try:
        with caplog.at_level(logging.DEBUG):
            await wait_for(lambda: factory.sockets and len(factory.sockets[0].sent) == 2)
            assert not ds.balance_stream_refused
            factory.sockets[0].push(refused)
            factory.sockets[0].push(ORDER_UPDATE)
            assert await asyncio.wait_for(out.get(), 5) == ORDER_UPDATE
            assert ds.balance_stream_refused and refusals == [True]
            assert ds.metrics.auth_failures == 0 and not factory.sockets[0].disconnected
            factory.sockets[0].close()  # another connection subscribes both again; refused again, logged once
            await wait_for(lambda: clock.pending_sleeps >= 1 and ds.metrics.reconnects == 1)
            await clock.advance(1.0)
            await wait_for(lambda: len(factory.sockets) == 2 and len(factory.sockets[1].sent) == 2)
            assert not ds.balance_stream_refused
            verify_subscribe_frame(factory.sockets[1].sent[1], "account.balanceUpdate")
            factory.sockets[1].push(refused)
            await wait_for(lambda: ds.balance_stream_refusals == 2)
            factory.sockets[1].push(ORDER_UPDATE)
            assert await asyncio.wait_for(out.get(), 5) == ORDER_UPDATE
        warnings = [r for r in caplog.records if "refused the account.balanceUpdate" in r.getMessage()
                    and r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "4006: Invalid stream" in warnings[0].getMessage()
        assert ds.metrics.auth_failures == 0 and ds.metrics.reconnects == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_silent_private_connection_is_replaced_but_pings_keep_it_alive():
    clock = ManualClock()
    ds, factory = make_source(clock)
    # the transport's last_recv_time is wall-clock; make the data source's wall clock the manual one
    ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(1), wall=clock)
    task = asyncio.ensure_future(ds.listen_for_user_stream(asyncio.Queue()))
    try:
        await wait_for(lambda: factory.sockets and ds.metrics.connected)
        ws = factory.sockets[0]
        for _ in range(6):           # 6 minutes with only server pings (answered by WSConnection)
            await clock.advance(60)
            ws.last_recv_time = clock.now
        assert not ws.disconnected and ds.metrics.reconnects == 0
        await clock.advance(150)      # pings stop
        await wait_for(lambda: ws.disconnected)
        assert ds.metrics.reconnects == 1
        assert ds.last_recv_time == ws.last_recv_time  # kept across the reconnect
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10)
private_like = st.fixed_dictionaries({}, optional={
    "stream": st.sampled_from(["account.orderUpdate", "account.balanceUpdate", "account.positionUpdate", "x"])
    | json_values, "data": json_values})


@settings(max_examples=300, deadline=None)
@given(frame=st.one_of(json_values, private_like, st.text(max_size=30)))
def test_fuzzed_private_frames_are_forwarded_or_counted(frame):
    ds, _ = make_source()
    out = asyncio.Queue()
    try:
        ds._on_frame(frame, out)
    except ConnectionError:
        assert isinstance(frame, dict) and frame.get("stream") is None and frame.get("error") is not None
        assert ds.metrics.auth_failures == 1
        return
    forwarded = out.qsize()
    assert forwarded + ds.metrics.dropped == 1
    if forwarded:
        assert out.get_nowait() is frame
        assert isinstance(frame["data"], dict)


@pytest.mark.asyncio
async def test_malformed_private_frames_do_not_stop_the_loop():
    clock = ManualClock()
    ds, factory = make_source(clock)
    out = asyncio.Queue()
    task = asyncio.ensure_future(ds.listen_for_user_stream(out))
    try:
        await wait_for(lambda: factory.sockets and ds.metrics.connected)
        ws = factory.sockets[0]
        ws.push_raw('{"stream":"account.orderUpdate","data":{"e":')   # truncated
        ws.push({"stream": "account.orderUpdate"})                      # missing data
        ws.push({"stream": "account.orderUpdate", "data": "oops"})      # wrong type
        ws.push({"stream": 5, "data": {}})
        ws.push({"stream": "account.positionUpdate", "data": {}})       # not subscribed
        ws.push(ORDER_UPDATE)
        assert await asyncio.wait_for(out.get(), 5) == ORDER_UPDATE
        assert ds.metrics.dropped == 5
        assert ds.metrics.dropped_by_reason == {"malformed": 4, "unknown_stream": 1}
        assert ds.metrics.reconnects == 0 and not ws.disconnected
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_every_subscription_calls_on_subscribed_so_the_connector_re_polls():
    clock = ManualClock()
    factory = FakeFactory()
    calls = []
    ds = BackpackAPIUserStreamDataSource(BackpackAuth(API_KEY, SECRET, FakeTime(), window_ms=5000), ["SOL-USDC"],
                                         FakeConnector(), factory, domain="exchange",
                                         on_subscribed=lambda: calls.append(len(factory.sockets)))
    ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(1))
    task = asyncio.ensure_future(ds.listen_for_user_stream(asyncio.Queue()))
    try:
        await wait_for(lambda: calls == [1])
        factory.sockets[0].close()
        await wait_for(lambda: clock.pending_sleeps >= 1 and ds.metrics.reconnects == 1)
        await clock.advance(1.0)
        await wait_for(lambda: calls == [1, 2])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# ---------------------------------------------------------------------------------------------- hostile frames
ORDER_ID, OTHER_ID = "42", "31337"
HOSTILE_LOOP_SETTINGS = settings(max_examples=40, deadline=None,
                                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BALANCE_EVENT = {"e": "balanceUpdate", "E": 1754939110175879, "a": "USDC", "A": "100.5", "L": "3", "S": "0"}


def order_events():
    """The official ``orderUpdate`` events (client id 42) and one fill of ours: a fill is index 3."""
    return [dict(v, c=int(ORDER_ID)) for v in official_vectors("test_order_update", expected=3)] + [OWN_FILL_EVENT]


def private_frames(events):
    return st.one_of(
        st.sampled_from(events).flatmap(lambda e: mutated({"stream": "account.orderUpdate", "data": e})),
        st.sampled_from(events).flatmap(lambda e: mutated(e)).map(
            lambda data: {"stream": "account.orderUpdate", "data": data}),
        mutated({"stream": "account.balanceUpdate", "data": BALANCE_EVENT}),
        st.builds(lambda stream, data: {"stream": stream, "data": data},
                  st.sampled_from(["account.orderUpdate.SOL_USDC", "account.orderUpdateX", "account.positionUpdate",
                                   "account.balanceUpdate.x", "depth.SOL_USDC", "", None, 7]),
                  st.sampled_from(events)),
        hostile_json_values,
    )


def _is_error_frame(frame) -> bool:
    return isinstance(frame, dict) and frame.get("stream") is None and frame.get("error") is not None


class PrivateLoopTests(ExchangeTestCase):
    """The private data source loop (fake socket) feeding the exchange's real user-stream listener."""

    def test_private_loop_counts_hostile_frames_and_keeps_processing(self):
        frames = private_frames(order_events())

        @HOSTILE_LOOP_SETTINGS
        @given(plan=st.lists(st.tuples(st.one_of(frames, wire_text(frames)), st.booleans()),
                             min_size=1, max_size=6))
        def check(plan):
            self.run_async_with_timeout(self._private_loop(plan), timeout=30)
        check()

    async def _private_loop(self, plan):
        exchange = self.exchange
        for client_order_id in list(exchange.in_flight_orders):
            exchange.stop_tracking_order(client_order_id)
        exchange._order_tracker._cached_orders.clear()  # ids are reused across examples; a cached order would win
        exchange._order_tracker._lost_orders.clear()
        mine = self.track(client_order_id=ORDER_ID, exchange_order_id="e42", amount="1", price="150")
        other = self.track(client_order_id=OTHER_ID, exchange_order_id="e31337", amount="1", price="150")
        counters = exchange._user_event_counters
        for key in counters:
            counters[key] = 0
        clock = ManualClock()
        factory = FakeFactory()
        ds = BackpackAPIUserStreamDataSource(exchange._auth, [self.pair], FakeConnector(), factory)
        ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(1))
        queue: asyncio.Queue = asyncio.Queue()
        exchange._user_stream_tracker._user_stream = queue
        reader = asyncio.ensure_future(ds.listen_for_user_stream(queue))
        listener = asyncio.ensure_future(exchange._user_stream_event_listener())
        try:
            await wait_for(lambda: factory.sockets and ds.metrics.connected)
            ws = factory.sockets[0]
            pushed = 0
            for frame, as_text in plan:
                if isinstance(frame, str) and not as_text:
                    ws.push_raw(frame)
                else:
                    if _is_error_frame(frame):
                        continue  # ends the connection by design (auth failure): covered by the data source tests
                    ws.push_raw(frame if isinstance(frame, str) else json.dumps(frame))
                pushed += 1
            good = {"stream": "account.orderUpdate",
                    "data": dict(order_events()[1], c=int(OTHER_ID), i="e31337", s="SOL_USDC", S="Bid")}
            ws.push(good)
            pushed += 1
            await wait_for(lambda: other.current_state is OrderState.OPEN, message="good event not applied")
            forwarded = sum(ds.metrics.messages.values())
            assert forwarded + ds.metrics.dropped == pushed
            # every forwarded message is accounted for by the exchange: processed, malformed or ignored
            await wait_for(lambda: queue.empty())
            assert counters["processed"] + counters["malformed"] + counters["ignored"] >= forwarded
            assert len(factory.sockets) == 1 and ds.metrics.reconnects == 0
            assert not reader.done() and not listener.done()
            for order in (mine, other):
                assert order.executed_amount_base >= 0 and order.executed_amount_base.is_finite()
        finally:
            reader.cancel()
            listener.cancel()
            await asyncio.gather(reader, listener, return_exceptions=True)


@pytest.mark.asyncio
async def test_the_session_surface_follows_configure_time_and_stop_disconnects_the_open_socket():
    ds, factory = make_source()
    first = ds.metrics
    assert first.name == "backpack.private" and ds.supervisor.metrics is first
    clock = ManualClock()
    ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(1))
    assert ds.metrics is not first and ds.supervisor.metrics is ds.metrics
    task = asyncio.ensure_future(ds.listen_for_user_stream(asyncio.Queue()))
    try:
        await wait_for(lambda: factory.sockets and ds.metrics.connected)
        ws = factory.sockets[0]
        assert ds._ws_assistant is ws
        await ds.stop()  # Hummingbot's UserStreamTrackerDataSource.stop
        assert ws.disconnected and ds._ws_assistant is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
