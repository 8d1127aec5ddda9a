"""``BackpackRestMarketData``: order books and public trades from REST polling when the public WebSocket is not
usable, owned by the order book data source.

Mode ``"websocket"`` (default) or ``"rest"``, with the reason. REST mode starts when the config forces it
(``*_rest_market_data``; the data source then never connects the public WebSocket) or after
``failures_before_rest`` public WebSocket connect attempts failed in a row (0 = never); it ends when a connect
succeeds again — the stream's reconnect backoff (up to ``WS_BACKOFF_MAX_S``) is the probe.

In REST mode each cycle fetches, per pair, ``GET /api/v1/depth`` (§4.6; put on the diff sink as a SNAPSHOT, never
older than one already emitted) and ``GET /api/v1/trades`` (§4.7; trades with an ``id`` above the pair's
high-water mark, oldest first; a first non-empty answer only sets the mark; a page of ``TRADES_LIMIT`` rows all
newer than the mark is asked again with ``TRADES_LIMIT_MAX`` rows, and a gap beyond that is counted). Pace:
``REQUESTS_PER_PAIR`` requests per pair per cycle may use ``BUDGET_SHARE`` of the polling pool (§7, after the
rate-limit share), so the cycle is ``max(MIN_CYCLE_S, pairs * REQUESTS_PER_PAIR * 60 / budget)`` seconds; every
request also goes through the throttler. Times in seconds.
"""
import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from hummingbot.connector.exchange.backpack.backpack_order_book import BackpackOrderBookMessage, as_int, trade_message

MODE_WEBSOCKET = "websocket"
MODE_REST = "rest"

Snapshot = Callable[[str], Awaitable[BackpackOrderBookMessage]]
Trades = Callable[[str, int], Awaitable[Sequence[Mapping[str, Any]]]]
Emit = Callable[[BackpackOrderBookMessage], None]


def trade_from_rest(row: Mapping[str, Any], trading_pair: str) -> BackpackOrderBookMessage:
    """``/api/v1/trades`` element (§4.7: ``id``, ``price``, ``quantity``, ``timestamp`` ms, ``isBuyerMaker``) →
    TRADE message. :raises (KeyError, TypeError, ValueError): malformed row."""
    return trade_message({"t": row["id"], "p": row["price"], "q": row["quantity"], "m": row["isBuyerMaker"],
                          "T": as_int(row["timestamp"]) * 1000}, trading_pair)


