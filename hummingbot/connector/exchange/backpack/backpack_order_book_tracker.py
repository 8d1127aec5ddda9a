"""``BackpackOrderBookTracker``: ``OrderBookTracker`` that applies diffs as they are emitted (the data source's
stream is gap-free and ordered per pair) and builds initial books concurrently (snapshots stay throttled, §7).

The diff stream it hands the data source (``_DirectDiffSink``) takes ``OrderBookMessage``s (``put_nowait``) and,
from a data source that knows it, a diff as rows (``apply_rows``): no message is built for a diff applied at once;
its past-diffs window entry becomes a message only if the window is read (``_PastDiffs``), and its counts
(``total_diffs_processed``, the pair's ``diffs_processed`` and ``last_diff_timestamp``) wait in the window until
``metrics`` is read or the window is dropped.
"""
import asyncio
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional

from hummingbot.connector.exchange.backpack.backpack_order_book import (
    BackpackOrderBookMessage,
    own_rows,
    rows_diff_message,
)
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker, OrderBookTrackerMetrics
from hummingbot.core.data_type.order_book_tracker_data_source import OrderBookTrackerDataSource
from hummingbot.core.utils.async_utils import safe_ensure_future

_DIFF = OrderBookMessageType.DIFF
_SNAPSHOT = OrderBookMessageType.SNAPSHOT


class _PastDiffs(deque):
    """One pair's past-diffs window: holds messages and raw ``(first_update_id, update_id, timestamp_us, bids, asks)``
    diffs (``apply_rows``); iterating gives messages only (raw rows as ``own_rows``). ``applied``/``applied_at``:
    diffs ``apply_rows`` applied that the tracker's metrics do not count yet, and the ``perf_counter`` time of the
    last (``fold_into``)."""

    __slots__ = ("trading_pair", "applied", "applied_at")

    def __init__(self, trading_pair: str, maxlen: int) -> None:
        super().__init__((), maxlen)
        self.trading_pair = trading_pair
        self.applied = 0
        self.applied_at = 0.0

    def fold_into(self, metrics: OrderBookTrackerMetrics) -> None:
        """Add the pending counts to ``metrics`` (as Hummingbot's tracker counts each applied diff) and reset them."""
        applied = self.applied
        if applied:
            self.applied = 0
            metrics.total_diffs_processed += applied
            pair_metrics = metrics.get_or_create_pair_metrics(self.trading_pair)
            pair_metrics.diffs_processed += applied
            if self.applied_at > pair_metrics.last_diff_timestamp:
                pair_metrics.last_diff_timestamp = self.applied_at

    def __iter__(self) -> Iterator[OrderBookMessage]:
        trading_pair = self.trading_pair
        for item in deque.__iter__(self):
            if type(item) is tuple:
                first_update_id, update_id, timestamp_us, bids, asks = item
                yield rows_diff_message(trading_pair, first_update_id, update_id, timestamp_us,
                                        own_rows(bids, update_id), own_rows(asks, update_id))
            else:
                yield item


class _PastDiffWindows(dict):
    """``trading_pair`` → ``_PastDiffs`` of ``maxlen``, created on first access (as Hummingbot's ``defaultdict``).
    ``pop`` (Hummingbot's ``remove_trading_pair``) folds the window's pending counts into ``metrics`` first."""

    def __init__(self, maxlen: int, metrics: OrderBookTrackerMetrics) -> None:
        super().__init__()
        self.maxlen = maxlen
        self.metrics = metrics

    def __missing__(self, trading_pair: str) -> _PastDiffs:
        window = self[trading_pair] = _PastDiffs(trading_pair, self.maxlen)
        return window

    def pop(self, trading_pair: str, *default: Any) -> Any:
        window = super().pop(trading_pair, *default)
        if type(window) is _PastDiffs:
            window.fold_into(self.metrics)
        return window

    def fold(self) -> None:
        for window in self.values():
            window.fold_into(self.metrics)


