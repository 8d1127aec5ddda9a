"""Helpers for end-to-end tests: the sandbox exchange in-process on 127.0.0.1 and our real connector driven by a
real-time Hummingbot clock, talking to it over loopback sockets."""
import asyncio
import contextlib
import time
from typing import Any, AsyncIterator, Callable, List, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness.session import drop_foreign_shared_session
from backpack_sandbox import SandboxConfig, SandboxServer
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.core.clock import Clock
from hummingbot.core.clock_mode import ClockMode
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

READY_TIMEOUT_S = 60.0


async def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what="condition") -> None:
    """Poll ``predicate`` until true; fail with ``what`` after ``timeout`` seconds (generous on purpose)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def sandbox(**config) -> AsyncIterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(host="127.0.0.1", port=0, **config))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def running_connector(server: SandboxServer, api_key: str, secret: str, trading_pairs: List[str],
                            monkeypatch, base_url: Optional[str] = None, close_sessions: bool = True,
                            **settings: Any) -> AsyncIterator[BackpackExchange]:
    """Our connector on the ``sandbox`` domain (``base_url``, default the server's), ticked by a real-time clock,
    started and ready; ``settings`` are config-map settings (``backpack_proxy_url=...``). ``close_sessions``: close
    Hummingbot's shared HTTP session at the end; pass False while another connector of the process still runs."""
    monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, base_url or server.rest_url)
    drop_foreign_shared_session()
    connector = BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret,
                                 trading_pairs=trading_pairs, domain=CONSTANTS.SANDBOX_DOMAIN, **settings)
    clock = Clock(ClockMode.REALTIME, tick_size=0.5)
    clock.add_iterator(connector)
    with clock:
        task = asyncio.ensure_future(clock.run())
        try:
            await wait_until(lambda: connector.ready, READY_TIMEOUT_S,
                             lambda: f"the connector to be ready (status {connector.status_dict})")
            yield connector
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await connector.stop_network()
            if close_sessions:  # Hummingbot shares one aiohttp session per process; each test has its own loop.
                await ConnectionsFactory().close()
