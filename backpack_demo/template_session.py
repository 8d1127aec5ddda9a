"""One bounded run of a strategy template on the sandbox exchange: the shared part of the XEMM and DCA runs.

:class:`SandboxTradingSession` starts the sandbox child process with a fresh key pair, isolates Hummingbot's data
directory, builds Hummingbot's headless application (its ``TradingCore`` is the engine behind the client) with
the given client settings and creates
the ``backpack_sandbox`` connector with the account's keys. :meth:`settle` stops the strategy, cancels what is
left, waits for final order states and reconciles the connector's fills and balances with the sandbox's ledger
(``backpack_demo/ledger.py``).
"""
import asyncio
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_demo.headless import (
    EventRecorder,
    account_key_pair,
    configure_logging,
    isolate_hummingbot_data_dir,
    totals,
    wait_for,
)
from backpack_demo.ledger import reconcile
from backpack_demo.sandbox_process import SandboxProcess
from hummingbot.client.config.client_config_map import ClientConfigMap
from hummingbot.client.config.config_helpers import ClientConfigAdapter
from hummingbot.client.hummingbot_application import HummingbotApplication
from hummingbot.client.settings import AllConnectorSettings
from hummingbot.core.event.events import MarketEvent

SETTLE_TIMEOUT_S = 30.0
SANDBOX_ARGS = ["--markets", "SOL_USDC", "--flow-pace", "2"]


@dataclass
class SandboxTradingSession:
    """Async context manager: sandbox child process + ``TradingCore`` + our ``backpack_sandbox`` connector.

    :param trading_pairs: pairs of the sandbox connector.
    :param client_config: Hummingbot client settings (``conf_client.yml`` keys) for the ``TradingCore``.
    :param paper_trade_exchanges: exchanges Hummingbot may build ``<name>_paper_trade`` connectors for.
    """
    trading_pairs: List[str]
    log_path: Path
    balances: Dict[str, str] = field(default_factory=lambda: {"SOL": "100", "USDC": "20000"})
    seed: int = 7
    sandbox_args: List[str] = field(default_factory=lambda: list(SANDBOX_ARGS))
    client_config: Dict[str, Any] = field(default_factory=dict)
    paper_trade_exchanges: List[str] = field(default_factory=list)
    scripts_path: Optional[Path] = None
    sandbox: Optional[SandboxProcess] = None
    core: Any = None  # hummingbot.core.trading_core.TradingCore
    connector: Any = None
    recorder: Optional[EventRecorder] = None
    balances_start: Dict[str, Decimal] = field(default_factory=dict)

    async def __aenter__(self) -> "SandboxTradingSession":
        isolate_hummingbot_data_dir()
        configure_logging(self.log_path)
        api_key, secret = account_key_pair()
        self.sandbox = SandboxProcess(api_key=api_key, secret=secret, balances=self.balances, seed=self.seed,
                                      extra_args=list(self.sandbox_args))
        await self.sandbox.start()
        try:
            os.environ[CONSTANTS.SANDBOX_URL_ENV] = self.sandbox.rest_url
            if self.paper_trade_exchanges:
                AllConnectorSettings.initialize_paper_trade_settings(self.paper_trade_exchanges)
            # The engine of Hummingbot's headless client. (A bare TradingCore would do for V1 strategies, but V2
            # scripts build this application on start, which reloads the client config and resets the oracle.)
            client_config = ClientConfigAdapter(ClientConfigMap(**self.client_config))
            self.core = HummingbotApplication.main_application(client_config, headless_mode=True).trading_core
            if self.scripts_path is not None:
                self.core.scripts_path = self.scripts_path
            await asyncio.sleep(0)  # let the gateway monitor task start, so stopping it cancels a running task
            self.core.gateway_monitor.stop_monitor()  # no Gateway in this setup
            self.connector = self.core.connector_manager.create_connector(
                CONSTANTS.SANDBOX_CONNECTOR_NAME, list(self.trading_pairs), True,
                api_keys={"backpack_sandbox_api_key": api_key, "backpack_sandbox_api_secret": secret})
            self.recorder = EventRecorder(self.connector)
            self.balances_start = totals(await self.sandbox.account())
        except BaseException:
            await self.sandbox.stop()
            raise
        return self

    async def __aexit__(self, *exc_info) -> None:
        try:
            if self.core is not None:
                await self.core.stop_clock()
                for connector in list(self.core.connector_manager.connectors.values()):
                    await connector.stop_network()
        finally:
            await self.sandbox.stop()

    async def run_for(self, duration_s: float, progress: Callable[[float], str], out: Callable[[str], None],
                      interval_s: float = 5.0, until: Optional[Callable[[], bool]] = None) -> float:
        """Let the strategy trade for ``duration_s`` seconds (or until ``until()`` is true), printing
        ``progress(elapsed)`` every ``interval_s``; return the elapsed seconds."""
        started = time.monotonic()
        next_line = started + interval_s
        while (now := time.monotonic()) < started + duration_s:
            if until is not None and until():
                break
            await asyncio.sleep(min(0.25, max(0.0, next_line - now)))
            if time.monotonic() >= next_line:
                out(progress(time.monotonic() - started))
                next_line += interval_s
        return time.monotonic() - started

    async def settle(self) -> Dict[str, Any]:
        """Stop the strategy, cancel every open order of the sandbox connector, wait for final states and
        reconcile with the sandbox ledger. Returns the report's ledger part."""
        strategy = self.core.strategy
        if strategy is not None and hasattr(strategy, "on_stop") and asyncio.iscoroutinefunction(strategy.on_stop):
            await strategy.on_stop()  # V2 scripts: the executor orchestrator closes its executors
        await self.core.stop_strategy()
        await self.connector.cancel_all(SETTLE_TIMEOUT_S)
        await wait_for(lambda: not any(o.is_open for o in self.connector.in_flight_orders.values()), SETTLE_TIMEOUT_S)
        exchange_fills = await self.sandbox.fills()
        await wait_for(lambda: self.recorder.count(MarketEvent.OrderFilled) >= len(exchange_fills), SETTLE_TIMEOUT_S)
        await self.connector._update_balances()
        exchange_orders = await self.sandbox.orders()
        balances_end = totals(await self.sandbox.account())
        connector_totals = {a: Decimal(str(v)) for a, v in self.connector.get_all_balances().items()}
        fill_events = self.recorder.events(MarketEvent.OrderFilled)
        check = reconcile(fill_events, exchange_fills, connector_totals, balances_end, self.balances_start)
        return {
            "orders_created": self.recorder.count(MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated),
            "orders_filled": self.recorder.count(MarketEvent.BuyOrderCompleted, MarketEvent.SellOrderCompleted),
            "orders_cancelled": self.recorder.count(MarketEvent.OrderCancelled),
            "orders_failed": self.recorder.count(MarketEvent.OrderFailure),
            "fills": len(fill_events),
            "exchange_fills": len(exchange_fills),
            "open_orders_at_exit": len([o for o in exchange_orders if o.get("status") in ("New", "PartiallyFilled")]),
            "balances_start": {k: str(v) for k, v in sorted(self.balances_start.items())},
            "balances_end": {k: str(v) for k, v in sorted(balances_end.items())},
            "ledger_match": check.match,
            "ledger": {"missing_fills": check.missing_fills, "duplicate_fills": check.duplicate_fills,
                       "unknown_fills": check.unknown_fills, "fill_mismatches": check.fill_mismatches,
                       "balance_mismatches": check.balance_mismatches,
                       "conservation_mismatches": check.conservation_mismatches},
        }
