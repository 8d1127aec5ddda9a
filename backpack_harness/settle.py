"""The one settle-and-report path of every sandbox run (demo, template runs, chaos).

:func:`settle`: stop the strategy → cancel every open order → wait for final states and for every ledger fill →
reconcile the connector's fills and balances with the sandbox ledger (``ledger.py``) → read the connector's maker
scorecard (``metrics_snapshot()["maker"]``) and the sandbox's view of the same window. :meth:`Settlement.report`
gives the report fields every run shares, :func:`summary_lines` the printed summary, :func:`write_report` the JSON.
"""
import asyncio
import json
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from backpack_harness.headless import EventRecorder, totals, wait_for
from backpack_harness.ledger import LedgerCheck, fees_by_asset, reconcile
from hummingbot.core.event.events import MarketEvent

if TYPE_CHECKING:  # pragma: no cover
    from backpack_harness.session import SandboxTradingSession

#: Ceiling (s) of the whole settle once the orders are cancelled; every wait ends as soon as its condition holds.
SETTLE_TIMEOUT_S = 30.0
#: Seconds ``cancel_all`` may take.
CANCEL_TIMEOUT_S = 30.0
#: Every later wait gets at least this many seconds, even past the ceiling.
MIN_WAIT_S = 5.0
EXCHANGE_OPEN = ("New", "PartiallyFilled")
RULE = "=" * 72


@dataclass
class Settlement:
    """What the settle saw: the connector's events and balances, the sandbox's fills, orders and balances."""

    recorder: EventRecorder
    exchange_fills: List[Dict[str, Any]]
    exchange_orders: List[Dict[str, Any]]
    balances_start: Dict[str, Decimal]
    balances_end: Dict[str, Decimal]
    connector_totals: Dict[str, Decimal]
    ledger: LedgerCheck
    settle_s: float
    #: The connector's maker scorecard and the sandbox's view of the same window and band.
    maker_scorecard: Dict[str, Any]
    maker_scorecard_exchange: Dict[str, Any]
    #: The same for the session's second account (``SandboxTradingSession.second``), if it has one.
    second: Optional["Settlement"] = None

    @property
    def fill_events(self) -> List:
        return self.recorder.events(MarketEvent.OrderFilled)

    @property
    def open_orders_at_exit(self) -> List[Dict[str, Any]]:
        """The account's orders still ``New``/``PartiallyFilled`` on the exchange."""
        return [o for o in self.exchange_orders if o.get("status") in EXCHANGE_OPEN]

    def report(self) -> Dict[str, Any]:
        """The report fields every run shares (JSON-able: amounts as strings)."""
        recorder, check = self.recorder, self.ledger
        return {
            "orders_created": recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated),
            "orders_filled": recorder.count(MarketEvent.BuyOrderCompleted, MarketEvent.SellOrderCompleted),
            "orders_cancelled": recorder.count(MarketEvent.OrderCancelled),
            "orders_failed": recorder.count(MarketEvent.OrderFailure),
            "fills": len(self.fill_events),
            "exchange_fills": len(self.exchange_fills),
            "open_orders_at_exit": len(self.open_orders_at_exit),
            "balances_start": _strings(self.balances_start),
            "balances_end": _strings(self.balances_end),
            "fees_paid": _strings(fees_by_asset(self.fill_events)),
            "ledger_match": check.match,
            "ledger": {"missing_fills": check.missing_fills, "duplicate_fills": check.duplicate_fills,
                       "unknown_fills": check.unknown_fills, "fill_mismatches": check.fill_mismatches,
                       "balance_mismatches": check.balance_mismatches,
                       "conservation_mismatches": check.conservation_mismatches},
            "settle_s": round(self.settle_s, 1),
            "maker_scorecard": self.maker_scorecard,
            "maker_scorecard_exchange": self.maker_scorecard_exchange,
        }


def _strings(amounts: Dict[str, Decimal]) -> Dict[str, str]:
    return {asset: str(amount) for asset, amount in sorted(amounts.items())}


def _connector_totals(connector: Any) -> Dict[str, Decimal]:
    return {asset: Decimal(str(amount)) for asset, amount in connector.get_all_balances().items()}


