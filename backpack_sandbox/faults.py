"""Fault ("chaos") switches, shared by the Python API, the CLI ``--fault`` flag and
``POST /_sandbox/faults``.

Kinds and parameters (``count`` = next N occurrences, ``seconds`` = for N seconds; with neither,
one-shot kinds default to ``count=1`` and persistent kinds last until cleared):

===================== ================================================================================
``drop_ws``           close WS connections now. ``target``: ``all`` | ``public`` | ``private``
                      (connections with any public / any private subscription); ``abrupt``: bool (drop
                      the TCP connection without a Close frame); ``every_s``: repeat periodically.
``stall``             send nothing (no data, no pings) for ``seconds``; ``streams``: optional list of
                      stream names or prefixes (then only those streams are silenced, pings continue).
                      Frames due during a stall are dropped.
``skip_depth_seq``    ``symbol``: the next depth frame skips ``count`` (1) update ids (U = prev u + 1 +
                      count; REST ``lastUpdateId`` follows); ``mode="drop_frame"`` instead withholds
                      the next depth frame from subscribers (a lost message).
``http_429``          answer 429 ``TOO_MANY_REQUESTS`` to the next ``count`` REST requests / for ``seconds``.
``order_503``         order placement (POST /api/v1/order, /orders) answers 503 ``SERVICE_UNAVAILABLE``
                      "Unknown error, please check your request or try again later." (§6.3, §11.15);
                      ``accept``: true → the order IS placed in the engine; ``count``/``seconds``.
``maintenance``       every REST route but ``/api/v1/status`` answers 503 ``{"code": "MAINTENANCE", "message":
                      "System under maintenance"}`` (a code of the §6.2 enum); ``/api/v1/status`` answers
                      ``{"status": "Maintenance", ...}``. ``count``/``seconds``; neither: until cleared.
``latency_ms``        add ``ms`` (± uniform ``jitter_ms``) to REST responses (after the engine acted);
                      optional ``seconds``.
``delay_private_events`` deliver ``account.*`` events ``ms`` late and/or shuffled within
                      ``shuffle_window_ms``; optional ``seconds``.
``clock_offset_ms``   server clock offset ``ms`` (moves /api/v1/time, signature freshness, event times).
``cancel_202``        DELETE /api/v1/order answers 202 with no body (§5.7) and cancels ``delay_ms``
                      (200) later; ``include_cancel_all`` also for DELETE /api/v1/orders; ``count``/``seconds``.
===================== ================================================================================

Counters: ``injected[kind]`` (times switched on) and ``hits[kind]`` (times it acted on a request,
frame or connection). All times here are monotonic seconds unless the name says ms.
"""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

FAULT_KINDS = (
    "drop_ws", "stall", "skip_depth_seq", "http_429", "order_503", "latency_ms",
    "delay_private_events", "clock_offset_ms", "cancel_202", "maintenance",
)

# Positional shorthand for ``--fault KIND:VALUE``.
_PRIMARY = {
    "drop_ws": "target", "stall": "seconds", "skip_depth_seq": "symbol", "http_429": "count",
    "order_503": "count", "latency_ms": "ms", "delay_private_events": "ms", "clock_offset_ms": "ms",
    "cancel_202": "count", "maintenance": "seconds",
}


@dataclass
class _Budget:
    """Active while ``count`` (if set) > 0 and before ``until`` (monotonic, if set)."""

    count: Optional[int] = None
    until: Optional[float] = None

    def active(self, now: float) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        return self.until is None or now < self.until

    def take(self, now: float) -> bool:
        if not self.active(now):
            return False
        if self.count is not None:
            self.count -= 1
        return True


def _budget(params: Dict[str, Any], now: float, one_shot: bool) -> _Budget:
    count = params.get("count")
    seconds = params.get("seconds")
    if count is None and seconds is None and one_shot:
        count = 1
    return _Budget(int(count) if count is not None else None,
                   now + float(seconds) if seconds is not None else None)


