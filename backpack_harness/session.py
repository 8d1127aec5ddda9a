"""One bounded run of a Hummingbot strategy on the sandbox exchange (demo, template runs, chaos).

:class:`SandboxTradingSession` starts the sandbox child process with the run's key pair, isolates Hummingbot's
data directory, builds Hummingbot's headless application (its ``TradingCore`` is the engine behind the client) and
creates the ``backpack_sandbox`` connector with the account's keys (and, when asked, a second account on the same
sandbox as ``backpack_sandbox_2``); :meth:`~SandboxTradingSession.run_for` lets the
strategy trade; :meth:`~SandboxTradingSession.settle` is the shared settle path (``settle.py``).
"""
import asyncio
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness import settle as settle_path
from backpack_harness.headless import (
    EventRecorder,
    account_key_pair,
    configure_logging,
    isolate_hummingbot_data_dir,
    new_key_pair,
    totals,
)
from backpack_harness.sandbox_process import SandboxProcess
from hummingbot.client.config.client_config_map import ClientConfigMap
from hummingbot.client.config.config_helpers import ClientConfigAdapter
from hummingbot.client.hummingbot_application import HummingbotApplication
from hummingbot.client.settings import AllConnectorSettings
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

#: One market at twice the default pace of the sandbox's background traders: several fills even in a short run.
SANDBOX_ARGS = ["--markets", "SOL_USDC", "--flow-pace", "2"]


def drop_foreign_shared_session() -> None:
    """Forget Hummingbot's per-process aiohttp session when another (finished) event loop owns it; a connector on
    the running loop would otherwise fail every request with "Event loop is closed"."""
    factory = ConnectionsFactory()
    client = factory._shared_client
    if client is not None and getattr(client, "_loop", None) is not asyncio.get_running_loop():
        factory._shared_client = None


@dataclass
class SecondAccount:
    """The session's second sandbox account: its own key pair, traded by a ``backpack_sandbox_2`` connector."""
    api_key: str
    connector: Any  # BackpackExchange
    recorder: EventRecorder
    balances_start: Dict[str, Decimal]


