"""``python -m backpack_demo.v2 --executor KIND [--duration S] [--chaos-seed N]``: the V2 script
``backpack_executors.py`` running one of Hummingbot's executors through our connector on the sandbox exchange.

KIND is one of ``order``, ``position``, ``grid``, ``twap``, ``xemm``, ``arbitrage`` (see the script's doc), or
``all``: each kind in turn, each in its own process (Hummingbot's application is one per process), ``--duration``
seconds each. The script and the kind's template (``conf_backpack_executors_<kind>_TEMPLATE.yml``) are installed
into a throwaway Hummingbot home as ``make templates`` installs them; the config is switched to
``backpack_sandbox`` (xemm and arbitrage: second venue ``backpack_sandbox_2``, a second account on the same sandbox
with its own keys, so both legs are our connector) with sandbox-paced values (:func:`sandbox_values`) and started
as the client's ``start --v2`` does. The run ends after ``--duration`` or when the kind has finished; the executor
orchestrator closes what still runs and the shared settle reconciles fills and balances of each account with the
sandbox ledger (the second account's under ``second_account``); the report carries the connector's maker scorecard
and the sandbox's view of it. ``--chaos-seed N`` injects the chaos fault schedule of
seed N (``backpack_chaos.schedule``) during the run and reports the discrepancies as ``make chaos`` does.

Exit status 1 when nothing was placed, the kind's expected fills are missing (without faults), an order was left
open, or the ledger does not match / a discrepancy was found.
"""
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_chaos.runner import FaultInjector, chaos_report
from backpack_chaos.schedule import build_schedule
from backpack_client.install_templates import EXECUTOR_KINDS, EXECUTOR_TEMPLATES, install
from backpack_harness.cli import report_command
from backpack_harness.headless import use_connector_prices_for_rate_oracle
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import ledger_failure, summary_lines, write_report
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.event.events import MarketEvent

SCRIPT = "backpack_executors"
KINDS = EXECUTOR_KINDS
HEDGE = CONSTANTS.SANDBOX_2_CONNECTOR_NAME
PAIR = "SOL-USDC"
#: Balances of the second sandbox account (xemm taker, arbitrage's other venue).
SECOND_ACCOUNT_BALANCES = {"SOL": "10", "USDC": "2000"}
#: Seconds the run goes on once the kind finished (late events, then a clean stop).
GRACE_S = 1.0
#: Settle ceiling (s) under faults: the connector settles on its own (status polling, reconnects).
CHAOS_SETTLE_S = 120.0
#: The chaos report's fields a V2 run keeps (per account).
CHAOS_FIELDS = ("faults_injected", "discrepancies", "discrepancy_details", "conservation_mismatches", "reconnects",
                "resyncs")
CHAOS_DISCREPANCIES = ("missing_fills", "duplicate_fills", "unknown_fills", "fill_mismatches", "orphan_orders",
                       "unresolved_orders", "balance_mismatches")


