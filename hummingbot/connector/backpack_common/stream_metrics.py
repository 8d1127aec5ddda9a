"""Per-stream WebSocket counters (``StreamMetrics``) and a per-key log rate limiter (``LogThrottle``)."""
import time
from typing import Any, Callable, Dict, Optional


class MessageCounter:
    """Messages of one stream kind: ``count`` and ``at``, the ``clock`` time (s) of the last one (None before).

    A hot path counts one message with ``counter.count += 1; counter.at = counter.clock()`` (no call but the clock).
    """

    __slots__ = ("count", "at", "clock")

    def __init__(self, clock: Callable[[], float]) -> None:
        self.count = 0
        self.at: Optional[float] = None
        self.clock = clock


class StreamMetrics:
    """Counters of one stream connection; ``clock`` is monotonic seconds. ``messages`` counts per stream kind
    (``MessageCounter`` objects behind it, ``counter(stream)``)."""

    __slots__ = ("name", "_clock", "_counters", "reconnects", "gaps", "resyncs", "dropped", "auth_failures",
                 "connected", "consecutive_failures", "dropped_by_reason")

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._counters: Dict[str, MessageCounter] = {}
        self.reconnects: int = 0
        self.gaps: int = 0
        self.resyncs: int = 0
        self.dropped: int = 0
        self.auth_failures: int = 0
        self.connected: bool = False
        self.consecutive_failures: int = 0
        self.dropped_by_reason: Dict[str, int] = {}

    def counter(self, stream: str) -> MessageCounter:
        """The ``MessageCounter`` of kind ``stream`` (created once; the same object for the metrics' lifetime)."""
        counter = self._counters.get(stream)
        if counter is None:
            counter = self._counters[stream] = MessageCounter(self._clock)
        return counter

    def on_message(self, stream: str) -> None:
        """Count one message of kind ``stream`` and stamp its time."""
        counter = self._counters.get(stream) or self.counter(stream)
        counter.count += 1
        counter.at = self._clock()

    @property
    def messages(self) -> Dict[str, int]:
        """Messages per stream kind (kinds with at least one message); a new dict."""
        return {stream: counter.count for stream, counter in self._counters.items() if counter.count}

    def on_dropped(self, reason: str) -> None:
        """Count one skipped message, also per ``reason``."""
        self.dropped += 1
        by_reason = self.dropped_by_reason
        by_reason[reason] = by_reason.get(reason, 0) + 1

    def last_message_age_s(self, stream: Optional[str] = None) -> Optional[float]:
        """Seconds since the last message (of kind ``stream`` if given); ``None`` if none was seen yet."""
        if stream is None:
            stamp = max((c.at for c in self._counters.values() if c.at is not None), default=None)
        else:
            counter = self._counters.get(stream)
            stamp = counter.at if counter is not None else None
        if stamp is None:
            return None
        return max(0.0, self._clock() - stamp)

    def snapshot(self) -> Dict[str, Any]:
        """JSON-able dict of every counter and the last-message ages (s)."""
        return {
            "name": self.name,
            "messages": self.messages,
            "reconnects": self.reconnects,
            "gaps": self.gaps,
            "resyncs": self.resyncs,
            "dropped": self.dropped,
            "dropped_by_reason": dict(self.dropped_by_reason),
            "auth_failures": self.auth_failures,
            "connected": self.connected,
            "consecutive_failures": self.consecutive_failures,
            "last_message_age_s": self.last_message_age_s(),
            "last_message_age_s_per_stream": {s: self.last_message_age_s(s) for s, c in self._counters.items()
                                              if c.at is not None},
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
