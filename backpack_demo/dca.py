"""``python -m backpack_demo.dca [--duration S]``: the V2 script ``backpack_dca.py`` (Hummingbot's own
``DCAExecutor``) configured from ``conf_backpack_dca_TEMPLATE.yml``, on the sandbox exchange.

The script and its config are installed into a throwaway Hummingbot home exactly as ``make templates`` installs
them (``scripts/backpack_dca.py``, ``conf/scripts/``); the config's connector is switched to ``backpack_sandbox``
and ``TradingCore.start_strategy`` loads both the way the client's ``start --v2`` does. The run ends after
``--duration`` seconds or once every level is placed and one has filled plus a short grace period; then the
executor orchestrator closes the executor (cancels open levels, sells what was bought), and the connector's fills
and balances are reconciled with the sandbox ledger. Exit status 1 when not every level was placed, none filled,
an order was left open or the ledger does not match.
"""
import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import yaml

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_client.install_templates import DCA_TEMPLATE, install
from backpack_demo.headless import use_connector_prices_for_rate_oracle
from backpack_demo.template_session import SandboxTradingSession
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.event.events import MarketEvent

SCRIPT = "backpack_dca"
CONFIG_FILE = "conf_backpack_dca_sandbox.yml"
#: Seconds to keep running once every level is placed and one filled (more fills, then a clean stop).
GRACE_S = 3.0


def prepare_home(home: Path) -> Path:
    """Install the script and the template into ``home`` and write the sandbox config; return the config path."""
    install(home=home, package_dir=home / "package-templates")
    if str(home) not in sys.path:  # the client imports V2 scripts as ``scripts.<name>`` from its home
        sys.path.insert(0, str(home))
    config = yaml.safe_load((home / "conf" / "scripts" / DCA_TEMPLATE).read_text())
    config["connector_name"] = CONSTANTS.SANDBOX_CONNECTOR_NAME
    path = home / "conf" / "scripts" / CONFIG_FILE
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


async def run_dca(duration_s: float, report_path: Path, log_path: Path, seed: int = 7,
                  out: Callable[[str], None] = print, home: Optional[Path] = None) -> Dict[str, Any]:
    home = Path(home or tempfile.mkdtemp(prefix="backpack-dca-home-"))
    config_path = prepare_home(home)
    config = yaml.safe_load(config_path.read_text())
    pair, n_levels = config["trading_pair"], len(config["amounts_quote"])
    session = SandboxTradingSession(trading_pairs=[pair], log_path=log_path, seed=seed,
                                    scripts_path=home / "scripts")
    async with session:
        core, connector, recorder = session.core, session.connector, session.recorder
        out(f"sandbox exchange up at {session.sandbox.rest_url}; script {home / 'scripts' / (SCRIPT + '.py')}")
        use_connector_prices_for_rate_oracle(connector)  # last thing before the start (see headless.py)
        if not await core.start_strategy(SCRIPT, str(config_path), CONFIG_FILE):
            raise RuntimeError("Hummingbot could not start the backpack_dca script (see the log)")
        out(f"{SCRIPT} started: {config['side']} {pair} on {connector.name}, {n_levels} levels "
            f"{config['amounts_quote']} {pair.split('-')[1]} at {config['level_spreads']} from the mid")

        side = TradeType[config["side"]]
        created_event = MarketEvent.BuyOrderCreated if side == TradeType.BUY else MarketEvent.SellOrderCreated

        def levels_placed() -> int:
            return recorder.count(created_event)

        def level_fills() -> int:
            return len([e for e in recorder.events(MarketEvent.OrderFilled) if e.trade_type == side])

        done_at = []

        def finished() -> bool:
            if not done_at and levels_placed() >= n_levels and level_fills() >= 1:
                done_at.append(time.monotonic())
            return bool(done_at) and time.monotonic() - done_at[0] >= GRACE_S

        def progress(elapsed: float) -> str:
            executors = core.strategy.dca_executors if core.strategy is not None else []
            status = executors[-1].executor_info.status.name if executors else "-"
            return (f"[{elapsed:5.1f}s] executor {status} | levels placed {levels_placed()}/{n_levels} | "
                    f"level fills {level_fills()} | {pair.split('-')[0]} {connector.get_balance(pair.split('-')[0]):.4f}")

        elapsed = await session.run_for(duration_s, progress, out, interval_s=2.0, until=finished)
        executors = list(core.strategy.dca_executors)
        placed, filled = levels_placed(), level_fills()
        out(progress(elapsed))
        out("stopping: the executor orchestrator closes the DCA executor, cancelling open orders…")
        report = await session.settle()
    report.update({
        "duration_s": round(elapsed, 1), "strategy": f"{SCRIPT} (DCAExecutor)", "trading_pair": pair,
        "connector": CONSTANTS.SANDBOX_CONNECTOR_NAME, "levels": n_levels, "levels_placed": placed,
        "level_fills": filled, "executors": len(executors),
        "executor_close_type": (executors[-1].close_type.name if executors and executors[-1].close_type else None),
        "seed": seed,
    })
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def failure(report: Dict[str, Any]) -> Optional[str]:
    if report["levels_placed"] < report["levels"]:
        return f"only {report['levels_placed']} of {report['levels']} levels were placed"
    if report["level_fills"] == 0:
        return "no level was filled"
    if not report["ledger_match"]:
        return "the connector's fills/balances do not match the exchange ledger"
    if report["open_orders_at_exit"]:
        return f"{report['open_orders_at_exit']} orders were still open at exit"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backpack_demo.dca", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=30.0, help="at most this many seconds (default 30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report", type=Path, default=Path("dca-report.json"))
    parser.add_argument("--log", type=Path, default=Path("dca.log"))
    args = parser.parse_args(argv)
    report = asyncio.run(run_dca(args.duration, args.report, args.log, args.seed,
                                 out=lambda line: print(line, flush=True)))
    print(f"levels placed {report['levels_placed']}/{report['levels']} | level fills {report['level_fills']} | "
          f"orders {report['orders_created']} (cancelled {report['orders_cancelled']}) | fills {report['fills']} "
          f"(ledger {report['exchange_fills']}) | open at exit {report['open_orders_at_exit']} | ledger "
          f"{'MATCH' if report['ledger_match'] else 'MISMATCH'}")
    problem = failure(report)
    if problem:
        print(f"DCA RUN FAILED: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