def sandbox_values(kind: str, duration_s: float) -> Dict[str, Any]:
    """Config values of a ``duration_s`` run of ``kind`` on the sandbox (on top of the template): short timers, and
    profitability thresholds the sandbox can reach: its ladder sits 2-30 bps from its mid and both accounts trade
    the same book, so net of fees neither an XEMM quote nor an arbitrage between the two accounts is ever positive
    (XEMM quotes at -5 bps, arbitrage trades at up to -1 %)."""
    values: Dict[str, Any] = {
        "executor": kind, "connector_name": CONSTANTS.SANDBOX_CONNECTOR_NAME, "hedge_connector_name": HEDGE,
        "trading_pair": PAIR}
    if kind == "order":
        values.update(quote_refresh_s=4, quote_duration_s=max(4, int(duration_s * 0.4)))
    elif kind == "position":
        values.update(take_profit=0.0015, stop_loss=0.003, time_limit=max(3, int(duration_s * 0.3)),
                      position_max_s=max(6, int(duration_s * 0.6)))
    elif kind == "grid":
        values.update(grid_range=0.004, grid_take_profit=0.001)
    elif kind == "twap":
        values.update(twap_duration_s=max(4, int(duration_s * 0.4)) // 2 * 2, twap_interval_s=2)
    elif kind == "xemm":
        values.update(xemm_min_profitability=-0.003, xemm_target_profitability=-0.0018, xemm_max_profitability=-0.0008)
    elif kind == "arbitrage":
        values.update(arbitrage_min_profitability=-0.01)
    return values


def prepare_home(home: Path, kind: str, duration_s: float) -> Path:
    """Install the script and its template into ``home``, write the sandbox config; return the config path."""
    install(home=home, package_dir=home / "package-templates")
    if str(home) not in sys.path:  # the client imports V2 scripts as ``scripts.<name>`` from its home
        sys.path.insert(0, str(home))
    config = yaml.safe_load((home / "conf" / "scripts" / EXECUTOR_TEMPLATES[kind]).read_text())
    config.update(sandbox_values(kind, duration_s))
    path = home / "conf" / "scripts" / f"conf_backpack_executors_{kind}_sandbox.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


async def run_executor(kind: str, duration_s: float, report_path: Path, log_path: Path, seed: int = 7,
                       chaos_seed: Optional[int] = None, out: Callable[[str], None] = print,
                       home: Optional[Path] = None) -> Dict[str, Any]:
    """Run the script with executor ``kind`` for at most ``duration_s`` s (faults of ``chaos_seed`` if given);
    return the report (also written to ``report_path``)."""
    home = Path(home or tempfile.mkdtemp(prefix="backpack-v2-home-"))
    config_path = prepare_home(home, kind, duration_s)
    config = yaml.safe_load(config_path.read_text())
    two_venues = kind in ("xemm", "arbitrage")
    schedule = build_schedule(chaos_seed, duration_s, ["SOL_USDC"]) if chaos_seed is not None else []
    session = SandboxTradingSession(trading_pairs=[PAIR], log_path=log_path, seed=seed, scripts_path=home / "scripts",
                                    second_account_balances=dict(SECOND_ACCOUNT_BALANCES) if two_venues else None)
    async with session:
        core, connector, recorder, sandbox = session.core, session.connector, session.recorder, session.sandbox
        second = session.second
        hedge_recorder = second.recorder if second is not None else None
        out(f"sandbox exchange up at {sandbox.rest_url}; {SCRIPT}.py executor {kind}"
            + (f", second venue {HEDGE} (second account)" if two_venues else "")
            + (f"; {len(schedule)} faults scheduled (chaos seed {chaos_seed})" if schedule else ""))
        use_connector_prices_for_rate_oracle(connector)  # last thing before the start (see headless.py)
        if not await core.start_strategy(SCRIPT, str(config_path), config_path.name):
            raise RuntimeError(f"Hummingbot could not start the {SCRIPT} script (see the log)")
        injector = FaultInjector(sandbox, schedule)
        injection = asyncio.ensure_future(injector.run(time.monotonic()))
        done_at: List[float] = []

        def finished() -> bool:
            if schedule:  # under faults the whole schedule runs
                return False
            strategy = core.strategy
            if not done_at and strategy is not None and strategy.done:
                done_at.append(time.monotonic())
            return bool(done_at) and time.monotonic() - done_at[0] >= GRACE_S

        def progress(elapsed: float) -> str:
            executors = core.strategy.executors if core.strategy is not None else []
            running = len([e for e in executors if not e.is_closed])
            line = (f"[{elapsed:5.1f}s] executors {len(executors)} ({running} running) | orders placed "
                    f"{recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated)} | fills "
                    f"{recorder.count(MarketEvent.OrderFilled)}")
            if hedge_recorder is not None:
                line += f" | {HEDGE} fills {hedge_recorder.count(MarketEvent.OrderFilled)}"
            if schedule:
                line += f" | faults {sum(injector.applied.values())}"
            return line

        try:
            elapsed = await session.run_for(duration_s, progress, out, interval_s=3.0, until=finished)
        finally:
            injection.cancel()
            await asyncio.gather(injection, return_exceptions=True)
        strategy = core.strategy
        out(progress(elapsed))
        out("stopping: the executor orchestrator closes the executors, cancelling open orders…")
        executors = list(strategy.executors)  # the orchestrator stores (drops) them when the strategy stops
        sandbox_faults: Dict[str, Any] = {}

        async def clear_faults() -> None:
            sandbox_faults.update(await sandbox.control("GET", "/_sandbox/faults"))
            await sandbox.control("DELETE", "/_sandbox/faults")

        second_fields: Dict[str, Any] = {}
        if schedule:
            settlement = await session.settle(CHAOS_SETTLE_S, refresh_balances=False, after_stop=clear_faults)
            chaos = chaos_report(settlement, connector, injector, None, sandbox_faults)
            chaos_fields = {key: chaos[key] for key in CHAOS_FIELDS}
            if second is not None and settlement.second is not None:
                second_chaos = chaos_report(settlement.second, second.connector, injector, None, sandbox_faults)
                second_fields = {key: second_chaos[key] for key in CHAOS_FIELDS if key != "faults_injected"}
        else:
            settlement = await session.settle()
            chaos_fields = {}
        if settlement.second is not None:
            second_fields = {"connector": HEDGE, **settlement.second.report(), **second_fields}
    report = {
        "duration_s": round(elapsed, 1), "strategy": f"{SCRIPT} ({kind})", "executor": kind, "trading_pair": PAIR,
        "connector": CONSTANTS.SANDBOX_CONNECTOR_NAME, **settlement.report(),
        **executor_fields(kind, config, strategy, executors),
        "hedge_connector": HEDGE if two_venues else None, "second_account": second_fields or None,
        "hedge_orders": hedge_recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated)
        if hedge_recorder else 0,
        "hedge_fills": hedge_recorder.count(MarketEvent.OrderFilled) if hedge_recorder else 0,
        "chaos_seed": chaos_seed, **chaos_fields, "seed": seed,
    }
    write_report(report, report_path)
    return report


