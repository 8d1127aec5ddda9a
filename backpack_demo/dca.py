"""``python -m backpack_demo.dca [--duration S]``: the V2 script ``backpack_dca.py`` (Hummingbot's own
``DCAExecutor``) configured from ``conf_backpack_dca_TEMPLATE.yml``, on the sandbox exchange.

The script and its config are installed into a throwaway Hummingbot home exactly as ``make templates`` installs
them (``scripts/backpack_dca.py``, ``conf/scripts/``); the config's connector is switched to ``backpack_sandbox``
and ``TradingCore.start_strategy`` loads both the way the client's ``start --v2`` does. The run ends after
``--duration`` seconds or once every level is placed and one has filled plus a short grace period; then the
executor orchestrator closes the executor (cancels open levels, sells what was bought) and the shared settle
(``backpack_harness.settle``) reconciles the connector's fills and balances with the sandbox ledger; writes
``dca-report.json``. Exit status 1 when not every level was placed, none filled, an order was left open or the
ledger does not match.
"""
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_client.install_templates import DCA_TEMPLATE, install
from backpack_harness.cli import report_command
from backpack_harness.headless import use_connector_prices_for_rate_oracle
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import ledger_failure, summary_lines, write_report
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
    """Run the DCA script for at most ``duration_s`` seconds in ``home`` (default: a fresh temporary folder);
    return the report (also written to ``report_path``)."""
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
            base = pair.split('-')[0]
            return (f"[{elapsed:5.1f}s] executor {status} | levels placed {levels_placed()}/{n_levels} | "
                    f"level fills {level_fills()} | {base} {connector.get_balance(base):.4f}")

        elapsed = await session.run_for(duration_s, progress, out, interval_s=2.0, until=finished)
        executors = list(core.strategy.dca_executors)
        placed, filled = levels_placed(), level_fills()
        out(progress(elapsed))
        out("stopping: the executor orchestrator closes the DCA executor, cancelling open orders…")
        settlement = await session.settle()
    report = {
        "duration_s": round(elapsed, 1), "strategy": f"{SCRIPT} (DCAExecutor)", "trading_pair": pair,
        "connector": CONSTANTS.SANDBOX_CONNECTOR_NAME, **settlement.report(), "levels": n_levels,
        "levels_placed": placed, "level_fills": filled, "executors": len(executors),
        "executor_close_type": (executors[-1].close_type.name if executors and executors[-1].close_type else None),
        "seed": seed,
    }
    write_report(report, report_path)
    return report


def summary(report: Dict[str, Any]) -> List[str]:
    return summary_lines(
        f"Backpack sandbox template run — {report['strategy']} on {report['connector']} {report['trading_pair']}",
        report, [("levels placed", f"{report['levels_placed']}/{report['levels']} "
                                   f"(level fills {report['level_fills']})"),
                 ("executors", f"{report['executors']} (close type {report['executor_close_type']})")])


def failure(report: Dict[str, Any]) -> Optional[str]:
    """Why the run counts as failed (a level not placed, none filled, ledger mismatch, orders left open), or None."""
    if report["levels_placed"] < report["levels"]:
        return f"only {report['levels_placed']} of {report['levels']} levels were placed"
    if report["level_fills"] == 0:
        return "no level was filled"
    return ledger_failure(report)


main = report_command(
    "python -m backpack_demo.dca", __doc__, duration_s=30.0, seed=7, report="dca-report.json", log="dca.log",
    run=lambda args, out: run_dca(args.duration, args.report, args.log, args.seed, out),
    summary=summary, failure=failure, failed_label="DCA RUN FAILED")

if __name__ == "__main__":
    sys.exit(main())
