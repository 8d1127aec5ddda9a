"""REST counters, the ``metrics_snapshot()`` dict and the ``health()`` verdict; times in monotonic seconds."""
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

HEALTH_OK = "ok"
HEALTH_DEGRADED = "degraded"
HEALTH_DOWN = "down"

#: A public stream silent longer than this is stale (§8.1–§8.2).
DEFAULT_STALE_AFTER_S = 90.0
#: 429 / 5xx / auth errors younger than this degrade the verdict.
DEFAULT_RECENT_WINDOW_S = 300.0


@dataclass
class RestCounters:
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    rate_limited: int = 0            # HTTP 429
    server_errors: int = 0           # HTTP 5xx
    region_blocked: int = 0          # HTTP 451
    auth_errors: int = 0             # HTTP 401/403
    unknown_outcome_orders: int = 0  # §6.3
    missed_fills_fetches: int = 0
    cancel_retries_after_429: int = 0
    last_rate_limited_at: Optional[float] = None
    last_server_error_at: Optional[float] = None
    last_region_blocked_at: Optional[float] = None
    last_auth_error_at: Optional[float] = None

    def on_status(self, status: int) -> None:
        self.requests += 1
        if status < 400:
            return
        now = self.clock()
        if status == 429:
            self.rate_limited += 1
            self.last_rate_limited_at = now
        elif status == 451:
            self.region_blocked += 1
            self.last_region_blocked_at = now
        elif status in (401, 403):
            self.auth_errors += 1
            self.last_auth_error_at = now
        elif status >= 500:
            self.server_errors += 1
            self.last_server_error_at = now

    def age_s(self, stamp: Optional[float]) -> Optional[float]:
        return None if stamp is None else max(0.0, self.clock() - stamp)

    def snapshot(self) -> Dict[str, Any]:
        return {
            "requests": self.requests,
            "rate_limited_429": self.rate_limited,
            "server_errors_5xx": self.server_errors,
            "region_blocked_451": self.region_blocked,
            "auth_errors_401_403": self.auth_errors,
            "unknown_outcome_orders": self.unknown_outcome_orders,
            "missed_fills_fetches": self.missed_fills_fetches,
            "cancel_retries_after_429": self.cancel_retries_after_429,
            "last_429_age_s": self.age_s(self.last_rate_limited_at),
            "last_5xx_age_s": self.age_s(self.last_server_error_at),
        }


@dataclass(frozen=True)
class BackpackHealth:
    """``status``: ``"ok"``, ``"degraded"`` or ``"down"``; ``reasons`` why not ok; ``notes``: fallbacks in use
    that do not change the status."""
    status: str
    reasons: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def stream_snapshot(metrics: Any) -> Optional[Dict[str, Any]]:
    if metrics is None:
        return None
    return metrics.snapshot()


def assess_health(*,
                  network_connected: bool,
                  trading_required: bool,
                  public_stream: Any,
                  private_stream: Any,
                  rest: RestCounters,
                  backoff_remaining_s: float,
                  pending_unknown_outcome: int,
                  stale_after_s: float = DEFAULT_STALE_AFTER_S,
                  recent_window_s: float = DEFAULT_RECENT_WINDOW_S) -> BackpackHealth:
    """Down: network check failed or a recent 451. Degraded: stream trouble, 429 backoff, recent 429/5xx/401/403,
    placements being reconciled. Streams are ``StreamMetrics`` or ``None``; the private one only if trading.
    """
    down: List[str] = []
    degraded: List[str] = []
    if not network_connected:
        down.append("network check failed: Backpack is unreachable or in maintenance")
    region_age = rest.age_s(rest.last_region_blocked_at)
    if region_age is not None and region_age <= recent_window_s:
        down.append("Backpack refused requests from this region (HTTP 451)")

    _judge_stream("public stream", public_stream, stale_after_s, degraded)
    if trading_required:
        _judge_stream("private stream", private_stream, None, degraded)

    if backoff_remaining_s > 0:
        degraded.append(f"rate-limit backoff active ({backoff_remaining_s:.1f} s left)")
    for label, stamp in (("HTTP 429 rate limit", rest.last_rate_limited_at),
                         ("HTTP 5xx server errors", rest.last_server_error_at),
                         ("HTTP 401/403 authentication errors", rest.last_auth_error_at)):
        age = rest.age_s(stamp)
        if age is not None and age <= recent_window_s:
            degraded.append(f"recent {label} ({age:.0f} s ago)")
    if pending_unknown_outcome > 0:
        degraded.append(f"{pending_unknown_outcome} order(s) with unknown placement outcome being reconciled")

    if down:
        return BackpackHealth(HEALTH_DOWN, down + degraded)
    if degraded:
        return BackpackHealth(HEALTH_DEGRADED, degraded)
    return BackpackHealth(HEALTH_OK, [])


def _judge_stream(label: str, metrics: Any, stale_after_s: Optional[float], reasons: List[str]) -> None:
    if metrics is None:
        return
    if not metrics.connected:
        suffix = f" ({metrics.consecutive_failures} consecutive failures)" if metrics.consecutive_failures else ""
        reasons.append(f"{label} disconnected{suffix}")
    elif metrics.consecutive_failures:
        reasons.append(f"{label} reconnecting ({metrics.consecutive_failures} consecutive failures)")
    if metrics.auth_failures and (metrics.consecutive_failures or not metrics.connected):
        reasons.append(f"{label} authentication failures ({metrics.auth_failures})")
    if stale_after_s is not None and metrics.connected:
        age = metrics.last_message_age_s()
        if age is not None and age > stale_after_s:
            reasons.append(f"{label} stale: last message {age:.0f} s ago")


def build_metrics_snapshot(public_stream: Any, private_stream: Any, rest: RestCounters,
                           user_events: Mapping[str, int], backoff_remaining_s: float) -> Dict[str, Any]:
    """The ``metrics_snapshot()`` dict; stream entries are ``StreamMetrics.snapshot()`` or ``None``."""
    return {
        "public_stream": stream_snapshot(public_stream),
        "private_stream": stream_snapshot(private_stream),
        "rest": rest.snapshot(),
        "user_stream_events": dict(user_events),
        "rate_limit_backoff_s": max(0.0, backoff_remaining_s),
    }