class _DirectDiffSink:
    """Always-empty queue whose ``put_nowait`` applies the message at once (as ``_apply_now``); ``apply_rows`` does
    the same for a diff given as rows: ``apply_rows(trading_pair, first_update_id, update_id, timestamp_us, bids,
    asks)``."""

    __slots__ = ("_tracker", "put_nowait", "apply_rows")

    def __init__(self, tracker: "BackpackOrderBookTracker") -> None:
        self._tracker = tracker
        self.apply_rows: Callable[..., None] = self._fast_rows(tracker)
        apply_rows = self.apply_rows
        apply_now = tracker._apply_now

        def put_nowait(message: OrderBookMessage) -> None:
            if message[0] is _DIFF and type(message) is BackpackOrderBookMessage:
                content = message[1]
                apply_rows(content["trading_pair"], -1, content["update_id"], 0, content["bids"], content["asks"],
                           message)
            else:
                apply_now(message)

        self.put_nowait: Callable[[OrderBookMessage], None] = put_nowait

    @staticmethod
    def _fast_rows(tracker: "BackpackOrderBookTracker") -> Callable[..., None]:
        order_books = tracker._order_books
        live = tracker._tracking_message_queues      # a pair is tracked once its queue exists
        saved_queues = tracker._saved_message_queues
        windows = tracker._past_diffs_windows
        apply_now = tracker._apply_now
        clock = time.perf_counter

        def apply_rows(trading_pair: str, first_update_id: int, update_id: int, timestamp_us: int,
                       bids: List[Any], asks: List[Any], message: Optional[OrderBookMessage] = None) -> None:
            """Apply one gap-free diff (time in µs) whose rows read ``update_id`` during the call (frame-scoped
            ``DepthLevel`` rows or ``OrderBookRow``; kept as ``own_rows`` if not applied at once, and the window
            gives ``own_rows``), or ``message`` (then ``first_update_id`` and ``timestamp_us`` are not read); never
            raises."""
            order_book = order_books.get(trading_pair)
            if (order_book is not None and trading_pair in live and not saved_queues.get(trading_pair)
                    and order_book.snapshot_uid <= update_id):
                try:
                    order_book.apply_diffs(bids, asks, update_id)
                except Exception:
                    tracker._log_apply_error(trading_pair)
                    return
                window = windows[trading_pair]
                window.append((first_update_id, update_id, timestamp_us, bids, asks) if message is None else message)
                window.applied += 1  # counted in the metrics when read (_PastDiffs.fold_into)
                window.applied_at = clock()
                return
            apply_now(message if message is not None
                      else rows_diff_message(trading_pair, first_update_id, update_id, timestamp_us,
                                             own_rows(bids, update_id), own_rows(asks, update_id)))

        return apply_rows

    def empty(self) -> bool:
        return True

    def qsize(self) -> int:
        return 0

    def get_nowait(self):
        raise asyncio.QueueEmpty


