"""Server clock of the sandbox.

Every timestamp the sandbox produces or checks comes from one :class:`Clock`, so the
``clock_offset_ms`` fault (server clock skew) moves ``/api/v1/time`` (ms, docs/backpack-api.md §2.7),
the signature freshness check (§2.2, §2.7) and the µs event times of WS frames (§8.1) together.
Tests may pin the clock with ``fixed_ms`` (e.g. to the timestamp of the §2.6 vectors).
"""
from __future__ import annotations

import time
from typing import Optional


class Clock:
    """Wall clock plus an offset; optionally frozen.

    ``offset_ms``: added to the real time (ms). ``fixed_ms``: when not None, ``now_ms()`` returns it
    (plus the offset) instead of the real time.
    """

    def __init__(self, offset_ms: int = 0, fixed_ms: Optional[int] = None) -> None:
        self.offset_ms = int(offset_ms)
        self.fixed_ms = fixed_ms

    def now_us(self) -> int:
        """Current server time in microseconds (WS ``E``/``T``, depth ``timestamp``; §8.1, §4.6)."""
        if self.fixed_ms is not None:
            base_us = int(self.fixed_ms) * 1000
        else:
            base_us = time.time_ns() // 1000
        return base_us + self.offset_ms * 1000

    def now_ms(self) -> int:
        """Current server time in milliseconds (``/api/v1/time``, ``X-Timestamp`` checks; §2.7)."""
        return self.now_us() // 1000
