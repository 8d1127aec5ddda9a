"""`make chaos`: a trading load through our connector against the sandbox while the sandbox injects faults on a
seeded schedule, then a reconciliation of the connector's view with the exchange's ledger.

Load: Hummingbot's own ``pure_market_making`` (our template, sandbox pace) quoting SOL-USDC, plus the
:class:`~backpack_chaos.driver.OrderDriver` placing, cancelling and batch-placing ETH-USDC orders every second —
one ``backpack_sandbox`` connector for both, as one bot would run them. The profile (``profiles.py``) sets the
sandbox's readings of the open questions and adds pairs, each with its own slower order driver.
Faults: :func:`~backpack_chaos.schedule.build_schedule` (every kind at least once), applied through the
sandbox's ``POST /_sandbox/faults``.
End: the driver stops, then the shared settle (``backpack_harness.settle``): the strategy stops, every fault is
cleared, the connector cancels its open orders (``cancel_all``, as Hummingbot's ``stop`` does) and gets
``SETTLE_TIMEOUT_S`` to settle on its own (no forced balance refresh); fills and balances are reconciled with the
sandbox's ledger, orders by ``orders_check.py``, and ``chaos-report.json`` is written. Any discrepancy (and,
under the pessimistic profile, a rate-limit 429 on a history route) makes :func:`chaos_failed` return a reason.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from backpack_chaos.driver import OrderDriver
from backpack_chaos.orders_check import check_orders, connector_outcomes
from backpack_chaos.profiles import DRIVER_PAIR, HISTORY_ROUTE_PREFIX, PMM_PAIR, ChaosProfile, profile
from backpack_chaos.schedule import CHAOS_FAULTS, FaultEvent, build_schedule
from backpack_harness.headless import wait_for
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import Settlement, summary_lines as settle_summary_lines, write_report
from backpack_harness.strategies import start_pure_market_making
from hummingbot.core.event.events import MarketEvent

#: Time the connector gets, once faults are cleared and its orders cancelled, to reach its final view by itself
#: (its own status polling, stream reconnects and resyncs); the run waits on conditions, this is the ceiling.
SETTLE_TIMEOUT_S = 180.0
DISCREPANCIES = ("missing_fills", "duplicate_fills", "unknown_fills", "fill_mismatches", "orphan_orders",
                 "unresolved_orders", "balance_mismatches")


@dataclass
class ChaosOptions:
    duration_s: float = 300.0
    seed: int = 1
    report_path: Path = Path("chaos-report.json")
    log_path: Path = Path("chaos.log")
    progress_interval_s: float = 10.0
    driver_interval_s: float = 1.0
    profile: str = "default"
    #: Available balances at start; None: the profile's.
    balances: Optional[Dict[str, str]] = None


class FaultInjector:
    """Applies a schedule through the sandbox control API; ``applied`` counts injections per chaos kind."""

    def __init__(self, sandbox: Any, schedule: List[FaultEvent]):
        self._sandbox = sandbox
        self._schedule = schedule
        self.applied: Counter = Counter()
        self.errors: List[str] = []

    async def run(self, started_at: float) -> None:
        for event in self._schedule:
            await asyncio.sleep(max(0.0, started_at + event.at_s - time.monotonic()))
            try:
                await self._sandbox.control("POST", "/_sandbox/faults", event.body)
                self.applied[event.kind] += 1
            except Exception as e:  # the control API is loopback and fault-free; report, don't stop the run
                self.errors.append(f"{event.kind} at {event.at_s}s: {e!r}")


async def run_chaos(options: ChaosOptions, out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the chaos load and return the report (also written to ``options.report_path``)."""
    chosen = profile(options.profile)
    schedule = build_schedule(options.seed, options.duration_s, chosen.symbols)
    session = SandboxTradingSession(trading_pairs=chosen.trading_pairs, log_path=options.log_path,
                                    balances=options.balances or chosen.all_balances(), seed=options.seed,
                                    sandbox_args=chosen.all_sandbox_args())
    async with session:
        connector, sandbox = session.connector, session.sandbox
        out(f"sandbox exchange up at {sandbox.rest_url}; profile {chosen.name}, {len(chosen.trading_pairs)} pairs; "
            f"{len(schedule)} faults scheduled over {options.duration_s:g} s (seed {options.seed})")
        await start_pure_market_making(session, PMM_PAIR)
        if not await wait_for(lambda: connector.ready, 60.0):
            raise RuntimeError(f"the connector was not ready within 60 s: {connector.status_dict}")
        driver = OrderDriver(connector, DRIVER_PAIR, random.Random(options.seed), interval_s=options.driver_interval_s)
        drivers = [driver, *extra_drivers(connector, chosen, options.seed)]
        injector = FaultInjector(sandbox, schedule)
        started = time.monotonic()
        tasks = [*(asyncio.ensure_future(d.run()) for d in drivers), asyncio.ensure_future(injector.run(started))]

        def progress(elapsed: float) -> str:
            metrics = connector.metrics_snapshot()
            return (f"[{elapsed:6.1f}s] faults {sum(injector.applied.values())} | orders "
                    f"{session.recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated)} | fills "
                    f"{session.recorder.count(MarketEvent.OrderFilled)} | reconnects "
                    f"{metrics['public_stream']['reconnects']}+{metrics['private_stream']['reconnects']} | "
                    f"resyncs {metrics['public_stream']['resyncs']} | health {connector.health().status}")

        try:
            elapsed = await session.run_for(options.duration_s, progress, out, options.progress_interval_s)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        out("stopping: strategy and driver off, faults cleared, cancelling open orders…")
        sandbox_faults: Dict[str, Any] = {}

        async def clear_faults() -> None:
            sandbox_faults.update(await sandbox.control("GET", "/_sandbox/faults"))
            await sandbox.control("DELETE", "/_sandbox/faults")

        settlement = await session.settle(SETTLE_TIMEOUT_S, refresh_balances=False, after_stop=clear_faults)
        out(f"settled in {settlement.settle_s:.1f} s")
        report = chaos_report(settlement, connector, injector, driver, sandbox_faults,
                              sandbox_stats=await sandbox.control("GET", "/_sandbox/stats"), chaos_profile=chosen,
                              extra_drivers=drivers[1:])
        account = await sandbox.account()
        report["auto_lend"] = {"on": account.get("autoLend", False), "redeemed": account.get("redeemed", {}),
                               "lent_at_end": {asset: b["lent"] for asset, b in account["balances"].items()
                                               if "lent" in b}}
    report.update({"duration_s": round(elapsed, 1), "seed": options.seed,
                   "schedule": [{"at_s": e.at_s, "chaos_kind": e.kind, "fault": e.body} for e in schedule]})
    write_report(report, options.report_path)
    return report