class BackpackOrderBookTracker(OrderBookTracker):

    #: A book whose last public trade is older than this (s) gets its last price from REST (as Hummingbot's tracker).
    TRADE_STALE_S = 180.0
    #: Minimum seconds between two REST last-price requests for one pair.
    LAST_PRICE_POLL_S = 5.0

    def __init__(self, data_source: OrderBookTrackerDataSource, trading_pairs: List[str],
                 domain: Optional[str] = None):
        super().__init__(data_source=data_source, trading_pairs=trading_pairs, domain=domain)
        #: before the sink, which keeps it
        self._past_diffs_windows = _PastDiffWindows(self.PAST_DIFF_WINDOW_SIZE, self._metrics)
        self._order_book_diff_stream = _DirectDiffSink(self)  # what ``start`` hands the data source

    @property
    def metrics(self) -> OrderBookTrackerMetrics:
        """Hummingbot's tracker metrics, counting every diff applied so far."""
        self._past_diffs_windows.fold()
        return self._metrics

    async def _order_book_diff_router(self):
        return None

    def _apply_now(self, message: OrderBookMessage) -> None:
        """Apply one message to its pair's book (or save it until the book exists); never raises."""
        trading_pair = message.trading_pair
        if trading_pair not in self._tracking_message_queues:
            self._metrics.total_diffs_queued += 1
            self._saved_message_queues[trading_pair].append(message)
            return
        try:
            order_book = self._order_books[trading_pair]
            saved = self._saved_message_queues.get(trading_pair)
            if saved:
                while saved:
                    self._apply_to(order_book, trading_pair, saved.popleft())
            if message.type is _DIFF and order_book.snapshot_uid > message.update_id:
                self._metrics.total_diffs_rejected += 1
                return
            self._apply_to(order_book, trading_pair, message)
        except Exception:
            self._log_apply_error(trading_pair)

    def _log_apply_error(self, trading_pair: str) -> None:
        self.logger().network(f"Unexpected error tracking order book for {trading_pair}.", exc_info=True,
                              app_warning_msg="Unexpected error tracking order book.")

    def _apply_to(self, order_book: OrderBook, trading_pair: str, message: OrderBookMessage) -> None:
        if message.type is _DIFF:
            order_book.apply_diffs(message.bids, message.asks, message.update_id)
            self._past_diffs_windows[trading_pair].append(message)
            metrics = self._metrics
            metrics.total_diffs_processed += 1
            pair_metrics = metrics.per_pair_metrics.get(trading_pair)
            if pair_metrics is None:
                pair_metrics = metrics.get_or_create_pair_metrics(trading_pair)
            pair_metrics.diffs_processed += 1
            pair_metrics.last_diff_timestamp = time.perf_counter()
        elif message.type is _SNAPSHOT:
            window: Deque[OrderBookMessage] = self._past_diffs_windows[trading_pair]
            order_book.restore_from_snapshot_and_diffs(message, list(window))

    async def _update_last_trade_prices_loop(self):
        """REST last prices for books without a public trade in 3 min, each pair asked at most once per
        ``LAST_PRICE_POLL_S``: a pair the answer leaves out (e.g. a 204 ticker) counts as asked, where Hummingbot's
        loop asks again at once."""
        await self._order_books_initialized.wait()
        while True:
            try:
                now = time.perf_counter()
                outdated = [trading_pair for trading_pair, order_book in self._order_books.items()
                            if order_book.last_applied_trade < now - self.TRADE_STALE_S
                            and order_book.last_trade_price_rest_updated < now - self.LAST_PRICE_POLL_S]
                if not outdated:
                    await asyncio.sleep(1)
                    continue
                args: Dict[str, Any] = {"trading_pairs": outdated}
                if self._domain is not None:
                    args["domain"] = self._domain
                last_prices = await self._data_source.get_last_traded_prices(**args)
                asked_at = time.perf_counter()
                for trading_pair in outdated:
                    order_book = self._order_books.get(trading_pair)
                    if order_book is None:
                        continue
                    if trading_pair in last_prices:
                        order_book.last_trade_price = last_prices[trading_pair]
                    order_book.last_trade_price_rest_updated = asked_at
            except asyncio.CancelledError:
                raise
            except Exception:
                self.logger().network("Unexpected error while fetching last trade price.", exc_info=True)
                await asyncio.sleep(30)

    async def _init_order_books(self):
        async def init_one(trading_pair: str) -> None:
            order_book = await self._initial_order_book_for_trading_pair(trading_pair)
            self._order_books[trading_pair] = order_book
            saved = self._saved_message_queues.get(trading_pair)
            while saved:  # emitted while the book was being built
                self._apply_to(order_book, trading_pair, saved.popleft())
            self._tracking_message_queues[trading_pair] = asyncio.Queue()
            self._tracking_tasks[trading_pair] = safe_ensure_future(self._track_single_book(trading_pair))
            self.logger().info(f"Initialized order book for {trading_pair}.")

        await asyncio.gather(*(init_one(trading_pair) for trading_pair in list(self._trading_pairs)))
        self._order_books_initialized.set()
