"""The seeded fault schedule of a chaos run: which fault, when, with which parameters.

:func:`build_schedule` is a pure function of ``(seed, duration_s, symbols)``: the same seed gives the same
schedule, so a failing run can be replayed with ``SEED=``. Every kind of :data:`CHAOS_FAULTS` is injected at least
once (the first round visits each kind in a seeded order, one about every ``mean_gap_s``, within the first 70 % of
the run); after that, kinds are drawn at random until ``duration_s - quiet_tail_s``, so the last seconds of
trading are fault-free.

Each chaos kind maps to one ``POST /_sandbox/faults`` body (``backpack_sandbox/faults.py`` documents the sandbox
kinds). Times are seconds from the start of trading; ``ms`` parameters are milliseconds.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence

#: Window the connector signs with (``X-Window``, §2.2): clock offsets stay inside it.
SIGNING_WINDOW_MS = 5000


@dataclass(frozen=True)
class FaultEvent:
    """One injection: ``at_s`` seconds after trading started, chaos ``kind``, sandbox request ``body``."""

    at_s: float
    kind: str
    body: Dict[str, Any] = field(default_factory=dict)


def _ws_drop(target: str) -> Callable[[random.Random, Sequence[str]], Dict[str, Any]]:
    return lambda rng, symbols: {"kind": "drop_ws", "target": target, "abrupt": rng.random() < 0.5}


def _stall(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    # Half the stalls silence everything (pings too), half only the data streams (pings keep flowing): frames
    # due meanwhile are lost, so books must resync and missed private events must come back through REST.
    body: Dict[str, Any] = {"kind": "stall", "seconds": round(rng.uniform(2.0, 6.0), 1)}
    if rng.random() < 0.5:
        body["streams"] = ["depth", "account"]
    return body


def _skip_depth(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    return {"kind": "skip_depth_seq", "symbol": rng.choice(list(symbols)), "count": rng.randint(1, 3),
            "mode": rng.choice(["skip_id", "drop_frame"])}


def _http_429(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    return {"kind": "http_429", "count": rng.randint(3, 12)}


def _order_503(accept: bool) -> Callable[[random.Random, Sequence[str]], Dict[str, Any]]:
    return lambda rng, symbols: {"kind": "order_503", "count": rng.randint(1, 3), "accept": accept}


def _late_events(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    return {"kind": "delay_private_events", "ms": rng.randint(200, 1500), "shuffle_window_ms": rng.randint(200, 800),
            "seconds": round(rng.uniform(4.0, 10.0), 1)}


def _latency(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    return {"kind": "latency_ms", "ms": rng.randint(100, 800), "jitter_ms": rng.randint(0, 200),
            "seconds": round(rng.uniform(4.0, 10.0), 1)}


def _clock_offset(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    # Server clock ahead or behind by up to 60 % of the signing window: requests must still be accepted.
    limit = int(SIGNING_WINDOW_MS * 0.6)
    return {"kind": "clock_offset_ms", "ms": rng.choice([-1, 1]) * rng.randint(200, limit)}


def _cancel_202(rng: random.Random, symbols: Sequence[str]) -> Dict[str, Any]:
    return {"kind": "cancel_202", "count": rng.randint(1, 4), "delay_ms": rng.randint(100, 1500),
            "include_cancel_all": rng.random() < 0.5}


#: Chaos fault kind → builder of its sandbox request body (seeded RNG, market symbols).
CHAOS_FAULTS: Dict[str, Callable[[random.Random, Sequence[str]], Dict[str, Any]]] = {
    "ws_drop_public": _ws_drop("public"),
    "ws_drop_private": _ws_drop("private"),
    "stream_stall": _stall,
    "depth_sequence_skip": _skip_depth,
    "http_429_burst": _http_429,
    "order_503_accepted": _order_503(True),
    "order_503_not_accepted": _order_503(False),
    "order_events_late_or_shuffled": _late_events,
    "latency_spike": _latency,
    "clock_offset": _clock_offset,
    "cancel_202": _cancel_202,
}


def build_schedule(seed: int, duration_s: float, symbols: Sequence[str], mean_gap_s: float = 6.0,
                   start_s: float = 3.0, quiet_tail_s: float = 5.0) -> List[FaultEvent]:
    """The fault schedule for one run, sorted by time.

    :param seed: schedule seed (kinds, times, parameters).
    :param duration_s: seconds of trading; injections happen in ``[start_s, duration_s - quiet_tail_s)``.
    :param symbols: exchange symbols the depth faults may target (e.g. ``["SOL_USDC", "ETH_USDC"]``).
    :param mean_gap_s: mean gap between injections once every kind has been injected once.
    :raises ValueError: when the window is too short to inject every kind once (0.5 s apart at least).
    """
    if not symbols:
        raise ValueError("build_schedule needs at least one symbol")
    rng = random.Random(seed)
    end_s = duration_s - quiet_tail_s
    kinds = list(CHAOS_FAULTS)
    first_round_end = start_s + min((end_s - start_s) * 0.7, len(kinds) * mean_gap_s)
    step = (first_round_end - start_s) / len(kinds)
    if step < 0.5:
        raise ValueError(f"a {duration_s:g} s run is too short to inject all {len(kinds)} fault kinds")
    rng.shuffle(kinds)
    events = [FaultEvent(round(start_s + i * step + rng.uniform(0, step * 0.5), 2), kind,
                         CHAOS_FAULTS[kind](rng, symbols)) for i, kind in enumerate(kinds)]
    at = first_round_end
    names = sorted(CHAOS_FAULTS)
    while True:
        at += rng.expovariate(1.0 / mean_gap_s)
        if at >= end_s:
            break
        kind = rng.choice(names)
        events.append(FaultEvent(round(at, 2), kind, CHAOS_FAULTS[kind](rng, symbols)))
    return sorted(events, key=lambda e: e.at_s)
