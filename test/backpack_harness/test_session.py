"""The sandbox session: a real sandbox child, Hummingbot's headless application and our connector; ``run_for``."""
import asyncio
import os
from decimal import Decimal

import pytest

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness.session import SandboxTradingSession
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory


def test_run_for_prints_progress_every_interval_and_stops_early_when_until_holds(tmp_path):
    session = SandboxTradingSession(trading_pairs=["SOL-USDC"], log_path=tmp_path / "run.log")
    lines, calls = [], []

    def until():
        calls.append(1)
        return len(lines) >= 2

    elapsed = asyncio.run(session.run_for(60.0, lambda t: f"at {t:.2f}", lines.append, interval_s=0.1, until=until))
    assert len(lines) == 2 and elapsed < 30.0
    assert all(line.startswith("at ") for line in lines)


def test_run_for_returns_after_the_duration_without_until(tmp_path):
    session = SandboxTradingSession(trading_pairs=["SOL-USDC"], log_path=tmp_path / "run.log")
    lines = []
    elapsed = asyncio.run(session.run_for(0.5, lambda t: "tick", lines.append, interval_s=0.2))
    assert 0.5 <= elapsed < 30.0 and len(lines) >= 2 and set(lines) == {"tick"}


@pytest.mark.e2e
def test_a_session_connects_our_connector_to_its_sandbox_and_settles_with_nothing_traded(tmp_path):
    async def scenario():
        async with SandboxTradingSession(trading_pairs=["SOL-USDC"], log_path=tmp_path / "run.log",
                                         sandbox_args=["--markets", "SOL_USDC", "--no-flow"]) as session:
            assert session.connector.name == "backpack_sandbox"
            assert session.balances_start == {"SOL": Decimal("100"), "USDC": Decimal("20000")}
            settlement = await session.settle(timeout_s=10.0)
            process = session.sandbox._process
        return settlement, process

    os.environ.pop(CONSTANTS.SANDBOX_URL_ENV, None)
    settlement, process = asyncio.run(scenario())
    assert CONSTANTS.SANDBOX_URL_ENV not in os.environ
    # Hummingbot's per-process aiohttp session was bound to the finished loop; the session closed it, so a
    # connector on the next loop opens its own (left open, every later in-process test's connector hung).
    assert ConnectionsFactory()._shared_client is None
    report = settlement.report()
    assert report["orders_created"] == 0 and report["fills"] == 0 == report["exchange_fills"]
    assert report["ledger_match"] is True and report["open_orders_at_exit"] == 0
    assert process.returncode is not None  # the child ended with the session


def test_a_shared_aiohttp_session_of_a_finished_loop_is_forgotten_and_one_of_the_running_loop_kept():
    import aiohttp

    from backpack_harness.session import drop_foreign_shared_session
    factory = ConnectionsFactory()

    async def open_shared():
        factory._shared_client = aiohttp.ClientSession()
        return factory._shared_client

    stale = asyncio.run(open_shared())  # its loop is closed now, like an earlier test's

    async def on_a_new_loop():
        drop_foreign_shared_session()
        forgotten = factory._shared_client is None
        own = await open_shared()
        drop_foreign_shared_session()
        kept = factory._shared_client is own
        await own.close()
        factory._shared_client = None
        return forgotten, kept

    try:
        assert asyncio.run(on_a_new_loop()) == (True, True)
    finally:
        factory._shared_client = None
        stale._connector = None  # nothing to close on a finished loop
