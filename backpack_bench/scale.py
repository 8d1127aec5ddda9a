"""Pairs per core: one connector tracking the books of N sandbox markets that stream depth at ``depth_rate``
messages a second each (the sandbox's market-style background makers; ``--depth-rate``), while a strategy ticks on
Hummingbot's real-time clock.

Per run (a fresh sandbox child with N markets, a fresh account; the connector started as Hummingbot starts it):
after ``connector.ready`` and ``warmup_s``, for ``measure_s``:

- CPU: ``time.process_time()`` of this process (the connector, the strategy, the clock, the event loop; the
  sandbox is another process) per 1000 depth frames the sandbox handed to the connector's socket
  (``/_sandbox/stats`` ``wsPublicFramesByKind.depth``);
- tick lag: at each tick of the clock (``TICK_S``), wall time minus the tick's scheduled time (ms); p50, p99, max.

The strategy (``BookWatcher``) reads, at every tick, each pair's best bid and best ask: what Hummingbot's pure market
making reads for its mid price, without placing orders.
Ours and the shipped connector run in turn (order alternating by pair count), so CPU figures are not shared.
"""
import asyncio
import statistics
import time
from typing import Any, Callable, Dict, List, Sequence

from backpack_bench import live
from hummingbot.strategy.strategy_py_base import StrategyPyBase

#: Clock tick (s) of the runs: a tenth of Hummingbot's default, for enough lag samples in a short run.
TICK_S = 0.1


class BookWatcher(StrategyPyBase):
    """Reads every book at each tick and records the tick's lag (s)."""

    def __init__(self, connector: Any, trading_pairs: Sequence[str]) -> None:
        super().__init__()
        self._connector = connector
        self._pairs = list(trading_pairs)
        self.lags: List[float] = []
        self.recording = False

    def tick(self, timestamp: float) -> None:
        lag = time.time() - timestamp
        connector = self._connector
        if not connector.ready:
            return
        for pair in self._pairs:
            book = connector.get_order_book(pair)
            book.get_price(True), book.get_price(False)
        if self.recording:
            self.lags.append(lag)


def quantile(values: Sequence[float], q: float) -> float:
    """``q`` in 0..1 of ``values`` (inclusive method); the value itself for one sample."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(round(q * 100)) - 1))]


async def one_run(kind: str, pairs: int, warmup_s: float, measure_s: float, depth_rate: float) -> Dict[str, Any]:
    """``{"cpu_s_per_1000", "depth_frames", "frames_per_s", "cpu_share", "lag_p50_ms", "lag_p99_ms",
    "lag_max_ms", "ticks", "ready_s"}`` of one connector (``"ours"``/``"upstream"``) tracking ``pairs`` books."""
    trading_pairs = live.sandbox_pairs(pairs)
    async with live.sandbox(pairs=pairs, flow=True, extra_args=["--depth-rate", str(depth_rate)]) as process:
        account = await live.new_account(process)
        connector = live.MAKERS[kind](process, account["apiKey"], account["secret"], trading_pairs)
        watcher = BookWatcher(connector, trading_pairs)
        async with live.running(connector, iterators=[watcher], tick_s=TICK_S) as ready_s:
            await asyncio.sleep(warmup_s)
            before = await live.sandbox_stats(process)
            cpu = time.process_time()
            start = time.monotonic()
            watcher.recording = True
            await asyncio.sleep(measure_s)
            watcher.recording = False
            cpu = time.process_time() - cpu
            seconds = time.monotonic() - start
            after = await live.sandbox_stats(process)
    frames = after["wsPublicFramesByKind"].get("depth", 0) - before["wsPublicFramesByKind"].get("depth", 0)
    lags = watcher.lags or [float("nan")]
    return {"cpu_s_per_1000": cpu / frames * 1000 if frames else float("nan"), "depth_frames": frames,
            "frames_per_s": frames / seconds, "cpu_share": cpu / seconds,
            "lag_p50_ms": quantile(lags, 0.5) * 1e3, "lag_p99_ms": quantile(lags, 0.99) * 1e3,
            "lag_max_ms": max(lags) * 1e3, "ticks": len(watcher.lags), "ready_s": ready_s}


async def run_scale(pair_counts: Sequence[int], warmup_s: float, measure_s: float, depth_rate: float,
                    log: Callable[[str], None] = print) -> Dict[str, Dict[str, Any]]:
    """``{"<n>": {"ours": one_run(...), "upstream": one_run(...)}}``, ours/shipped order alternating."""
    out: Dict[str, Dict[str, Any]] = {}
    for index, n in enumerate(pair_counts):
        runs: Dict[str, Any] = {}
        for kind in (("ours", "upstream") if index % 2 == 0 else ("upstream", "ours")):
            runs[kind] = await one_run(kind, n, warmup_s, measure_s, depth_rate)
        out[str(n)] = {"ours": runs["ours"], "upstream": runs["upstream"]}
        ours, up = runs["ours"], runs["upstream"]
        log(f"  pairs per core, {n} pairs: CPU ours {ours['cpu_s_per_1000']:.3f} / shipped "
            f"{up['cpu_s_per_1000']:.3f} s per 1000 depth frames ({ours['frames_per_s']:.0f} / "
            f"{up['frames_per_s']:.0f} frames/s); tick lag p99 ours {ours['lag_p99_ms']:.1f} / shipped "
            f"{up['lag_p99_ms']:.1f} ms")
    return out
