"""``python -m backpack_bench.soak`` (``make soak``): memory over time of the demo (Hummingbot's pure market making
on SOL-USDC through our connector on the sandbox, ``backpack_demo``'s session, template and pace), long.

RSS of this process (Hummingbot, the connector, the strategy; the sandbox child's is reported apart) is sampled
every ``--interval`` seconds from the end of a ``--warmup`` until ``--warmup`` + ``--duration``. Growth is the
least-squares line through the samples: ``rss_slope_mib_per_min`` and ``growth_pct`` = fitted rise over the sampled
span ÷ fitted first value (target ≤ 5 %); ``growth_last_first_pct`` is last ÷ first sample − 1. Next to RSS each
sample carries the memory ``tracemalloc`` traces (Python's own allocations), tracing's own tables and glibc's
``mallinfo2`` totals (``malloc_in_use``/``malloc_free``/``malloc_mmap``, bytes; ``None`` off glibc): RSS growth that
neither traced nor in-use memory shows is freed memory the allocators keep. ``rss_after_trim`` is RSS after
``malloc_trim(0)`` following the last sample; ``sqlite_memory`` is what SQLite (Hummingbot's trade database) holds;
``malloc_env`` the ``MALLOC_*`` settings of the run (``make soak`` sets the deploy images' ``MALLOC_MMAP_THRESHOLD_``).

``tracemalloc`` (``--frames``, default 1) runs from the start; the top growth sites are the largest differences by
source line (by call stack with ``--frames`` > 1) between its snapshots just before the first and just after the
last sample (``size_diff`` in bytes, ``count_diff`` in blocks). ``--types`` adds the garbage collector's object
counts by type at the same two points (``type_growth``; containers only, not str/int/Decimal). Bisecting knobs:
``--no-strategy`` (connector and streams only) and ``--sandbox-arg`` (e.g. ``--sandbox-arg=--no-flow``).
Writes ``soak-report.json``; exit status 1 only when the run itself failed (no orders or no fills with the strategy
on, a ledger mismatch, orders left open), as ``make demo``.
"""
import collections
import ctypes
import ctypes.util
import gc
import os
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import psutil

from backpack_demo.runner import demo_failed
from backpack_harness.cli import report_command
from backpack_harness.session import SANDBOX_ARGS, SandboxTradingSession
from backpack_harness.settle import ledger_failure, write_report
from backpack_harness.strategies import start_pure_market_making

TRADING_PAIR = "SOL-USDC"
GROWTH_TARGET_PCT = 5.0
TOP_SITES = 10
MIB = 1024 * 1024


def growth_sites(first: tracemalloc.Snapshot, last: tracemalloc.Snapshot, top: int = TOP_SITES
                 ) -> List[Dict[str, Any]]:
    """The ``top`` allocation sites whose traced memory grew most from ``first`` to ``last``: by source line, or by
    call stack (``stack``: ``file:line``, allocating frame first) when the snapshots hold more than one frame."""
    stacks = max((len(t.traceback) for t in last.traces), default=1) > 1
    out = []
    for stat in last.compare_to(first, "traceback" if stacks else "lineno")[:top]:
        frame = stat.traceback[-1]   # frames run oldest → most recent: the last one allocated
        site = {"file": frame.filename, "line": frame.lineno, "size_diff": stat.size_diff,
                "count_diff": stat.count_diff, "size": stat.size}
        if stacks:
            site["stack"] = [f"{f.filename}:{f.lineno}" for f in reversed(stat.traceback)]
        out.append(site)
    return out


def type_counts() -> Dict[str, int]:
    """Objects the garbage collector tracks, by ``module.qualname`` of their type."""
    counts: Dict[str, int] = collections.Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        counts[f"{kind.__module__}.{kind.__qualname__}"] += 1
    return dict(counts)


