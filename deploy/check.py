"""``make deploy-check``: three bot containers started the way hummingbot-api starts them, trading on one sandbox.

1. podman and runc (and mmdebstrap) are installed with apt when missing (``podman.py``);
2. the local base image stands in for ``hummingbot/hummingbot`` (``base_image.py``) and the bot image is built from
   ``deploy/bot.Dockerfile`` on it (its overlay and build-time check run);
3. the sandbox runs on the host at the connector's default sandbox URL (``http://127.0.0.1:8765``), one account
   per bot; each bot gets hummingbot-api's instance layout and an encrypted connector config (``bots.py``);
4. docker-py, against podman's Docker-compatible socket, runs one container per bot (host network, the eight
   volumes, ``CONFIG_PASSWORD``/``SCRIPT_CONFIG``/``HEADLESS_MODE``), each a ``backpack_executors.py`` kind;
5. each bot trades for ``--duration`` seconds after its first order, until its account has no open order; its
   engine reports its balances (SIGUSR1: ``data/bot/status.json``); it is stopped (SIGTERM: the strategy stops
   and cancels); its fills from Hummingbot's own trade database (``data/*.sqlite``) and its balances are
   reconciled with the sandbox ledger (``backpack_harness.ledger``).

Prints a summary and writes ``deploy-report.json``; exit 1 when a container is not ledger-exact.
"""
import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from backpack_harness.headless import new_key_pair, totals
from backpack_harness.ledger import reconcile
from backpack_harness.sandbox_process import SandboxProcess
from backpack_harness.settle import EXCHANGE_OPEN, RULE, row
from deploy import base_image, bots
from deploy.podman import Podman, ensure_installed
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.trade_fee import TradeFeeBase

REPO = Path(__file__).resolve().parent.parent
BOT_IMAGE = "localhost/hummingbot-backpack:deploy-check"
API_STANDIN = "localhost/hummingbot-api-standin"
API_IMAGE = "localhost/hummingbot-api-backpack:deploy-check"
#: hummingbot-api's image in miniature: the base image with Hummingbot moved into site-packages (pip-installed).
API_STANDIN_CONTAINERFILE = """FROM {base}
RUN mv /home/hummingbot/hummingbot "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/" \\
 && rm -rf /home/hummingbot
WORKDIR /hummingbot-api
"""
#: (container name, executor kind of ``backpack_executors.py``).
BOTS = (("backpack-bot-order", "order"), ("backpack-bot-twap", "twap"), ("backpack-bot-position", "position"))
BALANCES = {"SOL": "100", "USDC": "20000"}
SANDBOX_PORT = int(CONSTANTS.SANDBOX_DEFAULT_URL.rsplit(":", 1)[1])
SANDBOX_ARGS = ["--markets", "SOL_USDC", "--flow-pace", "2", "--port", str(SANDBOX_PORT)]
FIRST_ORDER_TIMEOUT_S = 240.0
QUIET_TIMEOUT_S = 120.0
STATUS_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 60


@dataclass
class RecordedFill:
    """A fill as Hummingbot's trade database keeps it (``TradeFill`` row), shaped like ``OrderFilledEvent`` for
    :func:`backpack_harness.ledger.reconcile`."""

    exchange_trade_id: str
    trading_pair: str
    trade_type: TradeType
    price: Decimal
    amount: Decimal
    trade_fee: TradeFeeBase


