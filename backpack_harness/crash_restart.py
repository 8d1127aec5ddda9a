"""Crash and restart (``make crash-restart``; a short run in ``make test``): a headless bot (``crash_bot.py``, its
own process, Hummingbot's SQLite persistence) market-makes on a sandbox this process runs; while its orders rest
and fills arrive it is killed with SIGKILL; a taker on the sandbox trades against its resting orders while it is
down (ccxt, an ordinary Backpack client); it restarts from its saved state. ``kills`` times, then a last life
settles.

Checked at the end against the sandbox's ledger: every fill of the account is a ``TradeFill`` row of the bot's
SQLite db exactly once (by trade id, price, quantity, fee), the bot's final balances and the fills' conservation
agree with the exchange (``ledger.reconcile``), every order open on the exchange at a kill was restored, and no
order is left open. Per restart: orders restored, fills while down, seconds until the restored orders and the
fills while down were reconciled.
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Set

import ccxt.async_support as ccxt

from backpack_harness.crash_bot import PREFIX
from backpack_harness.headless import new_key_pair, totals, wait_for
from backpack_harness.ledger import reconcile
from backpack_harness.sandbox_process import SandboxProcess
from backpack_harness.session import SANDBOX_ARGS
from backpack_harness.settle import balances_agree, row, write_report
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.trade_fee import TradeFeeBase
from hummingbot.model.decimal_type_decorator import SqliteDecimal

EXCHANGE_OPEN = ("New", "PartiallyFilled")
#: Seconds a bot life may take to start (Hummingbot's imports and the connector's readiness on a loaded machine).
START_TIMEOUT_S = 120.0


@dataclass
class CrashRestartOptions:
    """``kills`` SIGKILLs, then a last life of ``last_life_s`` s that settles. Before each kill the bot trades until a
    fill of that life and ``resting`` orders on the book (at most ``life_s`` s); it stays down ``down_s`` s after the
    taker's sweeps; a restart failing to reconcile within ``reconcile_timeout_s`` s fails the run. ``seed``: the
    sandbox's market flow; ``work_dir``: the bot's data (emptied first); ``instance_tag``: every life's
    ``backpack_sandbox_instance_tag`` (None: a random tag each life, no start-up sweep)."""
    kills: int = 1
    pair: str = "SOL-USDC"
    balances: Dict[str, str] = field(default_factory=lambda: {"SOL": "100", "USDC": "20000"})
    life_s: float = 30.0
    resting: int = 2
    work_dir: Path = Path("crash-restart")
    down_s: float = 3.0
    last_life_s: float = 8.0
    report_path: Path = Path("crash-restart-report.json")
    reconcile_timeout_s: float = 60.0
    seed: int = 7
    instance_tag: Optional[int] = 7


class BotProcess:
    """One life of ``crash_bot`` as a child process; its ``CRASHBOT`` lines are kept by event name."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.events: Dict[str, List[Dict[str, Any]]] = {}
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def spawn(cls, sandbox_url: str, secret: str, data_dir: Path, pair: str,
                    settle_after_s: Optional[float], instance_tag: Optional[int] = None) -> "BotProcess":
        args = [sys.executable, "-m", "backpack_harness.crash_bot", "--sandbox-url", sandbox_url,
                "--data-dir", str(data_dir), "--pair", pair]
        if instance_tag is not None:
            args += ["--instance-tag", str(instance_tag)]
        if settle_after_s is not None:
            args += ["--settle-after", str(settle_after_s)]
        env = dict(os.environ, BACKPACK_SANDBOX_SECRET=secret, PYTHONUNBUFFERED="1")
        stderr = open(data_dir / "bot-stderr.log", "ab")
        try:
            process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=stderr,
                                                           env=env)
        finally:
            stderr.close()
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while raw := await self.process.stdout.readline():
            line = raw.decode(errors="replace").strip()
            if line.startswith(PREFIX):
                message = json.loads(line[len(PREFIX):])
                self.events.setdefault(message["event"], []).append(message)

    def last(self, event: str) -> Optional[Dict[str, Any]]:
        seen = self.events.get(event)
        return seen[-1] if seen else None

    async def wait_event(self, event: str, timeout_s: float) -> Dict[str, Any]:
        """:raises RuntimeError: the bot exited or stayed silent for ``timeout_s``."""
        await wait_for(lambda: self.last(event) is not None or self._reader.done(), timeout_s)
        message = self.last(event)
        if message is None:
            raise RuntimeError(f"the bot sent no {event!r} (exit code {self.process.returncode})")
        return message

    async def kill(self) -> None:
        """SIGKILL: no shutdown code of the bot runs."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self._reader

    async def wait_exit(self, timeout_s: float) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), timeout_s)
        except asyncio.TimeoutError:
            await self.kill()
            raise RuntimeError("the bot's last life did not exit after settling")


class Taker:
    """Another account on the sandbox trading through ccxt (only its URLs pointed at the sandbox)."""

    def __init__(self, client: Any, symbol: str):
        self.client = client
        self.symbol = symbol

    @classmethod
    async def create(cls, sandbox: SandboxProcess, trading_pair: str) -> "Taker":
        keys = await sandbox.control("POST", "/_sandbox/accounts",
                                     {"balances": {"SOL": "100000", "USDC": "100000000"}})
        client = ccxt.backpack({"apiKey": keys["apiKey"], "secret": keys["secret"]})
        client.urls["api"] = {"public": sandbox.rest_url, "private": sandbox.rest_url}
        return cls(client, trading_pair.replace("-", "/"))

    async def sweep_through(self, order: Dict[str, Any]) -> Optional[str]:
        """An IOC order at ``order``'s price for twice what the book shows at that price or better on its side
        plus ``order``'s quantity: it trades against ``order`` whatever rests ahead of it, even after the makers
        requoted during the taker speed bump."""
        book = await self.client.fetch_order_book(self.symbol, 1000)
        price = Decimal(str(order["price"]))
        if order["side"] == "Bid":
            side, amount = "sell", sum(Decimal(str(q)) for p, q in book["bids"] if Decimal(str(p)) >= price)
        else:
            side, amount = "buy", sum(Decimal(str(q)) for p, q in book["asks"] if Decimal(str(p)) <= price)
        amount = 2 * amount + Decimal(str(order["quantity"]))
        try:
            answer = await self.client.create_order(self.symbol, "limit", side, float(amount), float(price),
                                                    {"timeInForce": "IOC"})
        except ccxt.BaseError as e:  # e.g. the price band moved away: the run counts the fills it got
            return f"refused: {e}"
        return f"{answer.get('status')} {answer.get('filled')}"

    async def close(self) -> None:
        await self.client.close()


def pick_targets(open_orders: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The resting orders a taker sweeps while the bot is down: our best bid and our best ask."""
    bids = sorted((o for o in open_orders if o["side"] == "Bid"), key=lambda o: -Decimal(str(o["price"])))
    asks = sorted((o for o in open_orders if o["side"] == "Ask"), key=lambda o: Decimal(str(o["price"])))
    return bids[:1] + asks[:1]


