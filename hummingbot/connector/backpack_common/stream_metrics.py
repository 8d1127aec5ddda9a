"""Per-stream WebSocket counters (``StreamMetrics``) and a per-key log rate limiter (``LogThrottle``)."""
import time
from typing import Any, Callable, Dict, Optional


class StreamMetrics:
    """Counters of one stream connection; ``clock`` is monotonic seconds. ``messages`` counts per stream kind."""

    __slots__ = ("name", "_clock", "messages", "reconnects", "gaps", "resyncs", "dropped", "auth_failures",
                 "connected", "consecutive_failures", "dropped_by_reason", "_last_message_at", "_last_by_stream")

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self.messages: Dict[str, int] = {}
        self.reconnects: int = 0
        self.gaps: int = 0
        self.resyncs: int = 0
        self.dropped: int = 0
        self.auth_failures: int = 0
        self.connected: bool = False
        self.consecutive_failures: int = 0
        self.dropped_by_reason: Dict[str, int] = {}
        self._last_message_at: Optional[float] = None
        self._last_by_stream: Dict[str, float] = {}

    def on_message(self, stream: str) -> None:
        """Count one message of kind ``stream`` and stamp its time (hot path)."""
        messages = self.messages
        messages[stream] = messages.get(stream, 0) + 1
        now = self._clock()
        self._last_message_at = now
        self._last_by_stream[stream] = now

    def on_dropped(self, reason: str) -> None:
        """Count one skipped message, also per ``reason``."""
        self.dropped += 1
        by_reason = self.dropped_by_reason
        by_reason[reason] = by_reason.get(reason, 0) + 1

    def last_message_age_s(self, stream: Optional[str] = None) -> Optional[float]:
        """Seconds since the last message (of kind ``stream`` if given); ``None`` if none was seen yet."""
        stamp = self._last_message_at if stream is None else self._last_by_stream.get(stream)
        if stamp is None:
            return None
        return max(0.0, self._clock() - stamp)

    def snapshot(self) -> Dict[str, Any]:
        """JSON-able dict of every counter and the last-message ages (s)."""
        return {
            "name": self.name,
            "messages": dict(self.messages),
            "reconnects": self.reconnects,
            "gaps": self.gaps,
            "resyncs": self.resyncs,
            "dropped": self.dropped,
            "dropped_by_reason": dict(self.dropped_by_reason),
            "auth_failures": self.auth_failures,
            "connected": self.connected,
            "consecutive_failures": self.consecutive_failures,
            "last_message_age_s": self.last_message_age_s(),
            "last_message_age_s_per_stream": {s: self.last_message_age_s(s) for s in self._last_by_stream},
        }

    def __repr__(self) -> str:
        return f"StreamMetrics({self.snapshot()!r})"


class LogThrottle:
    """One log line per key per ``interval_s`` seconds.

    ``check(key)`` returns ``None`` to stay silent, else the count suppressed since the last allowed line.
    """

    __slots__ = ("_interval_s", "_clock", "_next_allowed", "_suppressed")

    def __init__(self, interval_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._next_allowed: Dict[str, float] = {}
        self._suppressed: Dict[str, int] = {}

    def check(self, key: str) -> Optional[int]:
        now = self._clock()
        if now < self._next_allowed.get(key, float("-inf")):
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        self._next_allowed[key] = now + self._interval_s
        return self._suppressed.pop(key, 0)
