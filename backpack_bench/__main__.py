"""``python -m backpack_bench`` (``make bench``): our connector against the Backpack connector shipped with
Hummingbot and against the physical floor, side by side in one process, on identical inputs. Writes
``bench-report.json`` and ``bench-report.md`` (the table, also printed). Sections: depth path, signing, order round
trip and ready time (see each module's docstring for what a figure includes)."""
import argparse
import asyncio
import logging
import os
import platform
import sys
import time

from backpack_bench.report import Report, Row, pair_ratios, summary
from backpack_harness.cli import command

SECTIONS = ("depth", "signing", "roundtrip", "ready", "budget", "scale")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})")
    p.add_argument("--frames", type=int, default=50_000, help="depth frames (default 50000)")
    p.add_argument("--seed", type=int, default=7, help="seed of the depth frames")
    p.add_argument("--depth-repeats", type=int, default=5)
    p.add_argument("--signatures", type=int, default=20_000, help="signatures per repeat")
    p.add_argument("--signing-repeats", type=int, default=5)
    p.add_argument("--orders", type=int, default=500, help="orders per round-trip run")
    p.add_argument("--roundtrip-repeats", type=int, default=3)
    p.add_argument("--pairs", type=int, default=20, help="trading pairs for the ready time")
    p.add_argument("--ready-repeats", type=int, default=2)
    p.add_argument("--budget-pairs", default="1,5,20", help="pair counts of the REST budget (comma-separated)")
    p.add_argument("--budget-warmup", type=float, default=20.0,
                   help="seconds after ready before the REST budget is counted")
    p.add_argument("--budget-seconds", type=float, default=60.0, help="seconds the REST budget is counted")
    p.add_argument("--scale-pairs", default="10,50,100", help="pair counts of the pairs-per-core runs")
    p.add_argument("--scale-warmup", type=float, default=5.0, help="seconds after ready before measuring")
    p.add_argument("--scale-seconds", type=float, default=20.0, help="seconds measured per pairs-per-core run")
    p.add_argument("--depth-rate", type=float, default=10.0,
                   help="depth messages a second per sandbox market in the pairs-per-core runs")
    p.add_argument("--json", default="bench-report.json")
    p.add_argument("--markdown", default="bench-report.md")


def _log(text: str) -> None:
    print(text, flush=True)