def extra_drivers(connector: Any, chosen: ChaosProfile, seed: int) -> List[OrderDriver]:
    """One order driver per extra pair of the profile, each with its own seeded RNG."""
    settings: Dict[str, Any] = dict(chosen.extra.driver)
    return [OrderDriver(connector, pair, random.Random(seed * 1000 + n), **settings)
            for n, pair in enumerate(chosen.extra.trading_pairs, start=1)]


def http_429s(sandbox_stats: Dict[str, Any]) -> Dict[str, Any]:
    """429s the sandbox answered (``GET /_sandbox/stats``): ``by_route`` (every 429, injected ones included),
    ``rate_limited_by_route`` (the rate limits' only) and the same two for the history routes (§5.11, §5.12)."""
    every = sandbox_stats.get("http429ByRoute", {})
    limited = sandbox_stats.get("http429RateLimitedByRoute", {})

    def history(counts: Dict[str, int]) -> int:
        return sum(n for route, n in counts.items() if route.split(" ", 1)[-1].startswith(HISTORY_ROUTE_PREFIX))

    return {"by_route": every, "rate_limited_by_route": limited,
            "history": history(every), "history_rate_limited": history(limited),
            "history_requests": history(sandbox_stats.get("requestsByRoute", {}))}


def chaos_report(settlement: Settlement, connector: Any, injector: FaultInjector, driver: Optional[OrderDriver],
                 sandbox_faults: Dict[str, Any], sandbox_stats: Optional[Dict[str, Any]] = None,
                 chaos_profile: Optional[ChaosProfile] = None,
                 extra_drivers: Sequence[OrderDriver] = ()) -> Dict[str, Any]:
    """The shared report fields plus the chaos ones: faults, stream and REST metrics, the order checks and the
    discrepancies by kind (with details). ``driver``: the order driver of the load, if it had one;
    ``extra_drivers``: those of the profile's extra pairs (counts summed); ``sandbox_stats``: the sandbox's
    ``GET /_sandbox/stats`` after the settle, for the 429s by route."""
    ledger, exchange_orders = settlement.ledger, settlement.exchange_orders
    orders = check_orders(connector_outcomes(settlement.recorder), connector.in_flight_orders.values(),
                          exchange_orders)
    client_ids = {o.get("id"): o.get("clientId") for o in exchange_orders}
    fills_by_trade = {str(f["tradeId"]): f for f in settlement.exchange_fills}
    metrics = connector.metrics_snapshot()
    details = {
        "missing_fills": [{"trade_id": t, "exchange_order_id": fills_by_trade[t].get("orderId"),
                           "client_order_id": client_ids.get(fills_by_trade[t].get("orderId"))}
                          for t in ledger.missing_fills],
        "duplicate_fills": ledger.duplicate_fills,
        "unknown_fills": ledger.unknown_fills, "fill_mismatches": ledger.fill_mismatches,
        "orphan_orders": orders.orphan_orders, "unresolved_orders": orders.unresolved_orders,
        "balance_mismatches": ledger.balance_mismatches,
    }
    extra_counts: Counter = sum((Counter(d.counts) for d in extra_drivers), Counter())
    return {
        "profile": chaos_profile.name if chaos_profile is not None else None,
        "trading_pairs": chaos_profile.trading_pairs if chaos_profile is not None else [],
        "faults_injected": dict(sorted(injector.applied.items())),
        "fault_injection_errors": injector.errors,
        "sandbox_fault_counts": sandbox_faults.get("counts", {}),
        "reconnects": {"public": metrics["public_stream"]["reconnects"],
                       "private": metrics["private_stream"]["reconnects"]},
        "resyncs": metrics["public_stream"]["resyncs"],
        "depth_gaps": metrics["public_stream"]["gaps"],
        "rest": metrics["rest"],
        **settlement.report(),
        "driver": dict(driver.counts) if driver is not None else {},
        "extra_pair_drivers": dict(extra_counts),
        "http_429": http_429s(sandbox_stats or {}),
        "speed_bump": (sandbox_stats or {}).get("speedBump", {}),
        "fills_by_pair": dict(sorted(Counter(e.trading_pair for e in settlement.fill_events).items())),
        "history_429_fails": bool(chaos_profile and chaos_profile.history_429_fails),
        "conservation_mismatches": ledger.conservation_mismatches,
        "discrepancies": {name: len(details[name]) for name in DISCREPANCIES},
        "discrepancy_details": details,
        "metrics": metrics,
    }


