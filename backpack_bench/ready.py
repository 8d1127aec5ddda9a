"""Ready time: connector start (added to a real-time clock, ``start_network``) → ``connector.ready`` with N trading
pairs on a fresh sandbox child (fresh rate-limit windows), and the number of HTTP 429 answers the sandbox gave
(its ``/_sandbox/stats`` ``http429``; its limiter is on: 2000 requests/min per key, public routes per address,
docs/backpack-api.md §7). Ours and the shipped connector alternate; each run has its own sandbox process.
"""
from typing import Callable, Dict, List

from backpack_bench import live


async def one_run(kind: str, pairs: int) -> Dict[str, float]:
    """``{"ready_s", "http429", "requests"}`` of one start of one connector on a fresh sandbox."""
    async with live.sandbox(pairs=pairs) as process:
        account = await live.new_account(process)
        connector = live.MAKERS[kind](process, account["apiKey"], account["secret"], live.sandbox_pairs(pairs))
        async with live.running(connector) as ready_s:
            pass
        stats = await live.sandbox_stats(process)
    return {"ready_s": ready_s, "http429": stats["http429"], "requests": stats["requests"]}


async def run_ready(pairs: int, repeats: int, log: Callable[[str], None] = print) -> Dict[str, Dict[str, List]]:
    """``{"ours": {"ready_s": [...], "http429": [...], "requests": [...]}, "upstream": {...}}``, one per repeat."""
    out: Dict[str, Dict[str, List]] = {k: {"ready_s": [], "http429": [], "requests": []}
                                       for k in ("ours", "upstream")}
    for r in range(repeats):
        for kind in (["ours", "upstream"] if r % 2 == 0 else ["upstream", "ours"]):
            run = await one_run(kind, pairs)
            for key, value in run.items():
                out[kind][key].append(value)
        log(f"  ready repeat {r + 1}/{repeats} ({pairs} pairs): ours {out['ours']['ready_s'][-1]:.2f} s "
            f"({out['ours']['http429'][-1]} × 429) / shipped {out['upstream']['ready_s'][-1]:.2f} s "
            f"({out['upstream']['http429'][-1]} × 429)")
    return out