async def _depth(report: Report, args) -> None:
    from backpack_bench.depth import run_depth
    from backpack_bench.frames import generate
    stream = generate(args.frames, args.seed)
    report.meta["sizes"]["depth frames"] = args.frames
    report.meta["depth_levels_per_frame"] = round(stream.levels_per_frame(), 2)
    _log(f"depth: {args.frames} frames, {stream.levels_per_frame():.2f} levels per frame, "
         f"{args.depth_repeats} repeats")
    res = await run_depth(stream, args.depth_repeats, _log)
    report.raw["depth"] = res
    floor = res["floor"]["floor"]
    for variant, label, includes in (
            ("pipeline", "Depth frame → book, full pipeline",
             "text frame from a stand-in socket (one per loop turn), handed over by each connector's WS "
             "connection class (shipped: Hummingbot's, json.loads; ours: the text, decoded by the data source) → "
             "data source's WS loop → the connector's order book tracker → C++ OrderBook; ours with the sequence "
             "check"),
            ("direct", "Depth frame → book, data source only",
             "the same handover → data source message entry point → its OrderBookMessage → "
             "OrderBook.apply_diffs")):
        ours, up = res[variant]["ours"], res[variant]["upstream"]
        speedup = summary(pair_ratios(up, ours))
        report.add(Row(label, "µs/frame", summary(ours), summary(up), summary(floor), "shipped/ours", speedup,
                       "≥ 3× faster" if variant == "pipeline" else "",
                       speedup["median"] >= 3.0 if variant == "pipeline" else None, includes))
    turn = res["floor"]["socket_turn"]
    pipeline_floor = [f + t for f, t in zip(floor, turn)]
    vs_floor = summary(pair_ratios(res["pipeline"]["ours"], floor))
    report.add(Row("Depth full pipeline vs floor", "µs/frame", summary(res["pipeline"]["ours"]),
                   floor=summary(floor), ratio_label="ours/floor", ratio=vs_floor, target="≤ 1.5× floor",
                   met=vs_floor["median"] <= 1.5,
                   includes="floor = json.loads + C++ apply of rows built beforehand (no socket, no event loop)"))
    report.add(Row("Depth full pipeline vs floor + socket turn", "µs/frame", summary(res["pipeline"]["ours"]),
                   floor=summary(pipeline_floor), ratio_label="ours/floor",
                   ratio=summary(pair_ratios(res["pipeline"]["ours"], pipeline_floor)),
                   includes="floor + the stand-in socket's own cost per frame (one loop turn, handover, a reader "
                            "that does nothing), which every pipeline pays here"))
    report.add(Row("Depth floor part: json.loads alone", "µs/frame", None, floor=summary(res["floor"]["decode"])))
    report.add(Row("Depth, ujson.loads alone (ours: frames other than depth)", "µs/frame", None,
                   floor=summary(res["floor"]["decode_ujson"])))
    if res["floor"]["decode_typed"]:
        report.add(Row("Depth, typed decode alone (ours: msgspec → typed rows)", "µs/frame", None,
                       floor=summary(res["floor"]["decode_typed"]),
                       includes="decode_depth_frame: JSON text → DepthLevel rows with float price/amount"))
    report.add(Row("Depth pipeline part: stand-in socket turn alone", "µs/frame", None, floor=summary(turn)))
    report.add(Row("Depth floor part: C++ apply alone", "µs/frame", None, floor=summary(res["floor"]["apply"]),
                   includes="OrderBook.apply_diffs of rows built beforehand"))


async def _signing(report: Report, args) -> None:
    from backpack_bench.signing import run_signing
    _log(f"signing: {args.signatures} orderExecute signatures per run, {args.signing_repeats} repeats")
    res = await run_signing(args.signatures, args.signing_repeats, _log)
    report.raw["signing"] = res
    report.meta["sizes"]["signatures"] = args.signatures
    vs_raw = summary(pair_ratios(res["ours"], res["raw"]))
    report.add(Row("Signing orderExecute", "signatures/s", summary(res["ours"]), summary(res["upstream"]),
                   summary(res["raw"]), "ours/raw PyNaCl", vs_raw, "≥ 0.75× raw", vs_raw["median"] >= 0.75,
                   "rest_authenticate on the RESTRequest each exchange builds; floor = SigningKey.sign alone"))
    report.add(Row("Signing, ours vs shipped", "×", summary(pair_ratios(res["ours"], res["upstream"])),
                   includes="signatures/s ours ÷ shipped, pairwise"))


async def _roundtrip(report: Report, args) -> None:
    from backpack_bench.roundtrip import run_roundtrip
    _log(f"round trip: {args.orders} orders per run on a sandbox child, {args.roundtrip_repeats} repeats")
    res = await run_roundtrip(args.orders, args.roundtrip_repeats, _log)
    report.raw["roundtrip"] = res
    report.meta["sizes"]["orders per run"] = args.orders
    for what, label in (("create", "buy() → order created"), ("cancel", "cancel() → order cancelled")):
        ours, up = res["ours"], res["upstream"]
        ratio = summary(pair_ratios(ours[f"{what}_p50"], up[f"{what}_p50"]))
        report.add(Row(f"{label}, p50", "ms", summary(ours[f"{what}_p50"]), summary(up[f"{what}_p50"]),
                       ratio_label="ours/shipped", ratio=ratio, target="p50 ≤ 0.7× shipped",
                       met=ratio["median"] <= 0.7,
                       includes="loopback HTTP to the sandbox child, signing, the connector's order tracking, "
                                "event delivery"))
        report.add(Row(f"{label}, p99", "ms", summary(ours[f"{what}_p99"]), summary(up[f"{what}_p99"]),
                       ratio_label="ours/shipped",
                       ratio=summary(pair_ratios(ours[f"{what}_p99"], up[f"{what}_p99"]))))
    report.add(Row("Round-trip 429 answers", "count", summary([res["stats"]["http429"]]),
                   includes="sandbox /_sandbox/stats http429 over every round-trip run (both connectors)"))


