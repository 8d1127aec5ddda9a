"""Backpack public streams for Hummingbot's ``OrderBookTracker``: REST depth snapshot + ``depth.<symbol>`` diffs,
kept in sequence by ``backpack_depth_sync``, and ``trade.<symbol>`` trades (docs/backpack-api.md §4.6, §8.1–§8.3).

Contract with the tracker (what reaches the C++ ``OrderBook`` is always exact):

- ``get_new_order_book`` builds the book from the snapshot the sequence guard starts from; diffs received before
  are buffered here, never emitted (the tracker replays early diffs without any id check).
- Emitted diffs are gap-free and in order. A resync snapshot travels on the **diff** queue, in line with the diffs
  after it, and is never older than an emitted diff (``BackpackOrderBookMessage`` ordering: the tracker's
  ``restore_from_snapshot_and_diffs`` replays nothing stale). Nothing is put on the snapshot queue.
- A gap (or a malformed depth frame, which shows as one) resyncs the pair: ``metrics.gaps``, ``metrics.resyncs``.
  Every reconnect resyncs every built book; every ``FULL_ORDER_BOOK_RESET_DELTA_SECONDS`` every pair is resynced.

Hot path: TEXT frames arrive undecoded (``BackpackTextWSConnection``). A depth frame is decoded straight into typed
rows (where ``msgspec`` is installed) and handled by the frame reader (``_on_frame``) for its pair; any other frame,
or one the typed decoder rejects, is decoded once with ``ujson`` and routed by ``stream`` (diffs with float rows,
``diff_message_fast``). Diffs go on the tracker's sink as messages; where the sink takes rows (``apply_rows``,
``BackpackOrderBookTracker``'s) a typed diff next in sequence goes as its frame-scoped ``DepthLevel`` rows instead
(no message, ``decode_depth_frame``); for any other sink typed rows are ``StampedDepthLevel``
(``decode_stamped_depth_frame``).
Malformed, unknown and error frames (§6.4) are counted (``metrics.on_dropped``) and skipped.

Connection lifecycle (reconnect with backoff, watchdog, metrics, injectable time): a ``BackpackStreamSession`` owned
by the data source; each session's socket comes from ``_connected_websocket_assistant``.

REST-only market data (``rest_market_data``, a ``BackpackRestMarketData``): forced by the config, or after
``ws_failures_before_rest`` failed connects in a row; books and trades then come from REST polling until a connect
succeeds, which resyncs every built book.
"""
import asyncio
import functools
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, cast

import ujson
from aiohttp import WSMsgType

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_depth_sync import APPLY, GAP, DepthSync, Join
from hummingbot.connector.exchange.backpack.backpack_order_book import (
    DepthLevel,
    as_int,
    decode_depth_frame,
    decode_stamped_depth_frame,
    diff_message_fast,
    snapshot_message,
    trade_message,
    typed_diff_message,
)
from hummingbot.connector.exchange.backpack.backpack_rest_market_data import BackpackRestMarketData
from hummingbot.connector.exchange.backpack.backpack_stream_session import (
    SESSION_LAST_RECV_TIME,
    SESSION_SUPERVISOR,
    SESSION_WS,
    BackpackStreamSession,
    FrameHandler,
)
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessage
from hummingbot.core.data_type.order_book_tracker_data_source import OrderBookTrackerDataSource
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, WSJSONRequest, WSResponse
from hummingbot.core.web_assistant.connections.ws_connection import WSConnection
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory
from hummingbot.core.web_assistant.ws_assistant import WSAssistant

if TYPE_CHECKING:
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

_DEPTH = CONSTANTS.DEPTH_STREAM
_TRADE = CONSTANTS.TRADE_STREAM
_TEXT = WSMsgType.TEXT
#: ujson (a Hummingbot dependency) decodes a depth frame in about 3/4 of ``json.loads``'s time (``make bench``).
_loads = ujson.loads
_DEPTH_MARK = f"{_DEPTH}."


class BackpackTextWSConnection(WSConnection):
    """Hummingbot's ``WSConnection``, except that a TEXT frame is handed over undecoded (``WSResponse(str)``)."""

    @staticmethod
    def _build_resp(msg) -> WSResponse:
        if msg.type is _TEXT:
            return WSResponse(msg.data)
        return WSConnection._build_resp(msg)