def _coerce(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_fault_spec(spec: str) -> Dict[str, Any]:
    """``KIND[:k=v,k=v]`` or ``KIND:VALUE`` → ``{"kind": KIND, ...}`` (``streams`` split on ``|``)."""
    kind, _, rest = spec.partition(":")
    kind = kind.strip()
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; kinds: {', '.join(FAULT_KINDS)}")
    out: Dict[str, Any] = {"kind": kind}
    if rest:
        for part in rest.split(","):
            if not part:
                continue
            if "=" in part:
                k, _, v = part.partition("=")
                out[k.strip()] = _coerce(v.strip())
            else:
                out[_PRIMARY[kind]] = _coerce(part.strip())
    if isinstance(out.get("streams"), str):
        out["streams"] = [s for s in out["streams"].split("|") if s]
    return out


class Faults:
    """Current fault state. The server wires ``on_drop_ws(target, abrupt) -> int``,
    ``on_skip_depth(symbol, count)`` and ``set_clock_offset(ms)`` callbacks."""

    def __init__(self, rng: Optional[random.Random] = None, now: Callable[[], float] = time.monotonic) -> None:
        self._rng = rng or random.Random(0)
        self._now = now
        self.injected: Counter = Counter()
        self.hits: Counter = Counter()
        self.on_drop_ws: Optional[Callable[[str, bool], int]] = None
        self.on_skip_depth: Optional[Callable[[str, int], None]] = None
        self.set_clock_offset: Optional[Callable[[int], None]] = None
        self.clear()

    # ------------------------------------------------------------- switching
    def clear(self, kind: Optional[str] = None) -> None:
        """Switch off ``kind`` (or everything). The clock offset returns to 0 when cleared."""
        kinds = [kind] if kind else list(FAULT_KINDS)
        for k in kinds:
            if k == "http_429":
                self._http_429: Optional[_Budget] = None
            elif k == "order_503":
                self._order_503: Optional[_Budget] = None
                self._order_503_accept = False
            elif k == "maintenance":
                self._maintenance: Optional[_Budget] = None
            elif k == "latency_ms":
                self._latency: Optional[_Budget] = None
                self._latency_ms = 0.0
                self._jitter_ms = 0.0
            elif k == "delay_private_events":
                self._delay: Optional[_Budget] = None
                self._delay_ms = 0.0
                self._shuffle_ms = 0.0
            elif k == "cancel_202":
                self._cancel_202: Optional[_Budget] = None
                self._cancel_202_delay_ms = 200.0
                self._cancel_202_all = False
            elif k == "stall":
                self._stall_until = 0.0
                self._stall_streams: Optional[List[str]] = None
            elif k == "drop_ws":
                self._drop_every: Optional[float] = None
                self._drop_next = 0.0
                self._drop_target = "all"
                self._drop_abrupt = False
            elif k == "skip_depth_seq":
                self.drop_depth_frames: Dict[str, int] = {}
            elif k == "clock_offset_ms":
                if self.set_clock_offset is not None and getattr(self, "_offset_set", False):
                    self.set_clock_offset(0)
                self._offset_set = False

    def inject(self, kind: str, **params: Any) -> Dict[str, Any]:
        """Switch a fault on (see module doc for kinds/params); returns a description."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        now = self._now()
        p = dict(params)
        if kind == "http_429":
            self._http_429 = _budget(p, now, True)
        elif kind == "order_503":
            self._order_503 = _budget(p, now, True)
            self._order_503_accept = bool(p.get("accept", False))
        elif kind == "maintenance":
            self._maintenance = _budget(p, now, False)
        elif kind == "latency_ms":
            self._latency = _budget(p, now, False)
            self._latency_ms = float(p.get("ms", 0))
            self._jitter_ms = float(p.get("jitter_ms", 0))
        elif kind == "delay_private_events":
            self._delay = _budget(p, now, False)
            self._delay_ms = float(p.get("ms", 0))
            self._shuffle_ms = float(p.get("shuffle_window_ms", 0))
        elif kind == "cancel_202":
            self._cancel_202 = _budget(p, now, True)
            self._cancel_202_delay_ms = float(p.get("delay_ms", 200))
            self._cancel_202_all = bool(p.get("include_cancel_all", False))
        elif kind == "stall":
            self._stall_until = now + float(p.get("seconds", 5))
            streams = p.get("streams")
            if isinstance(streams, str):
                streams = [streams]
            self._stall_streams = list(streams) if streams else None
        elif kind == "clock_offset_ms":
            if self.set_clock_offset is not None:
                self.set_clock_offset(int(p.get("ms", 0)))
            self._offset_set = True
            self.hits[kind] += 1
        elif kind == "skip_depth_seq":
            symbol = p.get("symbol")
            if not symbol:
                raise ValueError("skip_depth_seq needs a symbol")
            count = int(p.get("count", 1))
            if p.get("mode", "skip_id") == "drop_frame":
                self.drop_depth_frames[symbol] = self.drop_depth_frames.get(symbol, 0) + count
            elif self.on_skip_depth is not None:
                self.on_skip_depth(symbol, count)
                self.hits[kind] += 1
        elif kind == "drop_ws":
            target = str(p.get("target", "all"))
            if target not in ("all", "public", "private"):
                raise ValueError("drop_ws target must be all, public or private")
            abrupt = bool(p.get("abrupt", False))
            if p.get("every_s"):
                self._drop_every = float(p["every_s"])
                self._drop_next = now + self._drop_every
                self._drop_target, self._drop_abrupt = target, abrupt
            else:
                self._do_drop(target, abrupt)
        self.injected[kind] += 1
        return {"kind": kind, **p}

    def _do_drop(self, target: str, abrupt: bool) -> int:
        n = self.on_drop_ws(target, abrupt) if self.on_drop_ws is not None else 0
        self.hits["drop_ws"] += n
        return n

    # convenience wrappers (same semantics as inject)
    def drop_ws(self, target: str = "all", abrupt: bool = False, every_s: Optional[float] = None):
        return self.inject("drop_ws", target=target, abrupt=abrupt, every_s=every_s)

    def stall(self, seconds: float, streams: Optional[Sequence[str]] = None):
        return self.inject("stall", seconds=seconds, streams=list(streams) if streams else None)

    def skip_depth_seq(self, symbol: str, count: int = 1, mode: str = "skip_id"):
        return self.inject("skip_depth_seq", symbol=symbol, count=count, mode=mode)

    def http_429(self, count: Optional[int] = None, seconds: Optional[float] = None):
        return self.inject("http_429", count=count, seconds=seconds)

    def order_503(self, count: Optional[int] = None, seconds: Optional[float] = None, accept: bool = False):
        return self.inject("order_503", count=count, seconds=seconds, accept=accept)

    def maintenance(self, count: Optional[int] = None, seconds: Optional[float] = None):
        return self.inject("maintenance", count=count, seconds=seconds)

    def latency_ms(self, ms: float, jitter_ms: float = 0, seconds: Optional[float] = None):
        return self.inject("latency_ms", ms=ms, jitter_ms=jitter_ms, seconds=seconds)

    def delay_private_events(self, ms: float = 0, shuffle_window_ms: float = 0, seconds: Optional[float] = None):
        return self.inject("delay_private_events", ms=ms, shuffle_window_ms=shuffle_window_ms, seconds=seconds)

    def clock_offset_ms(self, ms: int):
        return self.inject("clock_offset_ms", ms=ms)

    def cancel_202(self, count: Optional[int] = None, seconds: Optional[float] = None, delay_ms: float = 200,
                   include_cancel_all: bool = False):
        return self.inject("cancel_202", count=count, seconds=seconds, delay_ms=delay_ms,
                           include_cancel_all=include_cancel_all)

    # ------------------------------------------------------------- queries
    def take_http_429(self) -> bool:
        if self._http_429 is not None and self._http_429.take(self._now()):
            self.hits["http_429"] += 1
            return True
        return False

    def take_order_503(self) -> Optional[bool]:
        """None when no 503 is due, else the ``accept`` flag."""
        if self._order_503 is not None and self._order_503.take(self._now()):
            self.hits["order_503"] += 1
            return self._order_503_accept
        return None

    def take_maintenance(self) -> bool:
        if self._maintenance is not None and self._maintenance.take(self._now()):
            self.hits["maintenance"] += 1
            return True
        return False

    def maintenance_active(self) -> bool:
        return self._maintenance is not None and self._maintenance.active(self._now())

    def latency_s(self) -> float:
        if self._latency is None or not self._latency.active(self._now()):
            return 0.0
        ms = self._latency_ms + (self._rng.uniform(-self._jitter_ms, self._jitter_ms) if self._jitter_ms else 0.0)
        self.hits["latency_ms"] += 1
        return max(0.0, ms) / 1000.0

    def take_cancel_202(self, cancel_all: bool) -> Optional[float]:
        """None when no 202 is due, else the delay (s) before the cancel executes."""
        if cancel_all and not self._cancel_202_all:
            return None
        if self._cancel_202 is not None and self._cancel_202.take(self._now()):
            self.hits["cancel_202"] += 1
            return self._cancel_202_delay_ms / 1000.0
        return None

    def private_delay(self) -> tuple:
        """(delay_s, shuffle_window_s) for private events now (0, 0 when off)."""
        if self._delay is None or not self._delay.active(self._now()):
            return 0.0, 0.0
        self.hits["delay_private_events"] += 1
        return self._delay_ms / 1000.0, self._shuffle_ms / 1000.0

    def pings_stalled(self) -> bool:
        return self._stall_streams is None and self._now() < self._stall_until

    def stalled(self, stream: str) -> bool:
        if self._now() >= self._stall_until:
            return False
        if self._stall_streams is None:
            return True
        return any(stream == s or stream.startswith(s) for s in self._stall_streams)

    def take_depth_drop(self, symbol: str) -> bool:
        n = self.drop_depth_frames.get(symbol, 0)
        if n <= 0:
            return False
        self.drop_depth_frames[symbol] = n - 1
        self.hits["skip_depth_seq"] += 1
        return True

    def periodic_drop_due(self) -> None:
        if self._drop_every and self._now() >= self._drop_next:
            self._drop_next = self._now() + self._drop_every
            self._do_drop(self._drop_target, self._drop_abrupt)

    def active(self) -> List[Dict[str, Any]]:
        """Currently active switches (for GET /_sandbox/faults and stats)."""
        now = self._now()
        out: List[Dict[str, Any]] = []
        for kind, b in (("http_429", self._http_429), ("order_503", self._order_503),
                        ("maintenance", self._maintenance),
                        ("latency_ms", self._latency), ("delay_private_events", self._delay),
                        ("cancel_202", self._cancel_202)):
            if b is not None and b.active(now):
                out.append({"kind": kind, "count": b.count,
                            "secondsLeft": None if b.until is None else round(b.until - now, 3)})
        if now < self._stall_until:
            out.append({"kind": "stall", "secondsLeft": round(self._stall_until - now, 3),
                        "streams": self._stall_streams})
        if self._drop_every:
            out.append({"kind": "drop_ws", "every_s": self._drop_every, "target": self._drop_target})
        for sym, n in self.drop_depth_frames.items():
            if n > 0:
                out.append({"kind": "skip_depth_seq", "symbol": sym, "mode": "drop_frame", "count": n})
        if self._offset_set:
            out.append({"kind": "clock_offset_ms"})
        return out

    def counts(self) -> Dict[str, Dict[str, int]]:
        return {k: {"injected": self.injected.get(k, 0), "hits": self.hits.get(k, 0)} for k in FAULT_KINDS}
