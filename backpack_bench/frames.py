"""Seeded depth stream for the benchmarks: one REST snapshot (§4.6) and N raw ``depth.<symbol>`` text frames (§8.2).

Level counts per side and frame (documented distribution, from the shape of real-time Backpack frames: one engine
event usually touches a level or two, a sweep or a requote touches many):

- 60 %: 1–2 levels, 25 %: 3–6, 12 %: 7–15, 3 %: 16–40; each side drawn independently, a side is empty
  in 15 % of frames (but never both sides).
- About 20 % of the levels are deletions (``"0.000"``); the rest set an absolute quantity. Prices are strings on a
  0.01 tick (padded like the WS does, ``"150.20"``), quantities on a 0.001 step, bids below and asks above a mid that
  random-walks a tick at a time; prices within one side of a frame are distinct. Update ids:
  ``U == u == previous u + 1`` (real-time stream), starting right after the snapshot's ``lastUpdateId``; ``E``/``T``
  in µs.

Everything derives from ``random.Random(seed)``: the same seed gives byte-identical frames.
"""
import json
import random
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

SYMBOL = "SOL_USDC"
TRADING_PAIR = "SOL-USDC"
TICK = 0.01
#: (cumulative probability, min levels, max levels) per side.
LEVEL_BUCKETS: Tuple[Tuple[float, int, int], ...] = ((0.60, 1, 2), (0.85, 3, 6), (0.97, 7, 15), (1.0, 16, 40))
EMPTY_SIDE_P = 0.15
DELETE_P = 0.20
SNAPSHOT_LEVELS = 200
START_UPDATE_ID = 1_000_000
START_TIME_US = 1_760_000_000_000_000


@dataclass(frozen=True)
class DepthStream:
    """``snapshot``: REST ``/api/v1/depth`` body; ``frames``: raw WS text frames; ``levels``: total levels in
    the frames (for the per-level figures)."""
    snapshot: Dict[str, Any]
    frames: List[str]
    levels: int
    seed: int

    @property
    def last_update_id(self) -> int:
        return int(self.snapshot["lastUpdateId"]) + len(self.frames)

    def levels_per_frame(self) -> float:
        return self.levels / len(self.frames) if self.frames else 0.0


def _side_count(rng: random.Random) -> int:
    x = rng.random()
    for p, low, high in LEVEL_BUCKETS:
        if x < p:
            return rng.randint(low, high)
    return LEVEL_BUCKETS[-1][2]


def _levels(rng: random.Random, count: int, mid_ticks: int, is_bid: bool) -> List[List[str]]:
    out = []
    offsets = set()
    while len(offsets) < count:  # distinct prices within a side, most activity near the top of the book
        offsets.add(1 + int(rng.expovariate(1 / 12.0)))
    for offset in sorted(offsets):
        ticks = mid_ticks - offset if is_bid else mid_ticks + offset
        qty = "0.000" if rng.random() < DELETE_P else f"{rng.randint(1, 500_000) / 1000:.3f}"
        out.append([f"{ticks * TICK:.2f}", qty])
    return out


def generate(frames: int = 50_000, seed: int = 7) -> DepthStream:
    """Build the snapshot and ``frames`` depth frames (see module docstring). :raises ValueError: frames < 1."""
    if frames < 1:
        raise ValueError("frames must be >= 1")
    rng = random.Random(seed)
    mid_ticks = 15_000  # 150.00
    snapshot = {
        "lastUpdateId": str(START_UPDATE_ID),
        "timestamp": START_TIME_US,
        "bids": [[f"{(mid_ticks - i) * TICK:.2f}", f"{rng.randint(1, 500_000) / 1000:.3f}"]
                 for i in range(SNAPSHOT_LEVELS, 0, -1)],   # ascending, best bid last (§4.6)
        "asks": [[f"{(mid_ticks + i) * TICK:.2f}", f"{rng.randint(1, 500_000) / 1000:.3f}"]
                 for i in range(1, SNAPSHOT_LEVELS + 1)],
    }
    out: List[str] = []
    levels = 0
    update_id = START_UPDATE_ID
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    for i in range(frames):
        if rng.random() < 0.05:
            mid_ticks += rng.choice((-1, 1))
        n_bids, n_asks = _side_count(rng), _side_count(rng)
        if rng.random() < EMPTY_SIDE_P:
            if rng.random() < 0.5:
                n_bids = 0
            else:
                n_asks = 0
        update_id += 1
        t = START_TIME_US + i * 1000
        data = {"e": "depth", "E": t + 37, "s": SYMBOL, "a": _levels(rng, n_asks, mid_ticks, False),
                "b": _levels(rng, n_bids, mid_ticks, True), "U": update_id, "u": update_id, "T": t}
        levels += n_bids + n_asks
        out.append(dumps({"stream": f"depth.{SYMBOL}", "data": data}))
    return DepthStream(snapshot=snapshot, frames=out, levels=levels, seed=seed)
