"""The chaos run's order driver: a steady, seeded load of order placements, cancels, batch placements and batch
cancels on one trading pair, through the connector's public Hummingbot API (``buy``/``sell``, ``cancel``,
``batch_order_create``, ``batch_order_cancel``) — the calls strategies make.

Each :meth:`OrderDriver.step` (one per ``interval_s`` seconds):
- places one limit order: a quarter of them cross the spread by ``cross_bps`` (taker fills), the rest rest
  ``rest_bps`` away from the mid (maker fills when the sandbox's flow sweeps them);
- every ``batch_every`` steps, places ``batch_size`` resting orders in one ``batch_order_create``;
- cancels its orders older than ``hold_s``: one by one, or every ``batch_every`` steps up to ``batch_size`` of them
  in one ``batch_order_cancel``.
Resting placements pause while ``max_open`` of its orders are open. Prices are in quote units, amounts in base.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from decimal import Decimal
from typing import Any, Callable, Dict, List, Tuple

from hummingbot.core.data_type.common import OrderType, PriceType, TradeType
from hummingbot.core.data_type.limit_order import LimitOrder

BPS = Decimal("0.0001")
LOGGED_ERRORS = 5  # the first failing steps are logged with their traceback, the rest only counted


class OrderDriver:
    """See the module doc. ``counts`` holds what it did: ``placed``, ``batch_placed``, ``cancels``,
    ``batch_cancels``, ``skipped_no_price``, ``errors``."""

    def __init__(self, connector: Any, trading_pair: str, rng: random.Random, interval_s: float = 1.0,
                 amounts: Tuple[str, str] = ("0.01", "0.03"), rest_bps: Tuple[int, int] = (3, 30),
                 cross_bps: int = 30, hold_s: Tuple[float, float] = (2.0, 8.0), batch_every: int = 4,
                 batch_size: int = 3, max_open: int = 8, clock: Callable[[], float] = time.monotonic) -> None:
        self._connector = connector
        self.trading_pair = trading_pair
        self.base, self.quote = trading_pair.split("-")
        self._rng = rng
        self.interval_s = interval_s
        self._amounts = (Decimal(amounts[0]), Decimal(amounts[1]))
        self._rest_bps = rest_bps
        self._cross_bps = cross_bps
        self._hold_s = hold_s
        self._batch_every = batch_every
        self._batch_size = batch_size
        self._max_open = max_open
        self._clock = clock
        self._steps = 0
        self._deadline: Dict[str, float] = {}  # client order id -> monotonic time after which it is cancelled
        self.counts: Counter = Counter()

    # -------------------------------------------------------------------------------------------- loop
    async def run(self) -> None:
        """Call :meth:`step` every ``interval_s`` seconds until cancelled; a failing step is counted, not raised."""
        while True:
            try:
                self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.counts["errors"] += 1
                if self.counts["errors"] <= LOGGED_ERRORS:
                    logging.getLogger(__name__).exception("Order driver step failed")
            await asyncio.sleep(self.interval_s)

    def step(self) -> None:
        self._steps += 1
        mid = self._connector.get_price_by_type(self.trading_pair, PriceType.MidPrice)
        if mid is None or mid != mid or mid <= 0:
            self.counts["skipped_no_price"] += 1
            return
        mid = Decimal(str(mid))
        batch_turn = self._steps % self._batch_every == 0
        self._cancel_due(batch_turn)
        open_now = len(self._open_orders())
        crossing = self._rng.random() < 0.25
        if crossing or open_now < self._max_open:
            self._place_one(mid, crossing)
        if batch_turn and open_now < self._max_open:
            self._place_batch(mid)

    # -------------------------------------------------------------------------------------------- orders
    def _open_orders(self) -> List[Any]:
        return [o for o in self._connector.in_flight_orders.values()
                if o.trading_pair == self.trading_pair and o.client_order_id in self._deadline and not o.is_done]

    def _order(self, mid: Decimal, crossing: bool) -> Tuple[TradeType, Decimal, Decimal]:
        side = self._rng.choice([TradeType.BUY, TradeType.SELL])
        bps = -self._cross_bps if crossing else self._rng.randint(*self._rest_bps)
        # BUY rests below the mid and crosses above it; SELL the other way round.
        factor = Decimal(1) - bps * BPS if side is TradeType.BUY else Decimal(1) + bps * BPS
        price = self._connector.quantize_order_price(self.trading_pair, mid * factor)
        low, high = self._amounts
        amount = low + (high - low) * Decimal(str(round(self._rng.random(), 4)))
        return side, self._connector.quantize_order_amount(self.trading_pair, amount), price

    def _remember(self, client_order_id: str) -> None:
        self._deadline[client_order_id] = self._clock() + self._rng.uniform(*self._hold_s)

    def _place_one(self, mid: Decimal, crossing: bool) -> None:
        side, amount, price = self._order(mid, crossing)
        place = self._connector.buy if side is TradeType.BUY else self._connector.sell
        self._remember(place(self.trading_pair, amount, OrderType.LIMIT, price))
        self.counts["placed"] += 1

    def _place_batch(self, mid: Decimal) -> None:
        orders = []
        for _ in range(self._batch_size):
            side, amount, price = self._order(mid, crossing=False)
            orders.append(LimitOrder(client_order_id="", trading_pair=self.trading_pair,
                                     is_buy=side is TradeType.BUY, base_currency=self.base,
                                     quote_currency=self.quote, price=price, quantity=amount))
        for order in self._connector.batch_order_create(orders):
            self._remember(order.client_order_id)
        self.counts["batch_placed"] += len(orders)

    def _cancel_due(self, batch_turn: bool) -> None:
        now = self._clock()
        due = [o for o in self._open_orders()
               if self._deadline[o.client_order_id] <= now and not o.is_pending_cancel_confirmation]
        for order in due:
            self._deadline[order.client_order_id] = now + 5.0  # not again before 5 s if it stays open
        if batch_turn and due:
            chunk = due[:self._batch_size]
            self._connector.batch_order_cancel([
                LimitOrder(client_order_id=o.client_order_id, trading_pair=o.trading_pair,
                           is_buy=o.trade_type is TradeType.BUY, base_currency=self.base, quote_currency=self.quote,
                           price=o.price, quantity=o.amount) for o in chunk])
            self.counts["batch_cancels"] += len(chunk)
            due = due[len(chunk):]
        for order in due:
            self._connector.cancel(self.trading_pair, order.client_order_id)
            self.counts["cancels"] += 1
        for client_order_id in [c for c in self._deadline if self._connector.in_flight_orders.get(c) is None]:
            del self._deadline[client_order_id]
