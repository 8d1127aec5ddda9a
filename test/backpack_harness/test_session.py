"""The sandbox session: a real sandbox child, Hummingbot's headless application and our connector; ``run_for``."""
import asyncio
import os
from decimal import Decimal

import pytest

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness.session import SandboxTradingSession
from hummingbot.client.hummingbot_application import HummingbotApplication
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


@pytest.mark.e2e
def test_a_second_session_in_the_same_process_gets_a_connector_of_its_own(tmp_path):
    """Hummingbot keeps one application per process, and its connector manager hands back a connector it already
    holds: the second session (new keys, new sandbox) got the first one's connector and every private request
    answered 401, until sessions removed their connectors on exit and stale ones on entry."""
    async def one_session(index):
        async with SandboxTradingSession(trading_pairs=["SOL-USDC"], log_path=tmp_path / f"run{index}.log",
                                         sandbox_args=["--markets", "SOL_USDC", "--no-flow"]) as session:
            connector = session.connector
            report = (await session.settle(timeout_s=10.0)).report()
        return connector, report, dict(session.core.connector_manager.connectors)

    first, first_report, left_after_first = asyncio.run(one_session(1))
    assert left_after_first == {}
    # a connector left behind (a session that never reached its exit) is replaced too
    HummingbotApplication.main_application().trading_core.connector_manager.connectors["backpack_sandbox"] = first
    second, second_report, _ = asyncio.run(one_session(2))
    assert second is not first
    assert first_report["ledger_match"] is True and second_report["ledger_match"] is True


@pytest.mark.e2e
def test_a_second_account_trades_as_backpack_sandbox_2_and_settles_on_its_own_side_of_the_ledger(tmp_path):
    """The session opens a second account on its sandbox and connects it as ``backpack_sandbox_2`` (Hummingbot's
    connector manager, that domain's key fields); a MARKET buy on it is reconciled with that account's ledger."""
    from backpack_harness.headless import wait_for
    from hummingbot.core.data_type.common import OrderType
    from hummingbot.core.event.events import MarketEvent

    async def scenario():
        async with SandboxTradingSession(trading_pairs=["SOL-USDC"], log_path=tmp_path / "run.log",
                                         second_account_balances={"SOL": "5", "USDC": "500"}) as session:
            second = session.second
            assert second.connector.name == "backpack_sandbox_2" and second.connector.domain == "sandbox_2"
            assert second.api_key != session.sandbox.api_key
            assert second.balances_start == {"SOL": Decimal("5"), "USDC": Decimal("500")}
            await session.core.start_clock()  # starts every connector, as a strategy start does
            assert await wait_for(lambda: second.connector.ready, 60)
            book = second.connector.order_books["SOL-USDC"]
            assert await wait_for(lambda: any(True for _ in book.ask_entries()), 30)  # the sandbox's makers quote
            second.connector.buy("SOL-USDC", Decimal("0.1"), OrderType.MARKET)
            assert await wait_for(lambda: second.recorder.count(MarketEvent.OrderFilled) >= 1, 30)
            return await session.settle(timeout_s=20.0)

    settlement = asyncio.run(scenario())
    report, second = settlement.report(), settlement.second.report()
    assert report["fills"] == report["exchange_fills"] == 0 and report["ledger_match"] is True
    assert second["orders_created"] == 1 and second["fills"] == second["exchange_fills"] >= 1
    assert second["ledger_match"] is True and second["open_orders_at_exit"] == 0
    assert Decimal(second["balances_end"]["SOL"]) > Decimal("5")
