"""Order round trip over loopback against the sandbox child: ``buy()`` → ``BuyOrderCreated`` event, then
``cancel()`` → ``OrderCancelled`` event, one order at a time (latency, not throughput), for ours and for the
shipped connector on the same sandbox (a fresh account each run, same pair, same price and size).

Times are ``perf_counter()`` at the event's delivery to a listener minus the call's start (ms); p50/p99 over the
run's orders. Post-only (``LIMIT_MAKER``) bids, as a market maker quotes, resting far below any ask (no background
traders, so nothing fills); post-only orders skip Backpack's taker speed bump (§5.5), which would add ~100 ms to
both connectors' placements.
"""
import asyncio
import statistics
import time
from decimal import Decimal
from typing import Callable, Dict, List

from backpack_bench import live
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.event.events import MarketEvent

PAIR = "SOL-USDC"
PRICE = Decimal("100")
AMOUNT = Decimal("0.01")
EVENT_TIMEOUT_S = 30.0


def percentile(values: List[float], q: float) -> float:
    """Nearest-rank-free percentile (``statistics.quantiles`` inclusive method), q in 0..100."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(round(q)) - 1))]


async def one_run(process, kind: str, orders: int, warmup: int = 5) -> Dict[str, List[float]]:
    """Round trips of one connector run: ``{"create_ms": [...], "cancel_ms": [...]}`` (warm-up orders excluded).

    :raises asyncio.TimeoutError: an event did not arrive within ``EVENT_TIMEOUT_S``.
    """
    account = await live.new_account(process)
    connector = live.MAKERS[kind](process, account["apiKey"], account["secret"], [PAIR])
    created, cancelled = live.Stamp(), live.Stamp()
    connector.add_listener(MarketEvent.BuyOrderCreated, created)
    connector.add_listener(MarketEvent.OrderCancelled, cancelled)
    create_ms: List[float] = []
    cancel_ms: List[float] = []
    async with live.running(connector):
        for i in range(warmup + orders):
            start = time.perf_counter()
            order_id = connector.buy(PAIR, AMOUNT, OrderType.LIMIT_MAKER, PRICE)
            t_created = await created.wait(order_id, EVENT_TIMEOUT_S)
            order = connector.in_flight_orders.get(order_id)
            while order is not None and order.exchange_order_id is None:  # ours/shipped: id set before the event
                await asyncio.sleep(0)
            start_cancel = time.perf_counter()
            connector.cancel(PAIR, order_id)
            t_cancelled = await cancelled.wait(order_id, EVENT_TIMEOUT_S)
            if i >= warmup:
                create_ms.append((t_created - start) * 1e3)
                cancel_ms.append((t_cancelled - start_cancel) * 1e3)
    return {"create_ms": create_ms, "cancel_ms": cancel_ms}


async def run_roundtrip(orders: int, repeats: int, log: Callable[[str], None] = print) -> Dict[str, Dict]:
    """``{"ours": {"create_p50": [...], "create_p99": [...], "cancel_p50": [...], "cancel_p99": [...]},
    "upstream": {...}, "stats": sandbox stats}`` — one value per repeat (ms), runs interleaved."""
    out: Dict[str, Dict] = {k: {"create_p50": [], "create_p99": [], "cancel_p50": [], "cancel_p99": []}
                            for k in ("ours", "upstream")}
    async with live.sandbox(pairs=1) as process:
        for r in range(repeats):
            kinds = ["ours", "upstream"] if r % 2 == 0 else ["upstream", "ours"]
            for kind in kinds:
                run = await one_run(process, kind, orders)
                for what in ("create", "cancel"):
                    out[kind][f"{what}_p50"].append(percentile(run[f"{what}_ms"], 50))
                    out[kind][f"{what}_p99"].append(percentile(run[f"{what}_ms"], 99))
            log(f"  round trip repeat {r + 1}/{repeats}: create p50 ours {out['ours']['create_p50'][-1]:.2f} / "
                f"shipped {out['upstream']['create_p50'][-1]:.2f} ms; cancel p50 ours "
                f"{out['ours']['cancel_p50'][-1]:.2f} / shipped {out['upstream']['cancel_p50'][-1]:.2f} ms")
        out["stats"] = await live.sandbox_stats(process)
    return out