@dataclass
class SandboxTradingSession:
    """Async context manager: sandbox child process + ``TradingCore`` + our ``backpack_sandbox`` connector.

    :param trading_pairs: pairs of the sandbox connector.
    :param client_config: Hummingbot client settings (``conf_client.yml`` keys) for the ``TradingCore``.
    :param paper_trade_exchanges: exchanges Hummingbot may build ``<name>_paper_trade`` connectors for.
    :param before_connector: awaited with the started sandbox before Hummingbot and the connector start (e.g. to
        prepare market history).
    :param sandbox_url: trade on a sandbox already running there (its account's key pair from
        ``BACKPACK_SANDBOX_SECRET``) instead of starting one; the session leaves it running.
    :param data_dir: Hummingbot's data directory (trade sqlite) kept across sessions, instead of a fresh one.
    :param second_account_balances: open a second account with these balances on the same sandbox (a fresh key
        pair) and connect it as ``backpack_sandbox_2`` (:attr:`second`); the settle reconciles both accounts.
    :param connector_settings: further ``backpack_sandbox_*`` settings of the connector, as in its
        ``conf/connectors`` file (e.g. ``{"backpack_sandbox_instance_tag": 7}``).
    """
    trading_pairs: List[str]
    log_path: Path
    balances: Dict[str, str] = field(default_factory=lambda: {"SOL": "100", "USDC": "20000"})
    seed: int = 7
    sandbox_args: List[str] = field(default_factory=lambda: list(SANDBOX_ARGS))
    client_config: Dict[str, Any] = field(default_factory=dict)
    paper_trade_exchanges: List[str] = field(default_factory=list)
    scripts_path: Optional[Path] = None
    before_connector: Optional[Callable[[SandboxProcess], Awaitable[Any]]] = None
    sandbox_url: Optional[str] = None
    data_dir: Optional[Path] = None
    second_account_balances: Optional[Dict[str, str]] = None
    connector_settings: Dict[str, Any] = field(default_factory=dict)
    sandbox: Optional[SandboxProcess] = None
    core: Any = None  # hummingbot.core.trading_core.TradingCore
    connector: Any = None
    recorder: Optional[EventRecorder] = None
    balances_start: Dict[str, Decimal] = field(default_factory=dict)
    second: Optional[SecondAccount] = None
    _previous_sandbox_url: Optional[str] = field(default=None, repr=False)

    async def __aenter__(self) -> "SandboxTradingSession":
        drop_foreign_shared_session()
        isolate_hummingbot_data_dir(self.data_dir)
        configure_logging(self.log_path)
        api_key, secret = account_key_pair()
        if self.sandbox_url is not None:
            self.sandbox = SandboxProcess.attach(self.sandbox_url, api_key, secret)
        else:
            self.sandbox = SandboxProcess(api_key=api_key, secret=secret, balances=self.balances, seed=self.seed,
                                          extra_args=list(self.sandbox_args))
            await self.sandbox.start()
        try:
            if self.before_connector is not None:
                await self.before_connector(self.sandbox)
            self._previous_sandbox_url = os.environ.get(CONSTANTS.SANDBOX_URL_ENV)
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
            # One application per process: a connector an earlier session (other keys, a stopped sandbox) left in
            # its connector manager would be handed back instead of a new one.
            for name in list(self.core.connector_manager.connectors):
                self.core.connector_manager.remove_connector(name)
            self.connector = self.core.connector_manager.create_connector(
                CONSTANTS.SANDBOX_CONNECTOR_NAME, list(self.trading_pairs), True,
                api_keys={"backpack_sandbox_api_key": api_key, "backpack_sandbox_api_secret": secret,
                          **self.connector_settings})
            self.recorder = EventRecorder(self.connector)
            self.balances_start = totals(await self.sandbox.account())
            if self.second_account_balances is not None:
                self.second = await self._open_second_account(self.second_account_balances)
        except BaseException:
            await self.sandbox.stop()
            raise
        return self

    async def _open_second_account(self, balances: Dict[str, str]) -> SecondAccount:
        assert self.sandbox is not None
        api_key, secret = new_key_pair()
        await self.sandbox.add_account(api_key, secret, balances)
        prefix = CONSTANTS.SANDBOX_2_CONNECTOR_NAME
        connector = self.core.connector_manager.create_connector(
            prefix, list(self.trading_pairs), True,
            api_keys={f"{prefix}_api_key": api_key, f"{prefix}_api_secret": secret})
        return SecondAccount(api_key, connector, EventRecorder(connector), totals(await self.sandbox.account(api_key)))

    async def __aexit__(self, *exc_info) -> None:
        try:
            if self.core is not None:
                await self.core.stop_clock()
                for name, connector in list(self.core.connector_manager.connectors.items()):
                    await connector.stop_network()
                    self.core.connector_manager.remove_connector(name)
        finally:
            # Hummingbot keeps one aiohttp session per process, bound to this event loop: close it so that a later
            # loop in the same process (the next run or test) opens its own.
            await ConnectionsFactory().close()
            if self._previous_sandbox_url is None:
                os.environ.pop(CONSTANTS.SANDBOX_URL_ENV, None)
            else:
                os.environ[CONSTANTS.SANDBOX_URL_ENV] = self._previous_sandbox_url
            if self.sandbox is not None:
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

    async def settle(self, timeout_s: float = settle_path.SETTLE_TIMEOUT_S, refresh_balances: bool = True,
                     after_stop: Optional[Callable[[], Awaitable[Any]]] = None) -> settle_path.Settlement:
        """Stop, cancel, wait and reconcile: :func:`backpack_harness.settle.settle` on this session."""
        return await settle_path.settle(self, timeout_s, refresh_balances, after_stop)