def trade_db(data_dir: Path) -> Optional[Path]:
    found = sorted((data_dir / "data").glob("*.sqlite")) if (data_dir / "data").is_dir() else []
    return found[0] if found else None


def db_fills(data_dir: Path) -> List[SimpleNamespace]:
    """The ``TradeFill`` rows of the bot's db as fill-event-like objects (what ``ledger.reconcile`` reads)."""
    path = trade_db(data_dir)
    if path is None:
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            rows = db.execute("SELECT exchange_trade_id, order_id, symbol, trade_type, price, amount, trade_fee "
                              "FROM TradeFill").fetchall()
        except sqlite3.OperationalError:  # the bot has not created its tables yet
            return []
    column = SqliteDecimal(6)  # the TradeFill columns' type: what Hummingbot reads them with
    return [SimpleNamespace(exchange_trade_id=str(trade_id), order_id=order_id, trading_pair=symbol,
                            trade_type=TradeType[trade_type], price=column.process_result_value(price, None),
                            amount=column.process_result_value(amount, None),
                            trade_fee=TradeFeeBase.from_json(json.loads(fee)))
            for trade_id, order_id, symbol, trade_type, price, amount, fee in rows]


def db_order_ids(data_dir: Path) -> Set[str]:
    path = trade_db(data_dir)
    if path is None:
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {str(r[0]) for r in db.execute('SELECT exchange_order_id FROM "Order"').fetchall() if r[0]}


async def _open_orders(sandbox: SandboxProcess) -> List[Dict[str, Any]]:
    return [o for o in await sandbox.orders() if o.get("status") in EXCHANGE_OPEN]


