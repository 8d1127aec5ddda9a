"""Counters served by ``GET /_sandbox/stats``."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Stats:
    """REST request counts (total, by status), 429s sent, WS connection and frame counts."""

    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    http_429: int = 0
    ws_connections: int = 0
    ws_connections_total: int = 0
    ws_frames_sent: int = 0
    ws_frames_dropped: int = 0

    def to_json(self) -> dict:
        return {
            "requests": self.requests,
            "requestsByStatus": {str(k): v for k, v in sorted(self.by_status.items())},
            "http429": self.http_429,
            "wsConnections": self.ws_connections,
            "wsConnectionsTotal": self.ws_connections_total,
            "wsFramesSent": self.ws_frames_sent,
            "wsFramesDropped": self.ws_frames_dropped,
        }
