"""Backpack private streams for Hummingbot's ``UserStreamTracker`` (docs/backpack-api.md §2.5, §8.1, §8.4, §8.5).

Two SUBSCRIBE frames per connection, each signed afresh on every (re)connect (§2.2, §2.5), orders first::

    {"method": "SUBSCRIBE", "params": ["account.orderUpdate"], "signature": ["<key b64>", "<sig b64>", "<ts ms>",
     "<window ms>"]}
    {"method": "SUBSCRIBE", "params": ["account.balanceUpdate"], "signature": [...]}

``account.balanceUpdate`` is UNCONFIRMED (§8.4, ``open-questions.md`` U1); REST balance polling stays the source
of truth. Error frames ``{"id": null, "error": {...}}`` (§6.4) carry no id, so they are attributed by count: a
signature or key problem answers **both** frames, a refused balance stream only the second. Hence the first error
frame of a connection turns balances off for that connection (``balance_stream_refused``; logged once per data
source; ``on_balance_stream_refused`` called) and order events keep flowing; a second error frame is an auth
failure: logged, counted in ``metrics.auth_failures``, and the connection ends (backed-off reconnect, signed again).

Output: each data message ``{"stream": ..., "data": {...}}`` unchanged (the exchange parses ``data``). Malformed
frames and unknown streams are counted (``metrics.on_dropped``) and skipped; their content is never logged.

Connection lifecycle (reconnect with backoff, watchdog, metrics, injectable time): a ``BackpackStreamSession`` owned
by the data source; each session's socket comes from ``_connected_websocket_assistant``.
"""
import asyncio
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.connector.exchange.backpack.backpack_stream_session import (
    SESSION_LAST_RECV_TIME,
    SESSION_SUPERVISOR,
    SESSION_WS,
    BackpackStreamSession,
    FrameHandler,
)
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
    """Private order and balance updates of Backpack (module docstring).

    :param auth: signs the subscription (``BackpackAuth.ws_subscribe_signature``).
    :param trading_pairs: Hummingbot trading pairs (the account streams cover every market).
    :param connector: the ``BackpackExchange``.
    :param api_factory: web assistants factory (WS).
    :param domain: ``"exchange"`` or ``"sandbox"``.
    :param on_subscribed: called after every (re)subscription; the exchange polls orders, fills and balances then.
    :param on_balance_stream_refused: called when the balance subscription of a connection is refused.

    ``metrics`` (``StreamMetrics``): messages per stream, reconnects, auth failures, dropped frames.
    ``last_recv_time`` (wall s) survives a reconnect.
    ``metrics``, ``supervisor``, ``configure_time``, ``last_recv_time``, ``_ws_assistant`` and ``_drop`` are those
    of the data source's ``BackpackStreamSession``.
    """

    def __init__(self, auth: BackpackAuth, trading_pairs: List[str], connector: "BackpackExchange",
                 api_factory: WebAssistantsFactory, domain: str = CONSTANTS.DEFAULT_DOMAIN,
                 on_subscribed: Optional[Callable[[], None]] = None,
                 on_balance_stream_refused: Optional[Callable[[], None]] = None):
        # before the base __init__, which sets ``_ws_assistant`` (the session's socket)
        self._stream = BackpackStreamSession(
            "private", "Backpack private stream", api_factory, domain, self.logger(),
            subscribe=self._subscribe_channels, frame_handler=self._frame_handler,
            describe_frame=self._describe_frame, on_subscribed=self._on_subscribed_session,
            connect=lambda: self._connected_websocket_assistant())
        self.metrics = self._stream.metrics  # an attribute, not a property: the per-frame path reads it
        super().__init__()
        self._on_subscribed = on_subscribed
        self._on_balance_stream_refused = on_balance_stream_refused
        #: The current connection's balance subscription was answered by an error frame (reset per connection).
        self.balance_stream_refused = False
        #: Connections whose balance subscription was refused.
        self.balance_stream_refusals = 0
        self._auth = auth
        self._trading_pairs = trading_pairs
        self._connector = connector
        self._output: Optional[asyncio.Queue] = None
        self._error_frames = 0

    # --------------------------------------------------------------------------------------- the session
    def configure_time(self, **time_settings: Any) -> None:
        """``BackpackStreamSession.configure_time(**time_settings)`` (tests); call before starting."""
        self._stream.configure_time(**time_settings)
        self.metrics = self._stream.metrics

    supervisor = SESSION_SUPERVISOR
    last_recv_time = SESSION_LAST_RECV_TIME
    _ws_assistant = SESSION_WS

    async def _connected_websocket_assistant(self) -> WSAssistant:
        """Factory assistant connected to the domain's stream URL."""
        return await self._stream.connected_websocket_assistant()

    def _drop(self, reason: str, text: str, message: Any) -> None:
        self._stream.drop(reason, text, message)

    # ------------------------------------------------------------------------------------------- stream
    async def listen_for_user_stream(self, output: asyncio.Queue):
        """Connect, subscribe (signed), forward data messages to ``output``; reconnect with backoff forever."""
        self._output = output
        await self._stream.run()

    def subscribe_payloads(self) -> List[Dict[str, Any]]:
        """The signed SUBSCRIBE frames, signed now (§2.5, §8.4): order updates, then balance updates."""
        return [{"method": "SUBSCRIBE", "params": [stream], "signature": self._auth.ws_subscribe_signature()}
                for stream in PRIVATE_STREAMS]

    async def _subscribe_channels(self, websocket_assistant: WSAssistant):
        self.balance_stream_refused = False
        self._error_frames = 0
        for payload in self.subscribe_payloads():
            await websocket_assistant.send(WSJSONRequest(payload=payload))
        self.logger().info("Subscribed to private order and balance update streams.")

    async def _on_subscribed_session(self, ws: WSAssistant) -> None:
        if self._on_subscribed is not None:
            self._on_subscribed()  # events sent while the stream was down are lost: the connector re-polls
        await ws.ping()  # a pong soon stamps last_recv_time (the connector reads it to know the stream is up)

    def _frame_handler(self) -> FrameHandler:
        output = self._output
        assert output is not None, "listen_for_user_stream sets the output queue"
        on_frame = self._on_frame
        return lambda message: on_frame(message, output)

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
        self.metrics.on_dropped("error_frame")
        text = error.get("message") if isinstance(error, dict) else None
        text = str(text if text is not None else error)[:300]
        self._error_frames += 1
        if self._error_frames == 1:
            self._on_balance_refused(error, text)
            return
        self.metrics.auth_failures += 1
        self.logger().error(f"Backpack rejected the private stream subscription: {text}. "
                            f"Check the API key/secret and the system clock.")
        raise BackpackStreamAuthError(f"private stream subscription rejected: {text}")

    def _on_balance_refused(self, error: Any, text: str) -> None:
        self.balance_stream_refused = True
        self.balance_stream_refusals += 1
        code = error.get("code") if isinstance(error, dict) else None
        log = self.logger().warning if self.balance_stream_refusals == 1 else self.logger().debug
        log(f"Backpack refused the account.balanceUpdate subscription ({code}: {text}); order events continue, "
            f"balances come from REST polling on this connection.")
        if self._on_balance_stream_refused is not None:
            self._on_balance_stream_refused()

    def _describe_frame(self, message: Any) -> str:
        """The frame's shape only: a private frame may carry account data."""
        shape = type(message).__name__
        if isinstance(message, dict):
            shape += f" keys={sorted(map(str, message))[:8]}"
        return shape
