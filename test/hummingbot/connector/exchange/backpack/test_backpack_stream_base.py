"""``BackpackStreamBase``: what both data sources share, on a minimal stream over the fake socket."""
import asyncio
import logging
import random
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.stream_fakes import FakeFactory, wait_for
from typing import Any, List

import pytest

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_stream_base import BackpackStreamBase


class MiniStream(BackpackStreamBase):
    STREAM_KIND = "mini"
    STREAM_LABEL = "Mini stream"

    def __init__(self, factory: FakeFactory) -> None:
        self._api_factory = factory
        self._domain = CONSTANTS.DEFAULT_DOMAIN
        self._ws_assistant = None
        self.frames: List[Any] = []
        self.hooks: List[str] = []
        self.configure_time()

    @classmethod
    def logger(cls) -> logging.Logger:
        return logging.getLogger("test.mini_stream")

    async def _subscribe_channels(self, ws) -> None:
        await ws.send(type("Req", (), {"payload": {"method": "SUBSCRIBE"}})())
        self.hooks.append("subscribed")

    async def _on_subscribed_session(self, ws) -> None:
        self.hooks.append("after_subscribe")

    def _frame_handler(self):
        return self.frames.append

    def _describe_frame(self, message: Any) -> str:
        return "<frame>"


def test_configure_time_builds_named_metrics_and_a_supervisor_with_backpack_settings():
    stream = MiniStream(FakeFactory())
    assert stream.metrics.name == f"{CONSTANTS.EXCHANGE_NAME}.mini"
    assert stream.supervisor.metrics is stream.metrics and stream.supervisor.name == "Mini stream"
    assert stream.supervisor.stale_timeout_s == CONSTANTS.WS_STALE_TIMEOUT_S
    assert stream.supervisor.backoff.max_s == CONSTANTS.WS_BACKOFF_MAX_S
    clock = ManualClock()
    old_metrics = stream.metrics
    stream.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), stale_timeout_s=5,
                          watchdog_check_s=1)
    assert stream.metrics is not old_metrics and stream.supervisor.stale_timeout_s == 5
    stream.metrics.on_message("x")
    clock.now += 7
    assert stream.metrics.last_message_age_s() == 7  # the injected clock


@pytest.mark.asyncio
async def test_a_session_subscribes_reads_and_always_disconnects_and_last_recv_time_survives():
    clock = ManualClock()
    factory = FakeFactory()
    stream = MiniStream(factory)
    stream.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(0), wall=clock)
    assert stream.last_recv_time == 0.0
    task = asyncio.ensure_future(stream._run_sessions())
    try:
        await wait_for(lambda: factory.sockets and stream.metrics.connected)
        ws = factory.sockets[0]
        assert ws.url == "wss://ws.backpack.exchange/" and ws.sent == [{"method": "SUBSCRIBE"}]
        assert stream.hooks == ["subscribed", "after_subscribe"]
        ws.push({"a": 1})
        await wait_for(lambda: stream.frames == [{"a": 1}])
        ws.last_recv_time = 1234.5
        assert stream.last_recv_time == 1234.5
        ws.close()
        await wait_for(lambda: ws.disconnected and stream.metrics.reconnects == 1)
        assert stream._ws_assistant is None and stream.last_recv_time == 1234.5
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_drops_are_counted_every_time_and_logged_once_per_interval(caplog):
    clock = ManualClock()
    stream = MiniStream(FakeFactory())
    stream.configure_time(clock=clock, sleep=clock.sleep)
    with caplog.at_level(logging.WARNING, logger="test.mini_stream"):
        for _ in range(3):
            stream._drop("malformed", "Dropped a frame", {"secret": 1})
        clock.now += stream.LOG_INTERVAL_S
        stream._drop("malformed", "Dropped a frame", {"secret": 1})
    assert stream.metrics.dropped_by_reason == {"malformed": 4}
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["Dropped a frame. Frame: <frame>",
                     "Dropped a frame (2 similar since the last report). Frame: <frame>"]
