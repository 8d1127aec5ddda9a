"""Backpack private streams for Hummingbot's ``UserStreamTracker`` (``backpack-api.md`` §2.5, §8.1, §8.4, §8.5).

One signed SUBSCRIBE frame per connection::

    {"method": "SUBSCRIBE", "params": ["account.orderUpdate", "account.balanceUpdate"],
     "signature": ["<api key b64>", "<signature b64>", "<timestamp ms>", "<window ms>"]}

The signature covers ``instruction=subscribe&timestamp=<ms>&window=<ms>`` and is **re-signed with a fresh
timestamp on every (re)connect** (a reused one would be outside its window after ``X-Window`` ms, §2.2).

``account.balanceUpdate`` is UNCONFIRMED (§8.4: in ccxt and the 2026-09 docs, absent from the OpenAPI snapshot).
Decision: we subscribe to it in the same signed frame; when the exchange sends it, its messages go to the
exchange like order updates and the exchange applies them; REST balance polling stays the source of truth either
way (a server that does not know the stream may ignore it or answer an error frame — see below — and we would
then see the rejection in the logs).

Output: each decoded data message, the whole dict ``{"stream": "account.orderUpdate", "data": {...}}``, is put on
the output queue unchanged (the exchange parses ``data``). Non-data frames never reach the queue:

- an error frame ``{"id": null, "error": {"code": ..., "message": ...}}`` (§6.4) answers our only request, the
  signed subscription: it is logged as "Backpack rejected the private stream subscription: <message>. Check the
  API key/secret and the system clock.", counted in ``metrics.auth_failures`` and ends the connection, followed by
  a backed-off reconnect (``StreamSupervisor``), which signs again;
- malformed frames (not JSON, no ``stream``/``data``, wrong types) and unknown streams are counted
  (``metrics.on_dropped(reason)``), logged at most once a minute per reason, and skipped.

Liveness: the private stream may be silent for hours; the server's pings (answered by Hummingbot's
``WSConnection``) keep it alive for the watchdog (see ``stream_supervisor``). ``last_recv_time`` keeps the time of
the last frame of the previous connection while reconnecting.
"""
import asyncio
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from hummingbot.connector.backpack_common.stream_supervisor import StreamSupervisor
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.connector.exchange.backpack.backpack_stream_setup import supervised_stream
from hummingbot.core.data_type.user_stream_tracker_data_source import UserStreamTrackerDataSource
from hummingbot.core.web_assistant.connections.data_types import WSJSONRequest
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory
from hummingbot.core.web_assistant.ws_assistant import WSAssistant

if TYPE_CHECKING:
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

PRIVATE_STREAMS = (CONSTANTS.ORDER_UPDATE_STREAM, CONSTANTS.BALANCE_UPDATE_STREAM)
_PER_SYMBOL_PREFIXES = tuple(f"{name}." for name in PRIVATE_STREAMS)  # e.g. account.orderUpdate.SOL_USDC


class BackpackStreamAuthError(ConnectionError):
    """Backpack answered the signed subscription with an error frame."""


