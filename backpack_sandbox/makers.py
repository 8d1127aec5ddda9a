"""Background liquidity that looks like a market (``flow_style="market"``, the default): several independent makers.

- Makers (:data:`MAKERS`, the first ``makers`` of them): each keeps its own ladder around its own view of the market's
  mid (the shared random-walk mid plus a small offset of its own): half-spread, level spacing, level count and order
  sizes of its profile. They trade from the flow's one liquidity account (so ``flow.maker``/``flow.taker`` still own
  every background order); post-only: a level that would cross another maker's quote is skipped.
- Events: per market, a Poisson stream of ``depth_rate × pace`` events a second. Each event walks the mid (σ scaled
  so that a second moves it ≈ 3 bps, slight pull back to the initial mid) and lets one maker bring its ladder to the
  new mid: levels that left it are cancelled, missing ones placed, and now and then one level re-sized — all in ONE
  engine command (:meth:`Engine.requote`), so one depth diff; a maker never leaves the book empty between diffs.
- Takers: :class:`~backpack_sandbox.flow.FlowDriver`'s taker bot, unchanged.

``depth_rate`` defaults to 20 messages a second per market: the order of what one liquid Backpack book sends
(docs/backpack-api.md §7: ~2.8k frames/s over 91 depth streams) and of the per-market load of the ``ladder`` style.
Deterministic given ``seed`` (each maker, market stream and taker has its own ``random.Random``).
"""
from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Dict, List, Tuple

from .flow import FlowDriver
from .models import Order

log = logging.getLogger("backpack_sandbox.makers")


@dataclass(frozen=True)
class MakerProfile:
    """Ladder shape: distances in basis points of the mid, order sizes as quote notional."""

    half_spread_bps: float
    spacing_bps: float
    levels: int
    notional: Tuple[float, float]
    view_bps: float  # σ of the maker's own offset from the shared mid


MAKERS = (
    MakerProfile(1.5, 2.0, 6, (200, 1500), 0.3),
    MakerProfile(3.0, 4.0, 10, (500, 3000), 0.6),
    MakerProfile(8.0, 10.0, 8, (2000, 10000), 1.0),
    MakerProfile(2.0, 6.0, 12, (300, 2000), 0.8),
    MakerProfile(12.0, 15.0, 6, (5000, 20000), 1.5),
)


class _Maker:
    def __init__(self, profile: MakerProfile, rng: random.Random) -> None:
        self.profile = profile
        self.rng = rng
        self.offset: Dict[str, float] = {}
        self.orders: Dict[str, Dict[Tuple[str, Decimal], Order]] = {}  # symbol → (side, price) → resting order


class MarketFlow(FlowDriver):
    """Several makers and the taker bot on ``symbols`` (see module doc)."""

    def __init__(self, engine, symbols: List[str], seed: int, pace: float = 1.0, makers: int = 3,
                 depth_rate: float = 20.0) -> None:
        super().__init__(engine, symbols, seed, pace)
        self.maker_count = max(1, min(int(makers), len(MAKERS)))
        self.depth_rate = max(0.01, float(depth_rate))
        self.makers: List[_Maker] = []
        self.seed = seed

    def _make_accounts(self, add_account) -> None:
        super()._make_accounts(add_account)
        self.makers = [_Maker(profile, random.Random(self.seed * 1_000_003 + 10 + i))
                       for i, profile in enumerate(MAKERS[:self.maker_count])]

    def start(self, add_account) -> None:
        self._make_accounts(add_account)
        for s in self.symbols:
            self.requote(s)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._market_loop(s, i)) for i, s in enumerate(self.symbols)]
        self._tasks.append(loop.create_task(self._taker_loop()))

    def requote(self, symbol: str) -> None:
        """Every maker brings its ladder on ``symbol`` to the current mid (one command each)."""
        for maker in self.makers:
            self._quote(maker, symbol, churn=False)

    def _quote(self, maker: _Maker, symbol: str, churn: bool) -> None:
        spec = self.engine.specs[symbol]
        p, rng = maker.profile, maker.rng
        offset = maker.offset.get(symbol, 0.0) * 0.9 + rng.gauss(0.0, p.view_bps) * 0.1
        maker.offset[symbol] = offset
        mid = self.mids[symbol] * Decimal(str(round(1 + offset / 10_000, 8)))
        tick = spec.tick_size
        wanted: Dict[Tuple[str, Decimal], None] = {}
        for i in range(p.levels):
            for side in ("Bid", "Ask"):
                dist = Decimal(str((p.half_spread_bps + p.spacing_bps * i) / 10_000))
                raw = mid * (1 - dist) if side == "Bid" else mid * (1 + dist)
                rounding = ROUND_FLOOR if side == "Bid" else ROUND_CEILING
                price = (raw / tick).to_integral_value(rounding=rounding) * tick
                if price > 0:
                    wanted[(side, price)] = None
        book = maker.orders.setdefault(symbol, {})
        resting = {key: o for key, o in book.items() if o.is_open}
        cancel = [o for key, o in resting.items() if key not in wanted]
        place = [key for key in wanted if key not in resting]
        kept = [key for key in wanted if key in resting]
        if churn and kept and rng.random() < 0.5:
            key = rng.choice(kept)
            cancel.append(resting[key])
            place.append(key)
        if not cancel and not place:
            return
        payloads = []
        for side, price in place:
            notional = Decimal(str(round(rng.uniform(*p.notional), 2)))
            qty = max(spec.min_quantity,
                      (notional / price / spec.step_size).to_integral_value(rounding=ROUND_FLOOR) * spec.step_size)
            payloads.append({"symbol": symbol, "side": side, "orderType": "Limit", "price": str(price),
                             "quantity": str(qty), "postOnly": True})
        placed = self.engine.requote(self.maker, symbol, cancel, payloads)
        book.clear()
        book.update(resting)
        for o in cancel:
            book.pop((o.side, o.price), None)
        for key, order in zip(place, placed):
            if order is not None and order.is_open:
                book[key] = order

    def _walk(self, symbol: str, rng: random.Random) -> None:
        spec = self.engine.specs[symbol]
        events = self.depth_rate * self.pace
        mid = float(self.mids[symbol])
        mid *= math.exp(rng.gauss(0.0, 0.0003 / math.sqrt(events)))
        mid += 0.01 / events * (float(spec.initial_mid) - mid)
        self.mids[symbol] = max(Decimal(str(round(mid, 8))), spec.tick_size * 10)

    async def _market_loop(self, symbol: str, index: int) -> None:
        rng = random.Random(self.seed * 1_000_003 + 100 + index)
        while True:
            await asyncio.sleep(rng.expovariate(self.depth_rate * self.pace))
            self._walk(symbol, rng)
            self._quote(rng.choice(self.makers), symbol, churn=True)
