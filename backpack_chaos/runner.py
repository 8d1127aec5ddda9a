"""`make chaos`: a trading load through our connector against the sandbox while the sandbox injects faults on a
seeded schedule, then a reconciliation of the connector's view with the exchange's ledger.

Load: Hummingbot's own ``pure_market_making`` (our template, sandbox pace) quoting SOL-USDC, plus the
:class:`~backpack_chaos.driver.OrderDriver` placing, cancelling and batch-placing ETH-USDC orders every second —
one ``backpack_sandbox`` connector for both, as one bot would run them.
Faults: :func:`~backpack_chaos.schedule.build_schedule` (every kind at least once), applied through the
sandbox's ``POST /_sandbox/faults``.
End: the driver stops, then the shared settle (``backpack_harness.settle``): the strategy stops, every fault is
cleared, the connector cancels its open orders (``cancel_all``, as Hummingbot's ``stop`` does) and gets
``SETTLE_TIMEOUT_S`` to settle on its own (no forced balance refresh); fills and balances are reconciled with the
sandbox's ledger, orders by ``orders_check.py``, and ``chaos-report.json`` is written. Any discrepancy makes
:func:`chaos_failed` return a reason.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from backpack_chaos.driver import OrderDriver
from backpack_chaos.orders_check import check_orders, connector_outcomes
from backpack_chaos.schedule import CHAOS_FAULTS, FaultEvent, build_schedule
from backpack_harness.headless import wait_for
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import Settlement, summary_lines as settle_summary_lines, write_report
from backpack_harness.strategies import start_pure_market_making
from hummingbot.core.event.events import MarketEvent

PMM_PAIR, DRIVER_PAIR = "SOL-USDC", "ETH-USDC"
SYMBOLS = ["SOL_USDC", "ETH_USDC"]
BALANCES = {"SOL": "100", "ETH": "20", "USDC": "100000"}
SANDBOX_ARGS = ["--markets", ",".join(SYMBOLS), "--flow-pace", "2"]
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
    balances: Dict[str, str] = field(default_factory=lambda: dict(BALANCES))


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
    schedule = build_schedule(options.seed, options.duration_s, SYMBOLS)
    session = SandboxTradingSession(trading_pairs=[PMM_PAIR, DRIVER_PAIR], log_path=options.log_path,
                                    balances=options.balances, seed=options.seed, sandbox_args=list(SANDBOX_ARGS))
    async with session:
        connector, sandbox = session.connector, session.sandbox
        out(f"sandbox exchange up at {sandbox.rest_url}; {len(schedule)} faults scheduled over "
            f"{options.duration_s:g} s (seed {options.seed})")
        await start_pure_market_making(session, PMM_PAIR)
        if not await wait_for(lambda: connector.ready, 60.0):
            raise RuntimeError(f"the connector was not ready within 60 s: {connector.status_dict}")
        driver = OrderDriver(connector, DRIVER_PAIR, random.Random(options.seed), interval_s=options.driver_interval_s)
        injector = FaultInjector(sandbox, schedule)
        started = time.monotonic()
        tasks = [asyncio.ensure_future(driver.run()), asyncio.ensure_future(injector.run(started))]

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
        report = chaos_report(settlement, connector, injector, driver, sandbox_faults)
    report.update({"duration_s": round(elapsed, 1), "seed": options.seed,
                   "schedule": [{"at_s": e.at_s, "chaos_kind": e.kind, "fault": e.body} for e in schedule]})
    write_report(report, options.report_path)
    return report


def chaos_report(settlement: Settlement, connector: Any, injector: FaultInjector, driver: Optional[OrderDriver],
                 sandbox_faults: Dict[str, Any]) -> Dict[str, Any]:
    """The shared report fields plus the chaos ones: faults, stream and REST metrics, the order checks and the
    discrepancies by kind (with details). ``driver``: the order driver of the load, if it had one."""
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
    return {
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
    return None


def summary_lines(report: Dict[str, Any]) -> List[str]:
    """The shared summary rows plus faults, reconnects, discrepancies and the PASS/FAIL result."""
    faults = ", ".join(f"{k} {v}" for k, v in report["faults_injected"].items())
    found = report["discrepancies"]
    return settle_summary_lines(f"Backpack chaos run — {report['duration_s']} s, seed {report['seed']}", report, [
        ("faults injected", f"{sum(report['faults_injected'].values())}: {faults}"),
        ("reconnects", f"public {report['reconnects']['public']}, private {report['reconnects']['private']}; "
                       f"resyncs {report['resyncs']} (depth gaps {report['depth_gaps']})"),
        ("discrepancies", ", ".join(f"{k} {v}" for k, v in found.items())),
        ("result", "PASS" if not any(found.values()) else "FAIL"),
    ])