def executor_fields(kind: str, config: Dict[str, Any], strategy: Any, executors: List) -> Dict[str, Any]:
    """Report fields of the executors: how many, close types, and per kind what it is expected to show."""
    closed = [e for e in executors if e.is_closed]
    fields: Dict[str, Any] = {
        "executors": len(executors), "executors_closed": len(closed),
        "close_types": dict(sorted(Counter(e.close_type.name for e in closed if e.close_type).items())),
    }
    if kind == "order":
        close = [e for e in executors if e.config.id == strategy.close_executor_id]
        quotes = [e for e in executors if e.config.id != strategy.close_executor_id]
        fields["quote_fills_base"] = str(sum((e.executed_amount_base for e in quotes), 0))
        fields["quote_net_base"] = str(sum((e.executed_amount_base if e.config.side == TradeType.BUY
                                            else -e.executed_amount_base for e in quotes), 0))
        fields["market_close"] = ({"side": close[0].config.side.name, "amount": str(close[0].config.amount),
                                   "filled": str(close[0].executed_amount_base)}
                                  if close else ("not needed" if strategy.close_skipped else None))
    elif kind == "position":
        fields["positions"] = {e.config.level_id: e.close_type.name if e.close_type else None for e in executors}
    elif kind == "twap":
        fields["slices"] = config["twap_duration_s"] // config["twap_interval_s"] + 1
    elif kind == "xemm":
        # Hummingbot 20260922's XEMMExecutor stops once both legs are done without setting a close type (None,
        # reported as "NONE"); a hedged executor is one whose maker and taker orders both filled.
        hedged = [e for e in closed if _filled(e.maker_order) and _filled(getattr(e, "taker_order", None))]
        fields["hedged_executors"] = len(hedged)
        fields["hedged_close_types"] = dict(Counter(e.close_type.name if e.close_type else "NONE" for e in hedged))
    elif kind == "arbitrage":
        fields["rounds"] = strategy.rounds
        fields["rounds_completed"] = fields["close_types"].get("COMPLETED", 0)
    return fields


