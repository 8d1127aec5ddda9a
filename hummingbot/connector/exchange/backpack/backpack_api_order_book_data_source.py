"""Backpack public streams for Hummingbot's ``OrderBookTracker``: REST depth snapshot + ``depth.<symbol>`` diffs
with a sequence guard and resync, and ``trade.<symbol>`` trades (``backpack-api.md`` §4.6, §8.1–§8.3).

Sequence guard (§8.3), per trading pair, all in this data source
-----------------------------------------------------------------
- Snapshot ``L = lastUpdateId`` from ``GET /api/v1/depth?symbol=..&limit=1000``. Diffs with ``u <= L`` are
  dropped; the first diff applied must satisfy ``U <= L+1 <= u``; after that only ``U == last_u + 1`` is applied.
- A diff with ``U > last_u + 1`` is a gap: ``metrics.gaps += 1``, the pair stops emitting (its book stays at
  ``last_u``: stale but exact) and buffers diffs while a fresh snapshot is fetched; the snapshot is accepted only if
  it is not older than the book (``L' >= last_u``) and joins the buffer (no buffered diff left with
  ``U > L'+1``), else it is fetched again. Then the snapshot and the buffered chain are emitted, ``metrics.resyncs``
  += 1. A malformed depth frame is dropped, so the next one shows as a gap and heals the same way.
- After every reconnect every pair that has a book is resynced the same way (diffs sent while disconnected are
  lost). Every ``FULL_ORDER_BOOK_RESET_DELTA_SECONDS`` (1 h) every pair is resynced as a safety net (no gap counted).

How this meets Hummingbot's ``OrderBookTracker`` (what reaches the C++ ``OrderBook`` is always exact)
------------------------------------------------------------------------------------------------------
- The tracker builds each book with ``get_new_order_book``: we override it so that the snapshot it applies is the
  one our guard starts from (``_order_book_snapshot`` itself is a pure fetch). Diffs received before that are
  buffered here, never emitted: the tracker replays diffs it saved before a book existed *without* any id check
  (``_saved_message_queues``), so a stale diff emitted early would corrupt the new book.
- The tracker's ``snapshot_uid > update_id`` filter knows nothing about gaps; our emitted stream is gap-free, so
  every diff reaching ``apply_diffs`` continues the previous one.
- A resync snapshot is emitted on the **diff** queue, in order with the diffs that follow it (the tracker routes
  diffs and snapshots with two independent tasks, so a snapshot on the snapshot queue could overtake or trail
  diffs). The diff router does not look at the type; ``_track_single_book`` sees a SNAPSHOT and calls
  ``OrderBook.restore_from_snapshot_and_diffs(snapshot, last_32_diffs)``. With the base ``OrderBookMessage``
  ordering that bisect replays *all* 32 past diffs onto the new snapshot (stale levels come back);
  ``BackpackOrderBookMessage`` orders by update id and our snapshot is never older than any diff we emitted, so
  nothing is replayed: the book becomes exactly the snapshot, then our buffered chain is applied.
- ``listen_for_order_book_snapshots`` therefore emits nothing on the snapshot queue; it runs the hourly resync.

Hot path (one ``depth`` frame): the public socket hands the frame's text over undecoded
(``BackpackTextWSConnection``, a ``WSConnection`` whose only change is that) and ``_on_frame`` decodes it once with
``ujson``; one dict lookup on ``stream`` finds the pair's handler; ``U``/``u`` are compared as ints; the message is
built once with float rows (``backpack_order_book.diff_message_fast``) that the C++ book consumes directly, and put
on the tracker's sink (``BackpackOrderBookTracker`` applies it there and then). No intermediate queue, no per-level
objects other than the rows the book needs. Levels are keyed by numeric price in the C++ book, so ``"86700"`` and
``"86700.0"`` are one level; a zero quantity deletes. An already decoded frame (a dict) is accepted as well.

Malformed or unknown frames are counted (``metrics.on_dropped(reason)``), logged at most once a minute per reason,
and skipped; WS error frames ``{"id": null, "error": {...}}`` (§6.4) likewise. Reconnects use
``StreamSupervisor`` (exponential backoff with jitter, stale-connection watchdog counting pings).
"""
import asyncio
import functools
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Optional

import ujson
from aiohttp import WSMsgType