def recorded_fills(database: Path) -> List[RecordedFill]:
    """Every ``TradeFill`` row of a Hummingbot trade database (SQLite), read with Hummingbot's own model."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from hummingbot.model.trade_fill import TradeFill
    engine = create_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            return [RecordedFill(str(r.exchange_trade_id), r.symbol, TradeType[r.trade_type], Decimal(r.price),
                                 Decimal(r.amount), TradeFeeBase.from_json(r.trade_fee))
                    for r in session.query(TradeFill).all()]
    finally:
        engine.dispose()


def engine_balances(status: Dict[str, Any]) -> Dict[str, Decimal]:
    """The connector's total balances from the engine's ``status.json`` (floats, as it writes them)."""
    return {asset: Decimal(repr(amount))
            for asset, amount in status.get("balances", {}).get(CONSTANTS.SANDBOX_CONNECTOR_NAME, {}).items()}


def bot_report(name: str, kind: str, timings: Dict[str, float], exit_code: Optional[int], fills: List[RecordedFill],
               exchange_fills: List[Dict[str, Any]], exchange_orders: List[Dict[str, Any]],
               connector_totals: Dict[str, Decimal], exchange_totals: Dict[str, Decimal],
               start_totals: Dict[str, Decimal]) -> Dict[str, Any]:
    """One container's report: timings, orders by final status, fills on both sides, the ledger checks."""
    check = reconcile(fills, exchange_fills, connector_totals, exchange_totals, start_totals)
    statuses: Dict[str, int] = {}
    for order in exchange_orders:
        statuses[order.get("status", "?")] = statuses.get(order.get("status", "?"), 0) + 1
    open_at_exit = sum(n for status, n in statuses.items() if status in EXCHANGE_OPEN)
    return {
        "name": name, "kind": kind, **{k: round(v, 1) for k, v in timings.items()}, "exit_code": exit_code,
        "orders": len(exchange_orders), "orders_by_status": statuses, "fills": len(fills),
        "exchange_fills": len(exchange_fills), "open_orders_at_exit": open_at_exit,
        "balances_connector": {a: str(v) for a, v in sorted(connector_totals.items())},
        "balances_exchange": {a: str(v) for a, v in sorted(exchange_totals.items())},
        "ledger": {k: v for k, v in vars(check).items() if v},
        "ledger_match": check.match and open_at_exit == 0 and exit_code == 0 and len(fills) > 0,
    }


def summary(report: Dict[str, Any]) -> List[str]:
    lines = [RULE, "make deploy-check: bot containers on podman (docker-py, hummingbot-api's container spec)",
             row("total", f"{report['total_s']} s (base image {'built' if report['base_built'] else 'reused'}, "
                          f"bot image {report['bot_image_build_s']} s, API image {report['api_image_build_s']} s)"),
             row("without overlay", f"verification exit {report['shipped_verify_exit']} on the base image "
                                    f"(1: a build without the overlay fails)")]
    for bot in report["containers"]:
        if "error" in bot:
            lines.append(row(bot["name"], f"{bot['kind']}: FAILED {bot['error']}"))
            continue
        lines.append(row(bot["name"], f"{bot['kind']}: first order after {bot.get('first_order_s', '-')} s, "
                                      f"{bot['orders']} orders, {bot['fills']} fills "
                                      f"(exchange {bot['exchange_fills']}), stop {bot.get('stop_s', '-')} s, "
                                      f"exit {bot['exit_code']}, ledger "
                                      f"{'MATCH' if bot['ledger_match'] else 'MISMATCH ' + json.dumps(bot['ledger'])}"))
    lines.append(RULE)
    return lines


def build_bot_image(podman: Podman, base_tag: str) -> float:
    """``podman build`` of ``deploy/bot.Dockerfile`` FROM the local base; returns its seconds.

    :raises RuntimeError: when the build (the overlay's verification included) fails.
    """
    image, tag = base_tag.rsplit(":", 1)
    started = time.monotonic()
    podman.run("build", "--runtime", "runc", "--pull=never", "--no-cache", "--network", "host", "-f",
               str(REPO / "deploy" / "bot.Dockerfile"), "--build-arg", f"HUMMINGBOT_IMAGE={image}",
               "--build-arg", f"HUMMINGBOT_TAG={tag}", "-t", BOT_IMAGE, str(REPO), quiet=True)
    return time.monotonic() - started


def shipped_connector_refused(podman: Podman, base_tag: str) -> int:
    """Exit code of the overlay's verification run in the base image itself (shipped connector, no overlay): 1
    proves a bot-image build without the overlay would fail."""
    mounts = [f"{REPO / 'deploy' / 'overlay.py'}:/tmp/overlay.py:ro", f"{REPO / 'hummingbot'}:/tmp/ours/hummingbot:ro"]
    result = podman.run("run", "--rm", "--network", "host", *[arg for m in mounts for arg in ("-v", m)], base_tag,
                        "python", "/tmp/overlay.py", "verify", "--tree", "/home/hummingbot", "--from", "/tmp/ours",
                        check=False, quiet=True)
    return result.returncode


