"""Taker speed bump (``open-questions.md`` U4, ``backpack-api.md`` §5.5): every placement that is not post-only
waits ``ms`` before it reaches the engine; post-only orders and cancels are never held.

Switch: config ``taker_speed_bump_ms`` (default 100, 0 = off), CLI ``--taker-speed-bump-ms``, control
``POST /_sandbox/speed-bump {"ms": N}`` / ``GET /_sandbox/speed-bump``, Python ``server.speed_bump.set(ms)``.
"""
from __future__ import annotations

import asyncio
from typing import Any


class SpeedBump:
    """Current hold (``ms``) and counters: ``held`` placements held, ``passed`` placements not held."""

    def __init__(self, ms: float = 100.0) -> None:
        self.ms = 0.0
        self.held = 0
        self.passed = 0
        self.set(ms)

    def set(self, ms: float) -> float:
        """Hold non-post-only placements ``ms`` milliseconds (0 switches the bump off); returns the value."""
        value = float(ms)
        if value < 0:
            raise ValueError("speed bump ms must be >= 0")
        self.ms = value
        return value

    @staticmethod
    def applies(payload: Any) -> bool:
        """True for an order payload that is not post-only (``postOnly`` absent or not ``true``)."""
        return not (isinstance(payload, dict) and payload.get("postOnly") is True)

    def should_hold(self, payload: Any) -> bool:
        """Whether this placement is held now (bump on and not post-only); counts it as held or passed."""
        if self.ms > 0 and self.applies(payload):
            self.held += 1
            return True
        self.passed += 1
        return False

    async def wait(self) -> None:
        """The hold itself: ``ms`` milliseconds."""
        await asyncio.sleep(self.ms / 1000.0)

    def to_json(self) -> dict:
        return {"ms": self.ms, "held": self.held, "passed": self.passed}
