"""Public market data views (REST §4.5–4.8) over the engine, or over a replayed book (replay.py).

- depth: ``{"asks", "bids", "lastUpdateId": str, "timestamp": µs}``, both sides ascending (§4.6).
- trades: ``[{"id", "price", "quantity", "quoteQuantity", "timestamp": ms, "isBuyerMaker"}]`` newest first
  (``/trades`` as the real API; ``/trades/history`` the same, ``offset`` skipping the newest).
- ticker: ``{"symbol","firstPrice","lastPrice","priceChange","priceChangePercent" (fraction),"high","low",
  "volume","quoteVolume","trades"}`` over the last 24 h of fills kept by the engine (``1w`` uses the
  same 24 h window — the sandbox keeps no more).
- klines: ``[{"start","end" ("YYYY-MM-DD HH:MM:SS" UTC),"open","high","low","close","volume","quoteVolume","trades"}]``
  from the :class:`~backpack_sandbox.candles.CandleStore` (engine and replayed trades alike).
"""
from __future__ import annotations

from decimal import Decimal
from typing import List, Optional

from .candles import CandleStore
from .markets import fmt
from .models import ZERO


class MarketData:
    """Reads the engine's books/trades; symbols owned by a replay feed are served from it instead."""

    def __init__(self, engine, replay=None, candles: Optional[CandleStore] = None) -> None:
        self.engine = engine
        self.replay = replay
        self.candles = candles if candles is not None else CandleStore()

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
        end_s = end_s if end_s is not None else self.engine.clock.now_ms() // 1000
        return [c.rest_json() for c in self.candles.candles(symbol, interval, start_s, end_s)]
