"""``python -m backpack_demo.xemm [--duration S]``: Hummingbot's V1 ``cross_exchange_market_making`` from
``conf_backpack_cross_exchange_market_making_TEMPLATE.yml`` with the sandbox as the maker market
(``backpack_sandbox``, our connector) and the sandbox's paper-trade variant as the taker market
(``backpack_sandbox_paper_trade``: Hummingbot's ``PaperTradeExchange`` on our order book data source, simulated
fills) — all on loopback. Prints progress, then the shared summary (``backpack_harness.settle``); writes
``xemm-report.json``. Exit status 1 when the strategy placed no maker order, a maker order was left open or the
maker side does not match the sandbox ledger.
"""
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_client.install_templates import TEMPLATES_DIR, XEMM_TEMPLATE
from backpack_harness.cli import report_command
from backpack_harness.headless import EventRecorder, use_connector_prices_for_rate_oracle
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import ledger_failure, summary_lines, write_report
from hummingbot.client.config.config_helpers import load_strategy_config_map_from_file
from hummingbot.core.event.events import MarketEvent

TAKER = f"{CONSTANTS.SANDBOX_CONNECTOR_NAME}_paper_trade"
PAIR = "SOL-USDC"
#: Taker (paper) balances small enough that XEMM's "price for the whole balance" queries stay inside the sandbox
#: book's depth (10 levels of 300-3000 USDC a side); beyond it Hummingbot's book answers NaN and XEMM errors.
PAPER_BALANCES = {"SOL": 4.0, "USDC": 600.0}
#: Sandbox pace: the sandbox's ladder sits 2-30 bps from its mid, so the template's 0.3 % (sane against real
#: fees) would rarely be reached in a short run; and quotes are re-placed faster than the template's 60 s.
SANDBOX_OVERRIDES = {"min_profitability": 0.1, "anti_hysteresis_duration": 5.0}
#: Background traders at 4x pace: XEMM quotes behind the best levels, so a short run needs more taker flow to fill.
SANDBOX_ARGS = ["--markets", "SOL_USDC", "--flow-pace", "4"]


async def run_xemm(duration_s: float, report_path: Path, log_path: Path, seed: int = 7,
                   out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the XEMM template for ``duration_s`` seconds; return the report (also written to ``report_path``)."""
    session = SandboxTradingSession(
        trading_pairs=[PAIR], log_path=log_path, seed=seed, sandbox_args=list(SANDBOX_ARGS),
        paper_trade_exchanges=[CONSTANTS.SANDBOX_CONNECTOR_NAME],
        client_config={"paper_trade": {"paper_trade_exchanges": [CONSTANTS.SANDBOX_CONNECTOR_NAME],
                                       "paper_trade_account_balance": PAPER_BALANCES}})
    async with session:
        core, maker = session.core, session.connector
        taker = core.connector_manager.create_connector(TAKER, [PAIR], True)
        taker_recorder = EventRecorder(taker)
        out(f"sandbox exchange up at {session.sandbox.rest_url}; maker {maker.name}, taker {TAKER}")

        config_map = await load_strategy_config_map_from_file(TEMPLATES_DIR / XEMM_TEMPLATE)
        config_map.maker_market = CONSTANTS.SANDBOX_CONNECTOR_NAME
        config_map.taker_market = TAKER
        for key, value in SANDBOX_OVERRIDES.items():
            setattr(config_map, key, value)
        core.strategy_config_map = config_map  # XEMM's start() reads it (as the client's `import` sets it)
        # Last thing before the start: Hummingbot resets the oracle's source when it validates its client config.
        use_connector_prices_for_rate_oracle(maker)
        if not await core.start_strategy("cross_exchange_market_making", config_map, XEMM_TEMPLATE):
            raise RuntimeError("Hummingbot could not start cross_exchange_market_making (see the log)")
        out(f"cross_exchange_market_making started: {PAIR} maker {maker.name} / taker {TAKER}, "
            f"min profitability {config_map.min_profitability}%, order amount {config_map.order_amount} SOL")

        def progress(elapsed: float) -> str:
            return (f"[{elapsed:5.1f}s] maker orders placed "
                    f"{session.recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated)} | "
                    f"maker fills {session.recorder.count(MarketEvent.OrderFilled)} | "
                    f"hedges filled on {TAKER} {taker_recorder.count(MarketEvent.OrderFilled)}")

        elapsed = await session.run_for(duration_s, progress, out)
        out("stopping: strategy off, cancelling open maker orders…")
        settlement = await session.settle()
    report = {
        "duration_s": round(elapsed, 1), "strategy": "cross_exchange_market_making", "trading_pair": PAIR,
        "maker": CONSTANTS.SANDBOX_CONNECTOR_NAME, "taker": TAKER, **settlement.report(),
        "hedge_orders": taker_recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated),
        "hedge_fills": taker_recorder.count(MarketEvent.OrderFilled), "seed": seed,
    }
    write_report(report, report_path)
    return report


def summary(report: Dict[str, Any]) -> List[str]:
    return summary_lines(
        f"Backpack sandbox template run — {report['strategy']}: maker {report['maker']} {report['trading_pair']}",
        report, [("hedges", f"{report['hedge_orders']} orders, {report['hedge_fills']} fills on {report['taker']}")])


def failure(report: Dict[str, Any]) -> Optional[str]:
    """Why the run counts as failed (no maker order, ledger mismatch, maker orders left open), or None."""
    if report["orders_created"] == 0:
        return "no maker order was placed"
    return ledger_failure(report)


main = report_command(
    "python -m backpack_demo.xemm", __doc__, duration_s=30.0, seed=7, report="xemm-report.json", log="xemm.log",
    run=lambda args, out: run_xemm(args.duration, args.report, args.log, args.seed, out),
    summary=summary, failure=failure, failed_label="XEMM RUN FAILED")

if __name__ == "__main__":
    sys.exit(main())