def type_growth(first: Dict[str, int], last: Dict[str, int], top: int = TOP_SITES) -> List[Dict[str, Any]]:
    """The ``top`` types whose object count grew most from ``first`` to ``last``:
    ``{"type", "count_diff", "count"}``."""
    diffs = [(last.get(name, 0) - first.get(name, 0), name) for name in set(first) | set(last)]
    ranked = sorted((d for d in diffs if d[0] > 0), key=lambda d: (-d[0], d[1]))[:top]
    return [{"type": name, "count_diff": diff, "count": last.get(name, 0)} for diff, name in ranked]


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _shared_library(name: str) -> Optional[ctypes.CDLL]:
    """The process's shared library ``name`` (``"c"``, ``"sqlite3"``), or None when it cannot be found or loaded."""
    path = ctypes.util.find_library(name)
    try:
        return ctypes.CDLL(path) if path else None
    except OSError:
        return None


def _libc() -> Optional[ctypes.CDLL]:
    libc = _shared_library("c")
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


_LIBC = _libc()


def _libsqlite3() -> Optional[ctypes.CDLL]:
    lib = _shared_library("sqlite3")
    if lib is not None:
        lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib


#: The SQLite library Python's ``sqlite3`` (and so Hummingbot's trade database) runs on, when it is a shared one.
_SQLITE = _libsqlite3()


def sqlite_memory() -> Optional[int]:
    """Bytes SQLite holds (``sqlite3_memory_used``: page caches, statements) in this process; None when unknown."""
    return int(_SQLITE.sqlite3_memory_used()) if _SQLITE is not None else None


def malloc_info() -> Dict[str, Optional[int]]:
    """glibc's ``mallinfo2`` over every arena, bytes: ``malloc_in_use`` (allocated chunks), ``malloc_free`` (free
    chunks the arenas keep), ``malloc_mmap`` (chunks in their own mappings); all ``None`` off glibc."""
    if _LIBC is None:
        return {"malloc_in_use": None, "malloc_free": None, "malloc_mmap": None}
    info = _LIBC.mallinfo2()
    return {"malloc_in_use": info.uordblks, "malloc_free": info.fordblks, "malloc_mmap": info.hblkhd}


def malloc_env() -> Dict[str, str]:
    """glibc malloc settings of this process from the environment (``MALLOC_*``, e.g. ``MALLOC_MMAP_THRESHOLD_``
    as the deploy images and ``make soak`` set it)."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("MALLOC_")}


def malloc_trim() -> bool:
    """Hand the arenas' free memory back to the system (glibc ``malloc_trim(0)``); False off glibc."""
    return bool(_LIBC is not None and _LIBC.malloc_trim(0))


def slope_per_min(samples: Sequence[Dict[str, Any]], key: str) -> Optional[float]:
    """Least-squares slope of ``samples[*][key]`` (bytes) over ``t_s``, in MiB per minute; None without two
    samples that carry the figure."""
    points = [(s["t_s"] / 60, s[key] / MIB) for s in samples if s.get(key) is not None]
    if len(points) < 2:
        return None
    return statistics.linear_regression([p[0] for p in points], [p[1] for p in points]).slope


def fitted_growth_pct(samples: Sequence[Dict[str, Any]], key: str = "rss") -> float:
    """Rise of the least-squares line of ``samples[*][key]`` from the first to the last ``t_s``, in % of its value
    at the first ``t_s``."""
    xs = [s["t_s"] for s in samples]
    fit = statistics.linear_regression(xs, [s[key] for s in samples])
    start = fit.intercept + fit.slope * xs[0]
    return fit.slope * (xs[-1] - xs[0]) / start * 100


def _rss(pid: Optional[int]) -> Optional[int]:
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.Error, ValueError):
        return None


