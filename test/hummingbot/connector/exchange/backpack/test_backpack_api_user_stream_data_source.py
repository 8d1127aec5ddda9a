import asyncio
import base64
import logging
import random

import pytest
from hypothesis import given, settings, strategies as st
from nacl.signing import SigningKey, VerifyKey

from hummingbot.connector.exchange.backpack.backpack_api_user_stream_data_source import (
    BackpackAPIUserStreamDataSource,
)
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.stream_fakes import FakeConnector, FakeFactory, wait_for

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


def verify_subscribe_frame(frame):
    assert frame["method"] == "SUBSCRIBE"
    assert frame["params"] == ["account.orderUpdate", "account.balanceUpdate"]
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
        await wait_for(lambda: ds.metrics.auth_failures == 2 and ds.metrics.reconnects == 2)
        assert 1.6 <= ds.supervisor.last_delay_s <= 2.0  # backed off, not a fixed pace
        assert ds.metrics.dropped_by_reason == {"error_frame": 2}
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
