"""``python -m backpack_demo.xemm [--duration S]``: Hummingbot's V1 ``cross_exchange_market_making`` from
``conf_backpack_cross_exchange_market_making_TEMPLATE.yml`` with the sandbox as the maker market
(``backpack_sandbox``, our connector) and the sandbox's paper-trade variant as the taker market
(``backpack_sandbox_paper_trade``: Hummingbot's ``PaperTradeExchange`` on our order book data source, simulated
fills) — all on loopback. Prints progress, then a summary; writes a JSON report. Exit status 1 when the strategy
placed no maker order, an order was left open or the maker side does not match the sandbox ledger.
"""
import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_client.install_templates import TEMPLATES_DIR, XEMM_TEMPLATE
from backpack_demo.headless import EventRecorder, use_connector_prices_for_rate_oracle
from backpack_demo.template_session import SandboxTradingSession
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


async def run_xemm(duration_s: float, report_path: Path, log_path: Path, seed: int = 7,
                   out: Callable[[str], None] = print) -> Dict[str, Any]:
    session = SandboxTradingSession(
        trading_pairs=[PAIR], log_path=log_path, seed=seed, paper_trade_exchanges=[CONSTANTS.SANDBOX_CONNECTOR_NAME],
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
        report = await session.settle()
    report.update({
        "duration_s": round(elapsed, 1), "strategy": "cross_exchange_market_making", "trading_pair": PAIR,
        "maker": CONSTANTS.SANDBOX_CONNECTOR_NAME, "taker": TAKER,
        "hedge_orders": taker_recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated),
        "hedge_fills": taker_recorder.count(MarketEvent.OrderFilled), "seed": seed,
    })
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def failure(report: Dict[str, Any]) -> Optional[str]:
    if report["orders_created"] == 0:
        return "no maker order was placed"
    if not report["ledger_match"]:
        return "the maker side does not match the exchange ledger"
    if report["open_orders_at_exit"]:
        return f"{report['open_orders_at_exit']} maker orders were still open at exit"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backpack_demo.xemm", description=__doc__)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of trading (default 30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report", type=Path, default=Path("xemm-report.json"))
    parser.add_argument("--log", type=Path, default=Path("xemm.log"))
    args = parser.parse_args(argv)
    report = asyncio.run(run_xemm(args.duration, args.report, args.log, args.seed,
                                  out=lambda line: print(line, flush=True)))
    print(f"maker orders {report['orders_created']} (filled {report['orders_filled']}, cancelled "
          f"{report['orders_cancelled']}) | maker fills {report['fills']} (ledger {report['exchange_fills']}) | "
          f"hedges {report['hedge_fills']} | open at exit {report['open_orders_at_exit']} | ledger "
          f"{'MATCH' if report['ledger_match'] else 'MISMATCH'}")
    problem = failure(report)
    if problem:
        print(f"XEMM RUN FAILED: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
