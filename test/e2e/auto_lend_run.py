"""Child process of ``test_auto_lend_on_sandbox``: Hummingbot's pure market making on the sandbox for an account
with 90 % of its USDC lent and ``autoLend`` on; writes a JSON report (settle report, bid sizes, redeemed amounts).

``python -m test.e2e.auto_lend_run LEND_REDEEM REPORT LOG DURATION_S``
"""
import asyncio
import json
import sys
from decimal import Decimal
from pathlib import Path

from backpack_harness.session import SANDBOX_ARGS, SandboxTradingSession
from backpack_harness.strategies import PMM_PACE, start_pure_market_making
from hummingbot.core.event.events import MarketEvent

PAIR = "SOL-USDC"
#: 50 USDC available, 450 lent: a 0.5 SOL bid near 150 (~75 USDC) needs lent funds.
BALANCES = {"SOL": "100", "USDC": "50"}
LENT = "USDC=450"


async def main(lend_redeem: str, report_path: Path, log_path: Path, duration_s: float) -> None:
    session = SandboxTradingSession(
        trading_pairs=[PAIR], log_path=log_path, balances=BALANCES,
        sandbox_args=[*SANDBOX_ARGS, "--lent", LENT, "--auto-lend", "--lend-redeem", lend_redeem])
    async with session:
        start = await session.sandbox.account()
        await start_pure_market_making(session, PAIR, overrides=dict(PMM_PACE))
        connector, recorder = session.connector, session.recorder
        await session.run_for(duration_s, lambda t: "", lambda line: None, until=lambda: (
            recorder.count(MarketEvent.OrderFilled) >= 2 and recorder.count(MarketEvent.BuyOrderCreated) >= 2))
        available_usdc = str(connector.get_available_balance("USDC"))
        settlement = await session.settle()
        end = await session.sandbox.account()
        report = {
            **settlement.report(),
            "start_balances": start["balances"], "end_balances": end["balances"],
            "auto_lend_seen": connector._fees.auto_lend,
            "available_usdc_before_settle": available_usdc,
            "redeemed": end.get("redeemed", {}),
            "bid_amounts": [str(e.amount) for e in recorder.events(MarketEvent.BuyOrderCreated)],
            "buy_fills": sum(1 for e in recorder.events(MarketEvent.OrderFilled) if e.trade_type.name == "BUY"),
            "failures": [e.error_message for e in recorder.events(MarketEvent.OrderFailure)],
            "lent_total": str(sum((Decimal(v.get("lent", "0")) for v in end["balances"].values()), Decimal(0))),
        }
    report_path.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])))
