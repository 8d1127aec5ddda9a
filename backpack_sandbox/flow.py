"""Background market flow: two internal accounts trade so the books look alive.

- Liquidity bot: per market, ``levels`` bids and asks around a random-walk mid (geometric steps,
  σ ≈ 3 bps per requote, slight pull back to the initial mid). 10 levels by default; half-spread ≈ 2 bps,
  level spacing ≈ 3 bps (at least one tick), level size ≈ 300–3000 quote units. Requotes each market every
  0.5–1.5 s (divided by ``pace``) by cancelling and re-placing its orders.
- Taker bot: every 0.3–1.0 s (divided by ``pace``) sends, on a random market and side, a Market order
  (or an IOC limit at the k-th level) sized to walk through 1–3 top levels — one in four sweeps 6–9
  levels — so a maker quoting at the touch, or 10–20 bps away, is filled within seconds.

Deterministic given ``seed``: all choices come from ``random.Random`` instances seeded from it
(wall-clock interleaving of the two loops is not deterministic). Initial mids: SOL 150, BTC 90000,
ETH 3000 (markets.py).
"""
from __future__ import annotations

import asyncio
import logging
import math
import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Dict, List, Optional

from .errors import ApiError
from .tasks import cancel_and_wait

log = logging.getLogger("backpack_sandbox.flow")

BOT_BALANCE = Decimal("1000000000000")


class FlowDriver:
    def __init__(self, engine, symbols: List[str], seed: int, pace: float = 1.0, levels: int = 5) -> None:
        self.engine = engine
        self.symbols = list(symbols)
        self.pace = max(0.01, float(pace))
        self.levels = max(1, int(levels))
        self.maker_rng = random.Random(seed * 1_000_003 + 1)
        self.taker_rng = random.Random(seed * 1_000_003 + 2)
        self.mids: Dict[str, Decimal] = {s: engine.specs[s].initial_mid for s in self.symbols}
        self.maker = None
        self.taker = None
        self._tasks: List[asyncio.Task] = []

    def _make_accounts(self, add_account) -> None:
        assets = {"USDC": BOT_BALANCE}
        for s in self.symbols:
            spec = self.engine.specs[s]
            assets[spec.base] = BOT_BALANCE
            assets[spec.quote] = BOT_BALANCE
        self.maker = add_account(assets, label="flow-liquidity")
        self.taker = add_account(assets, label="flow-taker")

    def start(self, add_account) -> None:
        """``add_account(balances, label=...) -> Account`` creates an internal account."""
        self._make_accounts(add_account)
        for s in self.symbols:
            self.requote(s)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._maker_loop()), loop.create_task(self._taker_loop())]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []

    # ------------------------------------------------------------------ liquidity
    def set_mid(self, symbol: str, mid: Decimal) -> None:
        self.mids[symbol] = mid
        if self.maker is not None:
            self.requote(symbol)

    def _walk_mid(self, symbol: str) -> None:
        spec = self.engine.specs[symbol]
        mid = float(self.mids[symbol])
        mid *= math.exp(self.maker_rng.gauss(0.0, 0.0003))
        mid += 0.01 * (float(spec.initial_mid) - mid)
        self.mids[symbol] = max(Decimal(str(round(mid, 8))), spec.tick_size * 10)

    def requote(self, symbol: str) -> None:
        spec = self.engine.specs[symbol]
        engine = self.engine
        engine.cancel_all(self.maker, symbol)
        mid = self.mids[symbol]
        tick, step = spec.tick_size, spec.step_size
        half = max(tick, mid * Decimal("0.0002"))
        spacing = max(tick, mid * Decimal("0.0003"))
        rng = self.maker_rng
        for i in range(self.levels):
            for side in ("Bid", "Ask"):
                raw = mid - half - spacing * i if side == "Bid" else mid + half + spacing * i
                rounding = ROUND_FLOOR if side == "Bid" else ROUND_CEILING
                price = (raw / tick).to_integral_value(rounding=rounding) * tick
                if price <= 0:
                    continue
                notional = Decimal(str(round(rng.uniform(300, 3000), 2)))
                qty = max(spec.min_quantity, (notional / price / step).to_integral_value(rounding=ROUND_FLOOR) * step)
                try:
                    engine.place(self.maker, {"symbol": symbol, "side": side, "orderType": "Limit",
                                              "price": str(price), "quantity": str(qty), "timeInForce": "GTC"})
                except ApiError as e:  # never expected; keep the flow alive
                    log.debug("liquidity order rejected: %s", e.message)

    async def _maker_loop(self) -> None:
        while True:
            for symbol in self.symbols:
                self._walk_mid(symbol)
                self.requote(symbol)
                await asyncio.sleep(0)
            await asyncio.sleep(self.maker_rng.uniform(0.5, 1.5) / self.pace)

    # ------------------------------------------------------------------ taker
    def take_once(self) -> Optional[object]:
        rng = self.taker_rng
        symbol = rng.choice(self.symbols)
        side = rng.choice(("Bid", "Ask"))
        spec = self.engine.specs[symbol]
        book = self.engine.markets[symbol].book
        opp = "Ask" if side == "Bid" else "Bid"
        # Mostly small takes through the top 1-3 levels; one in four sweeps 6-9 levels (~17-26 bps with the
        # default ladder), so a maker quoting 10-20 bps from the mid (above the 8 bps maker fee) gets filled too,
        # while a 10-level ladder keeps both sides of the book non-empty.
        sweep = rng.random() < 0.25
        k = rng.randint(6, 9) if sweep else rng.randint(1, 3)
        prices = []
        total = Decimal(0)
        for p in book.levels_from_best(opp):
            prices.append(p)
            total += book.level_qty[opp][p]
            if len(prices) >= k:
                break
        if not prices:
            return None
        frac = Decimal(1) if sweep else Decimal(str(round(rng.uniform(0.4, 1.0), 3)))
        qty = (total * frac / spec.step_size).to_integral_value(rounding=ROUND_FLOOR) * spec.step_size
        if qty < spec.min_quantity:
            qty = spec.min_quantity
        payload = {"symbol": symbol, "side": side, "quantity": str(qty)}
        if rng.random() < 0.5:
            payload["orderType"] = "Market"
        else:
            payload.update(orderType="Limit", price=str(prices[-1]), timeInForce="IOC")
        try:
            return self.engine.place(self.taker, payload)
        except ApiError as e:
            log.debug("taker order rejected: %s", e.message)
            return None

    async def _taker_loop(self) -> None:
        while True:
            await asyncio.sleep(self.taker_rng.uniform(0.3, 1.0) / self.pace)
            self.take_once()
