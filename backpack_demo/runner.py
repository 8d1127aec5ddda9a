"""`make demo`: Hummingbot's own ``PureMarketMakingStrategy`` quoting SOL-USDC through our ``BackpackExchange`` on
the local sandbox exchange, then a reconciliation of the connector's view with the exchange's ledger.

Flow: start the sandbox child process with a fresh demo key pair → create the ``backpack_sandbox`` connector in a
``TradingCore`` → load our pure-MM template through Hummingbot's config machinery (exchange switched to
``backpack_sandbox``, demo pace overrides below) → ``TradingCore.start_strategy`` (real-time clock) → progress
lines → stop the strategy, cancel every open order, wait for final states → reconcile → ``demo-report.json``.
"""
import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_demo.headless import (
    EventRecorder,
    account_key_pair,
    configure_logging,
    isolate_hummingbot_data_dir,
    totals,
    use_connector_prices_for_rate_oracle,
    wait_for,
)
from backpack_demo.ledger import fees_by_asset, reconcile
from backpack_demo.sandbox_process import SandboxProcess
from hummingbot.client.config.config_helpers import load_strategy_config_map_from_file
from hummingbot.core.data_type.common import PriceType, TradeType
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.trading_core import TradingCore

REPO = Path(__file__).resolve().parent.parent
PMM_TEMPLATE = REPO / "hummingbot" / "templates" / "conf_backpack_pure_market_making_TEMPLATE.yml"
#: Demo pace: the template's production values (15 s refresh, 60 s pause after a fill) are too slow to show much
#: in a minute; these keys override it for the demo only.
DEMO_OVERRIDES = {"order_refresh_time": 5.0, "filled_order_delay": 3.0, "max_order_age": 60.0}
SETTLE_TIMEOUT_S = 30.0


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
    #: Only the demo's market, at twice the default pace of the sandbox's background traders, so every take of
    #: the flow lands on the book we quote: several fills even in a 20-second run.
    sandbox_args: list = field(default_factory=lambda: ["--markets", "SOL_USDC", "--flow-pace", "2"])


