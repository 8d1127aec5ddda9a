"""Both connectors against the sandbox exchange in a child process (``backpack_harness.sandbox_process``), so the
sandbox's CPU never lands on the connector's event loop; one fresh account per connector run.

- ours: the ``backpack_sandbox`` domain (``BACKPACK_SANDBOX_URL`` → the child's REST URL);
- shipped: its ``REST_URL``/``WSS_URL`` constants pointed at the child (its only URL mechanism; set on the
  benchmark's alias of its constants module, never on ours).

Both are started the way Hummingbot starts a connector: added to a real-time ``Clock`` (tick 1 s, Hummingbot's
default) which calls ``start_network``.
"""
import asyncio
import contextlib
import os
import time
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Sequence

from backpack_bench.common import throwaway_keys
from backpack_harness.sandbox_process import SandboxProcess
from hummingbot.core.clock import Clock
from hummingbot.core.clock_mode import ClockMode
from hummingbot.core.event.event_listener import EventListener
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

BASE_MARKETS = ("SOL_USDC", "BTC_USDC", "ETH_USDC")
BALANCES = {"SOL": "100000", "BTC": "1000", "ETH": "10000", "USDC": "100000000"}
READY_TIMEOUT_S = 120.0
TICK_S = 1.0


def sandbox_pairs(count: int) -> List[str]:
    """The first ``count`` trading pairs of a sandbox started by :func:`sandbox` with ``pairs=count``."""
    symbols = list(BASE_MARKETS[:count]) + [f"TOKEN{i}_USDC" for i in range(1, max(0, count - 3) + 1)]
    return [s.replace("_", "-") for s in symbols]


@contextlib.asynccontextmanager
async def sandbox(pairs: int = 3, flow: bool = False, extra_args: Sequence[str] = ()) -> AsyncIterator[SandboxProcess]:
    """A sandbox child listing ``pairs`` markets (``sandbox_pairs``); ephemeral port. ``flow``: background traders
    on (else none); ``extra_args``: further ``serve`` flags (``--depth-rate 5``)."""
    api_key, secret = throwaway_keys(3)
    extra = max(0, pairs - len(BASE_MARKETS))
    process = SandboxProcess(api_key=api_key, secret=secret, balances=BALANCES, extra_args=(
        ([] if flow else ["--no-flow"]) + ["--markets", ",".join(BASE_MARKETS[:pairs]), "--extra-markets", str(extra)]
        + list(extra_args)))
    async with process:
        yield process


async def new_account(process: SandboxProcess, balances: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """A fresh sandbox account (own rate-limit window): ``{"apiKey", "secret"}``; ``balances`` default
    ``BALANCES``."""
    return await process.control("POST", "/_sandbox/accounts", {"balances": balances or BALANCES})


def make_ours(process: SandboxProcess, api_key: str, secret: str, trading_pairs: List[str]):
    from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    os.environ[CONSTANTS.SANDBOX_URL_ENV] = process.rest_url
    return BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret, trading_pairs=trading_pairs,
                            domain=CONSTANTS.SANDBOX_DOMAIN)


def make_upstream(process: SandboxProcess, api_key: str, secret: str, trading_pairs: List[str]):
    from backpack_bench.upstream import load_upstream
    up = load_upstream()
    up.constants.REST_URL = process.rest_url.rstrip("/") + "/"
    up.constants.WSS_URL = process.ws_url
    return up.exchange.BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret,
                                        trading_pairs=trading_pairs)


MAKERS: Dict[str, Callable] = {"ours": make_ours, "upstream": make_upstream}


@contextlib.asynccontextmanager
async def running(connector, ready_timeout_s: float = READY_TIMEOUT_S, iterators: Sequence[Any] = (),
                  close_sessions: bool = True, tick_s: float = TICK_S) -> AsyncIterator[float]:
    """Start ``connector`` on a real-time clock ticking every ``tick_s`` (then ``iterators``, e.g. strategies, on
    the same clock); yields the seconds from start to ``connector.ready``. ``close_sessions``: close Hummingbot's
    shared HTTP sessions (``ConnectionsFactory``) at the end; pass False while another connector of the process
    still runs.

    :raises TimeoutError: not ready within ``ready_timeout_s`` (message carries ``status_dict``).
    """
    clock = Clock(ClockMode.REALTIME, tick_size=tick_s)
    clock.add_iterator(connector)
    for iterator in iterators:
        clock.add_iterator(iterator)
    with clock:
        start = time.perf_counter()
        task = asyncio.ensure_future(clock.run())
        try:
            while not connector.ready:
                if time.perf_counter() - start > ready_timeout_s:
                    raise TimeoutError(f"{connector.name} not ready after {ready_timeout_s}s: {connector.status_dict}")
                await asyncio.sleep(0.005)
            yield time.perf_counter() - start
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await connector.stop_network()
            if close_sessions:
                await ConnectionsFactory().close()


class Stamp(EventListener):
    """Event listener recording ``perf_counter()`` at delivery of each event with an ``order_id``."""

    def __init__(self) -> None:
        super().__init__()
        self.times: Dict[str, float] = {}
        self._waiters: Dict[str, asyncio.Future] = {}

    def __call__(self, event) -> None:
        order_id = getattr(event, "order_id", None)
        if order_id is None:
            return
        self.times[order_id] = time.perf_counter()
        waiter = self._waiters.pop(order_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, order_id: str, timeout_s: float) -> float:
        if order_id not in self.times:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters[order_id] = waiter
            await asyncio.wait_for(waiter, timeout_s)
        return self.times[order_id]


async def sandbox_stats(process: SandboxProcess) -> Dict[str, Optional[int]]:
    return await process.control("GET", "/_sandbox/stats")
