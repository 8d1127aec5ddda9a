"""Price-time priority order book of one market (pure data structure, no balances).

Levels are kept in ascending price lists on both sides, matching the REST ``/depth`` order of
docs/backpack-api.md §4.6 (bids ascending with the best bid LAST, asks ascending with the best ask first).
"""
from __future__ import annotations

import bisect
from collections import deque
from decimal import Decimal
from typing import Deque, Dict, Iterator, List, Optional, Tuple

BID = "Bid"
ASK = "Ask"


class Book:
    """Resting orders per price level (FIFO) and the aggregated quantity of each level."""

    def __init__(self) -> None:
        self.prices: Dict[str, List[Decimal]] = {BID: [], ASK: []}
        self.queues: Dict[str, Dict[Decimal, Deque]] = {BID: {}, ASK: {}}
        self.level_qty: Dict[str, Dict[Decimal, Decimal]] = {BID: {}, ASK: {}}

    def best(self, side: str) -> Optional[Decimal]:
        prices = self.prices[side]
        if not prices:
            return None
        return prices[-1] if side == BID else prices[0]

    def top(self, side: str) -> Tuple[Optional[Decimal], Optional[Decimal]]:
        """(price, aggregated quantity) of the best level, or (None, None)."""
        p = self.best(side)
        return (p, self.level_qty[side][p]) if p is not None else (None, None)

    def add(self, order) -> None:
        """Append ``order`` (attributes ``side``, ``price``, ``remaining``) to the back of its level."""
        side, price = order.side, order.price
        queue = self.queues[side].get(price)
        if queue is None:
            queue = deque()
            self.queues[side][price] = queue
            bisect.insort(self.prices[side], price)
            self.level_qty[side][price] = Decimal(0)
        queue.append(order)
        self.level_qty[side][price] += order.remaining

    def reduce(self, order, qty: Decimal) -> None:
        """A resting ``order`` lost ``qty`` (a fill); removes it from the book when nothing remains."""
        side, price = order.side, order.price
        self.level_qty[side][price] -= qty
        if order.remaining <= 0:
            self._remove_from_queue(order)

    def remove(self, order) -> None:
        """Take a resting ``order`` off the book (cancel/expire)."""
        side, price = order.side, order.price
        if price not in self.queues[side]:
            return
        self.level_qty[side][price] -= order.remaining
        self._remove_from_queue(order)

    def _remove_from_queue(self, order) -> None:
        side, price = order.side, order.price
        queue = self.queues[side].get(price)
        if queue is None:
            return
        try:
            queue.remove(order)
        except ValueError:
            pass
        if not queue:
            del self.queues[side][price]
            del self.level_qty[side][price]
            idx = bisect.bisect_left(self.prices[side], price)
            if idx < len(self.prices[side]) and self.prices[side][idx] == price:
                self.prices[side].pop(idx)

    def levels_from_best(self, side: str) -> Iterator[Decimal]:
        """Prices of ``side`` from the best level outward (snapshot of the list)."""
        prices = list(self.prices[side])
        return iter(reversed(prices)) if side == BID else iter(prices)

    def depth(self, side: str, limit: int) -> List[Tuple[Decimal, Decimal]]:
        """Up to ``limit`` best levels of ``side``, returned in ascending price order (§4.6)."""
        prices = self.prices[side]
        chosen = prices[-limit:] if side == BID else prices[:limit]
        return [(p, self.level_qty[side][p]) for p in chosen]

    def orders(self) -> Iterator:
        for side in (BID, ASK):
            for queue in self.queues[side].values():
                yield from queue
