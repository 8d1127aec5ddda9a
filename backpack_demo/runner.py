"""`make demo`: Hummingbot's own ``PureMarketMakingStrategy`` quoting SOL-USDC through our ``BackpackExchange`` on
the local sandbox exchange, then a reconciliation of the connector's view with the exchange's ledger.

Flow: sandbox session (``backpack_harness.session``) → our pure-MM template with the sandbox pace
(``backpack_harness.strategies``) → progress lines every ``progress_interval_s`` → the shared settle
(``backpack_harness.settle``) → ``demo-report.json``.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness.headless import EventRecorder
from backpack_harness.session import SANDBOX_ARGS, SandboxTradingSession
from backpack_harness.settle import ledger_failure, summary_lines, write_report
from backpack_harness.strategies import PMM_TEMPLATE, start_pure_market_making
from hummingbot.core.data_type.common import PriceType, TradeType
from hummingbot.core.event.events import MarketEvent


@dataclass
class DemoOptions:
    duration_s: float = 60.0
    trading_pair: str = "SOL-USDC"
    seed: int = 7
    report_path: Path = Path("demo-report.json")
    log_path: Path = Path("demo.log")
    template: Path = PMM_TEMPLATE
    progress_interval_s: float = 5.0
    balances: Dict[str, str] = field(default_factory=lambda: {"SOL": "100", "USDC": "20000"})
    sandbox_args: List[str] = field(default_factory=lambda: list(SANDBOX_ARGS))


async def run_demo(options: DemoOptions, out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the demo and return the report (also written to ``options.report_path``)."""
    base = options.trading_pair.split("-")[0]
    session = SandboxTradingSession(trading_pairs=[options.trading_pair], log_path=options.log_path,
                                    balances=options.balances, seed=options.seed,
                                    sandbox_args=list(options.sandbox_args))
    async with session:
        connector, api_key = session.connector, session.sandbox.api_key
        out(f"sandbox exchange up at {session.sandbox.rest_url} (demo account {api_key[:4]}…{api_key[-4:]})")
        config_map = await start_pure_market_making(session, options.trading_pair, options.template)
        out(f"pure_market_making started on {CONSTANTS.SANDBOX_CONNECTOR_NAME} {options.trading_pair}: "
            f"spreads {config_map['bid_spread'].value}%/{config_map['ask_spread'].value}%, "
            f"order amount {config_map['order_amount'].value} {base}")
        elapsed = await session.run_for(
            options.duration_s, lambda t: progress_line(connector, session.recorder, options.trading_pair, t), out,
            options.progress_interval_s)
        out("stopping: strategy off, cancelling open orders…")
        settlement = await session.settle()
    report = {"duration_s": round(elapsed, 1), "trading_pair": options.trading_pair,
              "connector": CONSTANTS.SANDBOX_CONNECTOR_NAME, "strategy": "pure_market_making",
              **settlement.report(), "seed": options.seed}
    write_report(report, options.report_path)
    return report


def progress_line(connector: Any, recorder: EventRecorder, trading_pair: str, elapsed: float) -> str:
    """Mid price, our best open bid/ask, orders placed, fills and balances at ``elapsed`` seconds."""
    base, quote = trading_pair.split("-")
    try:
        mid = f"{connector.get_price_by_type(trading_pair, PriceType.MidPrice):.2f}"
    except Exception:
        mid = "n/a"
    open_orders = [o for o in connector.in_flight_orders.values() if o.is_open and o.trading_pair == trading_pair]
    bids = sorted((o.price for o in open_orders if o.trade_type == TradeType.BUY), reverse=True)
    asks = sorted(o.price for o in open_orders if o.trade_type == TradeType.SELL)
    placed = recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated)
    return (f"[{elapsed:5.1f}s] mid {mid} | our bid {bids[0] if bids else '-'} ask {asks[0] if asks else '-'} | "
            f"orders placed {placed} | fills {recorder.count(MarketEvent.OrderFilled)} | "
            f"{base} {connector.get_balance(base):.4f} {quote} {connector.get_balance(quote):.2f}")


def demo_summary(report: Dict[str, Any]) -> List[str]:
    return summary_lines(f"Backpack sandbox demo — {report['strategy']} on {report['connector']} "
                         f"{report['trading_pair']}", report)


def demo_failed(report: Dict[str, Any]) -> Optional[str]:
    """Why the demo counts as failed, or None: it must trade, match the ledger and leave nothing open."""
    if report["orders_created"] == 0:
        return "the strategy placed no orders"
    if report["fills"] == 0:
        return "no order was filled"
    return ledger_failure(report)