def balances_agree(ours: Dict[str, Decimal], theirs: Dict[str, Decimal]) -> bool:
    """True when every asset's total is equal on both sides (a missing asset counts as 0)."""
    return all(ours.get(a, Decimal(0)) == theirs.get(a, Decimal(0)) for a in set(ours) | set(theirs))


def order_final(order: Any) -> bool:
    """A tracked ``InFlightOrder`` in its final state: done and no longer open."""
    return order.is_done and not order.is_open


async def settle(session: "SandboxTradingSession", timeout_s: float = SETTLE_TIMEOUT_S,
                 refresh_balances: bool = True,
                 after_stop: Optional[Callable[[], Awaitable[Any]]] = None) -> Settlement:
    """Stop the session's strategy, cancel every open order of its connector (and of its second account's), wait
    and reconcile each account with the sandbox ledger (the second's in ``Settlement.second``).

    :param timeout_s: ceiling of the waits after the cancel (order states, fill events, balances), shared by them;
        each still gets at least ``MIN_WAIT_S``.
    :param refresh_balances: fetch the connector's balances once before comparing; ``False`` leaves them to the
        connector's own updates (the wait then ends when they agree with the exchange or at the ceiling).
    :param after_stop: awaited once the strategy stopped, before the cancel (e.g. clearing injected faults).
    """
    core, connector, sandbox, recorder = session.core, session.connector, session.sandbox, session.recorder
    assert sandbox is not None and recorder is not None, "settle a started session"
    strategy = core.strategy
    if strategy is not None and asyncio.iscoroutinefunction(getattr(strategy, "on_stop", None)):
        await strategy.on_stop()  # V2 scripts: the executor orchestrator closes its executors
    await core.stop_strategy()
    if after_stop is not None:
        await after_stop()
    started = time.monotonic()

    def remaining() -> float:
        return max(MIN_WAIT_S, timeout_s - (time.monotonic() - started))

    accounts = [(connector, recorder, None, session.balances_start)]
    second = getattr(session, "second", None)
    if second is not None:
        accounts.append((second.connector, second.recorder, second.api_key, second.balances_start))
    await asyncio.gather(*(account[0].cancel_all(CANCEL_TIMEOUT_S) for account in accounts))
    settlements = [await _reconcile_account(sandbox, *account, timeout_s, refresh_balances, remaining)
                   for account in accounts]
    settlements[0].second = settlements[1] if second is not None else None
    settlements[0].settle_s = time.monotonic() - started
    return settlements[0]


async def _reconcile_account(sandbox: Any, connector: Any, recorder: EventRecorder, api_key: Optional[str],
                             balances_start: Dict[str, Decimal], timeout_s: float, refresh_balances: bool,
                             remaining: Callable[[], float]) -> Settlement:
    """Wait for one account's final order states, fills and balances and reconcile them with the sandbox ledger
    (``api_key`` None: the session's own account)."""
    started = time.monotonic()
    await wait_for(lambda: all(order_final(o) for o in connector.in_flight_orders.values()), timeout_s)
    exchange_fills = await sandbox.fills(api_key)
    await wait_for(lambda: recorder.count(MarketEvent.OrderFilled) >= len(exchange_fills), remaining())
    balances_end = totals(await sandbox.account(api_key))
    if refresh_balances:
        await connector._update_balances()
    await wait_for(lambda: balances_agree(_connector_totals(connector), balances_end), remaining())
    settle_s = time.monotonic() - started
    exchange_orders = await sandbox.orders(api_key)
    connector_totals = _connector_totals(connector)
    check = reconcile(recorder.events(MarketEvent.OrderFilled), exchange_fills, connector_totals, balances_end,
                      balances_start)
    maker = connector.metrics_snapshot()["maker"]
    maker_exchange = await sandbox.scorecard(maker["since"], maker["since"] + maker["window_s"], maker["band_bps"],
                                             api_key)
    return Settlement(recorder, exchange_fills, exchange_orders, balances_start, balances_end,
                      connector_totals, check, settle_s, maker, maker_exchange)


def ledger_failure(report: Dict[str, Any]) -> Optional[str]:
    """Why a settled run fails the ledger checks (mismatch, orders left open), or None."""
    if not report["ledger_match"]:
        return "the connector's fills/balances do not match the exchange ledger"
    if report["open_orders_at_exit"]:
        return f"{report['open_orders_at_exit']} orders were still open at exit"
    return None


