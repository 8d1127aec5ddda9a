"""What both Backpack WebSocket data sources share: ``StreamMetrics``, a ``StreamSupervisor`` with Backpack's
reconnect and watchdog settings (§8.1), a ``LogThrottle``, injectable time, the session skeleton and
``last_recv_time``."""
import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle, StreamMetrics
from hummingbot.connector.backpack_common.stream_supervisor import StreamSupervisor
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory
from hummingbot.core.web_assistant.ws_assistant import WSAssistant

FrameHandler = Callable[[Any], None]


class BackpackStreamBase:
    """Mixin placed before Hummingbot's data source base class. Subclasses set ``STREAM_KIND`` (metrics name
    ``backpack.<kind>``) and ``STREAM_LABEL`` (logs), call ``configure_time()`` in ``__init__`` and implement
    ``_subscribe_channels(ws)``, ``_frame_handler()`` and ``_describe_frame(message)``.

    ``metrics`` (``StreamMetrics``) and ``supervisor`` are rebuilt by ``configure_time``.
    """

    STREAM_KIND = ""
    STREAM_LABEL = ""
    #: One log line per drop reason per interval (s).
    LOG_INTERVAL_S = 60.0

    _api_factory: WebAssistantsFactory
    _domain: str
    _ws_assistant: Optional[WSAssistant]
    _last_seen_recv_time = 0.0
    metrics: StreamMetrics
    _supervisor: StreamSupervisor
    _log_throttle: LogThrottle

    if TYPE_CHECKING:
        @classmethod
        def logger(cls) -> logging.Logger: ...

        async def _subscribe_channels(self, ws: WSAssistant) -> None: ...

    def configure_time(self, clock: Callable[[], float] = time.monotonic,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, rng: Optional[random.Random] = None,
                       stale_timeout_s: float = CONSTANTS.WS_STALE_TIMEOUT_S,
                       watchdog_check_s: float = CONSTANTS.WS_WATCHDOG_CHECK_S,
                       wall: Callable[[], float] = time.time) -> None:
        """(Re)build ``metrics``, the supervisor and the log throttle with injectable time (tests); call before
        starting. ``clock`` monotonic s, ``wall`` the clock of ``WSAssistant.last_recv_time`` (s)."""
        self.metrics = StreamMetrics(f"{CONSTANTS.EXCHANGE_NAME}.{self.STREAM_KIND}", clock=clock)
        self._supervisor = StreamSupervisor(
            self.STREAM_LABEL, stale_timeout_s=stale_timeout_s, watchdog_check_s=watchdog_check_s,
            metrics=self.metrics, backoff_initial_s=CONSTANTS.WS_BACKOFF_INITIAL_S,
            backoff_max_s=CONSTANTS.WS_BACKOFF_MAX_S, backoff_reset_after_s=CONSTANTS.WS_BACKOFF_RESET_AFTER_S,
            rng=rng, clock=clock, sleep=sleep, logger=self.logger())
        self._log_throttle = LogThrottle(self.LOG_INTERVAL_S, clock=clock)
        self._sleep_fn = sleep
        self._wall = wall

    @property
    def supervisor(self) -> StreamSupervisor:
        return self._supervisor

    @property
    def last_recv_time(self) -> float:
        """Wall time (s) of the last frame received (pings included), also across a reconnect; 0 if none yet."""
        ws = self._ws_assistant
        if ws is not None and ws.last_recv_time:
            self._last_seen_recv_time = ws.last_recv_time
        return self._last_seen_recv_time

    async def _run_sessions(self) -> None:
        """Run ``_session`` forever: reconnect with backoff, watchdog on silence (``StreamSupervisor``)."""
        await self._supervisor.run(self._session)

    async def _connected_websocket_assistant(self) -> WSAssistant:
        ws = self._adapt_ws_assistant(await self._api_factory.get_ws_assistant())
        await ws.connect(ws_url=web_utils.wss_url(self._domain), ping_timeout=CONSTANTS.WS_HEARTBEAT_TIME_INTERVAL)
        return ws

    def _adapt_ws_assistant(self, ws: WSAssistant) -> WSAssistant:
        """Hook: adjust the factory's assistant before it connects."""
        return ws

    async def _session(self) -> None:
        """One connection: connect, subscribe, ``_on_subscribed_session``, then hand every frame to
        ``_frame_handler()`` until the socket ends; always disconnects."""
        ws = await self._connected_websocket_assistant()
        self._ws_assistant = ws
        try:
            await self._subscribe_channels(ws)
            await self._on_subscribed_session(ws)
            wall = self._wall
            self._supervisor.connected(probe=lambda: (wall() - ws.last_recv_time) if ws.last_recv_time else None)
            on_frame = self._frame_handler()
            async for response in ws.iter_messages():
                on_frame(response.data)
        finally:
            if ws.last_recv_time:
                self._last_seen_recv_time = ws.last_recv_time
            self._ws_assistant = None
            try:
                await ws.disconnect()
            except Exception:
                pass

    async def _on_subscribed_session(self, ws: WSAssistant) -> None:
        """Hook run once the channels are subscribed, before the first frame is read."""

    def _frame_handler(self) -> FrameHandler:
        raise NotImplementedError

    def _describe_frame(self, message: Any) -> str:
        """What a drop warning may show of a frame."""
        raise NotImplementedError

    def _drop(self, reason: str, text: str, message: Any) -> None:
        """Count a skipped frame under ``reason``; log ``text`` at most once per ``LOG_INTERVAL_S`` per reason."""
        self.metrics.on_dropped(reason)
        suppressed = self._log_throttle.check(reason)
        if suppressed is not None:
            more = f" ({suppressed} similar since the last report)" if suppressed else ""
            self.logger().warning(f"{text}{more}. Frame: {self._describe_frame(message)}")