from hummingbot.connector.backpack_common.stream_supervisor import StreamSupervisor
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_stream_setup import supervised_stream
from hummingbot.connector.exchange.backpack.backpack_order_book import (
    BackpackOrderBookMessage,
    as_int,
    diff_message_fast,
    snapshot_message,
    trade_message,
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
#: Decoder of the public frames: ujson (a Hummingbot dependency, so always installed with it) decodes a depth frame
#: in about 3/4 of ``json.loads``'s time and gives the same values for every valid JSON text (``make bench``).
_loads = ujson.loads


class BackpackTextWSConnection(WSConnection):
    """Hummingbot's ``WSConnection`` except that a TEXT frame is handed over as the text itself, undecoded
    (``WSResponse(str)``): the public data source decodes each frame once, itself (module docstring). Binary, ping,
    pong, close and error frames are handled exactly as by the base class."""

    @staticmethod
    def _build_resp(msg) -> WSResponse:
        if msg.type is _TEXT:
            return WSResponse(msg.data)
        return WSConnection._build_resp(msg)


class _PairSync:
    """Sequence state of one trading pair (see module docstring)."""

    __slots__ = ("trading_pair", "symbol", "delivered", "synced", "first_pending", "last_u", "buffer",
                 "generation", "resync_task")

    def __init__(self, trading_pair: str, symbol: str, max_buffer: int) -> None:
        self.trading_pair = trading_pair
        self.symbol = symbol
        self.delivered = False          # the tracker has a book built from one of our snapshots
        self.synced = False             # emitting diffs (else buffering)
        self.first_pending = False      # next diff may straddle the snapshot id (U <= L+1 <= u)
        self.last_u = -1                # update id the tracker's book is at
        self.buffer: Deque[BackpackOrderBookMessage] = deque(maxlen=max_buffer)
        self.generation = 0
        self.resync_task: Optional[asyncio.Task] = None


class BackpackAPIOrderBookDataSource(OrderBookTrackerDataSource):
    """Public order book and trade streams of Backpack (see module docstring).

    :param trading_pairs: Hummingbot trading pairs (``"SOL-USDC"``).
    :param connector: provides ``exchange_symbol_associated_to_pair`` / ``trading_pair_associated_to_exchange_symbol``
        (async, bidict-backed) and ``get_last_traded_prices``.
    :param api_factory: web assistants factory (REST snapshot, WS).
    :param domain: ``"exchange"`` or ``"sandbox"``.

    ``metrics`` (``StreamMetrics``): messages per stream kind, gaps, resyncs, reconnects, dropped frames.
    """

    #: Max diffs kept per pair while waiting for a snapshot (oldest dropped; the join check then refetches).
    MAX_BUFFERED_DIFFS = 5000
    #: Delay (s) before fetching a snapshot again when the previous one could not be joined to the stream.
    RESYNC_RETRY_DELAY_S = 0.5
    RESYNC_RETRY_MAX_DELAY_S = 30.0
    #: Safety-net resync of every pair (s).
    FULL_ORDER_BOOK_RESET_DELTA_SECONDS = 60 * 60
    LOG_INTERVAL_S = 60.0
    #: Connection class of the public socket (``_connected_websocket_assistant``): text frames arrive undecoded.
    ws_connection_class = BackpackTextWSConnection

    def __init__(self, trading_pairs: List[str], connector: "BackpackExchange", api_factory: WebAssistantsFactory,
                 domain: str = CONSTANTS.DEFAULT_DOMAIN):
        super().__init__(trading_pairs)
        self._connector = connector
        self._api_factory = api_factory
        self._domain = domain
        self._pairs: Dict[str, _PairSync] = {}
        self._routes: Dict[str, Callable[[Dict[str, Any]], None]] = {}
        self._connections = 0
        self._diff_output: asyncio.Queue = self._message_queue[self._diff_messages_queue_key]
        self._trade_output: asyncio.Queue = self._message_queue[self._trade_messages_queue_key]
        self._wall: Callable[[], float] = time.time
        self.configure_time()

    def configure_time(self, clock: Callable[[], float] = time.monotonic, sleep=asyncio.sleep, rng=None,
                       stale_timeout_s: float = CONSTANTS.WS_STALE_TIMEOUT_S,
                       watchdog_check_s: float = CONSTANTS.WS_WATCHDOG_CHECK_S,
                       wall: Callable[[], float] = time.time) -> None:
        """(Re)build ``metrics`` and the supervisor with injectable time (tests); call before starting."""
        self.metrics, self._supervisor, self._log_throttle = supervised_stream(
            "public", "Backpack public stream", self.logger(), self.LOG_INTERVAL_S, clock=clock, sleep=sleep, rng=rng,
            stale_timeout_s=stale_timeout_s, watchdog_check_s=watchdog_check_s)
        self._sleep_fn = sleep
        self._wall = wall

    @property
    def supervisor(self) -> StreamSupervisor:
        return self._supervisor

    # ------------------------------------------------------------------------------------- tracker interface
    async def get_last_traded_prices(self, trading_pairs: List[str], domain: Optional[str] = None) -> Dict[str, float]:
        return await self._connector.get_last_traded_prices(trading_pairs=trading_pairs)

    async def get_new_order_book(self, trading_pair: str) -> OrderBook:
        """Snapshot → new C++ book; our sequence guard starts from this very snapshot (module docstring).

        :raises Exception: REST/parse errors propagate to the tracker, as for any Hummingbot data source.
        """
        state = await self._pair_state(trading_pair)
        self._cancel_resync(state)
        state.generation += 1
        generation = state.generation
        state.synced = False  # buffer while fetching: the old book (if any) is being replaced
        snapshot = await self._order_book_snapshot(trading_pair)
        if state.generation == generation:
            state.delivered = True
            state.last_u = -1
            if not self._join_snapshot(state, snapshot, emit_snapshot=False):
                # The stream is already past this snapshot's successor: the book starts exact but stale at L;
                # a resync (delivered in order on the diff queue) brings it up to date.
                state.last_u = snapshot.update_id
                self._start_resync(state)
        order_book = self.order_book_create_function()
        order_book.apply_snapshot(snapshot.bids, snapshot.asks, snapshot.update_id)
        return order_book

    async def listen_for_order_book_diffs(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        """Diffs (and resync snapshots) are put on ``output`` by the WS reader itself; this only connects it."""
        await self._attach_output("_diff_output", output)

    async def listen_for_trades(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        await self._attach_output("_trade_output", output)

    async def listen_for_order_book_snapshots(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        """No snapshot travels on the snapshot queue (see module docstring); this runs the hourly resync."""
        while True:
            await self._sleep_fn(self.FULL_ORDER_BOOK_RESET_DELTA_SECONDS)
            for state in list(self._pairs.values()):
                if state.delivered and state.synced:
                    state.synced = False
                    state.buffer.clear()
                    self._start_resync(state)

    async def listen_for_subscriptions(self):
        """Connect, subscribe, read; reconnect with backoff; watchdog on silence (``StreamSupervisor``)."""
        try:
            await self._supervisor.run(self._session)
        finally:
            for state in self._pairs.values():
                self._cancel_resync(state)

    async def subscribe_to_trading_pair(self, trading_pair: str) -> bool:
        """Subscribe ``depth.<symbol>`` and ``trade.<symbol>`` for a Hummingbot pair (exchange symbol from the
        connector's symbol map, e.g. ``SOL-USDC`` → ``depth.SOL_USDC``). When no socket is open the pair is
        registered and subscribed at the next connection. Returns False if the symbol is unknown or the send
        failed."""
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
        if state is None:
            return False
        self._cancel_resync(state)
        for name in self._stream_names(state):
            self._routes.pop(name, None)
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
    async def _order_book_snapshot(self, trading_pair: str) -> OrderBookMessage:
        """``GET /api/v1/depth?symbol=<symbol>&limit=1000`` (§4.6) → SNAPSHOT message. No side effect.

        :raises IOError / ValueError / KeyError: network error or malformed answer.
        """
        symbol = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        rest_assistant = await self._api_factory.get_rest_assistant()
        data = await rest_assistant.execute_request(
            url=web_utils.public_rest_url(CONSTANTS.DEPTH_PATH_URL, domain=self._domain),
            params={"symbol": symbol, "limit": str(CONSTANTS.DEPTH_SNAPSHOT_LIMIT)},
            method=RESTMethod.GET,
            throttler_limit_id=CONSTANTS.DEPTH_PATH_URL,
        )
        return snapshot_message(data, trading_pair, default_timestamp=self._time())

    # ----------------------------------------------------------------------------------------------- WS
    async def _connected_websocket_assistant(self) -> WSAssistant:
        ws: WSAssistant = await self._api_factory.get_ws_assistant()
        connection = getattr(ws, "_connection", None)
        if type(connection) is WSConnection:
            # Same aiohttp session, pre/post-processors and auth as the factory's; only the decoding moves here.
            ws._connection = self.ws_connection_class(connection._client_session)
        await ws.connect(ws_url=web_utils.wss_url(self._domain), ping_timeout=CONSTANTS.WS_HEARTBEAT_TIME_INTERVAL)
        return ws

    async def _subscribe_channels(self, ws: WSAssistant):
        params: List[str] = []
        for trading_pair in list(self._trading_pairs):
            state = await self._pair_state(trading_pair)
            params.extend(self._stream_names(state))
        if params:
            await ws.send(WSJSONRequest({"method": "SUBSCRIBE", "params": params}))
        self.logger().info(f"Subscribed to public order book and trade channels of {len(params) // 2} pair(s).")

    async def _session(self) -> None:
        """One connection: connect, subscribe, resync books after a reconnect, read until the socket ends."""
        ws = await self._connected_websocket_assistant()
        self._ws_assistant = ws
        try:
            await self._subscribe_channels(ws)
            wall = self._wall
            self._supervisor.connected(probe=lambda: (wall() - ws.last_recv_time) if ws.last_recv_time else None)
            self._connections += 1
            self._on_connected()
            on_frame = self._on_frame
            async for response in ws.iter_messages():
                on_frame(response.data)
        finally:
            self._ws_assistant = None
            try:
                await ws.disconnect()
            except Exception:
                pass

    def _on_connected(self) -> None:
        """Diffs sent while we were disconnected are lost: drop buffers, resync every book (not on the first
        connection, where the guard's first-diff check against the initial snapshot suffices)."""
        for state in self._pairs.values():
            state.buffer.clear()
            if self._connections > 1 and state.delivered:
                state.synced = False
                self._start_resync(state)

    def _on_frame(self, message: Any) -> None:
        """Decode (a text frame) and route one frame; never raises (malformed / unknown frames are counted and
        skipped). Takes the frame's text (``BackpackTextWSConnection``) or an already decoded frame."""
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

    def _drop(self, reason: str, text: str, message: Any) -> None:
        self.metrics.on_dropped(reason)
        suppressed = self._log_throttle.check(reason)
        if suppressed is not None:
            more = f" ({suppressed} similar since the last report)" if suppressed else ""
            self.logger().warning(f"{text}{more}. Frame: {str(message)[:200]}")

    # ---------------------------------------------------------------------------------------- hot path
    def _on_depth(self, state: _PairSync, data: Dict[str, Any]) -> None:
        first = data["U"]
        last = data["u"]
        if type(first) is not int or type(last) is not int:
            first, last = as_int(first), as_int(last)
        if first > last:
            raise ValueError(f"U={first} > u={last}")
        if state.synced:
            book_u = state.last_u
            if first == book_u + 1 or (state.first_pending and first <= book_u + 1 <= last):
                message = diff_message_fast(data, state.trading_pair, first, last)
                state.last_u = last
                state.first_pending = False
                self._diff_output.put_nowait(message)
            elif last > book_u:
                message = diff_message_fast(data, state.trading_pair, first, last)
                self._on_gap(state, message, book_u)
            # else: already in the book (snapshot ahead of the stream, or a duplicate): skip
        else:
            state.buffer.append(diff_message_fast(data, state.trading_pair, first, last))
        self.metrics.on_message(_DEPTH)  # only frames that parsed; a malformed one counts as dropped instead

    def _on_trade(self, state: _PairSync, data: Dict[str, Any]) -> None:
        message = trade_message(data, state.trading_pair)
        self.metrics.on_message(_TRADE)
        self._trade_output.put_nowait(message)

    # ------------------------------------------------------------------------------------ sequence guard
    def _on_gap(self, state: _PairSync, message: BackpackOrderBookMessage, book_u: int,
                keep_buffer: bool = False) -> None:
        """Count a gap, stop emitting, buffer from ``message`` on and start a resync."""
        self.metrics.gaps += 1
        suppressed = self._log_throttle.check("gap")
        if suppressed is not None:
            self.logger().warning(
                f"Order book gap on {state.trading_pair}: expected U={book_u + 1}, got U={message.first_update_id} "
                f"u={message.update_id}; resyncing from a fresh snapshot"
                + (f" ({suppressed} more gaps since the last report)." if suppressed else "."))
        state.synced = False
        if keep_buffer:
            state.buffer.appendleft(message)
        else:
            state.buffer.clear()
            state.buffer.append(message)
        self._start_resync(state)

    def _join_snapshot(self, state: _PairSync, snapshot: BackpackOrderBookMessage, emit_snapshot: bool) -> bool:
        """Join a snapshot to the buffered diffs (§8.3 steps 3–5). On success emits (optionally) the snapshot and
        the buffered chain, marks the pair synced and returns True; returns False when the snapshot must be
        fetched again (older than the book, or a hole between it and the buffered diffs)."""
        snapshot_id = snapshot.update_id
        if snapshot_id < state.last_u:
            return False
        buffer = state.buffer
        # Diffs the snapshot covers (u <= L) go. So do diffs buffered *before* a covered one, and before the first
        # one that continues the snapshot: the stream arrives in id order, so those carried bogus (corrupt,
        # far-future) ids; kept, they would fail every join until they aged out of the buffer.
        pending = []
        for message in buffer:
            if message.update_id <= snapshot_id:
                pending.clear()
            else:
                pending.append(message)
        buffer.clear()
        if pending and pending[0].first_update_id > snapshot_id + 1:
            start = next((i for i, m in enumerate(pending) if m.first_update_id <= snapshot_id + 1), None)
            if start is None:  # a hole between the snapshot and the buffered stream: fetch again
                buffer.extend(pending)
                return False
            del pending[:start]
        buffer.extend(pending)
        output = self._diff_output
        if emit_snapshot:
            output.put_nowait(snapshot)
        state.last_u = snapshot_id
        state.first_pending = True
        state.synced = True
        while buffer:
            message = buffer.popleft()
            first, last = message.first_update_id, message.update_id
            book_u = state.last_u
            if first == book_u + 1 or (state.first_pending and first <= book_u + 1 <= last):
                output.put_nowait(message)
                state.last_u = last
                state.first_pending = False
            elif last <= book_u:
                continue
            else:
                self._on_gap(state, message, book_u, keep_buffer=True)
                break
        return True

    def _start_resync(self, state: _PairSync) -> None:
        if state.resync_task is None or state.resync_task.done():
            state.resync_task = asyncio.ensure_future(self._resync(state))

    def _cancel_resync(self, state: _PairSync) -> None:
        if state.resync_task is not None and not state.resync_task.done():
            state.resync_task.cancel()
        state.resync_task = None

    async def _resync(self, state: _PairSync) -> None:
        """Fetch snapshots until one joins the buffered diffs; then the book is exact again."""
        delay = self.RESYNC_RETRY_DELAY_S
        while not state.synced and self._pairs.get(state.trading_pair) is state:
            generation = state.generation
            try:
                snapshot = await self._order_book_snapshot(state.trading_pair)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if self._log_throttle.check("snapshot_error") is not None:
                    self.logger().warning(f"Backpack depth snapshot for {state.trading_pair} failed ({e!r}); "
                                          f"retrying in {delay:.1f} s.")
                await self._sleep_fn(delay)
                delay = min(delay * 2, self.RESYNC_RETRY_MAX_DELAY_S)
                continue
            if state.generation != generation or state.synced:
                return
            if self._join_snapshot(state, snapshot, emit_snapshot=True):
                self.metrics.resyncs += 1
                delay = self.RESYNC_RETRY_DELAY_S
                continue  # a gap inside the buffered chain leaves the pair unsynced: go again
            await self._sleep_fn(delay)
            delay = min(delay * 2, self.RESYNC_RETRY_MAX_DELAY_S)

    # ------------------------------------------------------------------------------------------- helpers
    async def _pair_state(self, trading_pair: str) -> _PairSync:
        state = self._pairs.get(trading_pair)
        if state is None:
            symbol = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            state = self._pairs.get(trading_pair)
            if state is None:
                state = _PairSync(trading_pair, symbol, self.MAX_BUFFERED_DIFFS)
                self._pairs[trading_pair] = state
                self._routes[f"{_DEPTH}.{symbol}"] = functools.partial(self._on_depth, state)
                self._routes[f"{_TRADE}.{symbol}"] = functools.partial(self._on_trade, state)
        return state

    @staticmethod
    def _stream_names(state: _PairSync) -> List[str]:
        return [f"{_DEPTH}.{state.symbol}", f"{_TRADE}.{state.symbol}"]

    async def _attach_output(self, attribute: str, output: asyncio.Queue) -> None:
        pending: asyncio.Queue = getattr(self, attribute)
        while not pending.empty():
            output.put_nowait(pending.get_nowait())
        setattr(self, attribute, output)
        await asyncio.Event().wait()  # runs until the tracker cancels it