def _filled(tracked: Any) -> bool:
    """A ``TrackedOrder`` whose in-flight order filled completely."""
    return tracked is not None and tracked.order is not None and tracked.order.is_filled


def expectation_failure(report: Dict[str, Any]) -> Optional[str]:
    """Why a fault-free run of its kind did not show what it should, or None."""
    kind = report["executor"]
    if kind == "order":
        close = report["market_close"]
        if close is None:
            return "the quotes were not closed with a MARKET order"
        if isinstance(close, dict) and close["filled"] != close["amount"]:
            return f"the MARKET close filled {close['filled']} of {close['amount']}"
    elif kind == "position":
        if report["executors_closed"] < 3 or "TIME_LIMIT" not in report["close_types"]:
            return f"positions closed: {report['positions']}"
    elif kind == "twap" and report["fills"] < report["slices"]:
        return f"{report['fills']} fills for {report['slices']} TWAP slices"
    elif kind == "arbitrage" and (report["rounds_completed"] < 1 or report["hedge_fills"] < 1):
        return f"no arbitrage round completed on both accounts (close types {report['close_types']})"
    elif kind == "xemm" and (report["hedge_fills"] < 1 or report["hedged_executors"] < 1):
        return f"no XEMM maker fill was hedged to completion (close types {report['close_types']})"
    return None


def failure(report: Dict[str, Any]) -> Optional[str]:
    """Why one kind's run counts as failed, or None."""
    if "runs" in report:
        reasons = [f"{kind}: {reason}" for kind, run in report["runs"].items() if (reason := failure(run))]
        return "; ".join(reasons) or None
    if "error" in report:
        return report["error"]
    if report["orders_created"] == 0:
        return "no order was placed"
    second = report.get("second_account")
    for label, account in (("", report), (f"{HEDGE}: ", second)):
        if account is None:
            continue
        if report["chaos_seed"] is not None:
            found = {name: n for name, n in account["discrepancies"].items() if n}
            if found:
                return f"{label}discrepancies: " + ", ".join(f"{name} {n}" for name, n in found.items())
            if account["conservation_mismatches"]:
                return (f"{label}the connector's fills do not explain the balance change: "
                        f"{account['conservation_mismatches']}")
        if (reason := ledger_failure(account)) is not None:
            return label + reason
    return expectation_failure(report) if report["chaos_seed"] is None else None


def kind_rows(report: Dict[str, Any]) -> List[tuple]:
    rows: List[tuple] = [("executors", f"{report['executors']} (closed {report['executors_closed']}: "
                                       f"{report['close_types']})")]
    if report["executor"] == "order":
        rows.append(("market close", report["market_close"]))
    if report["executor"] == "twap":
        rows.append(("twap slices", report["slices"]))
    if report["executor"] == "xemm":
        rows.append(("hedged executors", f"{report['hedged_executors']} (maker and taker filled; close types "
                                         f"{report['hedged_close_types']})"))
    if report["executor"] == "arbitrage":
        rows.append(("arbitrage rounds", f"{report['rounds_completed']} completed of {report['rounds']}"))
    if report["hedge_connector"]:
        second = report["second_account"]
        rows.append(("second venue", f"{report['hedge_orders']} orders, {report['hedge_fills']} fills on "
                                     f"{report['hedge_connector']} (second account, exchange ledger: "
                                     f"{second['exchange_fills']}; ledger "
                                     f"{'MATCH' if second['ledger_match'] else 'MISMATCH'})"))
    if report["chaos_seed"] is not None:
        rows.append(("faults injected", sum(report["faults_injected"].values())))
        rows.append(("discrepancies", ", ".join(f"{k} {v}" for k, v in report["discrepancies"].items())))
    return rows