async def run_crash_restart(options: CrashRestartOptions, out: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run ``options.kills`` kill-and-restart cycles and the settling last life; return the report (also written
    to ``options.report_path``)."""
    api_key, secret = new_key_pair()
    data_dir = options.work_dir.resolve() / "hummingbot"
    shutil.rmtree(data_dir, ignore_errors=True)  # a saved state of an earlier run names orders of another sandbox
    data_dir.mkdir(parents=True)
    restarts: List[Dict[str, Any]] = []
    started = time.monotonic()
    async with SandboxProcess(api_key=api_key, secret=secret, balances=options.balances, seed=options.seed,
                              extra_args=list(SANDBOX_ARGS)) as sandbox:
        taker = await Taker.create(sandbox, options.pair)
        try:
            balances_start = totals(await sandbox.account())
            previous: Optional[Dict[str, Any]] = None
            settled: Dict[str, Any] = {}
            for life in range(options.kills + 1):
                last_life = life == options.kills
                spawned = time.monotonic()
                bot = await BotProcess.spawn(sandbox.rest_url, secret, data_dir, options.pair,
                                             options.last_life_s if last_life else None, options.instance_tag)
                bot_started = await bot.wait_event("started", START_TIMEOUT_S)
                if previous is not None:
                    restarts.append({"startup_s": round(time.monotonic() - spawned, 1), **await _check_restart(
                        sandbox, bot, bot_started, previous, data_dir, options)})
                    out(f"restart {len(restarts)}: {restarts[-1]}")
                if last_life:
                    settled = await bot.wait_event("settled", options.last_life_s + START_TIMEOUT_S)
                    await bot.wait_exit(30.0)
                    break
                previous = await _trade_then_kill(sandbox, bot, taker, data_dir, options)
                out(f"life {life + 1}: killed with {len(previous['open_at_kill'])} orders resting; "
                    f"{len(previous['down_fills'])} fills while down")
            exchange_fills = await sandbox.fills()
            balances_end = totals(await sandbox.account())
            exchange_orders = await sandbox.orders()
        finally:
            await taker.close()
    fills = db_fills(data_dir)
    connector_totals = {a: Decimal(v) for a, v in settled["connector_totals"].items()}
    check = reconcile(fills, exchange_fills, connector_totals, balances_end, balances_start)
    unknown_orders = sorted({str(o["id"]) for o in exchange_orders} - db_order_ids(data_dir))
    report = {
        "kills": options.kills,
        "duration_s": round(time.monotonic() - started, 1),
        "orders_restored": sum(r["orders_restored"] for r in restarts),
        "fills_while_down": sum(r["fills_while_down"] for r in restarts),
        "fills_while_down_recorded": sum(r["fills_while_down_recorded"] for r in restarts),
        "orphans_swept": sum(r["orphans_swept"] for r in restarts),
        "reconcile_s_max": max((r["reconcile_s"] for r in restarts if r["reconcile_s"] is not None), default=None),
        "startup_s_max": max((r["startup_s"] for r in restarts), default=None),
        "restarts": restarts,
        "exchange_fills": len(exchange_fills),
        "db_fills": len(fills),
        "duplicate_fills": len(check.duplicate_fills),
        "orphaned_orders": sum(len(r["not_restored"]) for r in restarts) + settled["tracked_not_final"],
        "open_orders_at_exit": len([o for o in exchange_orders if o.get("status") in EXCHANGE_OPEN]),
        "orders_unknown_to_db": unknown_orders,
        "balances_start": {a: str(v) for a, v in sorted(balances_start.items())},
        "balances_end": {a: str(v) for a, v in sorted(balances_end.items())},
        "balances_match": balances_agree(connector_totals, balances_end),
        "ledger_match": check.match,
        "ledger": {"missing_fills": check.missing_fills, "duplicate_fills": check.duplicate_fills,
                   "unknown_fills": check.unknown_fills, "fill_mismatches": check.fill_mismatches,
                   "balance_mismatches": check.balance_mismatches,
                   "conservation_mismatches": check.conservation_mismatches},
        "seed": options.seed,
    }
    write_report(report, options.report_path)
    return report


async def _trade_then_kill(sandbox: SandboxProcess, bot: BotProcess, taker: Taker, data_dir: Path,
                           options: CrashRestartOptions) -> Dict[str, Any]:
    """Let the bot trade until a fill of this life and ``resting`` orders on the book that its db knows, SIGKILL it,
    let the taker hit its resting orders, wait ``down_s``; returns what a restart is checked against.

    An order the exchange accepted in the milliseconds before Hummingbot's recorder committed its creation is not
    in the saved state: no restart can restore it (README, "hummingbot-api and restarts"); the kill waits for
    resting orders, not orders in flight."""
    fills_before = len(await sandbox.fills())
    deadline = time.monotonic() + options.life_s
    while time.monotonic() < deadline:
        status = bot.last("status") or {}
        resting = {str(o["id"]) for o in await _open_orders(sandbox)}
        if (status.get("ready") and len(await sandbox.fills()) > fills_before and len(resting) >= options.resting
                and resting <= db_order_ids(data_dir)):
            break
        await asyncio.sleep(0.25)
    await bot.kill()
    open_at_kill = await _open_orders(sandbox)
    fill_ids_at_kill = {str(f["tradeId"]) for f in await sandbox.fills()}
    sweeps = [await taker.sweep_through(order) for order in pick_targets(open_at_kill)]
    await asyncio.sleep(options.down_s)
    down_fills = sorted({str(f["tradeId"]) for f in await sandbox.fills()} - fill_ids_at_kill)
    return {"open_at_kill": open_at_kill, "down_fills": down_fills, "sweeps": sweeps}


async def _check_restart(sandbox: SandboxProcess, bot: BotProcess, started: Dict[str, Any],
                         previous: Dict[str, Any], data_dir: Path, options: CrashRestartOptions) -> Dict[str, Any]:
    """Restored orders vs the orders open at the kill; seconds (checked every 0.25 s) from the bot's ``started``
    until every restored order closed on the exchange is no longer open in the bot, every fill while down is a
    ``TradeFill`` row and (with an instance tag) the start-up sweep of orders left untracked is done."""
    t0 = time.monotonic()
    restored = set(started["restored"])
    open_at_kill = {str(o["clientId"]) for o in previous["open_at_kill"]}
    down_fills = set(previous["down_fills"])

    async def reconciled() -> bool:
        closed = {str(o["clientId"]) for o in await sandbox.orders() if o.get("status") not in EXCHANGE_OPEN}
        status = bot.last("status") or {}
        still_open = set(status.get("open_ids", [])) & restored & closed
        recorded = {str(f.exchange_trade_id) for f in db_fills(data_dir)}
        sweep = status.get("orphan_sweep") or {}
        swept = not sweep.get("enabled") or bool(sweep.get("done"))
        return not still_open and down_fills <= recorded and bool(status) and swept

    reconcile_s: Optional[float] = None
    while time.monotonic() - t0 < options.reconcile_timeout_s:
        if await reconciled():
            reconcile_s = round(time.monotonic() - t0, 2)
            break
        await asyncio.sleep(0.25)
    recorded = [str(f.exchange_trade_id) for f in db_fills(data_dir)]
    sweep = (bot.last("status") or {}).get("orphan_sweep") or {}
    return {"orders_restored": len(restored), "orders_open_at_kill": len(open_at_kill),
            "not_restored": sorted(open_at_kill - restored),
            "fills_while_down": len(down_fills),
            "fills_while_down_recorded": sum(1 for t in down_fills if recorded.count(t) == 1),
            "sweeps": previous["sweeps"],
            "orphan_sweep": sweep,
            "orphans_swept": sweep.get("found", 0),
            "reconcile_s": reconcile_s}


def failure(report: Dict[str, Any]) -> Optional[str]:
    """Why a crash-restart run fails, or None."""
    if not report["ledger_match"]:
        return "the bot's SQLite fills or its balances do not match the exchange ledger"
    if report["orphaned_orders"] or report["open_orders_at_exit"] or report["orders_unknown_to_db"]:
        return "an order was orphaned (not restored, left open or unknown to the bot's db)"
    if report["fills_while_down_recorded"] != report["fills_while_down"]:
        return "a fill while the bot was down was not recorded exactly once"
    if any(r["reconcile_s"] is None for r in report["restarts"]):
        return "a restart did not reconcile in time"
    if report["kills"] and not report["fills_while_down"]:
        return "no fill happened while the bot was down"
    return None


def summary(report: Dict[str, Any]) -> List[str]:
    rule = "=" * 72
    rows = [("kills", report["kills"]), ("orders restored", report["orders_restored"]),
            ("fills while down", f"{report['fills_while_down']} (recorded once: "
                                 f"{report['fills_while_down_recorded']})"),
            ("duplicates", report["duplicate_fills"]), ("orphaned orders", report["orphaned_orders"]),
            ("swept at restart", f"{report['orphans_swept']} (untracked orders of the bot's tag, cancelled)"),
            ("time to reconcile", f"max {report['reconcile_s_max']} s after the strategy started (the bot's start: "
                                  f"max {report['startup_s_max']} s)"),
            ("fills", f"{report['db_fills']} in the bot's db (exchange ledger: {report['exchange_fills']})"),
            ("ledger", "MATCH" if report["ledger_match"] else "MISMATCH"),
            ("duration", f"{report['duration_s']} s")]
    return [rule, "Crash and restart — pure MM on backpack_sandbox, SIGKILL while orders rest",
            *(row(label, value) for label, value in rows), rule]


def _main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backpack_harness.crash_restart", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs before the last life (default 5)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the sandbox's market flow (default 7)")
    parser.add_argument("--work-dir", type=Path, default=Path("crash-restart"), help="bot data (default crash-restart)")
    parser.add_argument("--report", type=Path, default=Path("crash-restart-report.json"))
    parser.add_argument("--instance-tag", type=int, default=7,
                        help="backpack_sandbox_instance_tag of every life (default 7; 0: random each life)")
    args = parser.parse_args(argv)
    options = CrashRestartOptions(kills=args.kills, seed=args.seed, work_dir=args.work_dir, report_path=args.report,
                                  instance_tag=args.instance_tag or None)
    report = asyncio.run(run_crash_restart(options, lambda line: print(line, flush=True)))
    print("\n".join(summary(report)))
    reason = failure(report)
    if reason:
        print(f"CRASH-RESTART FAILED: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
