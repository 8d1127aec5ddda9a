"""Depth path benchmark: the same raw ``depth`` text frames (``frames.py``) through our data source and through
the shipped connector's, into Hummingbot's C++ ``OrderBook``, against the floor (decode + C++ apply alone).

Variants (µs per frame of CPU time of the bench thread, ``cpu_clock``; all on the same frames, each run starting
from the same REST snapshot):

- ``pipeline``: a stand-in socket yields, one frame per event-loop turn (``asyncio.sleep(0)`` between frames, as
  separate socket reads would), what the connector's own WS connection class builds from aiohttp's TEXT message:
  ``<connection class>._build_resp(WSMessage(TEXT, frame))``. The shipped connector uses Hummingbot's
  ``WSConnection`` (``msg.json()`` = ``json.loads``, then ``WSResponse(dict)``); ours declares
  ``ws_connection_class = BackpackTextWSConnection`` (``WSResponse(text)``; its data source decodes the text). The
  data source's own ``listen_for_subscriptions`` loop (ours: sequence check, then a diff next in sequence goes to
  the tracker as typed rows, no message; shipped: channel routing, its internal queue and
  ``listen_for_order_book_diffs`` task, message build), then the connector's own order book tracker into the C++
  book (shipped: Hummingbot's ``OrderBookTracker`` diff router task and per-pair ``_track_single_book`` task; ours:
  ``BackpackOrderBookTracker``, which applies each diff as the data source hands it over). Timed from the first
  frame to the book holding the last update id.
- ``direct``: no tasks, no tracker: the same handover (``_build_resp`` of the connector's connection class) → the
  data source's message entry point (ours ``_on_frame``;
  shipped ``_parse_order_book_diff_message``) → the message it emits → ``OrderBook.apply_diffs(bids, asks,
  update_id)`` as the tracker calls it (ours emits messages here: a plain queue is attached, as for any tracker
  but its own). The connector's own share of the path.
- ``floor``: ``json.loads(frame)`` + ``OrderBook.apply_diffs`` of rows built beforehand; also ``decode``
  (``json.loads``), ``decode_ujson`` (``ujson.loads``), ``decode_typed`` (the connector's ``decode_depth_frame``:
  msgspec straight into typed rows; absent without msgspec) and ``apply`` alone.
- ``socket_turn``: the stand-in socket alone (one frame per loop turn, text handover, a reader that does nothing):
  what every connector's pipeline pays on top of its own work here. ``floor + socket_turn`` is the pipeline floor.

The three books must end identical (checked); the sequence check is on in ours (the shipped one has none).
"""
import asyncio
import json
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import ujson
from aiohttp import WSMessage, WSMsgType

from backpack_bench.common import perf_counter, settle, throwaway_keys
from backpack_bench.frames import TRADING_PAIR, DepthStream
from hummingbot.connector.exchange.backpack.backpack_order_book import decode_depth_frame
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_row import OrderBookRow
from hummingbot.core.web_assistant.connections.data_types import WSResponse
from hummingbot.core.web_assistant.connections.ws_connection import WSConnection

BookState = Tuple[Tuple[Tuple[float, float], ...], Tuple[Tuple[float, float], ...]]
_loads = json.loads
#: Every depth figure is CPU time of the bench thread (s): other processes' time slices on a shared machine are not
#: charged to the path measured (the paths run no threads of their own).
cpu_clock = time.thread_time


def handover(data_source: Any) -> Callable[[str], WSResponse]:
    """What the data source's WS connection hands it for one text frame: ``_build_resp`` of the connection class it
    declares (``ws_connection_class``), else of Hummingbot's ``WSConnection`` (the shipped connector's)."""
    build = getattr(data_source, "ws_connection_class", WSConnection)._build_resp
    text = WSMsgType.TEXT

    def hand(frame: str) -> WSResponse:
        return build(WSMessage(text, frame, None))
    return hand


