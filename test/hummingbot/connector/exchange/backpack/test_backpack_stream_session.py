"""``BackpackStreamSession`` alone, over the fake socket and factory (``stream_fakes``) with recording hooks."""
import asyncio
import logging
import random
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.stream_fakes import FakeFactory, FakeWS, wait_for
from typing import Any, List, Optional

import pytest

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_stream_session import BackpackStreamSession

LOGGER = logging.getLogger("test.stream_session")


class Owner:
    """What a data source hands the session: hooks that record what they are given."""

    def __init__(self, raise_on: Any = None) -> None:
        self.events: List[Any] = []
        self.frames: List[Any] = []
        self.handler_builds = 0
        self.raise_on = raise_on

    async def subscribe(self, ws) -> None:
        await ws.send(type("Req", (), {"payload": {"method": "SUBSCRIBE"}})())
        self.events.append(("subscribed", ws))

    async def on_subscribed(self, ws) -> None:
        self.events.append(("on_subscribed", ws))

    def frame_handler(self):
        self.handler_builds += 1

        def on_frame(message):
            if message == self.raise_on:
                raise ValueError("handler failure")
            self.frames.append(message)
        return on_frame

    @staticmethod
    def describe(message: Any) -> str:
        return "<frame>"


def make_session(owner: Owner, factory: Optional[FakeFactory] = None, clock: Optional[ManualClock] = None,
                 **kwargs) -> BackpackStreamSession:
    session = BackpackStreamSession("mini", "Mini stream", factory or FakeFactory(), CONSTANTS.DEFAULT_DOMAIN, LOGGER,
                                    subscribe=owner.subscribe, frame_handler=owner.frame_handler,
                                    describe_frame=owner.describe, **kwargs)
    if clock is not None:
        session.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), wall=clock)
    return session


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_configure_time_builds_named_metrics_and_a_supervisor_with_backpack_settings():
    session = make_session(Owner())
    assert session.metrics.name == f"{CONSTANTS.EXCHANGE_NAME}.mini"
    assert session.supervisor.metrics is session.metrics and session.supervisor.name == "Mini stream"
    assert session.supervisor.stale_timeout_s == CONSTANTS.WS_STALE_TIMEOUT_S
    assert session.supervisor.watchdog_check_s == CONSTANTS.WS_WATCHDOG_CHECK_S
    assert session.supervisor.backoff.initial_s == CONSTANTS.WS_BACKOFF_INITIAL_S
    assert session.supervisor.backoff.max_s == CONSTANTS.WS_BACKOFF_MAX_S
    assert session.supervisor.backoff.reset_after_s == CONSTANTS.WS_BACKOFF_RESET_AFTER_S
    assert session.sleep is asyncio.sleep and session.ws is None and session.last_recv_time == 0.0
    clock = ManualClock()
    old_metrics, old_supervisor = session.metrics, session.supervisor
    session.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), stale_timeout_s=5,
                           watchdog_check_s=1)
    assert session.metrics is not old_metrics and session.supervisor is not old_supervisor
    assert session.supervisor.metrics is session.metrics and session.supervisor.stale_timeout_s == 5
    assert session.sleep == clock.sleep
    session.metrics.on_message("x")
    clock.now += 7
    assert session.metrics.last_message_age_s() == 7  # the injected clock


@pytest.mark.asyncio
async def test_a_session_connects_subscribes_runs_the_hook_and_hands_every_frame_to_the_handler():
    clock = ManualClock()
    factory = FakeFactory()
    owner = Owner()
    adapted: List[FakeWS] = []

    def adapt(ws):
        adapted.append(ws)
        return ws

    session = make_session(owner, factory, clock, on_subscribed=owner.on_subscribed, adapt_ws=adapt)
    task = asyncio.ensure_future(session.run())
    try:
        await wait_for(lambda: factory.sockets and session.metrics.connected)
        ws = factory.sockets[0]
        assert adapted == [ws] and ws.connected and session.ws is ws
        assert ws.url == "wss://ws.backpack.exchange/" and ws.sent == [{"method": "SUBSCRIBE"}]
        assert owner.events == [("subscribed", ws), ("on_subscribed", ws)]
        ws.push({"a": 1})
        ws.push("not json")
        ws.push([1, 2])
        await wait_for(lambda: owner.frames == [{"a": 1}, "not json", [1, 2]])
        assert owner.handler_builds == 1  # fetched once per session, not per frame
    finally:
        await stop(task)
    assert ws.disconnected and session.ws is None  # cancelled: still disconnected


