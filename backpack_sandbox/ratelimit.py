"""Sliding-window request limiter (docs/backpack-api.md §7: 2000 requests/min per subaccount, 30/min on
historical routes; over the limit → 429 ``TOO_MANY_REQUESTS``)."""
from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Callable, Deque, Dict


class SlidingWindow:
    """At most ``limit`` accepted hits per ``window_s`` seconds per key (rejected hits are not counted)."""

    def __init__(self, limit: int, window_s: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._now = now
        self._hits: Dict[str, Deque[float]] = defaultdict(deque)

    def allow(self, key: str, weight: int = 1) -> bool:
        """Count ``weight`` hits (all or none) if they fit in the window."""
        now = self._now()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) + weight > self.limit:
            return False
        hits.extend([now] * weight)
        return True

    def reset(self) -> None:
        self._hits.clear()