def row(label: str, value: Any) -> str:
    return f"  {label:<19} {value}"


def summary_lines(title: str, report: Dict[str, Any], extra_rows: Sequence[Tuple[str, Any]] = ()) -> List[str]:
    """The printed summary of a run's report: the shared rows, then ``extra_rows`` (label, value)."""
    rows = [
        ("duration", f"{report['duration_s']} s"),
        ("orders created", f"{report['orders_created']}  (filled {report['orders_filled']}, "
                           f"cancelled {report['orders_cancelled']}, failed {report['orders_failed']})"),
        ("fills", f"{report['fills']} (exchange ledger: {report['exchange_fills']})"),
        ("open orders at exit", report["open_orders_at_exit"]),
        ("balances start", report["balances_start"]),
        ("balances end", report["balances_end"]),
        ("fees paid", report["fees_paid"]),
        ("ledger", "MATCH" if report["ledger_match"] else "MISMATCH"),
        *scorecard_rows(report),
        *extra_rows,
    ]
    return [RULE, title, *(row(label, value) for label, value in rows), RULE]


def scorecard_rows(report: Dict[str, Any]) -> List[Tuple[str, str]]:
    """One row per market of the connector's maker scorecard (and the sandbox's two-sided share and uptime)."""
    card, exchange = report.get("maker_scorecard"), report.get("maker_scorecard_exchange") or {}
    if not card:
        return []
    rows = []
    for pair, m in card["markets"].items():
        theirs = exchange.get("markets", {}).get(pair.replace("-", "_"))
        share = f"{m['maker_share']:.0%}" if m["maker_share"] is not None else "-"
        line = (f"{pair}: maker {m['maker_volume_quote']} of {m['volume_quote']} quote ({share}), two-sided "
                f"{m['two_sided_share']:.1%} (±{card['band_bps']} bps), uptime {m['uptime_share']:.1%}, "
                f"avg order {m['avg_resting_order_notional_quote']}")
        if theirs is not None:
            line += (f"; exchange: maker {theirs['makerVolumeQuote']}, two-sided {theirs['twoSidedShare']:.1%}, "
                     f"uptime {theirs['uptimeShare']:.1%}")
        rows.append(("maker scorecard", f"{line} over {card['window_s']:.1f} s"))
    return rows


#: Largest difference of a time share (two-sided, uptime) between the connector's scorecard and the sandbox's view.
SCORECARD_SHARE_TOLERANCE = 0.02


def scorecard_disagreements(report: Dict[str, Any],
                            tolerance: float = SCORECARD_SHARE_TOLERANCE) -> List[str]:
    """Where the connector's maker scorecard and the sandbox's view of the same window disagree: volumes and fill
    counts must be equal, time shares within ``tolerance`` (a fraction: 0.02 = 2 percentage points)."""
    ours = report["maker_scorecard"]["markets"]
    theirs = report["maker_scorecard_exchange"]["markets"]
    found = []
    for pair in sorted(set(ours) | {symbol.replace("_", "-") for symbol in theirs}):
        m, t = ours.get(pair), theirs.get(pair.replace("-", "_"))
        if m is None or t is None:
            found.append(f"{pair}: only in the {'sandbox' if m is None else 'connector'}'s scorecard")
            continue
        for mine, its in (("maker_volume_quote", "makerVolumeQuote"), ("volume_quote", "volumeQuote")):
            if Decimal(m[mine]) != Decimal(t[its]):
                found.append(f"{pair} {mine}: connector {m[mine]}, sandbox {t[its]}")
        for mine, its in (("fills", "fills"), ("maker_fills", "makerFills")):
            if m[mine] != t[its]:
                found.append(f"{pair} {mine}: connector {m[mine]}, sandbox {t[its]}")
        for mine, its in (("two_sided_share", "twoSidedShare"), ("uptime_share", "uptimeShare")):
            if abs(m[mine] - t[its]) > tolerance:
                found.append(f"{pair} {mine}: connector {m[mine]:.4f}, sandbox {t[its]:.4f}")
    return found


def write_report(report: Dict[str, Any], path: Path) -> None:
    """Write ``report`` as indented JSON (non-JSON values as ``str``)."""
    Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
