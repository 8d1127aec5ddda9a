"""``python -m backpack_bench.soak`` (``make soak``): memory over time of the demo (Hummingbot's pure market making
on SOL-USDC through our connector on the sandbox, ``backpack_demo``'s session, template and pace), long.

RSS of this process (Hummingbot, the connector, the strategy; the sandbox child's is reported apart) is sampled
every ``--interval`` seconds from the end of a ``--warmup`` until ``--warmup`` + ``--duration``; growth = last
sample ÷ first sample − 1 (target ≤ 5 %), next to the growth of the memory ``tracemalloc`` traces (Python's own
allocations; RSS growth it does not show is C/C++ memory, allocator fragmentation or tracing's own tables).
``tracemalloc`` (1 frame) runs from the start; the top growth sites are
the largest differences by source line between its snapshots just before the first and just after the last sample
(``size_diff`` in bytes, ``count_diff`` in blocks); only those two are taken, so the first snapshot's own memory is
in every sample. Tracing costs CPU and some memory of its own, the same at both ends.
Writes ``soak-report.json``; exit status 1 only when the demo itself failed (no orders, no fills, or a ledger
mismatch), as ``make demo``.
"""
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import psutil

from backpack_demo.runner import demo_failed
from backpack_harness.cli import report_command
from backpack_harness.session import SANDBOX_ARGS, SandboxTradingSession
from backpack_harness.settle import write_report
from backpack_harness.strategies import start_pure_market_making

TRADING_PAIR = "SOL-USDC"
GROWTH_TARGET_PCT = 5.0
TOP_SITES = 10
MIB = 1024 * 1024


def growth_sites(first: tracemalloc.Snapshot, last: tracemalloc.Snapshot, top: int = TOP_SITES
                 ) -> List[Dict[str, Any]]:
    """The ``top`` source lines whose traced memory grew most from ``first`` to ``last``."""
    out = []
    for stat in last.compare_to(first, "lineno")[:top]:
        frame = stat.traceback[0]
        out.append({"file": frame.filename, "line": frame.lineno, "size_diff": stat.size_diff,
                    "count_diff": stat.count_diff, "size": stat.size})
    return out


def _rss(pid: Optional[int]) -> Optional[int]:
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.Error, ValueError):
        return None


async def run_soak(duration_s: float, warmup_s: float, interval_s: float, report_path: Path, log_path: Path,
                   seed: int = 7, out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the demo for ``warmup_s`` + ``duration_s`` seconds, sampling after the warm-up; return the report (also
    written to ``report_path``): ``{"samples": [{"t_s", "rss", "sandbox_rss", "traced"}], "rss_first", "rss_last",
    "rss_max", "growth_pct", "target_pct", "met", "top_growth": growth_sites(...), ...demo settlement}``."""
    started_tracing = not tracemalloc.is_tracing()
    if started_tracing:
        tracemalloc.start(1)
    samples: List[Dict[str, Any]] = []
    snapshots: List[tracemalloc.Snapshot] = []
    try:
        session = SandboxTradingSession(trading_pairs=[TRADING_PAIR], log_path=log_path, seed=seed,
                                        sandbox_args=list(SANDBOX_ARGS))
        async with session:
            await start_pure_market_making(session, TRADING_PAIR)
            sandbox_pid = session.sandbox._process.pid if session.sandbox._process is not None else None
            start = time.monotonic()
            next_sample = start + warmup_s

            def progress(elapsed: float) -> str:
                nonlocal next_sample
                line = f"[{elapsed:6.0f}s] RSS {(_rss(None) or 0) / MIB:.1f} MiB"
                if time.monotonic() >= next_sample - 0.5:
                    next_sample += interval_s
                    if not snapshots:   # before the first RSS sample, so every sample carries it alike
                        snapshots.append(tracemalloc.take_snapshot())
                    samples.append({"t_s": round(elapsed, 1), "rss": _rss(None), "sandbox_rss": _rss(sandbox_pid),
                                    "traced": tracemalloc.get_traced_memory()[0]})
                    line += f" (sample {len(samples)})"
                return line

            progress_interval = min(interval_s, warmup_s) if warmup_s > 0 else interval_s
            await session.run_for(warmup_s + duration_s + 0.5, progress, out, progress_interval)
            if snapshots:
                snapshots.append(tracemalloc.take_snapshot())   # after the last RSS sample
            settlement = await session.settle()
    finally:
        if started_tracing:
            tracemalloc.stop()
    if len(samples) < 2:
        raise RuntimeError(f"only {len(samples)} memory sample(s): duration shorter than the interval")
    first, last = samples[0]["rss"], samples[-1]["rss"]
    growth = (last / first - 1) * 100
    report = {"duration_s": duration_s, "warmup_s": warmup_s, "interval_s": interval_s,
              "trading_pair": TRADING_PAIR, "strategy": "pure_market_making", "samples": samples,
              "rss_first": first, "rss_last": last, "rss_max": max(s["rss"] for s in samples),
              "growth_pct": growth, "target_pct": GROWTH_TARGET_PCT, "met": growth <= GROWTH_TARGET_PCT,
              "traced_growth": samples[-1]["traced"] - samples[0]["traced"],
              "top_growth": growth_sites(snapshots[0], snapshots[-1]), **settlement.report(), "seed": seed}
    write_report(report, report_path)
    return report


def summary(report: Dict[str, Any]) -> List[str]:
    lines = [f"Soak — pure_market_making on {report['trading_pair']}, {report['duration_s']:.0f} s after a "
             f"{report['warmup_s']:.0f} s warm-up, {len(report['samples'])} samples",
             f"RSS {report['rss_first'] / MIB:.1f} → {report['rss_last'] / MIB:.1f} MiB (max "
             f"{report['rss_max'] / MIB:.1f}): growth {report['growth_pct']:+.2f} % (target ≤ "
             f"{report['target_pct']:g} %: {'met' if report['met'] else 'NOT met'})",
             f"memory traced by tracemalloc (Python allocations) {report['traced_growth'] / MIB:+.2f} MiB over the "
             f"same samples; orders {report['orders_created']}, fills {report['fills']}; top growth sites:"]
    for site in report["top_growth"][:5]:
        lines.append(f"  {site['size_diff'] / 1024:+9.1f} KiB {site['count_diff']:+6d} blocks  "
                     f"{site['file']}:{site['line']}")
    return lines


def _arguments(parser) -> None:
    parser.add_argument("--warmup", type=float, default=300.0, help="seconds before the first sample (default 300)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples (default 60)")


main = report_command(
    "python -m backpack_bench.soak", __doc__, duration_s=1800.0, seed=7, report="soak-report.json", log="soak.log",
    run=lambda args, out: run_soak(args.duration, args.warmup, args.interval, args.report, args.log, args.seed, out),
    summary=summary, failure=demo_failed, failed_label="soak failed", arguments=_arguments)

if __name__ == "__main__":
    raise SystemExit(main())
