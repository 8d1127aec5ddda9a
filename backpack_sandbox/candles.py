"""Candles built from the sandbox's own trades (docs/backpack-api.md §4.8 REST, §8.2 WS ``kline``).

:class:`CandleStore` keeps one-second OHLCV buckets per symbol (times in engine seconds, UTC); every documented
interval (:data:`KLINE_SECONDS`) is aggregated from them, buckets aligned to the epoch (``1month`` = 30 days,
the sandbox's reading). Buckets older than ``retention_s`` are dropped.

:class:`KlinePublisher` pushes ``kline.<interval>.<symbol>`` frames at most once a second, when the open candle
changed, and once more with ``X: true`` when it closed (a candle that opened and closed between two ticks gets only
the closing push). ``t``/``T`` (start/end) are naive ISO-8601 UTC strings
(§8.2, §10.3), numbers REST-formatted, ``n`` a number.
"""
from __future__ import annotations

import asyncio
import bisect
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Tuple

from .markets import fmt

KLINE_SECONDS = {
    "1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400,
    "6h": 21600, "8h": 28800, "12h": 43200, "1d": 86400, "3d": 259200, "1w": 604800, "1month": 2592000,
}


@dataclass
class Candle:
    """OHLCV of ``[start_s, start_s + width_s)``: prices in quote, ``volume`` base, ``quote_volume`` quote."""

    start_s: int
    width_s: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int

    def key(self) -> Tuple:
        return (self.start_s, self.open, self.high, self.low, self.close, self.volume, self.trades)

    def rest_json(self) -> dict:
        """§4.8 element: ``start``/``end`` as ``"YYYY-MM-DD HH:MM:SS"`` UTC."""
        return {"start": _text(self.start_s, " "), "end": _text(self.start_s + self.width_s, " "),
                "open": fmt(self.open), "high": fmt(self.high), "low": fmt(self.low), "close": fmt(self.close),
                "volume": fmt(self.volume), "quoteVolume": fmt(self.quote_volume), "trades": str(self.trades)}

    def ws_json(self, symbol: str, now_us: int, closed: bool) -> dict:
        """§8.2 ``kline`` payload."""
        return {"e": "kline", "E": now_us, "s": symbol, "t": _text(self.start_s, "T"),
                "T": _text(self.start_s + self.width_s, "T"), "o": fmt(self.open), "c": fmt(self.close),
                "h": fmt(self.high), "l": fmt(self.low), "v": fmt(self.volume), "n": self.trades, "X": closed}


def _text(sec: int, sep: str) -> str:
    return datetime.fromtimestamp(sec, tz=timezone.utc).strftime(f"%Y-%m-%d{sep}%H:%M:%S")


class CandleStore:
    """One-second buckets ``[open, high, low, close, volume, quote volume, trades]`` per symbol."""

    def __init__(self, retention_s: int = 7 * 86400) -> None:
        self.retention_s = retention_s
        self._secs: Dict[str, List[int]] = {}
        self._buckets: Dict[str, Dict[int, list]] = {}

    def add(self, symbol: str, price: Decimal, qty: Decimal, time_us: int) -> None:
        """Record one trade (price in quote, quantity in base, engine time µs)."""
        sec = time_us // 1_000_000
        secs = self._secs.setdefault(symbol, [])
        buckets = self._buckets.setdefault(symbol, {})
        b = buckets.get(sec)
        if b is None:
            buckets[sec] = [price, price, price, price, qty, price * qty, 1]
            if not secs or sec > secs[-1]:
                secs.append(sec)
            else:
                bisect.insort(secs, sec)
            while secs and secs[0] < sec - self.retention_s:
                del buckets[secs.pop(0)]
            return
        b[1] = max(b[1], price)
        b[2] = min(b[2], price)
        b[3] = price
        b[4] += qty
        b[5] += price * qty
        b[6] += 1

    def candles(self, symbol: str, interval: str, start_s: int, end_s: int) -> List[Candle]:
        """Candles of ``interval`` overlapping ``[start_s, end_s]``, oldest first; empty buckets omitted."""
        width = KLINE_SECONDS[interval]
        secs = self._secs.get(symbol, [])
        buckets = self._buckets.get(symbol, {})
        lo = bisect.bisect_left(secs, start_s - start_s % width)
        hi = bisect.bisect_right(secs, end_s)
        out: List[Candle] = []
        for sec in secs[lo:hi]:
            b = buckets[sec]
            start = sec - sec % width
            if out and out[-1].start_s == start:
                c = out[-1]
                c.high, c.low, c.close = max(c.high, b[1]), min(c.low, b[2]), b[3]
                c.volume += b[4]
                c.quote_volume += b[5]
                c.trades += b[6]
            else:
                out.append(Candle(start, width, b[0], b[1], b[2], b[3], b[4], b[5], b[6]))
        return out

    def candle_at(self, symbol: str, interval: str, start_s: int) -> Optional[Candle]:
        """The candle starting at ``start_s`` (aligned), or None when it holds no trade."""
        found = self.candles(symbol, interval, start_s, start_s + KLINE_SECONDS[interval] - 1)
        return found[0] if found and found[0].start_s == start_s else None

    # engine listener: only trades matter here
    def on_trade(self, spec, fill) -> None:
        self.add(spec.symbol, fill.price, fill.quantity, fill.time_us)

    def on_order_event(self, *args) -> None:
        pass

    def on_balance(self, *args, **kwargs) -> None:
        pass

    def on_depth(self, *args) -> None:
        pass

    def on_book_ticker(self, *args) -> None:
        pass


class KlinePublisher:
    """Once a second, for every subscribed ``kline.<interval>.<symbol>``: the open candle when it changed, and
    the previous one with ``X: true`` when it closed. ``publish(stream, data)`` and ``streams()`` come from the
    WS hub; ``now_us()`` is the engine clock."""

    def __init__(self, store: CandleStore, streams: Callable[[], List[str]], publish: Callable[[str, dict], None],
                 now_us: Callable[[], int]) -> None:
        self.store = store
        self.streams = streams
        self.publish = publish
        self.now_us = now_us
        self._state: Dict[str, Tuple[int, Optional[Tuple]]] = {}  # stream → (open candle's start, pushed key)

    def tick(self) -> None:
        now_us = self.now_us()
        now_s = now_us // 1_000_000
        live = set()
        for stream, since_us in self.streams().items():
            _, interval, symbol = stream.split(".", 2)
            live.add(stream)
            width = KLINE_SECONDS[interval]
            start = now_s - now_s % width
            first = since_us // 1_000_000
            since, last_key = self._state.get(stream, (min(start, first - first % width), None))
            if since < start:  # candles that closed since the last tick, short ones never seen open included
                for closed in self.store.candles(symbol, interval, since, start - 1):
                    self.publish(stream, closed.ws_json(symbol, now_us, True))
                last_key = None
            current = self.store.candle_at(symbol, interval, start)
            if current is not None and current.key() != last_key:
                self.publish(stream, current.ws_json(symbol, now_us, False))
                last_key = current.key()
            self._state[stream] = (start, last_key)
        for stream in list(self._state):
            if stream not in live:
                del self._state[stream]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.tick()