class BackpackRestMarketData:
    """REST market data for the pairs of one data source (module docstring).

    :param pairs: the pairs to serve now.
    :param fetch_snapshot: ``async (pair) -> SNAPSHOT message`` (``GET /api/v1/depth``).
    :param fetch_trades: ``async (pair, limit) -> list`` of ``/api/v1/trades`` rows (the ``limit`` newest).
    :param emit_snapshot: puts a SNAPSHOT on the tracker's diff sink.
    :param emit_trade: puts a TRADE on the tracker's trade queue.
    :param polling_budget_per_min: requests/min of the polling pool (already scaled by the rate-limit share).
    :param force: REST mode from the start, for good.
    :param failures_before_rest: failed public WebSocket connects in a row that start REST mode (0 = never).
    """

    #: Share of the polling pool REST market data may use.
    BUDGET_SHARE = 0.25
    #: Requests per pair per cycle: one depth snapshot, one recent-trades page.
    REQUESTS_PER_PAIR = 2
    #: Shortest cycle (s), whatever the budget.
    MIN_CYCLE_S = 1.0
    #: Rows asked of ``/api/v1/trades`` each cycle.
    TRADES_LIMIT = 100
    #: Rows asked again when a whole ``TRADES_LIMIT`` page is newer than the last trade emitted (§4.7: max 1000).
    TRADES_LIMIT_MAX = 1000

    def __init__(self, *, pairs: Callable[[], List[str]], fetch_snapshot: Snapshot, fetch_trades: Trades,
                 emit_snapshot: Emit, emit_trade: Emit, polling_budget_per_min: Callable[[], float],
                 force: bool = False, failures_before_rest: int = 5, logger: Optional[logging.Logger] = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if failures_before_rest < 0:
            raise ValueError("failures_before_rest must be 0 (never) or more")
        self._pairs = pairs
        self._fetch_snapshot = fetch_snapshot
        self._fetch_trades = fetch_trades
        self._emit_snapshot = emit_snapshot
        self._emit_trade = emit_trade
        self._budget = polling_budget_per_min
        self.force = force
        self.failures_before_rest = failures_before_rest
        self._logger = logger or logging.getLogger(__name__)
        self._clock = clock
        self._sleep = sleep
        self.mode = MODE_REST if force else MODE_WEBSOCKET
        self.reason = "forced by the rest_market_data setting" if force else ""
        self._since = clock()
        self.connect_failures = 0    # failed public WebSocket connects in a row
        self.rest_periods = 1 if force else 0
        self.snapshots = 0
        self.trades = 0
        self.deep_trade_fetches = 0   # cycles that asked again for TRADES_LIMIT_MAX rows
        self.trade_gaps = 0           # cycles where even TRADES_LIMIT_MAX rows did not reach the last trade emitted
        self.errors = 0
        self._last_update_id: Dict[str, int] = {}
        self._last_trade_id: Dict[str, int] = {}
        self._task: Optional[asyncio.Task] = None

    # ------------------------------------------------------------------------------------------ mode
    @property
    def is_rest(self) -> bool:
        return self.mode == MODE_REST

    def on_ws_connect_failed(self, error: BaseException) -> None:
        """A public WebSocket connect attempt failed; the ``failures_before_rest``-th in a row starts REST mode."""
        self.connect_failures += 1
        if (self.mode == MODE_WEBSOCKET and self.failures_before_rest
                and self.connect_failures >= self.failures_before_rest):
            self._enter_rest(f"public WebSocket connect failed {self.connect_failures} times in a row "
                             f"(last: {type(error).__name__}: {str(error)[:120]})")

    def on_ws_connected(self) -> bool:
        """A public WebSocket connected. :returns: True when that ends REST mode (books must resync)."""
        self.connect_failures = 0
        if self.mode != MODE_REST or self.force:
            return False
        self.stop()
        self.mode = MODE_WEBSOCKET
        self.reason = "public WebSocket reconnected"
        self._since = self._clock()
        self._logger.info("Backpack market data back on the public WebSocket.")
        return True

    def _enter_rest(self, reason: str) -> None:
        self.mode = MODE_REST
        self.reason = reason
        self._since = self._clock()
        self.rest_periods += 1
        self._logger.warning(f"Backpack market data from REST polling every {self.cycle_s():.1f} s: {reason}. "
                             "The public WebSocket is retried with backoff.")
        self.start()

    # ------------------------------------------------------------------------------------------ polling
    def start(self) -> None:
        """Run the polling loop (no-op if it runs)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.run())

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def cycle_s(self, pair_count: Optional[int] = None) -> float:
        """Seconds per polling cycle for ``pair_count`` pairs (default: the current ones)."""
        pairs = len(self._pairs()) if pair_count is None else pair_count
        budget = max(1.0, self._budget() * self.BUDGET_SHARE)
        return max(self.MIN_CYCLE_S, pairs * self.REQUESTS_PER_PAIR * 60.0 / budget)

    async def run(self) -> None:
        """Poll every pair each ``cycle_s()`` until cancelled; errors are counted, logged and retried next cycle."""
        while True:
            started = self._clock()
            await self.poll_once()
            await self._sleep(max(0.0, self.cycle_s() - (self._clock() - started)))

    async def poll_once(self) -> None:
        for trading_pair in list(self._pairs()):
            try:
                await self._poll_pair(trading_pair)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.errors += 1
                self._logger.warning(f"REST market data for {trading_pair} failed ({type(e).__name__}: {e}); "
                                     "retrying next cycle.")

    async def _poll_pair(self, trading_pair: str) -> None:
        snapshot = await self._fetch_snapshot(trading_pair)
        if snapshot.update_id > self._last_update_id.get(trading_pair, -1):
            self._last_update_id[trading_pair] = snapshot.update_id
            self._emit_snapshot(snapshot)
            self.snapshots += 1
        mark = self._last_trade_id.get(trading_pair)
        fresh = await self._trades_page(trading_pair, self.TRADES_LIMIT)
        if mark is not None and self._page_misses_mark(fresh, self.TRADES_LIMIT, mark):
            self.deep_trade_fetches += 1
            fresh = await self._trades_page(trading_pair, self.TRADES_LIMIT_MAX)
            if self._page_misses_mark(fresh, self.TRADES_LIMIT_MAX, mark):
                self.trade_gaps += 1
                self._logger.warning(f"More than {self.TRADES_LIMIT_MAX} public trades of {trading_pair} in one "
                                     f"REST cycle ({self.cycle_s():.1f} s): older ones were not seen.")
        if not fresh:
            if mark is None:
                self._last_trade_id[trading_pair] = -1  # no trades yet: every later one is new
            return
        self._last_trade_id[trading_pair] = max(fresh[-1][0], mark if mark is not None else fresh[-1][0])
        if mark is None:
            return
        for trade_id, row in fresh:
            if trade_id > mark:
                self._emit_trade(trade_from_rest(row, trading_pair))
                self.trades += 1

    async def _trades_page(self, trading_pair: str, limit: int) -> List[Tuple[int, Any]]:
        rows = await self._fetch_trades(trading_pair, limit)
        return sorted(((as_int(row["id"]), row) for row in rows), key=lambda item: item[0])

    @staticmethod
    def _page_misses_mark(page: List[Tuple[int, Any]], limit: int, mark: int) -> bool:
        """A full page whose oldest trade is still newer than ``mark``: trades between them may be missing."""
        return len(page) >= limit and page[0][0] > mark + 1

    def forget(self, trading_pair: str) -> None:
        """Drop a removed pair's marks."""
        self._last_update_id.pop(trading_pair, None)
        self._last_trade_id.pop(trading_pair, None)

    # ------------------------------------------------------------------------------------------ report
    def snapshot(self) -> Dict[str, Any]:
        """``{"mode", "reason", "mode_age_s", "forced", "ws_connect_failures", "rest_periods", "snapshots",
        "trades", "deep_trade_fetches", "trade_gaps", "errors", "cycle_s", "requests_per_min"}`` (requests/min of
        REST mode for the current pairs)."""
        cycle = self.cycle_s()
        return {
            "mode": self.mode,
            "reason": self.reason,
            "mode_age_s": max(0.0, self._clock() - self._since),
            "forced": self.force,
            "ws_connect_failures": self.connect_failures,
            "rest_periods": self.rest_periods,
            "snapshots": self.snapshots,
            "trades": self.trades,
            "deep_trade_fetches": self.deep_trade_fetches,
            "trade_gaps": self.trade_gaps,
            "errors": self.errors,
            "cycle_s": cycle,
            "requests_per_min": len(self._pairs()) * self.REQUESTS_PER_PAIR * 60.0 / cycle,
        }