class FakeWebSocket:
    """Stands in for a connected ``WSAssistant``: ``iter_messages`` yields, after ``go``, each frame as the
    connector's WS connection would hand it over (``handover``; default: decoded like Hummingbot's
    ``WSConnection``)."""

    def __init__(self, frames: List[str], live: bool = True,
                 hand: Optional[Callable[[str], WSResponse]] = None) -> None:
        self._frames = frames
        self._live = live
        self._hand = hand or (lambda frame: WSResponse(_loads(frame)))
        self.go = asyncio.Event()
        self.last_recv_time = 0.0

    async def connect(self, *args, **kwargs) -> None:
        return None

    async def send(self, request) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def iter_messages(self):
        await self.go.wait()
        live = self._live
        hand = self._hand
        for frame in self._frames:
            yield hand(frame)
            if live:
                await asyncio.sleep(0)
        await asyncio.Event().wait()  # the socket stays open until the bench cancels the reader


def book_state(book: OrderBook) -> BookState:
    return (tuple((e.price, e.amount) for e in book.bid_entries()),
            tuple((e.price, e.amount) for e in book.ask_entries()))


# ------------------------------------------------------------------------------------------------ connectors
class Side:
    """One connector under test: a fresh connector per run (its own tracker and data source are measured)."""

    def __init__(self, name: str, make_connector: Callable[[], Any], snapshot: Callable[[Dict[str, Any]], Any],
                 entry: Callable[[Any], Callable]) -> None:
        self.name = name
        self.make_connector = make_connector
        self.snapshot = snapshot
        self.entry = entry


def ours_side() -> Side:
    from bidict import bidict

    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    from hummingbot.connector.exchange.backpack.backpack_order_book import snapshot_message

    def make_connector():
        api_key, secret = throwaway_keys()
        connector = BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret,
                                     trading_pairs=[TRADING_PAIR], trading_required=False)
        connector._set_trading_pair_symbol_map(bidict({"SOL_USDC": TRADING_PAIR}))
        return connector

    def entry(data_source):
        on_frame = data_source._on_frame

        async def handle(message, output):  # output: the queue attached through listen_for_order_book_diffs
            on_frame(message)
        return handle

    return Side("ours", make_connector, lambda payload: snapshot_message(payload, TRADING_PAIR), entry)


def upstream_side() -> Side:
    from backpack_bench.upstream import load_upstream
    up = load_upstream()

    def make_connector():
        api_key, secret = throwaway_keys()
        return up.exchange.BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret,
                                            trading_pairs=[TRADING_PAIR], trading_required=False)

    def snapshot(payload):
        return up.order_book.BackpackOrderBook.snapshot_message_from_exchange(
            dict(payload), payload["timestamp"] * 1e-6, metadata={"trading_pair": TRADING_PAIR})

    def entry(data_source):
        return data_source._parse_order_book_diff_message

    return Side("upstream", make_connector, snapshot, entry)


def _prepare(side: Side, stream: DepthStream, ws: Optional[FakeWebSocket] = None):
    """The connector's own order book tracker and data source, with the snapshot fetch and the socket stubbed."""
    connector = side.make_connector()
    data_source = connector.order_book_tracker.data_source
    snapshot = side.snapshot(stream.snapshot)

    async def fixed_snapshot(trading_pair: str):
        return snapshot

    async def connected():
        return ws

    async def no_prices(*args, **kwargs):
        return {}

    data_source._order_book_snapshot = fixed_snapshot
    data_source._connected_websocket_assistant = connected
    data_source.get_last_traded_prices = no_prices
    return connector, data_source


