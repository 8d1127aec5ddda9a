"""``python -m backpack_demo.bollinger [--duration S]``: the candle-driven V2 script ``backpack_bollinger.py``
(Bollinger bands → ``PositionExecutor``) on the sandbox exchange, its candles from Hummingbot's shipped
``BackpackSpotCandles`` feed served by the sandbox.

Before the connector starts, the sandbox trades a few past minutes (clock set back) so the 1-minute feed has
history to backfill; the feed's URLs point at the sandbox and ``MarketDataProvider`` attaches our
``backpack_sandbox`` connector to it (``backpack_harness.candles``). Sandbox values: bands over 4 closes and
thresholds at the middle, so every tick without a position signals; two positions of 6 s. The run ends after
``--duration`` or once both positions closed; the shared settle reconciles with the ledger; writes
``bollinger-report.json``. Exit status 1 when the feed did not backfill, was not attached to our connector, a 429
was seen, no position traded, an order was left open or the ledger does not match.
"""
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_client.install_templates import BOLLINGER_TEMPLATE, install
from backpack_harness.candles import backpack_candles_on, build_minute_history
from backpack_harness.cli import report_command
from backpack_harness.headless import use_connector_prices_for_rate_oracle
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import ledger_failure, summary_lines, write_report
from hummingbot.core.event.events import MarketEvent

SCRIPT = "backpack_bollinger"
PAIR = "SOL-USDC"
BB_LENGTH = 4
SANDBOX_VALUES = {
    "connector_name": CONSTANTS.SANDBOX_CONNECTOR_NAME, "candles_connector": CONSTANTS.SANDBOX_CONNECTOR_NAME,
    "candles_interval": "1m", "bb_length": BB_LENGTH, "bb_std": 1, "long_threshold": 0.5, "short_threshold": 0.5,
    "take_profit": 0.002, "stop_loss": 0.003, "time_limit": 6, "cooldown_s": 1, "max_positions": 2,
}


def prepare_home(home: Path) -> Path:
    """Install the script and its template into ``home``, write the sandbox config; return the config path."""
    install(home=home, package_dir=home / "package-templates")
    if str(home) not in sys.path:  # the client imports V2 scripts as ``scripts.<name>`` from its home
        sys.path.insert(0, str(home))
    config = yaml.safe_load((home / "conf" / "scripts" / BOLLINGER_TEMPLATE).read_text())
    config.update(SANDBOX_VALUES)
    path = home / "conf" / "scripts" / "conf_backpack_bollinger_sandbox.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


async def run_bollinger(duration_s: float, report_path: Path, log_path: Path, seed: int = 7,
                        out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the script for at most ``duration_s`` seconds; return the report (also written to ``report_path``)."""
    home = Path(tempfile.mkdtemp(prefix="backpack-bollinger-home-"))
    config_path = prepare_home(home)

    async def history(sandbox: Any) -> None:
        out(f"sandbox exchange up at {sandbox.rest_url}; trading {BB_LENGTH} past minutes for the candles")
        await build_minute_history(sandbox, BB_LENGTH)

    session = SandboxTradingSession(trading_pairs=[PAIR], log_path=log_path, seed=seed,
                                    scripts_path=home / "scripts", before_connector=history)
    async with session:
        core, connector, recorder, sandbox = session.core, session.connector, session.recorder, session.sandbox
        with backpack_candles_on(sandbox.rest_url, sandbox.ws_url):
            use_connector_prices_for_rate_oracle(connector)  # last thing before the start (see headless.py)
            if not await core.start_strategy(SCRIPT, str(config_path), config_path.name):
                raise RuntimeError(f"Hummingbot could not start the {SCRIPT} script (see the log)")
            strategy = core.strategy
            feed = strategy.candles_feed
            out(f"{SCRIPT} started: {feed.name} {SANDBOX_VALUES['candles_interval']} candles from {sandbox.rest_url}")

            def finished() -> bool:
                executors = strategy.executors
                return len(executors) >= SANDBOX_VALUES["max_positions"] and all(e.is_closed for e in executors)

            def progress(elapsed: float) -> str:
                return (f"[{elapsed:5.1f}s] candles {len(feed.candles_df)} (ready {feed.ready}) | bbp "
                        f"{strategy.last_bbp if strategy.last_bbp is None else f'{strategy.last_bbp:.3f}'} | "
                        f"positions {len(strategy.signals)} | fills {recorder.count(MarketEvent.OrderFilled)}")

            elapsed = await session.run_for(duration_s, progress, out, interval_s=3.0, until=finished)
            out(progress(elapsed))
            candles = feed.candles_df
            executors = list(strategy.executors)
            feed_fields = {
                "candles": len(candles), "candles_ready": feed.ready,
                "candle_minutes": [int(t) for t in candles["timestamp"]],
                "feed_connector": getattr(feed._connector, "name", None),
                "feed_shares_throttler": feed._api_factory._throttler is connector._throttler,
                "rate_limited_429": connector.metrics_snapshot()["rest"].get("rate_limited_429"),
            }
            out("stopping: the executor orchestrator closes the positions, cancelling open orders…")
            settlement = await session.settle()
    report = {
        "duration_s": round(elapsed, 1), "strategy": f"{SCRIPT} (PositionExecutor on Bollinger bands)",
        "trading_pair": PAIR, "connector": CONSTANTS.SANDBOX_CONNECTOR_NAME, **settlement.report(), **feed_fields,
        "signals": strategy.signals, "executors": len(executors),
        "close_types": [e.close_type.name if e.close_type else None for e in executors], "seed": seed,
    }
    write_report(report, report_path)
    return report


def summary(report: Dict[str, Any]) -> List[str]:
    return summary_lines(
        f"Backpack sandbox V2 run — {report['strategy']} on {report['connector']} {report['trading_pair']}",
        report, [("candles", f"{report['candles']} (ready {report['candles_ready']}), feed on "
                             f"{report['feed_connector']}, shared throttler {report['feed_shares_throttler']}, "
                             f"429s {report['rate_limited_429']}"),
                 ("signals", ", ".join(f"{s['side']} at bbp {s['bbp']}" for s in report["signals"]) or "-"),
                 ("positions", f"{report['executors']} (close types {report['close_types']})")])


def failure(report: Dict[str, Any]) -> Optional[str]:
    """Why the run counts as failed, or None (see the module doc)."""
    if report["candles"] < BB_LENGTH:
        return f"the feed holds {report['candles']} candles, fewer than the {BB_LENGTH} the bands need"
    if report["feed_connector"] != CONSTANTS.SANDBOX_CONNECTOR_NAME or not report["feed_shares_throttler"]:
        return "the candles feed is not attached to our connector"
    if report["rate_limited_429"]:
        return f"{report['rate_limited_429']} responses were 429"
    if not report["signals"] or report["fills"] == 0:
        return "no position traded"
    return ledger_failure(report)


main = report_command(
    "python -m backpack_demo.bollinger", __doc__, duration_s=40.0, seed=7, report="bollinger-report.json",
    log="bollinger.log", run=lambda args, out: run_bollinger(args.duration, args.report, args.log, args.seed, out),
    summary=summary, failure=failure, failed_label="BOLLINGER RUN FAILED")

if __name__ == "__main__":
    sys.exit(main())
