"""``python -m backpack_harness.crash_bot``: one life of a headless Hummingbot bot for crash-and-restart runs
(``crash_restart.py`` starts it, kills it with SIGKILL and starts it again).

Hummingbot's pure market making (this checkout's template, sandbox pace) on a sandbox another process runs, with
Hummingbot's own persistence: ``TradingCore`` starts its ``MarketsRecorder`` on the SQLite db of ``--data-dir``
(orders, ``TradeFill`` rows, the connector's tracking states) and restores the saved in-flight orders when the
strategy starts. The account's key pair comes from ``BACKPACK_SANDBOX_SECRET``.

Standard output: one JSON object a line after ``CRASHBOT ``: ``started`` (``restored``: client order ids restored
from the db), ``status`` every ``--status-interval`` s (``open_ids``, ``fills``, ``orphan_sweep``: the connector's
``OrphanSweep.snapshot()``; ``--instance-tag`` gives every life the same ``clientId`` tag), and with
``--settle-after S`` after S seconds the shared settle (strategy off, orders cancelled, balances refreshed) and
``settled`` (``connector_totals``, ``open_orders_at_exit``, ``tracked_not_final``) before exiting.
"""
import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

from backpack_harness.cli import command
from backpack_harness.session import SandboxTradingSession
from backpack_harness.settle import order_final
from backpack_harness.strategies import start_pure_market_making
from hummingbot.core.event.events import MarketEvent

PREFIX = "CRASHBOT "
#: Ceiling (s) of the settle's waits after the cancel (``settle.settle``).
SETTLE_TIMEOUT_S = 5.0


def emit(event: str, **fields: Any) -> None:
    print(PREFIX + json.dumps({"event": event, **fields}, default=str), flush=True)


async def run_bot(sandbox_url: str, data_dir: Path, trading_pair: str, settle_after_s: Optional[float],
                  status_interval_s: float = 0.5, instance_tag: Optional[int] = None) -> Dict[str, Any]:
    """One life of the bot; returns the ``settled`` fields (empty when it runs until killed)."""
    settings = {} if instance_tag is None else {"backpack_sandbox_instance_tag": instance_tag}
    session = SandboxTradingSession(trading_pairs=[trading_pair], log_path=data_dir / f"bot-{os.getpid()}.log",
                                    sandbox_url=sandbox_url, data_dir=data_dir, connector_settings=settings)
    async with session:
        born = time.time()
        await start_pure_market_making(session, trading_pair)
        connector, recorder = session.connector, session.recorder
        assert recorder is not None
        tracker = connector._order_tracker  # restored orders the first poll already closed are cached or lost
        known = {**tracker.all_orders, **tracker.lost_orders}
        restored = sorted(i for i, o in known.items() if o.creation_timestamp < born)
        emit("started", restored=restored, pid=os.getpid())
        started = time.monotonic()
        while settle_after_s is None or time.monotonic() - started < settle_after_s:
            emit("status", open_ids=sorted(i for i, o in connector.in_flight_orders.items() if not order_final(o)),
                 fills=recorder.count(MarketEvent.OrderFilled), ready=connector.ready,
                 orphan_sweep=connector._orphan_sweep.snapshot())
            await asyncio.sleep(status_interval_s)
        # The settle's wait for as many fill events as the ledger has fills cannot end in a restarted life (the
        # ledger has every life's fills): its floor is enough.
        settlement = await session.settle(timeout_s=SETTLE_TIMEOUT_S)
        result = {"connector_totals": {a: str(v) for a, v in settlement.connector_totals.items()},
                  "open_orders_at_exit": len(settlement.open_orders_at_exit),
                  "tracked_not_final": sum(1 for o in connector.in_flight_orders.values() if not order_final(o))}
    emit("settled", **result)
    return result


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sandbox-url", required=True, help="REST URL of the running sandbox")
    parser.add_argument("--data-dir", type=Path, required=True, help="Hummingbot data directory (kept across lives)")
    parser.add_argument("--pair", default="SOL-USDC", help="trading pair (default SOL-USDC)")
    parser.add_argument("--settle-after", type=float, default=None,
                        help="settle and exit after this many seconds (default: run until killed)")
    parser.add_argument("--instance-tag", type=int, default=None,
                        help="backpack_sandbox_instance_tag of the connector (default: random each life)")


def _run(args: argparse.Namespace) -> int:
    asyncio.run(run_bot(args.sandbox_url, args.data_dir, args.pair, args.settle_after,
                        instance_tag=args.instance_tag))
    return 0


main = command("python -m backpack_harness.crash_bot", __doc__, _run, _arguments)

if __name__ == "__main__":
    sys.exit(main())