def scorecard_columns(run: Dict[str, Any]) -> str:
    """The run's maker scorecard of its pair: maker volume (quote), maker share, two-sided share, uptime."""
    market = run.get("maker_scorecard", {}).get("markets", {}).get(run["trading_pair"])
    if market is None:
        return f"{'-':>10} {'-':>5} {'-':>7} {'-':>6}"
    share = f"{market['maker_share']:.0%}" if market["maker_share"] is not None else "-"
    return (f"{Decimal(market['maker_volume_quote']):>10.2f} {share:>5} {market['two_sided_share']:>7.0%} "
            f"{market['uptime_share']:>6.0%}")


def ledger_matches(run: Dict[str, Any]) -> bool:
    """The run's account, and its second account if it had one, match the sandbox ledger."""
    second = run.get("second_account")
    return bool(run["ledger_match"]) and (second is None or bool(second["ledger_match"]))


def summary(report: Dict[str, Any]) -> List[str]:
    if "runs" in report:
        lines = [f"{'executor':<10} {'orders':>6} {'fills':>6} {'2nd venue':>9}  ledger    open  "
                 f"{'maker vol':>10} {'maker':>5} {'2-sided':>7} {'uptime':>6}  result"]
        for kind, run in report["runs"].items():
            if "error" in run:
                lines.append(f"{kind:<10} {run['error']}")
                continue
            lines.append(f"{kind:<10} {run['orders_created']:>6} {run['fills']:>6} {run['hedge_fills']:>9}  "
                         f"{'MATCH' if ledger_matches(run) else 'MISMATCH':<8}  {run['open_orders_at_exit']:>4}  "
                         f"{scorecard_columns(run)}  {failure(run) or 'PASS'}")
        return lines
    return summary_lines(f"Backpack sandbox V2 run — {report['strategy']} on {report['connector']} "
                         f"{report['trading_pair']}", report, kind_rows(report))


async def run_all(duration_s: float, report_path: Path, log_path: Path, seed: int, chaos_seed: Optional[int],
                  out: Callable[[str], None]) -> Dict[str, Any]:
    """Every kind in its own ``python -m backpack_demo.v2`` process, one after another; their reports under
    ``"runs"`` (each also beside ``report_path`` as ``<stem>-<kind>.json``, logs beside ``log_path``)."""
    runs: Dict[str, Any] = {}
    for kind in KINDS:
        kind_report = report_path.with_name(f"{report_path.stem}-{kind}.json")
        kind_log = log_path.with_name(f"{log_path.stem}-{kind}.log")
        argv = [sys.executable, "-m", "backpack_demo.v2", "--executor", kind, "--duration", str(duration_s),
                "--seed", str(seed), "--report", str(kind_report), "--log", str(kind_log)]
        if chaos_seed is not None:
            argv += ["--chaos-seed", str(chaos_seed)]
        out(f"=== {kind}")
        child = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                     stderr=asyncio.subprocess.STDOUT)
        assert child.stdout is not None
        async for line in child.stdout:
            out(f"  {line.decode().rstrip()}")
        await child.wait()
        runs[kind] = (json.loads(kind_report.read_text()) if kind_report.exists()
                      else {"executor": kind, "error": f"exit status {child.returncode}, no report"})
    report = {"runs": runs, "chaos_seed": chaos_seed}
    write_report(report, report_path)
    return report


async def run(args: Any, out: Callable[[str], None]) -> Dict[str, Any]:
    if args.executor == "all":
        return await run_all(args.duration, args.report, args.log, args.seed, args.chaos_seed, out)
    return await run_executor(args.executor, args.duration, args.report, args.log, args.seed, args.chaos_seed, out)


def arguments(parser: Any) -> None:
    parser.add_argument("--executor", choices=(*KINDS, "all"), default="all", help="executor kind (default all)")
    parser.add_argument("--chaos-seed", type=int, default=None,
                        help="inject the chaos fault schedule of this seed (runs of 16 s and more)")


main = report_command(
    "python -m backpack_demo.v2", __doc__, duration_s=20.0, seed=7, report="v2-report.json", log="v2.log",
    run=run, summary=summary, failure=failure, failed_label="V2 RUN FAILED", arguments=arguments)

if __name__ == "__main__":
    sys.exit(main())