async def _ready(report: Report, args) -> None:
    from backpack_bench.ready import run_ready
    _log(f"ready time: {args.pairs} pairs, {args.ready_repeats} repeats (a sandbox child per run)")
    res = await run_ready(args.pairs, args.ready_repeats, _log)
    report.raw["ready"] = res
    report.meta["sizes"]["ready pairs"] = args.pairs
    ours, up = res["ours"], res["upstream"]
    ratio = summary(pair_ratios(ours["ready_s"], up["ready_s"]))
    zero_429 = sum(ours["http429"]) == 0
    report.add(Row(f"Start → ready, {args.pairs} pairs", "s", summary(ours["ready_s"]), summary(up["ready_s"]),
                   ratio_label="ours/shipped", ratio=ratio, target="≤ shipped, 0 × 429",
                   met=ratio["median"] <= 1.0 and zero_429,
                   includes="clock start → connector.ready (rules, balances, fees, books, user stream)"))
    report.add(Row("HTTP 429 during start", "count", summary(ours["http429"]), summary(up["http429"]),
                   includes="sandbox /_sandbox/stats http429 per start"))


async def _budget(report: Report, args) -> None:
    from backpack_bench.budget import run_budget
    counts = [int(n) for n in args.budget_pairs.split(",") if n.strip()]
    _log(f"REST budget: {counts} pairs, pure market making, {args.budget_warmup:.0f} s warm-up, "
         f"{args.budget_seconds:.0f} s counted; ours and shipped at the same time (a sandbox child each)")
    res = await run_budget(counts, args.budget_warmup, args.budget_seconds, _log)
    report.raw["budget"] = res
    report.meta["sizes"]["REST budget s"] = args.budget_seconds
    largest = str(max(counts))
    for n, runs in res.items():
        ours, up = runs["ours"], runs["upstream"]
        ratio = summary([ours["per_min"] / up["per_min"]]) if up["per_min"] else None
        last = n == largest
        report.add(Row(f"REST requests/min, {n} pair(s) quoted", "req/min", summary([ours["per_min"]]),
                       summary([up["per_min"]]), ratio_label="ours/shipped" if ratio else "", ratio=ratio,
                       target="≤ 0.5× shipped" if last else "",
                       met=(ratio is not None and ratio["median"] <= 0.5) if last else None,
                       includes="steady state (after warm-up), every REST route, Hummingbot's pure market making "
                                "on each pair, fills arriving; by route in bench-report.json "
                                f"(ours {ours['fills']} fills, shipped {up['fills']}; cancels, one request per order "
                                f"the strategy cancels: ours {ours['cancel_per_min']:.0f}/min, shipped "
                                f"{up['cancel_per_min']:.0f}/min)"))
        alone = runs.get("ours_alone")
        if alone is not None:
            up_alone = runs["upstream_alone"]
            alone_ratio = summary([alone["per_min"] / up_alone["per_min"]]) if up_alone["per_min"] else None
            report.add(Row(f"REST requests/min, {n} pair(s) quoted, ours alone on key", "req/min",
                           summary([alone["per_min"]]), summary([up_alone["per_min"]]),
                           ratio_label="ours/shipped" if alone_ratio else "", ratio=alone_ratio,
                           target="≤ 0.5× shipped" if last else "",
                           met=(alone_ratio is not None and alone_ratio["median"] <= 0.5) if last else None,
                           includes="as the row above, ours with backpack_cancel_by_market on (a bot alone on its "
                                    "key: a market's cancels of one tick as one DELETE /api/v1/orders), in a run of "
                                    "its own beside another shipped run; "
                                    f"fills ours {alone['fills']}, shipped {up_alone['fills']}; cancels "
                                    f"{alone['cancel_per_min']:.0f}/min against {up_alone['cancel_per_min']:.0f}/min"))
        report.add(Row(f"REST history requests/min, {n} pair(s)", "req/min", summary([ours["history_per_min"]]),
                       summary([up["history_per_min"]]), target="≤ 30/min" if last else "",
                       met=ours["history_per_min"] <= 30 if last else None,
                       includes="routes under /history/ (fills, orders)"))