class _PairStream:
    """One pair: its ``DepthSync`` plus what the transport needs (symbol, resync task, book generation)."""

    __slots__ = ("trading_pair", "symbol", "sync", "delivered", "generation", "resync_task")

    def __init__(self, trading_pair: str, symbol: str, max_buffer: int) -> None:
        self.trading_pair = trading_pair
        self.symbol = symbol
        self.sync = DepthSync(max_buffer)
        self.delivered = False  # the tracker has a book built from one of our snapshots
        self.generation = 0     # bumped by every get_new_order_book: a resync of an older book stops
        self.resync_task: Optional[asyncio.Task] = None


class BackpackAPIOrderBookDataSource(OrderBookTrackerDataSource):
    """Public order book and trade streams of Backpack (module docstring).

    :param trading_pairs: Hummingbot trading pairs (``"SOL-USDC"``).
    :param connector: symbol map (``exchange_symbol_associated_to_pair``) and ``get_last_traded_prices``.
    :param api_factory: web assistants factory (REST snapshot, WS).
    :param domain: ``"exchange"`` or ``"sandbox"``.
    :param force_rest: REST-only market data, never the public WebSocket.
    :param ws_failures_before_rest: failed connects in a row before REST-only market data (0 = never).

    ``metrics`` (``StreamMetrics``): messages per stream kind, gaps, resyncs, reconnects, dropped frames.
    ``metrics``, ``supervisor``, ``configure_time``, ``last_recv_time``, ``_ws_assistant`` and ``_drop`` are those
    of the data source's ``BackpackStreamSession``.
    """

    #: Max diffs kept per pair while waiting for a snapshot (oldest dropped).
    MAX_BUFFERED_DIFFS = 5000
    #: Delay (s) before fetching another snapshot when one could not be joined; doubles up to the max.
    RESYNC_RETRY_DELAY_S = 0.5
    RESYNC_RETRY_MAX_DELAY_S = 30.0
    #: Safety-net resync of every pair (s).
    FULL_ORDER_BOOK_RESET_DELTA_SECONDS = 60 * 60
    #: Connection class of the public socket: text frames arrive undecoded.
    ws_connection_class = BackpackTextWSConnection

    def __init__(self, trading_pairs: List[str], connector: "BackpackExchange", api_factory: WebAssistantsFactory,
                 domain: str = CONSTANTS.DEFAULT_DOMAIN, force_rest: bool = False,
                 ws_failures_before_rest: int = 5):
        # before the base __init__, which sets ``_ws_assistant`` (the session's socket)
        self._stream = BackpackStreamSession(
            "public", "Backpack public stream", api_factory, domain, self.logger(),
            subscribe=self._subscribe_channels, frame_handler=self._frame_handler,
            describe_frame=self._describe_frame, on_subscribed=self._on_subscribed_session,
            adapt_ws=self._adapt_ws_assistant, connect=self._connect_public)
        self.metrics = self._stream.metrics  # an attribute, not a property: the per-frame path reads it
        self._depth_counter = self.metrics.counter(_DEPTH)
        super().__init__(trading_pairs)
        self._connector = connector
        self._api_factory = api_factory
        self._domain = domain
        self._pairs: Dict[str, _PairStream] = {}
        self._routes: Dict[str, Callable[[Dict[str, Any]], None]] = {}
        self._depth_states: Dict[str, _PairStream] = {}  # depth stream → its pair (typed frames)
        self._on_frame: Callable[[Any], None]
        self._connections = 0
        self._diff_output: asyncio.Queue = self._message_queue[self._diff_messages_queue_key]
        #: ``_diff_output.apply_rows`` if the attached sink has it (``listen_for_order_book_diffs``), else None.
        self._apply_rows: Optional[Callable[[str, int, int, int, List[Any], List[Any]], None]] = None
        self._decode_depth = decode_depth_frame  # also builds ``_on_frame``
        self._trade_output: asyncio.Queue = self._message_queue[self._trade_messages_queue_key]
        self._resync_all_on_subscribe = False
        throttler = getattr(api_factory, "throttler", None)
        polling_pool = getattr(throttler, "_id_to_limit_map", {}).get(CONSTANTS.POLLING_POOL)
        self.rest_market_data = BackpackRestMarketData(
            pairs=lambda: list(self._trading_pairs), fetch_snapshot=self._order_book_snapshot,
            fetch_trades=self._recent_trades, emit_snapshot=lambda message: self._diff_output.put_nowait(message),
            emit_trade=lambda message: self._trade_output.put_nowait(message),
            polling_budget_per_min=lambda: float(polling_pool.limit if polling_pool is not None
                                                 else CONSTANTS.POLLING_LIMIT_PER_MINUTE),
            force=force_rest, failures_before_rest=ws_failures_before_rest, logger=self.logger())

    # --------------------------------------------------------------------------------------- the session
    def configure_time(self, **time_settings: Any) -> None:
        """``BackpackStreamSession.configure_time(**time_settings)`` (tests); its ``sleep`` also paces the resyncs.
        Call before starting."""
        self._stream.configure_time(**time_settings)
        self.metrics = self._stream.metrics
        self._depth_counter = self.metrics.counter(_DEPTH)

    supervisor = SESSION_SUPERVISOR
    last_recv_time = SESSION_LAST_RECV_TIME
    _ws_assistant = SESSION_WS

    async def _connect_public(self) -> WSAssistant:
        """``_connected_websocket_assistant`` reporting the outcome to ``rest_market_data``."""
        try:
            ws = await self._connected_websocket_assistant()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.rest_market_data.on_ws_connect_failed(e)
            raise
        if self.rest_market_data.on_ws_connected():
            self._resync_all_on_subscribe = True
        return ws

    async def _connected_websocket_assistant(self) -> WSAssistant:
        """Factory assistant with ``ws_connection_class``, connected to the domain's stream URL."""
        return await self._stream.connected_websocket_assistant()

    def _drop(self, reason: str, text: str, message: Any) -> None:
        self._stream.drop(reason, text, message)

    # ------------------------------------------------------------------------------------- tracker interface
    async def get_last_traded_prices(self, trading_pairs: List[str], domain: Optional[str] = None) -> Dict[str, float]:
        return await self._connector.get_last_traded_prices(trading_pairs=trading_pairs)

    async def get_new_order_book(self, trading_pair: str) -> OrderBook:
        """Snapshot → new C++ book; the pair's sequence guard starts from this very snapshot.

        :raises Exception: REST/parse errors propagate to the tracker, as for any Hummingbot data source.
        """
        state = await self._pair_state(trading_pair)
        self._cancel_resync(state)
        state.generation += 1
        generation = state.generation
        state.sync.pause()
        snapshot = await self._order_book_snapshot(trading_pair)
        if state.generation == generation:
            state.delivered = True
            joined = state.sync.new_book(snapshot.update_id)
            if joined is None:  # the buffer is past the snapshot's successor: exact but stale until a resync
                self._start_resync(state)
            else:
                self._emit_chain(state, joined)
        order_book = self.order_book_create_function()
        order_book.apply_snapshot(snapshot.bids, snapshot.asks, snapshot.update_id)
        return order_book

    async def listen_for_order_book_diffs(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        """Diffs (and resync snapshots) are put on ``output`` by the WS reader itself; this only connects it."""
        await self._attach_output("_diff_output", output)

    async def listen_for_trades(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        await self._attach_output("_trade_output", output)

    async def listen_for_order_book_snapshots(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        """Emits nothing on ``output`` (resync snapshots travel with the diffs); runs the periodic resync."""
        while True:
            await self._stream.sleep(self.FULL_ORDER_BOOK_RESET_DELTA_SECONDS)
            for state in list(self._pairs.values()):
                if state.delivered and state.sync.synced:
                    state.sync.restart()
                    self._start_resync(state)

    async def listen_for_subscriptions(self):
        """Connect, subscribe, read; reconnect with backoff; watchdog on silence. Forced REST-only market data:
        polls instead, never connecting."""
        try:
            if self.rest_market_data.force:
                await self.rest_market_data.run()
            await self._stream.run()
        finally:
            self.rest_market_data.stop()
            for state in self._pairs.values():
                self._cancel_resync(state)

    async def subscribe_to_trading_pair(self, trading_pair: str) -> bool:
        """Subscribe ``depth.<symbol>`` and ``trade.<symbol>`` (``SOL-USDC`` → ``depth.SOL_USDC``); without an open
        socket the pair is subscribed at the next connection. False if the symbol is unknown or the send failed."""
        try:
            state = await self._pair_state(trading_pair)
        except Exception:
            self.logger().exception(f"Cannot subscribe to {trading_pair}: no Backpack symbol for it.")
            return False
        self.add_trading_pair(trading_pair)
        ws = self._ws_assistant
        if ws is None:
            self.logger().info(f"{trading_pair}: will subscribe to Backpack streams when the WebSocket reconnects.")
            return True
        try:
            await ws.send(WSJSONRequest({"method": "SUBSCRIBE", "params": self._stream_names(state)}))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger().exception(f"Error subscribing to Backpack streams of {trading_pair}.")
            return False
        self.logger().info(f"Subscribed to public order book and trade channels of {trading_pair}.")
        return True

    async def unsubscribe_from_trading_pair(self, trading_pair: str) -> bool:
        state = self._pairs.pop(trading_pair, None)
        self.remove_trading_pair(trading_pair)
        self.rest_market_data.forget(trading_pair)
        if state is None:
            return False
        self._cancel_resync(state)
        for name in self._stream_names(state):
            self._routes.pop(name, None)
            self._depth_states.pop(name, None)
        ws = self._ws_assistant
        if ws is None:
            return True
        try:
            await ws.send(WSJSONRequest({"method": "UNSUBSCRIBE", "params": self._stream_names(state)}))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger().exception(f"Error unsubscribing from Backpack streams of {trading_pair}.")
            return False
        self.logger().info(f"Unsubscribed from public order book and trade channels of {trading_pair}.")
        return True

    # --------------------------------------------------------------------------------------------- REST
    async def _public_get(self, path: str, trading_pair: str, limit: int) -> Any:
        """``GET <path>?symbol=<symbol>&limit=<limit>`` on the public REST API, throttled under ``path``."""
        symbol = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        rest_assistant = await self._api_factory.get_rest_assistant()
        return await rest_assistant.execute_request(
            url=web_utils.public_rest_url(path, domain=self._domain),
            params={"symbol": symbol, "limit": str(limit)},
            method=RESTMethod.GET,
            throttler_limit_id=path,
        )

    async def _order_book_snapshot(self, trading_pair: str) -> OrderBookMessage:
        """``GET /api/v1/depth?symbol=<symbol>&limit=1000`` (§4.6) → SNAPSHOT message. No side effect.

        :raises IOError / ValueError / KeyError: network error or malformed answer.
        """
        data = await self._public_get(CONSTANTS.DEPTH_PATH_URL, trading_pair, CONSTANTS.DEPTH_SNAPSHOT_LIMIT)
        return snapshot_message(data, trading_pair, default_timestamp=self._time())

    async def _recent_trades(self, trading_pair: str, limit: int) -> List[Dict[str, Any]]:
        """``GET /api/v1/trades?symbol=<symbol>&limit=<limit>`` (§4.7) rows. :raises ValueError: not a list."""
        data = await self._public_get(CONSTANTS.TRADES_PATH_URL, trading_pair, limit)
        if not isinstance(data, list):
            raise ValueError(f"GET /api/v1/trades answered a {type(data).__name__}, not a list")
        return data

    # ----------------------------------------------------------------------------------------------- WS
    def _adapt_ws_assistant(self, ws: WSAssistant) -> WSAssistant:
        """Swap Hummingbot's ``WSConnection`` for ``ws_connection_class`` (same aiohttp session); other transports
        are left as they are."""
        connection = getattr(ws, "_connection", None)
        if connection is not None and type(connection) is WSConnection:
            ws._connection = self.ws_connection_class(connection._client_session)
        return ws

    async def _subscribe_channels(self, ws: WSAssistant):
        params: List[str] = []
        for trading_pair in list(self._trading_pairs):
            state = await self._pair_state(trading_pair)
            params.extend(self._stream_names(state))
        if params:
            await ws.send(WSJSONRequest({"method": "SUBSCRIBE", "params": params}))
        self.logger().info(f"Subscribed to public order book and trade channels of {len(params) // 2} pair(s).")

    async def _on_subscribed_session(self, ws: WSAssistant) -> None:
        """Diffs sent while disconnected are lost: drop buffers and, after a reconnect, resync every built book."""
        self._connections += 1
        resync_all, self._resync_all_on_subscribe = self._connections > 1 or self._resync_all_on_subscribe, False
        for state in self._pairs.values():
            state.sync.buffer.clear()
            if resync_all and state.delivered:
                state.sync.restart()
                self._start_resync(state)

    def _frame_handler(self) -> FrameHandler:
        return self._on_frame

    @property
    def _decode_depth(self) -> Optional[Callable[[Any], Any]]:
        """``decode_depth_frame``, or None: every frame through ``ujson``. Setting it rebuilds ``_on_frame``."""
        return self._typed_decoder

    @_decode_depth.setter
    def _decode_depth(self, decode: Optional[Callable[[Any], Any]]) -> None:
        self._typed_decoder = decode
        self._on_frame = self._frame_reader()

    def _frame_reader(self) -> Callable[[Any], None]:
        """``_on_frame(message)``: decode (a text frame) and route one frame; never raises. Takes the frame's text or
        a decoded frame. With typed decoding on, a text depth frame of a tracked pair is decoded into typed rows:
        where the sink takes rows (``_apply_rows``) as frame-scoped ``DepthLevel`` rows, and one with integer ids
        and time that is next in sequence (``DepthSync.follows``, inlined) goes to ``_apply_rows``,
        ``DepthLevel.update_id`` set to its ``u``; else as ``StampedDepthLevel`` rows. Any other typed frame goes
        through ``_on_typed_depth``; what the decoder or ``_on_typed_depth`` rejects, and every other frame, through
        ``_on_decoded_frame``. Rebuilt when the sink is attached."""
        on_decoded = self._on_decoded_frame
        rows_sink = self._apply_rows is not None
        apply_rows = cast(Callable[..., None], self._apply_rows)  # called only if rows_sink
        decode = decode_depth_frame if rows_sink else decode_stamped_depth_frame
        if self._typed_decoder is None or decode is None:
            return on_decoded
        states = self._depth_states
        level_type = DepthLevel
        mark = _DEPTH_MARK
        source = self

        def on_frame(message: Any) -> None:
            if type(message) is str and mark in message:
                try:
                    frame = decode(message)
                    state = states[frame.stream]
                except Exception:  # not a depth frame of a tracked pair, or malformed: the ujson path classifies it
                    pass
                else:
                    data = frame.data
                    first = data.U
                    last = data.u
                    ts = data.T or data.E
                    sync = state.sync
                    if (rows_sink and type(first) is int and type(last) is int and type(ts) is int
                            and sync.synced and first == sync.last_u + 1 and first <= last):
                        sync.last_u = last
                        sync.joining = False
                        level_type.update_id = last  # read by the C++ book as each level's update_id
                        apply_rows(state.trading_pair, first, last, ts, data.b, data.a)
                        counter = source._depth_counter  # metrics.on_message(_DEPTH), inlined
                        counter.count += 1
                        counter.at = counter.clock()
                        return
                    try:
                        source._on_typed_depth(state, data)
                        return
                    except Exception:  # raised before any effect: the ujson path classifies the frame
                        pass
            on_decoded(message)

        return on_frame

    def _on_decoded_frame(self, message: Any) -> None:
        """``_on_frame`` without the typed decoder: text decoded with ``ujson``, then routed by ``stream``."""
        if type(message) is str:
            try:
                message = _loads(message)
            except Exception:  # not JSON (ValueError), or nested beyond the decoder's depth limit
                self._drop("malformed", "Dropped a Backpack public frame that is not JSON", message)
                return
        try:
            handler = self._routes.get(message["stream"])
        except Exception:  # not a dict, no "stream", unhashable stream
            handler = None
        if handler is None:
            self._on_non_data(message)
            return
        try:
            handler(message["data"])
        except Exception as e:
            self._drop("malformed", f"Dropped a malformed Backpack public frame ({type(e).__name__}: {e})", message)

    def _on_non_data(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("error") is not None:
            self._drop("error_frame", f"Backpack public stream error: {message.get('error')}", message)
        elif isinstance(message, dict) and "stream" in message:
            self._drop("unknown_stream", f"Dropped a frame of an unknown stream {str(message['stream'])[:64]!r}",
                       message)
        else:
            self._drop("malformed", "Dropped a Backpack public frame without stream/data", message)

    def _describe_frame(self, message: Any) -> str:
        return str(message)[:200]

    # ---------------------------------------------------------------------------------------- hot path
    def _on_depth(self, trading_pair: str, on_diff: Callable[[int, int, Any], int], state: _PairStream,
                  data: Dict[str, Any]) -> None:
        first = data["U"]
        last = data["u"]
        if type(first) is not int or type(last) is not int:
            first, last = as_int(first), as_int(last)
        message = diff_message_fast(data, trading_pair, first, last)
        action = on_diff(first, last, message)
        if action == APPLY:
            self._diff_output.put_nowait(message)
        elif action == GAP:
            self._on_gap(state, first, last)
        self.metrics.on_message(_DEPTH)  # only frames that parsed; a malformed one counts as dropped instead

    def _on_typed_depth(self, state: _PairStream, data: Any) -> None:
        """``_on_depth`` for a ``DepthData``; raises (``ValueError``) before any effect on a frame it cannot use."""
        message = typed_diff_message(data, state.trading_pair)
        content = message[1]
        first = content["first_update_id"]
        last = content["update_id"]
        action = state.sync.on_diff(first, last, message)
        if action == APPLY:
            self._diff_output.put_nowait(message)
        elif action == GAP:
            self._on_gap(state, first, last)
        self.metrics.on_message(_DEPTH)

    def _on_trade(self, state: _PairStream, data: Dict[str, Any]) -> None:
        message = trade_message(data, state.trading_pair)
        self.metrics.on_message(_TRADE)
        self._trade_output.put_nowait(message)

    # ------------------------------------------------------------------------------------------ resync
    def _on_gap(self, state: _PairStream, first: int, last: int) -> None:
        """Count and log a gap (the sync is buffering from the diff ``first..last``) and start a resync."""
        self.metrics.gaps += 1
        suppressed = self._stream.log_throttle.check("gap")
        if suppressed is not None:
            self.logger().warning(
                f"Order book gap on {state.trading_pair}: expected U={state.sync.last_u + 1}, got U={first} "
                f"u={last}; resyncing from a fresh snapshot"
                + (f" ({suppressed} more gaps since the last report)." if suppressed else "."))
        self._start_resync(state)

    def _emit_chain(self, state: _PairStream, joined: Join) -> None:
        """Emit the buffered diffs a snapshot joined; a hole inside them is a gap."""
        output = self._diff_output
        for message in joined.chain:
            output.put_nowait(message)
        if joined.gap is not None:
            self._on_gap(state, *joined.gap)

    def _start_resync(self, state: _PairStream) -> None:
        if state.resync_task is None or state.resync_task.done():
            state.resync_task = asyncio.ensure_future(self._resync(state))

    def _cancel_resync(self, state: _PairStream) -> None:
        if state.resync_task is not None and not state.resync_task.done():
            state.resync_task.cancel()
        state.resync_task = None

    async def _resync(self, state: _PairStream) -> None:
        """Fetch snapshots (backing off) until one joins the buffered diffs, and emit it with the chain."""
        delay = self.RESYNC_RETRY_DELAY_S
        sync = state.sync
        while not sync.synced and self._pairs.get(state.trading_pair) is state:
            generation = state.generation
            try:
                snapshot = await self._order_book_snapshot(state.trading_pair)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if self._stream.log_throttle.check("snapshot_error") is not None:
                    self.logger().warning(f"Backpack depth snapshot for {state.trading_pair} failed ({e!r}); "
                                          f"retrying in {delay:.1f} s.")
                await self._stream.sleep(delay)
                delay = min(delay * 2, self.RESYNC_RETRY_MAX_DELAY_S)
                continue
            if state.generation != generation or sync.synced:
                return
            joined = sync.join(snapshot.update_id)
            if joined is not None:
                self._diff_output.put_nowait(snapshot)
                self._emit_chain(state, joined)
                self.metrics.resyncs += 1
                delay = self.RESYNC_RETRY_DELAY_S
                continue  # a gap inside the chain leaves the pair buffering: go again
            await self._stream.sleep(delay)
            delay = min(delay * 2, self.RESYNC_RETRY_MAX_DELAY_S)

    # ------------------------------------------------------------------------------------------- helpers
    async def _pair_state(self, trading_pair: str) -> _PairStream:
        state = self._pairs.get(trading_pair)
        if state is None:
            symbol = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            state = self._pairs.get(trading_pair)
            if state is None:
                state = _PairStream(trading_pair, symbol, self.MAX_BUFFERED_DIFFS)
                self._pairs[trading_pair] = state
                self._routes[f"{_DEPTH}.{symbol}"] = functools.partial(self._on_depth, trading_pair,
                                                                       state.sync.on_diff, state)
                self._depth_states[f"{_DEPTH}.{symbol}"] = state
                self._routes[f"{_TRADE}.{symbol}"] = functools.partial(self._on_trade, state)
        return state

    @staticmethod
    def _stream_names(state: _PairStream) -> List[str]:
        return [f"{_DEPTH}.{state.symbol}", f"{_TRADE}.{state.symbol}"]

    async def _attach_output(self, attribute: str, output: asyncio.Queue) -> None:
        pending: asyncio.Queue = getattr(self, attribute)
        while not pending.empty():
            output.put_nowait(pending.get_nowait())
        setattr(self, attribute, output)
        if attribute == "_diff_output":
            self._apply_rows = getattr(output, "apply_rows", None)
            self._on_frame = self._frame_reader()
        await asyncio.Event().wait()  # runs until the tracker cancels it