def build_api_image(podman: Podman, base_tag: str, work: Path) -> float:
    """Our wheel, then ``deploy/api.Dockerfile`` built on a hummingbot-api stand-in (pip-installed Hummingbot made
    from the base image); returns the seconds of the API image's build.

    :raises RuntimeError: when the wheel, the stand-in or the image (its overlay verification included) fail.
    """
    for old in (REPO / "dist").glob("hummingbot_backpack_connector-*.whl"):
        old.unlink()
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(REPO / "dist"), str(REPO)], capture_output=True, text=True)
    if wheel.returncode != 0:
        raise RuntimeError(f"building our wheel failed: {wheel.stderr[-2000:]}")
    standin = work / "api-standin.Containerfile"
    standin.write_text(API_STANDIN_CONTAINERFILE.format(base=base_tag), encoding="utf-8")
    _, tag = base_tag.rsplit(":", 1)
    podman.run("build", "--runtime", "runc", "--pull=never", "--network", "host", "-f", str(standin),
               "-t", f"{API_STANDIN}:{tag}", str(work), quiet=True)
    started = time.monotonic()
    podman.run("build", "--runtime", "runc", "--pull=never", "--no-cache", "--network", "host", "-f",
               str(REPO / "deploy" / "api.Dockerfile"), "--build-arg", f"HUMMINGBOT_API_IMAGE={API_STANDIN}",
               "--build-arg", f"HUMMINGBOT_API_TAG={tag}", "-t", API_IMAGE, str(REPO), quiet=True)
    return time.monotonic() - started


async def wait_until(predicate: Callable[[], Any], timeout_s: float, interval_s: float = 1.0) -> bool:
    """Await ``predicate()`` (a coroutine function's call or a value) every ``interval_s`` until true."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval_s)


class BotRun:
    """One container's life: start, first order, trading, quiet, balances, stop, reconcile."""

    def __init__(self, name: str, kind: str, work: Path, sandbox: SandboxProcess, client: Any, password: str):
        self.bot = bots.BotInstance(name, kind, work / "bots")
        self.sandbox, self.client, self.password = sandbox, client, password
        self.api_key, self.secret = new_key_pair()
        self.timings: Dict[str, float] = {}
        self.container: Any = None

    async def open_orders(self) -> List[Dict[str, Any]]:
        return [o for o in await self.sandbox.orders(self.api_key) if o.get("status") in EXCHANGE_OPEN]

    async def run(self, duration_s: float, out: Callable[[str], None]) -> Dict[str, Any]:
        await self.sandbox.add_account(self.api_key, self.secret, dict(BALANCES))
        bots.prepare(self.bot, self.password, self.api_key, self.secret, duration_s)
        spec = bots.container_spec(self.bot, BOT_IMAGE, self.password)
        started = time.monotonic()
        self.container = await asyncio.to_thread(self.client.containers.run, **spec)
        out(f"deploy-check: {self.bot.name} started ({self.container.short_id}), {self.bot.kind} executor")
        if not await wait_until(lambda: self.sandbox.orders(self.api_key), FIRST_ORDER_TIMEOUT_S):
            raise RuntimeError(f"{self.bot.name} placed no order within {FIRST_ORDER_TIMEOUT_S} s")
        self.timings["first_order_s"] = time.monotonic() - started
        await asyncio.sleep(duration_s)  # the executor's own timers end within this (sandbox_values)
        quiet = await wait_until(lambda: self._quiet(), QUIET_TIMEOUT_S)
        self.timings["trading_s"] = time.monotonic() - started - self.timings["first_order_s"]
        out(f"deploy-check: {self.bot.name} {'done' if quiet else 'still has open orders'}; reading its balances")
        status = await self.balances_snapshot()
        stop_started = time.monotonic()
        await asyncio.to_thread(self.container.stop, timeout=STOP_TIMEOUT_S)
        exit_code = (await asyncio.to_thread(self.container.wait, timeout=STOP_TIMEOUT_S)).get("StatusCode")
        self.timings["stop_s"] = time.monotonic() - stop_started
        (self.bot.folder / "container.log").write_bytes(await asyncio.to_thread(self.container.logs))
        databases = sorted((self.bot.folder / "data").glob("*.sqlite"))
        fills = [f for database in databases for f in recorded_fills(database)]
        return bot_report(self.bot.name, self.bot.kind, self.timings, exit_code, fills,
                          await self.sandbox.fills(self.api_key), await self.sandbox.orders(self.api_key),
                          engine_balances(status), totals(await self.sandbox.account(self.api_key)),
                          {asset: Decimal(amount) for asset, amount in BALANCES.items()})

    async def failed(self, error: BaseException) -> Dict[str, Any]:
        """The report of a run that raised: the error, and the container's output kept next to its folders."""
        if self.container is not None:
            try:
                (self.bot.folder / "container.log").write_bytes(await asyncio.to_thread(self.container.logs))
            except Exception:  # the container may be gone; the error below is what matters
                pass
        return {"name": self.bot.name, "kind": self.bot.kind, "error": f"{type(error).__name__}: {error}",
                "orders": 0, "fills": 0, "exchange_fills": 0, "exit_code": None, "ledger": {}, "ledger_match": False}

    async def _quiet(self) -> bool:
        return bool(await self.sandbox.fills(self.api_key)) and not await self.open_orders()

    async def balances_snapshot(self) -> Dict[str, Any]:
        """SIGUSR1 to the container's engine; its fresh ``status.json``.

        :raises RuntimeError: when no fresh snapshot with balances appears within ``STATUS_TIMEOUT_S``.
        """
        asked = time.time()
        await asyncio.to_thread(self.container.kill, signal="SIGUSR1")

        def fresh() -> bool:
            try:
                status = json.loads(self.bot.status_file.read_text())
            except (OSError, ValueError):
                return False
            return status.get("updated_at", 0) >= asked and "balances" in status
        if not await wait_until(fresh, STATUS_TIMEOUT_S, 0.2):
            raise RuntimeError(f"{self.bot.name}'s engine wrote no status with balances")
        return json.loads(self.bot.status_file.read_text())