@pytest.mark.asyncio
async def test_the_socket_is_disconnected_when_the_handler_raises_and_the_next_session_gets_a_fresh_handler():
    clock = ManualClock()
    factory = FakeFactory()
    owner = Owner(raise_on={"boom": 1})
    session = make_session(owner, factory, clock)
    task = asyncio.ensure_future(session.run())
    try:
        await wait_for(lambda: factory.sockets and session.metrics.connected)
        first = factory.sockets[0]
        first.push({"boom": 1})
        await wait_for(lambda: first.disconnected and session.metrics.reconnects == 1)
        assert session.ws is None and not session.metrics.connected
        await wait_for(lambda: clock.pending_sleeps >= 1)
        await clock.advance(1.0)  # the first backoff (initial 1 s, less jitter)
        await wait_for(lambda: len(factory.sockets) == 2 and session.metrics.connected)
        second = factory.sockets[1]
        assert session.ws is second and owner.handler_builds == 2
        second.push({"a": 2})
        await wait_for(lambda: owner.frames == [{"a": 2}])
    finally:
        await stop(task)


@pytest.mark.asyncio
async def test_the_socket_is_disconnected_when_subscribing_fails():
    clock = ManualClock()
    factory = FakeFactory()
    owner = Owner()

    async def failing_subscribe(ws):
        raise ConnectionError("send failed")

    session = BackpackStreamSession("mini", "Mini stream", factory, CONSTANTS.DEFAULT_DOMAIN, LOGGER,
                                    subscribe=failing_subscribe, frame_handler=owner.frame_handler,
                                    describe_frame=owner.describe)
    session.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0))
    with pytest.raises(ConnectionError):
        await session.session()
    assert factory.sockets[0].disconnected and session.ws is None and owner.handler_builds == 0


@pytest.mark.asyncio
async def test_connect_replaces_the_factory_connection():
    owner = Owner()
    factory = FakeFactory()
    ws = FakeWS()
    ws.close()

    async def connect():
        return ws

    session = make_session(owner, factory, ManualClock(), connect=connect)
    with pytest.raises(ConnectionError):
        await session.session()
    assert factory.sockets == [] and ws.sent == [{"method": "SUBSCRIBE"}] and ws.disconnected


@pytest.mark.asyncio
async def test_the_probe_reports_the_transport_silence_to_the_watchdog():
    clock = ManualClock()
    factory = FakeFactory()
    session = make_session(Owner(), factory, clock)
    session.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), wall=clock, stale_timeout_s=120,
                           watchdog_check_s=30)
    task = asyncio.ensure_future(session.run())
    try:
        await wait_for(lambda: factory.sockets and session.metrics.connected)
        ws = factory.sockets[0]
        clock.now += 100
        assert session.supervisor.silence_s() == 100  # nothing received yet: the probe knows nothing
        ws.last_recv_time = clock.now - 10             # a ping 10 s ago (wall clock = the manual clock)
        assert session.supervisor.silence_s() == 10
        for _ in range(6):                             # pings keep a data-silent socket alive
            await clock.advance(60)
            ws.last_recv_time = clock.now
        assert not ws.disconnected and session.metrics.reconnects == 0
        await clock.advance(150)                       # pings stop: the watchdog replaces the socket
        await wait_for(lambda: ws.disconnected and session.metrics.reconnects == 1)
    finally:
        await stop(task)