async def run_soak(duration_s: float, warmup_s: float, interval_s: float, report_path: Path, log_path: Path,
                   seed: int = 7, out: Callable[[str], None] = print, frames: int = 1, types: bool = False,
                   strategy: bool = True, sandbox_args: Sequence[str] = ()) -> Dict[str, Any]:
    """Run the demo for ``warmup_s`` + ``duration_s`` seconds, sampling after the warm-up; return the report (also
    written to ``report_path``): ``{"samples": [{"t_s", "rss", "sandbox_rss", "traced", "tracing_overhead",
    "malloc_in_use", "malloc_free", "malloc_mmap", "sqlite_memory"}], "rss_first", "rss_last", "rss_max", "growth_pct",
    "growth_last_first_pct", "rss_slope_mib_per_min", "traced_slope_mib_per_min", "rss_after_trim", "malloc_env",
    "target_pct", "met", "top_growth": growth_sites(...), "type_growth" (``types``), ...settlement}``.

    :param frames: frames ``tracemalloc`` keeps per allocation (when this call starts tracing); 0: no tracing
        (``traced``/``traced_growth`` ``None``, no sites).
    :param strategy: start pure market making; False keeps only the connector and its streams.
    :param sandbox_args: sandbox command-line arguments after the demo's (``SANDBOX_ARGS``).
    """
    started_tracing = frames > 0 and not tracemalloc.is_tracing()
    if started_tracing:
        tracemalloc.start(frames)
    samples: List[Dict[str, Any]] = []
    snapshots: List[tracemalloc.Snapshot] = []
    counts: List[Dict[str, int]] = []
    rss_after_trim: Optional[int] = None

    def checkpoint() -> None:   # snapshots and type counts, outside the RSS samples
        if tracemalloc.is_tracing():
            snapshots.append(tracemalloc.take_snapshot())
        if types:
            counts.append(type_counts())

    try:
        session = SandboxTradingSession(trading_pairs=[TRADING_PAIR], log_path=log_path, seed=seed,
                                        sandbox_args=[*SANDBOX_ARGS, *sandbox_args])
        async with session:
            if strategy:
                await start_pure_market_making(session, TRADING_PAIR)
            sandbox_pid = session.sandbox._process.pid if session.sandbox._process is not None else None
            start = time.monotonic()
            next_sample = start + warmup_s

            def progress(elapsed: float) -> str:
                nonlocal next_sample
                line = f"[{elapsed:6.0f}s] RSS {(_rss(None) or 0) / MIB:.1f} MiB"
                if time.monotonic() >= next_sample - 0.5:
                    next_sample += interval_s
                    if not samples:   # before the first RSS sample, so every sample carries it alike
                        checkpoint()
                    samples.append({"t_s": round(elapsed, 1), "rss": _rss(None), "sandbox_rss": _rss(sandbox_pid),
                                    "traced": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
                                    "tracing_overhead": tracemalloc.get_tracemalloc_memory(), **malloc_info(),
                                    "sqlite_memory": sqlite_memory()})
                    line += f" (sample {len(samples)})"
                return line

            progress_interval = min(interval_s, warmup_s) if warmup_s > 0 else interval_s
            await session.run_for(warmup_s + duration_s + 0.5, progress, out, progress_interval)
            if malloc_trim():   # right after the last RSS sample, before the last snapshot
                rss_after_trim = _rss(None)
            if samples:
                checkpoint()   # after the last RSS sample
            settlement = await session.settle()
    finally:
        if started_tracing:
            tracemalloc.stop()
    if len(samples) < 2:
        raise RuntimeError(f"only {len(samples)} memory sample(s): duration shorter than the interval")
    first, last = samples[0]["rss"], samples[-1]["rss"]
    growth = fitted_growth_pct(samples)
    report = {"duration_s": duration_s, "warmup_s": warmup_s, "interval_s": interval_s,
              "trading_pair": TRADING_PAIR, "strategy": "pure_market_making" if strategy else None,
              "sandbox_args": [*SANDBOX_ARGS, *sandbox_args], "tracemalloc_frames": frames,
              "malloc_env": malloc_env(), "samples": samples,
              "rss_first": first, "rss_last": last, "rss_max": max(s["rss"] for s in samples),
              "growth_pct": growth, "growth_last_first_pct": (last / first - 1) * 100,
              "rss_slope_mib_per_min": slope_per_min(samples, "rss"),
              "traced_slope_mib_per_min": slope_per_min(samples, "traced"),
              "malloc_in_use_slope_mib_per_min": slope_per_min(samples, "malloc_in_use"),
              "rss_after_trim": rss_after_trim, "target_pct": GROWTH_TARGET_PCT, "met": growth <= GROWTH_TARGET_PCT,
              "traced_growth": None if frames <= 0 else samples[-1]["traced"] - samples[0]["traced"],
              "top_growth": growth_sites(snapshots[0], snapshots[-1]) if snapshots else [],
              **settlement.report(), "seed": seed}
    if types:
        report["type_growth"] = type_growth(counts[0], counts[-1])
    write_report(report, report_path)
    return report