async def run_demo(options: DemoOptions, out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the demo and return the report (also written to ``options.report_path``)."""
    isolate_hummingbot_data_dir()
    configure_logging(options.log_path)
    api_key, secret = account_key_pair()
    base, quote = options.trading_pair.split("-")
    async with SandboxProcess(api_key=api_key, secret=secret, balances=options.balances, seed=options.seed,
                              extra_args=list(options.sandbox_args)) as sandbox:
        out(f"sandbox exchange up at {sandbox.rest_url} (demo account {api_key[:4]}…{api_key[-4:]})")
        os.environ[CONSTANTS.SANDBOX_URL_ENV] = sandbox.rest_url
        core = TradingCore({})
        await asyncio.sleep(0)  # let the gateway monitor task start, so stopping it cancels a running task
        core.gateway_monitor.stop_monitor()  # no Gateway in this setup
        connector = core.connector_manager.create_connector(
            CONSTANTS.SANDBOX_CONNECTOR_NAME, [options.trading_pair], True,
            api_keys={"backpack_sandbox_api_key": api_key, "backpack_sandbox_api_secret": secret})
        recorder = EventRecorder(connector)

        config_map = await load_strategy_config_map_from_file(options.template)
        config_map["exchange"].value = CONSTANTS.SANDBOX_CONNECTOR_NAME
        config_map["market"].value = options.trading_pair
        for key, value in DEMO_OVERRIDES.items():
            config_map[key].value = value

        balances_start = totals(await sandbox.account())
        # Last thing before the start: Hummingbot resets the oracle's source whenever it validates its client
        # config, and start_strategy starts the oracle (whose default sources are internet exchanges).
        use_connector_prices_for_rate_oracle(connector)
        started_at = time.monotonic()
        if not await core.start_strategy("pure_market_making", strategy_file_name=options.template.name):
            raise RuntimeError("Hummingbot could not start the pure_market_making strategy (see the log)")
        out(f"pure_market_making started on {CONSTANTS.SANDBOX_CONNECTOR_NAME} {options.trading_pair}: "
            f"spreads {config_map['bid_spread'].value}%/{config_map['ask_spread'].value}%, "
            f"order amount {config_map['order_amount'].value} {base}")

        next_progress = started_at + options.progress_interval_s
        while (now := time.monotonic()) < started_at + options.duration_s:
            await asyncio.sleep(min(0.5, max(0.0, next_progress - now)))
            if time.monotonic() >= next_progress:
                out(_progress_line(connector, recorder, options.trading_pair, time.monotonic() - started_at))
                next_progress += options.progress_interval_s
        elapsed = time.monotonic() - started_at

        out("stopping: strategy off, cancelling open orders…")
        await core.stop_strategy()
        await connector.cancel_all(SETTLE_TIMEOUT_S)
        await wait_for(lambda: not any(o.is_open for o in connector.in_flight_orders.values()), SETTLE_TIMEOUT_S)
        exchange_fills = await sandbox.fills()
        await wait_for(lambda: recorder.count(MarketEvent.OrderFilled) >= len(exchange_fills), SETTLE_TIMEOUT_S)
        await connector._update_balances()
        exchange_orders = await sandbox.orders()
        open_at_exit = [o for o in exchange_orders if o.get("status") in ("New", "PartiallyFilled")]
        balances_end = totals(await sandbox.account())
        connector_totals = {asset: Decimal(str(amount)) for asset, amount in connector.get_all_balances().items()}
        await core.stop_clock()
        await connector.stop_network()

    fill_events = recorder.events(MarketEvent.OrderFilled)
    check = reconcile(fill_events, exchange_fills, connector_totals, balances_end, balances_start)
    report = {
        "duration_s": round(elapsed, 1),
        "trading_pair": options.trading_pair,
        "connector": CONSTANTS.SANDBOX_CONNECTOR_NAME,
        "strategy": "pure_market_making",
        "orders_created": recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated),
        "orders_filled": recorder.count(MarketEvent.BuyOrderCompleted, MarketEvent.SellOrderCompleted),
        "orders_cancelled": recorder.count(MarketEvent.OrderCancelled),
        "orders_failed": recorder.count(MarketEvent.OrderFailure),
        "fills": len(fill_events),
        "exchange_fills": len(exchange_fills),
        "open_orders_at_exit": len(open_at_exit),
        "balances_start": {k: str(v) for k, v in sorted(balances_start.items())},
        "balances_end": {k: str(v) for k, v in sorted(balances_end.items())},
        "fees_paid": {k: str(v) for k, v in sorted(fees_by_asset(fill_events).items())},
        "ledger_match": check.match,
        "ledger": {
            "missing_fills": check.missing_fills, "duplicate_fills": check.duplicate_fills,
            "unknown_fills": check.unknown_fills, "fill_mismatches": check.fill_mismatches,
            "balance_mismatches": check.balance_mismatches,
            "conservation_mismatches": check.conservation_mismatches,
        },
        "seed": options.seed,
    }
    options.report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _progress_line(connector, recorder: EventRecorder, trading_pair: str, elapsed: float) -> str:
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


def summary_lines(report: Dict[str, Any]) -> list:
    ok = "MATCH" if report["ledger_match"] else "MISMATCH"
    return [
        "=" * 72,
        f"Backpack sandbox demo — {report['strategy']} on {report['connector']} {report['trading_pair']}",
        f"  duration            {report['duration_s']} s",
        f"  orders created      {report['orders_created']}  (filled {report['orders_filled']}, "
        f"cancelled {report['orders_cancelled']}, failed {report['orders_failed']})",
        f"  fills               {report['fills']} (exchange ledger: {report['exchange_fills']})",
        f"  open orders at exit {report['open_orders_at_exit']}",
        f"  balances start      {report['balances_start']}",
        f"  balances end        {report['balances_end']}",
        f"  fees paid           {report['fees_paid']}",
        f"  ledger              {ok}",
        "=" * 72,
    ]


def demo_failed(report: Dict[str, Any]) -> Optional[str]:
    """Why the demo counts as failed, or None: it must trade, match the ledger and leave nothing open."""
    if report["orders_created"] == 0:
        return "the strategy placed no orders"
    if report["fills"] == 0:
        return "no order was filled"
    if not report["ledger_match"]:
        return "the connector's fills/balances do not match the exchange ledger"
    if report["open_orders_at_exit"]:
        return f"{report['open_orders_at_exit']} orders were still open at exit"
    return None