def remove_containers(client: Any, names: Sequence[str]) -> None:
    import docker
    for name in names:
        try:
            client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass


async def check(duration_s: float, work: Path, report_path: Path, out: Callable[[str], None] = print
                ) -> Dict[str, Any]:
    import docker
    started = time.monotonic()
    report: Dict[str, Any] = {"installed": ensure_installed(out)}
    podman = Podman(work)
    base_tag, figures = base_image.ensure_base_image(work, podman, out)
    report.update(figures)
    out(f"deploy-check: base image {base_tag} ({'built' if figures['base_built'] else 'reused'})")
    report["shipped_verify_exit"] = shipped_connector_refused(podman, base_tag)
    out(f"deploy-check: overlay verification on the base image (shipped connector): exit "
        f"{report['shipped_verify_exit']}")
    report["bot_image_build_s"] = round(build_bot_image(podman, base_tag), 1)
    out(f"deploy-check: bot image {BOT_IMAGE} built in {report['bot_image_build_s']} s (overlay verified)")
    report["api_image_build_s"] = round(build_api_image(podman, base_tag, work), 1)
    out(f"deploy-check: API image {API_IMAGE} built in {report['api_image_build_s']} s (wheel --no-deps, overlay "
        f"verified)")
    client = docker.DockerClient(base_url=podman.start_service())
    names = [name for name, _ in BOTS]
    try:
        remove_containers(client, names)
        shutil.rmtree(work / "bots", ignore_errors=True)  # every run starts from fresh instances, trade databases too
        api_key, secret = new_key_pair()
        password = new_key_pair()[1]  # a random config password, as hummingbot-api's is the operator's
        async with SandboxProcess(api_key=api_key, secret=secret, balances={"USDC": "1"},
                                  extra_args=list(SANDBOX_ARGS)) as sandbox:
            out(f"deploy-check: sandbox on {sandbox.rest_url}")
            runs = [BotRun(name, kind, work, sandbox, client, password) for name, kind in BOTS]
            results = await asyncio.gather(*(r.run(duration_s, out) for r in runs), return_exceptions=True)
            report["containers"] = [result if isinstance(result, dict) else await r.failed(result)
                                    for r, result in zip(runs, results)]
    finally:
        remove_containers(client, names)
        client.close()
        podman.stop_service()
    report["total_s"] = round(time.monotonic() - started, 1)
    report["match"] = report["shipped_verify_exit"] == 1 and all(bot["ledger_match"] for bot in report["containers"])
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    for line in summary(report):
        out(line)
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Bot containers on podman against the sandbox (make deploy-check)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each bot trades after its first order")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "deploy-check")
    parser.add_argument("--report", type=Path, default=REPO / "deploy-report.json")
    args = parser.parse_args(argv)
    try:
        report = asyncio.run(check(args.duration, args.work, args.report))
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"deploy-check: FAILED: {e}", file=sys.stderr)
        return 1
    return 0 if report["match"] else 1


if __name__ == "__main__":
    sys.exit(main())
