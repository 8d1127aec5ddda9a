"""``BackpackStreamSession``: the connection lifecycle of one Backpack WebSocket stream, owned by a data source.

It owns the stream's ``StreamMetrics`` (``backpack.<kind>``), a ``StreamSupervisor`` with Backpack's reconnect and
watchdog settings (§8.1), a ``LogThrottle`` for drop warnings, injectable time, the current socket and
``last_recv_time``. Its owner passes in what is stream-specific: how to subscribe, what to run once subscribed,
the frame handler and how a dropped frame may be shown in a log.
"""
import asyncio
import logging
import random
import time
from typing import Any, Awaitable, Callable, Optional

import aiohttp

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle, StreamMetrics
from hummingbot.connector.backpack_common.stream_supervisor import StreamSupervisor
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory
from hummingbot.core.web_assistant.ws_assistant import WSAssistant

FrameHandler = Callable[[Any], None]
WSHook = Callable[[WSAssistant], Awaitable[None]]


class BackpackStreamSession:
    """Connect → subscribe → ``on_subscribed`` → ``supervisor.connected(probe)`` → every frame's ``data`` to the
    frame handler, until the socket ends; the socket is always disconnected. ``run()`` repeats that forever with
    backoff and a silence watchdog (``StreamSupervisor``).

    :param kind: metrics name suffix (``backpack.<kind>``).
    :param label: stream name in logs.
    :param api_factory: gives the ``WSAssistant`` (``get_ws_assistant``).
    :param domain: ``"exchange"`` or ``"sandbox"`` (``web_utils.wss_url``).
    :param logger: where the supervisor and drop warnings log.
    :param subscribe: ``async subscribe(ws)``: sends the stream's SUBSCRIBE frame(s).
    :param frame_handler: returns the per-frame callable; called once per session, after ``on_subscribed``.
    :param describe_frame: what a drop warning may show of a frame.
    :param on_subscribed: ``async on_subscribed(ws)``, run once subscribed, before the first frame is read.
    :param adapt_ws: adjusts the factory's assistant before it connects.
    :param connect: ``async connect() -> WSAssistant`` used by each session instead of
        ``connected_websocket_assistant``.

    ``metrics``, ``supervisor``, ``log_throttle`` and ``sleep`` are rebuilt by ``configure_time``; ``ws`` is the
    current session's socket (``None`` between sessions).
    """

    #: One log line per drop reason per interval (s).
    LOG_INTERVAL_S = 60.0

    def __init__(self, kind: str, label: str, api_factory: WebAssistantsFactory, domain: str,
                 logger: logging.Logger, subscribe: WSHook, frame_handler: Callable[[], FrameHandler],
                 describe_frame: Callable[[Any], str], on_subscribed: Optional[WSHook] = None,
                 adapt_ws: Optional[Callable[[WSAssistant], WSAssistant]] = None,
                 connect: Optional[Callable[[], Awaitable[WSAssistant]]] = None) -> None:
        self.kind = kind
        self.label = label
        self._api_factory = api_factory
        self._domain = domain
        self._logger = logger
        self._subscribe = subscribe
        self._frame_handler = frame_handler
        self._describe_frame = describe_frame
        self._on_subscribed = on_subscribed
        self._adapt_ws = adapt_ws
        self._connect = connect or self.connected_websocket_assistant
        self.ws: Optional[WSAssistant] = None
        self._last_seen_recv_time = 0.0
        self.configure_time()

    def configure_time(self, clock: Callable[[], float] = time.monotonic,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, rng: Optional[random.Random] = None,
                       stale_timeout_s: float = CONSTANTS.WS_STALE_TIMEOUT_S,
                       watchdog_check_s: float = CONSTANTS.WS_WATCHDOG_CHECK_S,
                       wall: Callable[[], float] = time.time) -> None:
        """(Re)build ``metrics``, ``supervisor`` and ``log_throttle`` with injectable time (tests); call before
        ``run``. ``clock`` monotonic s, ``sleep`` also the owner's, ``wall`` the clock of
        ``WSAssistant.last_recv_time`` (s)."""
        self.metrics = StreamMetrics(f"{CONSTANTS.EXCHANGE_NAME}.{self.kind}", clock=clock)
        self.supervisor = StreamSupervisor(
            self.label, stale_timeout_s=stale_timeout_s, watchdog_check_s=watchdog_check_s,
            metrics=self.metrics, backoff_initial_s=CONSTANTS.WS_BACKOFF_INITIAL_S,
            backoff_max_s=CONSTANTS.WS_BACKOFF_MAX_S, backoff_reset_after_s=CONSTANTS.WS_BACKOFF_RESET_AFTER_S,
            rng=rng, clock=clock, sleep=sleep, logger=self._logger)
        self.log_throttle = LogThrottle(self.LOG_INTERVAL_S, clock=clock)
        self.sleep = sleep
        self._wall = wall

    @property
    def last_recv_time(self) -> float:
        """Wall time (s) of the last frame received (pings included), also across a reconnect; 0 if none yet."""
        ws = self.ws
        if ws is not None and ws.last_recv_time:
            self._last_seen_recv_time = ws.last_recv_time
        return self._last_seen_recv_time

    async def run(self) -> None:
        """Run ``session`` forever (until cancelled): reconnect with backoff, watchdog on silence."""
        await self.supervisor.run(self.session)

    async def connected_websocket_assistant(self) -> WSAssistant:
        """A factory assistant (through ``adapt_ws``) connected to the domain's ``wss_url``.

        :raises web_utils.WebSocketRefusedError: the upgrade was answered with an HTTP status (451: region).
        """
        ws = await self._api_factory.get_ws_assistant()
        if self._adapt_ws is not None:
            ws = self._adapt_ws(ws)
        try:
            await ws.connect(ws_url=web_utils.wss_url(self._domain),
                             ping_timeout=CONSTANTS.WS_HEARTBEAT_TIME_INTERVAL)
        except aiohttp.WSServerHandshakeError as e:
            raise web_utils.WebSocketRefusedError(self.label, e.status) from None
        return ws

    async def session(self) -> None:
        """One connection (class docstring); errors of the socket, the hooks and the handler propagate."""
        ws = await self._connect()
        self.ws = ws
        try:
            await self._subscribe(ws)
            if self._on_subscribed is not None:
                await self._on_subscribed(ws)
            wall = self._wall
            self.supervisor.connected(probe=lambda: (wall() - ws.last_recv_time) if ws.last_recv_time else None)
            on_frame = self._frame_handler()
            async for response in ws.iter_messages():
                on_frame(response.data)
        finally:
            if ws.last_recv_time:
                self._last_seen_recv_time = ws.last_recv_time
            self.ws = None
            try:
                await ws.disconnect()
            except Exception:
                pass

    def drop(self, reason: str, text: str, message: Any) -> None:
        """Count a skipped frame under ``reason``; log ``text`` at most once per ``LOG_INTERVAL_S`` per reason,
        with ``describe_frame(message)``."""
        self.metrics.on_dropped(reason)
        suppressed = self.log_throttle.check(reason)
        if suppressed is not None:
            more = f" ({suppressed} similar since the last report)" if suppressed else ""
            self._logger.warning(f"{text}{more}. Frame: {self._describe_frame(message)}")


def session_attribute(name: str, doc: str, settable: bool = False) -> Any:
    """A data-source property that reads (and, if ``settable``, writes) attribute ``name`` of its ``_stream``
    session, so both data sources expose the session's state without a copy of the delegation each."""
    def get(owner: Any) -> Any:
        return getattr(owner._stream, name)

    def put(owner: Any, value: Any) -> None:
        setattr(owner._stream, name, value)

    return property(get, put if settable else None, doc=doc)


# The session state both data sources expose (the same property objects on each class).
SESSION_SUPERVISOR = session_attribute("supervisor", "The session's ``StreamSupervisor``.")
SESSION_LAST_RECV_TIME = session_attribute(
    "last_recv_time", "Wall time (s) of the last frame received (pings included), also across a reconnect; 0 if none.")
SESSION_WS = session_attribute(
    "ws", "The open socket (``None`` between connections), owned by the session; ``stop()`` disconnects it.",
    settable=True)
