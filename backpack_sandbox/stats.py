"""Counters served by ``GET /_sandbox/stats``."""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Deque, Tuple

#: Arrival records kept (``Stats.arrivals``).
ARRIVALS_KEPT = 10000


@dataclass
class Stats:
    """REST request counts (total, by status, by route, by API key and route), 429s sent, WS connection and frame
    counts.

    ``rate_limited_by_route``: the 429s the rate limits answered (§7; not the injected ``http_429`` fault), by
    ``"METHOD /path"``.

    ``arrivals``: the latest ``ARRIVALS_KEPT`` REST requests as ``(arrival time, "METHOD /path", status)``; the
    time is ``time.monotonic()`` when the request reached the sandbox, the entry is added once it is answered.
    """

    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    http_429: int = 0
    ws_connections: int = 0
    ws_connections_total: int = 0
    ws_frames_sent: int = 0
    ws_frames_dropped: int = 0
    ws_refused: int = 0  # upgrades answered by the ws_refuse switch
    by_route: Counter = field(default_factory=Counter)
    by_route_status: Counter = field(default_factory=Counter)
    rate_limited_by_route: Counter = field(default_factory=Counter)
    #: Stream kind (``depth``, ``trade``, ...) → public frames handed to subscribers (one per subscribed socket).
    ws_public_frames: Counter = field(default_factory=Counter)
    #: ``(X-API-Key, route)`` → requests carrying that key (private routes, and public ones a client signs).
    by_key_route: Counter = field(default_factory=Counter)
    arrivals: Deque[Tuple[float, str, int]] = field(default_factory=lambda: deque(maxlen=ARRIVALS_KEPT))

    def to_json(self) -> dict:
        return {
            "requests": self.requests,
            "requestsByStatus": {str(k): v for k, v in sorted(self.by_status.items())},
            "http429": self.http_429,
            "wsConnections": self.ws_connections,
            "wsConnectionsTotal": self.ws_connections_total,
            "wsFramesSent": self.ws_frames_sent,
            "wsFramesDropped": self.ws_frames_dropped,
            "wsRefused": self.ws_refused,
            "wsPublicFramesByKind": dict(sorted(self.ws_public_frames.items())),
            "requestsByRoute": dict(sorted(self.by_route.items())),
            "http429ByRoute": {route: n for (route, status), n in sorted(self.by_route_status.items())
                               if status == 429},
            "http429RateLimitedByRoute": dict(sorted(self.rate_limited_by_route.items())),
            "requestsByKey": self.requests_by_key(),
        }

    def requests_by_key(self) -> dict:
        """``{api key: {route: requests}}`` of the requests that carried an ``X-API-Key`` header (§2.2)."""
        out: dict = {}
        for (key, route), n in sorted(self.by_key_route.items()):
            out.setdefault(key, {})[route] = n
        return out