@pytest.mark.asyncio
async def test_last_recv_time_follows_the_socket_and_survives_a_reconnect():
    clock = ManualClock()
    factory = FakeFactory()
    session = make_session(Owner(), factory, clock)
    assert session.last_recv_time == 0.0
    task = asyncio.ensure_future(session.run())
    try:
        await wait_for(lambda: factory.sockets and session.metrics.connected)
        first = factory.sockets[0]
        assert session.last_recv_time == 0.0
        first.last_recv_time = 1234.5
        assert session.last_recv_time == 1234.5
        first.close()
        await wait_for(lambda: first.disconnected and session.metrics.reconnects == 1)
        assert session.ws is None and session.last_recv_time == 1234.5
        await wait_for(lambda: clock.pending_sleeps >= 1)
        await clock.advance(1.0)
        await wait_for(lambda: len(factory.sockets) == 2 and session.metrics.connected)
        assert session.last_recv_time == 1234.5  # the new socket has received nothing yet
        factory.sockets[1].last_recv_time = 2000.0
        assert session.last_recv_time == 2000.0
    finally:
        await stop(task)


def test_drops_are_counted_every_time_and_logged_once_per_interval(caplog):
    clock = ManualClock()
    session = make_session(Owner())
    session.configure_time(clock=clock, sleep=clock.sleep)
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        for _ in range(3):
            session.drop("malformed", "Dropped a frame", {"secret": 1})
        session.drop("unknown_stream", "Dropped an unknown stream", {"secret": 1})
        clock.now += session.LOG_INTERVAL_S
        session.drop("malformed", "Dropped a frame", {"secret": 1})
    assert session.metrics.dropped == 5
    assert session.metrics.dropped_by_reason == {"malformed": 4, "unknown_stream": 1}
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["Dropped a frame. Frame: <frame>",
                     "Dropped an unknown stream. Frame: <frame>",
                     "Dropped a frame (2 similar since the last report). Frame: <frame>"]
    assert "secret" not in caplog.text  # only what describe_frame shows


@pytest.mark.asyncio
@pytest.mark.parametrize("status, cause", [(451, "from this region (HTTP 451)"), (503, "may block WebSockets"),
                                           (407, "proxy asks for authentication")])
async def test_a_refused_upgrade_is_a_connection_error_naming_the_cause(status, cause):
    import aiohttp

    from hummingbot.connector.exchange.backpack.backpack_web_utils import WebSocketRefusedError

    factory = FakeFactory()
    session = make_session(Owner(), factory, ManualClock())

    async def refused(ws_url, **kwargs):
        raise aiohttp.WSServerHandshakeError(None, (), status=status, message="Invalid response status")

    real_get = factory.get_ws_assistant

    async def get_ws_assistant():
        ws = await real_get()
        ws.connect = refused
        return ws
    factory.get_ws_assistant = get_ws_assistant
    with pytest.raises(WebSocketRefusedError) as raised:
        await session.connected_websocket_assistant()
    assert isinstance(raised.value, ConnectionError) and raised.value.status == status
    assert str(raised.value).startswith("Mini stream refused: ") and cause in str(raised.value)


def test_session_attributes_read_and_write_the_owners_session():
    from hummingbot.connector.exchange.backpack.backpack_stream_session import session_attribute

    class Owner:
        read_only = session_attribute("label", "the session's label")
        socket = session_attribute("ws", "the session's socket", settable=True)

        def __init__(self, stream):
            self._stream = stream

    class Stream:
        label = "public"
        ws = None

    stream = Stream()
    owner = Owner(stream)
    owner.socket = "socket"
    assert (owner.read_only, owner.socket, stream.ws) == ("public", "socket", "socket")
    stream.label = "private"
    assert owner.read_only == "private"
    with pytest.raises(AttributeError):
        owner.read_only = "other"
    assert Owner.socket.__doc__ == "the session's socket"