async def _cancel(tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def run_pipeline(side: Side, stream: DepthStream, live: bool = True, timeout_s: float = 300.0
                       ) -> Tuple[float, BookState]:
    """``pipeline`` variant (module docstring) → (µs per frame, final book)."""
    ws = FakeWebSocket(stream.frames, live)
    connector, data_source = _prepare(side, stream, ws)
    ws._hand = handover(data_source)
    tracker = connector.order_book_tracker

    async def no_sleep(delay):
        return None

    tracker._sleep = no_sleep  # the tracker waits 1 s after each initial book; not part of the measurement
    loop = asyncio.get_running_loop()
    tasks = [asyncio.ensure_future(c) for c in (
        tracker._init_order_books(),
        data_source.listen_for_order_book_diffs(loop, tracker._order_book_diff_stream),
        data_source.listen_for_subscriptions(),
        tracker._order_book_diff_router())]
    try:
        await asyncio.wait_for(tracker._order_books_initialized.wait(), 30)
        book = tracker.order_books[TRADING_PAIR]
        last = stream.last_update_id
        settle()
        deadline = perf_counter() + timeout_s
        start = cpu_clock()
        ws.go.set()
        while book.last_diff_uid < last:
            await asyncio.sleep(0.0005)
            if perf_counter() > deadline:
                raise TimeoutError(f"{side.name}: book stuck at update id {book.last_diff_uid} < {last}")
        elapsed = cpu_clock() - start
        return elapsed / len(stream.frames) * 1e6, book_state(book)
    finally:
        await _cancel(tasks + list(tracker._tracking_tasks.values()))


async def run_direct(side: Side, stream: DepthStream) -> Tuple[float, BookState]:
    """``direct`` variant (module docstring) → (µs per frame, final book)."""
    connector, data_source = _prepare(side, stream)
    book = await data_source.get_new_order_book(TRADING_PAIR)
    output: asyncio.Queue = asyncio.Queue()
    attach = None
    if side.name == "ours":  # ours emits on the queue the tracker attached; attach ours the same way
        attach = asyncio.ensure_future(data_source.listen_for_order_book_diffs(asyncio.get_running_loop(), output))
        await asyncio.sleep(0)
    handle = side.entry(data_source)
    hand = handover(data_source)
    get = output.get_nowait
    apply = book.apply_diffs
    frames = stream.frames
    settle()
    start = cpu_clock()
    for frame in frames:
        await handle(hand(frame).data, output)
        while output.qsize():
            message = get()
            apply(message.bids, message.asks, message.update_id)
    elapsed = cpu_clock() - start
    if attach is not None:
        await _cancel([attach])
    if book.last_diff_uid != stream.last_update_id:
        raise AssertionError(f"{side.name}: book at {book.last_diff_uid}, expected {stream.last_update_id}")
    return elapsed / len(frames) * 1e6, book_state(book)


def prebuilt_rows(stream: DepthStream) -> List[Tuple[List[OrderBookRow], List[OrderBookRow], int]]:
    out = []
    for frame in stream.frames:
        data = _loads(frame)["data"]
        u = data["u"]
        out.append(([OrderBookRow(float(p), float(q), u) for p, q in data["b"]],
                    [OrderBookRow(float(p), float(q), u) for p, q in data["a"]], u))
    return out


def _snapshot_book(stream: DepthStream) -> OrderBook:
    book = OrderBook()
    u = int(stream.snapshot["lastUpdateId"])
    book.apply_snapshot([OrderBookRow(float(p), float(q), u) for p, q in stream.snapshot["bids"]],
                        [OrderBookRow(float(p), float(q), u) for p, q in stream.snapshot["asks"]], u)
    return book


async def run_socket_turn(stream: DepthStream) -> float:
    """``socket_turn`` (module docstring): µs per frame."""
    ws = FakeWebSocket(stream.frames, live=True, hand=lambda frame: WSResponse(frame))
    count = 0
    last = len(stream.frames)
    done = asyncio.Event()

    async def read() -> None:
        nonlocal count
        async for _ in ws.iter_messages():
            count += 1
            if count == last:
                done.set()

    reader = asyncio.ensure_future(read())
    try:
        settle()
        start = cpu_clock()
        ws.go.set()
        await asyncio.wait_for(done.wait(), 300)
        return (cpu_clock() - start) / last * 1e6
    finally:
        await _cancel([reader])


def run_floor(stream: DepthStream, rows=None) -> Dict[str, Any]:
    """Floor: µs per frame for ``decode``, ``apply`` and both in one pass (``floor``); ``decode_typed`` (None
    without msgspec); final book."""
    rows = rows if rows is not None else prebuilt_rows(stream)
    frames = stream.frames
    n = len(frames)
    settle()
    start = cpu_clock()
    for frame in frames:
        _loads(frame)
    decode = cpu_clock() - start
    ujson_loads = ujson.loads
    settle()
    start = cpu_clock()
    for frame in frames:
        ujson_loads(frame)
    decode_ujson = cpu_clock() - start
    decode_typed: Optional[float] = None
    if decode_depth_frame is not None:
        typed = decode_depth_frame
        settle()
        start = cpu_clock()
        for frame in frames:
            typed(frame)
        decode_typed = (cpu_clock() - start) / n * 1e6
    book = _snapshot_book(stream)
    apply = book.apply_diffs
    settle()
    start = cpu_clock()
    for bids, asks, u in rows:
        apply(bids, asks, u)
    apply_s = cpu_clock() - start
    book = _snapshot_book(stream)
    apply = book.apply_diffs
    settle()
    start = cpu_clock()
    for frame, (bids, asks, u) in zip(frames, rows):
        _loads(frame)
        apply(bids, asks, u)
    both = cpu_clock() - start
    return {"decode": decode / n * 1e6, "decode_ujson": decode_ujson / n * 1e6, "decode_typed": decode_typed,
            "apply": apply_s / n * 1e6,
            "floor": both / n * 1e6,
            "book": book_state(book)}


async def run_depth(stream: DepthStream, repeats: int, log: Callable[[str], None] = print) -> Dict[str, Any]:
    """All variants, ``repeats`` times, ours/shipped interleaved (order alternating per repeat).

    :returns: ``{"pipeline": {"ours": [...], "upstream": [...]}, "direct": {...}, "floor": {"floor": [...],
        "decode": [...], "decode_ujson": [...], "decode_typed": [...] (empty without msgspec), "apply": [...],
        "socket_turn": [...]}}`` (µs per frame, one value per repeat, paired by index).
    :raises AssertionError: the books of the three paths differ.
    """
    sides = [ours_side(), upstream_side()]
    rows = prebuilt_rows(stream)
    results: Dict[str, Any] = {"pipeline": {"ours": [], "upstream": []}, "direct": {"ours": [], "upstream": []},
                               "floor": {"floor": [], "decode": [], "decode_ujson": [], "decode_typed": [],
                                         "apply": [], "socket_turn": []}}
    reference: Optional[BookState] = None
    for r in range(repeats):
        order = sides if r % 2 == 0 else sides[::-1]
        floor = run_floor(stream, rows)
        reference = reference or floor["book"]
        for key in ("floor", "decode", "decode_ujson", "decode_typed", "apply"):
            if floor[key] is not None:
                results["floor"][key].append(floor[key])
        results["floor"]["socket_turn"].append(await run_socket_turn(stream))
        for variant, runner in (("pipeline", run_pipeline), ("direct", run_direct)):
            for side in order:
                us, state = await runner(side, stream)
                if state != reference:
                    raise AssertionError(f"{side.name} {variant}: final book differs from the floor's")
                results[variant][side.name].append(us)
        log(f"  depth repeat {r + 1}/{repeats}: pipeline ours {results['pipeline']['ours'][-1]:.2f} / shipped "
            f"{results['pipeline']['upstream'][-1]:.2f} µs; direct ours {results['direct']['ours'][-1]:.2f} / "
            f"shipped {results['direct']['upstream'][-1]:.2f} µs; floor {floor['floor']:.2f} µs")
    return results