def soak_failed(report: Dict[str, Any]) -> Optional[str]:
    """Why the run failed: the demo's checks with the strategy on, else only the ledger's; None when it did not."""
    return demo_failed(report) if report["strategy"] else ledger_failure(report)


def _mib_per_min(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:+.3f} MiB/min"


def summary(report: Dict[str, Any]) -> List[str]:
    lines = [f"Soak — {report['strategy'] or 'no strategy'} on {report['trading_pair']}, {report['duration_s']:.0f} s "
             f"after a {report['warmup_s']:.0f} s warm-up, {len(report['samples'])} samples",
             f"RSS {report['rss_first'] / MIB:.1f} → {report['rss_last'] / MIB:.1f} MiB (max "
             f"{report['rss_max'] / MIB:.1f}), fitted slope {_mib_per_min(report['rss_slope_mib_per_min'])}: "
             f"growth {report['growth_pct']:+.2f} % (last ÷ first {report['growth_last_first_pct']:+.2f} %; target ≤ "
             f"{report['target_pct']:g} %: {'met' if report['met'] else 'NOT met'})",
             f"traced by tracemalloc {_mib_per_min(report['traced_slope_mib_per_min'])}, malloc in use "
             f"{_mib_per_min(report['malloc_in_use_slope_mib_per_min'])}; orders {report['orders_created']}, "
             f"fills {report['fills']}; top growth sites:"]
    for site in report["top_growth"][:5]:
        lines.append(f"  {site['size_diff'] / 1024:+9.1f} KiB {site['count_diff']:+6d} blocks  "
                     f"{site['file']}:{site['line']}")
    for kind in report.get("type_growth", [])[:5]:
        lines.append(f"  {kind['count_diff']:+7d} objects  {kind['type']}")
    return lines


def _arguments(parser) -> None:
    parser.add_argument("--warmup", type=float, default=300.0, help="seconds before the first sample (default 300)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples (default 60)")
    parser.add_argument("--frames", type=int, default=1,
                        help="frames tracemalloc keeps per allocation, 0: no tracing (default 1)")
    parser.add_argument("--types", action="store_true", help="also report object counts by type (gc)")
    parser.add_argument("--no-strategy", dest="strategy", action="store_false",
                        help="start no strategy: the connector and its streams only")
    parser.add_argument("--sandbox-arg", action="append", default=[], metavar="ARG",
                        help="extra sandbox argument, repeatable (e.g. --sandbox-arg=--no-flow)")


main = report_command(
    "python -m backpack_bench.soak", __doc__, duration_s=1800.0, seed=7, report="soak-report.json", log="soak.log",
    run=lambda args, out: run_soak(args.duration, args.warmup, args.interval, args.report, args.log, args.seed, out,
                                   args.frames, args.types, args.strategy, args.sandbox_arg),
    summary=summary, failure=soak_failed, failed_label="soak failed", arguments=_arguments)

if __name__ == "__main__":
    raise SystemExit(main())
