"""Public market data views (REST §4.5–4.8) over the engine, or over a replayed book (replay.py).

- depth: ``{"asks", "bids", "lastUpdateId": str, "timestamp": µs}``, both sides ascending (§4.6).
- trades: ``[{"id", "price", "quantity", "quoteQuantity", "timestamp": ms, "isBuyerMaker"}]`` newest first
  (``/trades`` as the real API; ``/trades/history`` the same, ``offset`` skipping the newest).
- ticker: ``{"symbol","firstPrice","lastPrice","priceChange","priceChangePercent" (fraction),"high","low",
  "volume","quoteVolume","trades"}`` over the last 24 h of fills kept by the engine (``1w`` uses the
  same 24 h window — the sandbox keeps no more).
- klines: ``[{"start","end" ("YYYY-MM-DD HH:MM:SS" UTC),"open","high","low","close","volume","quoteVolume","trades"}]``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import List, Optional

from .markets import fmt
from .models import ZERO

KLINE_SECONDS = {
    "1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400,
    "6h": 21600, "8h": 28800, "12h": 43200, "1d": 86400, "3d": 259200, "1w": 604800, "1month": 2592000,
}


def _kline_time(sec: int) -> str:
    return datetime.fromtimestamp(sec, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class MarketData:
    """Reads the engine's books/trades; symbols owned by a replay feed are served from it instead."""

    def __init__(self, engine, replay=None) -> None:
        self.engine = engine
        self.replay = replay

    def _replayed(self, symbol: str) -> bool:
        return self.replay is not None and self.replay.has(symbol)

    def depth(self, symbol: str, limit: int) -> dict:
        if self._replayed(symbol):
            bids, asks, last_id, ts = self.replay.depth(symbol, limit)
        else:
            bids, asks, last_id, ts = self.engine.depth(symbol, limit)
        return {
            "asks": [[fmt(p), fmt(q)] for p, q in asks],
            "bids": [[fmt(p), fmt(q)] for p, q in bids],
            "lastUpdateId": str(last_id),
            "timestamp": ts,
        }

    def _trade_rows(self, symbol: str) -> List[tuple]:
        """(id, price, qty, time_us, buyer_is_maker) oldest first."""
        if self._replayed(symbol):
            return self.replay.trades(symbol)
        m = self.engine.market(symbol)
        return [(f.trade_id, f.price, f.quantity, f.time_us, f.buyer_is_maker) for f in m.trades]

    def trades(self, symbol: str, limit: int = 100, offset: int = 0) -> List[dict]:
        rows = self._trade_rows(symbol)
        end = len(rows) - offset
        rows = rows[max(0, end - limit):max(0, end)][::-1]
        return [{"id": i, "price": fmt(p), "quantity": fmt(q), "quoteQuantity": fmt(p * q),
                 "timestamp": t // 1000, "isBuyerMaker": m} for i, p, q, t, m in rows]

    def ticker(self, symbol: str) -> dict:
        now_us = self.engine.clock.now_us()
        rows = [r for r in self._trade_rows(symbol) if r[3] >= now_us - 86_400_000_000]
        spec = self.engine.specs[symbol]
        if rows:
            first, last = rows[0][1], rows[-1][1]
            high = max(r[1] for r in rows)
            low = min(r[1] for r in rows)
            vol = sum((r[2] for r in rows), ZERO)
            qvol = sum((r[1] * r[2] for r in rows), ZERO)
        else:
            all_rows = self._trade_rows(symbol)
            first = last = high = low = all_rows[-1][1] if all_rows else spec.initial_mid
            vol = qvol = ZERO
        change = last - first
        pct = (change / first).quantize(Decimal("0.000001")) if first else ZERO
        return {
            "symbol": symbol, "firstPrice": fmt(first), "lastPrice": fmt(last), "priceChange": fmt(change),
            "priceChangePercent": fmt(pct), "high": fmt(high), "low": fmt(low), "volume": fmt(vol),
            "quoteVolume": fmt(qvol), "trades": str(len(rows)),
        }

    def klines(self, symbol: str, interval: str, start_s: int, end_s: Optional[int]) -> List[dict]:
        width = KLINE_SECONDS[interval]
        end_s = end_s if end_s is not None else self.engine.clock.now_ms() // 1000
        buckets: dict = {}
        for _, p, q, t, _m in self._trade_rows(symbol):
            sec = t // 1_000_000
            if sec < start_s or sec > end_s:
                continue
            b = buckets.setdefault(sec - sec % width, [p, p, p, p, ZERO, ZERO, 0])
            b[1] = max(b[1], p)
            b[2] = min(b[2], p)
            b[3] = p
            b[4] += q
            b[5] += p * q
            b[6] += 1
        return [{"start": _kline_time(s), "end": _kline_time(s + width), "open": fmt(b[0]), "high": fmt(b[1]),
                 "low": fmt(b[2]), "close": fmt(b[3]), "volume": fmt(b[4]), "quoteVolume": fmt(b[5]),
                 "trades": str(b[6])} for s, b in sorted(buckets.items())]