async def _scale(report: Report, args) -> None:
    from backpack_bench.scale import TICK_S, run_scale
    counts = [int(n) for n in args.scale_pairs.split(",") if n.strip()]
    _log(f"pairs per core: {counts} pairs at {args.depth_rate:g} depth messages/s each, {args.scale_seconds:.0f} s "
         f"measured after ready + {args.scale_warmup:.0f} s; ours and shipped in turn")
    res = await run_scale(counts, args.scale_warmup, args.scale_seconds, args.depth_rate, _log)
    report.raw["scale"] = res
    report.meta["sizes"]["pairs-per-core s"] = args.scale_seconds
    report.meta["depth_rate_per_market"] = args.depth_rate
    largest = str(max(counts))
    for n, runs in res.items():
        ours, up = runs["ours"], runs["upstream"]
        last = n == largest
        ratio = summary([ours["cpu_s_per_1000"] / up["cpu_s_per_1000"]])
        report.add(Row(f"CPU per 1000 depth frames, {n} pairs", "CPU s", summary([ours["cpu_s_per_1000"]]),
                       summary([up["cpu_s_per_1000"]]), ratio_label="ours/shipped", ratio=ratio,
                       target="≤ 0.5× shipped" if last else "", met=ratio["median"] <= 0.5 if last else None,
                       includes=f"process CPU (connector, book-reading strategy, clock, event loop; not the "
                                f"sandbox) ÷ depth frames sent to it; {ours['frames_per_s']:.0f} / "
                                f"{up['frames_per_s']:.0f} frames/s, CPU {ours['cpu_share']:.0%} / "
                                f"{up['cpu_share']:.0%} of a core"))
        report.add(Row(f"Clock tick lag p99, {n} pairs", "ms", summary([ours["lag_p99_ms"]]),
                       summary([up["lag_p99_ms"]]), target="≤ 100 ms" if last else "",
                       met=ours["lag_p99_ms"] <= 100 if last else None,
                       includes=f"wall time − scheduled time at each {TICK_S:g} s tick of Hummingbot's clock; p50 "
                                f"{ours['lag_p50_ms']:.1f} / {up['lag_p50_ms']:.1f} ms, max "
                                f"{ours['lag_max_ms']:.0f} / {up['lag_max_ms']:.0f} ms"))


async def _main(args) -> int:
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s): {', '.join(sorted(unknown))}")
    from importlib.metadata import version
    report = Report(meta={"python": platform.python_version(), "machine": platform.machine(),
                          "cpus": os.cpu_count(), "hummingbot": version("hummingbot"), "sizes": {},
                          "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    start = time.perf_counter()
    for name in SECTIONS:
        if name in only:
            await globals()[f"_{name}"](report, args)
    report.meta["duration_s"] = round(time.perf_counter() - start, 1)
    text = report.write(args.json, args.markdown)
    _log("")
    _log(text)
    _log(f"written {args.json} and {args.markdown} in {report.meta['duration_s']} s")
    failed = [r.measure for r in report.rows if r.met is False]
    if failed:
        _log("targets not met: " + "; ".join(failed))
    return 0


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    return asyncio.run(_main(args))


main = command("python -m backpack_bench", __doc__, _run, add_arguments)

if __name__ == "__main__":
    sys.exit(main())