def chaos_failed(report: Dict[str, Any]) -> Optional[str]:
    """Why the run counts as failed, or None: it must trade, inject every fault kind and end with no discrepancy."""
    found = {name: n for name, n in report["discrepancies"].items() if n}
    if found:
        return "discrepancies: " + ", ".join(f"{name} {n}" for name, n in found.items())
    if report["conservation_mismatches"]:
        return f"the connector's fills do not explain the balance change: {report['conservation_mismatches']}"
    missing = sorted(set(CHAOS_FAULTS) - set(report["faults_injected"]))
    if missing:
        return "fault kinds never injected: " + ", ".join(missing)
    if report["fills"] == 0:
        return "nothing traded"
    history_429 = report.get("http_429", {}).get("history_rate_limited", 0)
    if report.get("history_429_fails") and history_429:
        return f"{history_429} history requests over the 30/min limit answered 429"
    return None


def summary_lines(report: Dict[str, Any]) -> List[str]:
    """The shared summary rows plus faults, reconnects, discrepancies and the PASS/FAIL result."""
    faults = ", ".join(f"{k} {v}" for k, v in report["faults_injected"].items())
    found = report["discrepancies"]
    http_429 = report.get("http_429", {})
    routes = ", ".join(f"{route} {n}" for route, n in http_429.get("by_route", {}).items()) or "none"
    title = f"Backpack chaos run — {report['duration_s']} s, seed {report['seed']}"
    if report.get("profile"):
        title += f", profile {report['profile']} ({len(report.get('trading_pairs', []))} pairs)"
    return settle_summary_lines(title, report, [
        ("settle time", f"{report['settle_s']} s"),
        ("faults injected", f"{sum(report['faults_injected'].values())}: {faults}"),
        ("429s by route", routes),
        ("history 429s", f"{http_429.get('history', 0)} (over the rate limit: "
                         f"{http_429.get('history_rate_limited', 0)}; the rest injected) of "
                         f"{http_429.get('history_requests', 0)} history requests"),
        *([("auto-lend", f"redeemed {report['auto_lend']['redeemed']}, lent at end "
                         f"{report['auto_lend']['lent_at_end']}")] if report.get("auto_lend", {}).get("on") else []),
        ("reconnects", f"public {report['reconnects']['public']}, private {report['reconnects']['private']}; "
                       f"resyncs {report['resyncs']} (depth gaps {report['depth_gaps']})"),
        ("discrepancies", ", ".join(f"{k} {v}" for k, v in found.items())),
        ("result", "PASS" if not any(found.values()) else "FAIL"),
    ])