class BackpackAPIUserStreamDataSource(UserStreamTrackerDataSource):
    """Private order and balance updates of Backpack (see module docstring).

    :param auth: signs the subscription (``BackpackAuth.ws_subscribe_signature``).
    :param trading_pairs: Hummingbot trading pairs (the account streams cover every market; kept for symmetry).
    :param connector: the ``BackpackExchange``.
    :param api_factory: web assistants factory (WS).
    :param domain: ``"exchange"`` or ``"sandbox"``.
    :param on_subscribed: called after every (re)subscription; the exchange polls orders, fills and balances then.

    ``metrics`` (``StreamMetrics``): messages per stream, reconnects, auth failures, dropped frames.
    """

    LOG_INTERVAL_S = 60.0

    def __init__(self, auth: BackpackAuth, trading_pairs: List[str], connector: "BackpackExchange",
                 api_factory: WebAssistantsFactory, domain: str = CONSTANTS.DEFAULT_DOMAIN,
                 on_subscribed: Optional[Callable[[], None]] = None):
        super().__init__()
        self._on_subscribed = on_subscribed
        self._auth = auth
        self._trading_pairs = trading_pairs
        self._connector = connector
        self._api_factory = api_factory
        self._domain = domain
        self._output: Optional[asyncio.Queue] = None
        self._last_seen_recv_time = 0.0
        self.configure_time()

    def configure_time(self, clock: Callable[[], float] = time.monotonic, sleep=asyncio.sleep, rng=None,
                       stale_timeout_s: float = CONSTANTS.WS_STALE_TIMEOUT_S,
                       watchdog_check_s: float = CONSTANTS.WS_WATCHDOG_CHECK_S,
                       wall: Callable[[], float] = time.time) -> None:
        """(Re)build ``metrics`` and the supervisor with injectable time (tests); call before starting."""
        self.metrics, self._supervisor, self._log_throttle = supervised_stream(
            "private", "Backpack private stream", self.logger(), self.LOG_INTERVAL_S, clock=clock, sleep=sleep, rng=rng,
            stale_timeout_s=stale_timeout_s, watchdog_check_s=watchdog_check_s)
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

    async def listen_for_user_stream(self, output: asyncio.Queue):
        """Connect, subscribe (signed), forward data messages to ``output``; reconnect with backoff forever."""
        self._output = output
        await self._supervisor.run(self._session)

    # ----------------------------------------------------------------------------------------------- WS
    async def _connected_websocket_assistant(self) -> WSAssistant:
        ws: WSAssistant = await self._api_factory.get_ws_assistant()
        await ws.connect(ws_url=web_utils.wss_url(self._domain), ping_timeout=CONSTANTS.WS_HEARTBEAT_TIME_INTERVAL)
        return ws

    def subscribe_payload(self) -> Dict[str, Any]:
        """The signed SUBSCRIBE frame, signed now (§2.5, §8.4)."""
        return {"method": "SUBSCRIBE", "params": list(PRIVATE_STREAMS),
                "signature": self._auth.ws_subscribe_signature()}

    async def _subscribe_channels(self, websocket_assistant: WSAssistant):
        await websocket_assistant.send(WSJSONRequest(payload=self.subscribe_payload()))
        self.logger().info("Subscribed to private order and balance update streams.")

    async def _session(self) -> None:
        ws = await self._connected_websocket_assistant()
        self._ws_assistant = ws
        try:
            await self._subscribe_channels(ws)
            if self._on_subscribed is not None:
                self._on_subscribed()  # events sent while the stream was down are lost: the connector re-polls
            await ws.ping()  # a pong soon stamps last_recv_time (the connector reads it to know the stream is up)
            wall = self._wall
            self._supervisor.connected(probe=lambda: (wall() - ws.last_recv_time) if ws.last_recv_time else None)
            output = self._output
            on_frame = self._on_frame
            async for response in ws.iter_messages():
                on_frame(response.data, output)
        finally:
            if ws.last_recv_time:
                self._last_seen_recv_time = ws.last_recv_time
            self._ws_assistant = None
            try:
                await ws.disconnect()
            except Exception:
                pass

    def _on_frame(self, message: Any, output: asyncio.Queue) -> None:
        """Forward a data message unchanged; raise ``BackpackStreamAuthError`` on an error frame; count and skip
        anything else."""
        if type(message) is dict:
            stream = message.get("stream")
            if stream is not None:
                if type(stream) is str and type(message.get("data")) is dict:
                    if stream in PRIVATE_STREAMS or stream.startswith(_PER_SYMBOL_PREFIXES):
                        self.metrics.on_message(stream)
                        output.put_nowait(message)
                    else:
                        self._drop("unknown_stream", f"Dropped a frame of an unexpected private stream "
                                                     f"{stream[:64]!r}", message)
                    return
            elif message.get("error") is not None:
                self._on_error_frame(message["error"])
                return
        self._drop("malformed", "Dropped a malformed Backpack private frame", message)

    def _on_error_frame(self, error: Any) -> None:
        self.metrics.auth_failures += 1
        self.metrics.on_dropped("error_frame")
        text = error.get("message") if isinstance(error, dict) else None
        text = str(text if text is not None else error)[:300]
        self.logger().error(f"Backpack rejected the private stream subscription: {text}. "
                            f"Check the API key/secret and the system clock.")
        raise BackpackStreamAuthError(f"private stream subscription rejected: {text}")

    def _drop(self, reason: str, text: str, message: Any) -> None:
        self.metrics.on_dropped(reason)
        suppressed = self._log_throttle.check(reason)
        if suppressed is not None:
            more = f" ({suppressed} similar since the last report)" if suppressed else ""
            # A private frame may carry account data: log its shape, not its content.
            shape = type(message).__name__
            if isinstance(message, dict):
                shape += f" keys={sorted(map(str, message))[:8]}"
            self.logger().warning(f"{text}{more}. Frame: {shape}")
