"""Issue 17 item 2 over loopback: order actions before polling. A cancel never waits behind the connector's 429
pause (which holds polling only) and a cancel answered 429 is sent again within a second; fills are polled
account-wide, so with ``/wapi/v1/history/*`` in the 30/min bucket (sandbox switch ``history_rate_limited``, U2)
several pairs draw no 429 from history routes — under both readings."""
import asyncio
import contextlib
import time
from decimal import Decimal
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest

from hummingbot.connector.exchange.backpack.backpack_errors import BackpackRateLimitError
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState

PAIR = "SOL-USDC"
CANCEL = "DELETE /api/v1/order"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _arrivals(server, route):
    return [(t, status) for t, r, status in server.stats.arrivals if r == route]


async def _open_order(connector, pair, price):
    order_id = connector.buy(pair, Decimal("1"), OrderType.LIMIT, Decimal(price))
    await wait_until(lambda: connector.in_flight_orders.get(order_id) is not None
                     and connector.in_flight_orders[order_id].current_state == OrderState.OPEN, 15,
                     f"order {order_id} on {pair} to be open")
    return order_id


async def _start_429_pause(server, connector, timeout_s: float = 30.0) -> None:
    """One injected 429 on a polling request starts the pause. The fault answers whichever request comes next: a
    background poll (open orders) starts the pause as well, but a request outside the connector's REST path (e.g. the
    time synchronizer's ``GET /api/v1/time``) does not; then the fault is injected again."""
    deadline = time.monotonic() + timeout_s
    while connector._rest.backoff_remaining_s() <= 10:
        assert time.monotonic() < deadline, "the 429 pause did not start"
        if not any(fault["kind"] == "http_429" for fault in server.faults.active()):
            server.faults.http_429(count=1)
            with contextlib.suppress(BackpackRateLimitError):
                await connector._update_balances()
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("cancel_429s", [0, 2], ids=["cancel-answered", "cancel-answered-429-twice"])
async def test_a_cancel_reaches_the_exchange_during_a_429_pause(monkeypatch, cancel_429s):
    async with sandbox(flow=False) as server:
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch) as connector:
            order_id = await _open_order(connector, PAIR, "140")
            connector._rest.backoff_s = 8.0                 # the next pause lasts 16 s
            await _start_429_pause(server, connector)

            server.faults.http_429(count=cancel_429s)
            requested = time.monotonic()
            connector.cancel(PAIR, order_id)
            # "within 1 s": a generous deadline on the event; before, the cancel waited out the 16 s pause
            await wait_until(lambda: any(status == 200 for _, status in _arrivals(server, CANCEL)), 5,
                             "the cancel to be answered")
            arrivals = _arrivals(server, CANCEL)
            assert arrivals[0][0] - requested < 1.0
            statuses = [status for _, status in arrivals]
            # the 429 fault hits any request; another (unpaused, e.g. a depth snapshot) may take one of them
            assert statuses[-1] == 200 and set(statuses[:-1]) <= {429} and len(statuses) <= cancel_429s + 1
            if cancel_429s:
                assert len(statuses) >= 2
            assert all(later - earlier < 1.0 for (earlier, _), (later, _) in zip(arrivals, arrivals[1:]))
            await wait_until(lambda: order_id not in connector.in_flight_orders, 5, "the order to be cancelled")
            assert connector._rest.backoff_remaining_s() > 5  # polling still paused
            assert connector.metrics_snapshot()["rest"]["cancel_retries_after_429"] == len(statuses) - 1


@pytest.mark.parametrize("history_rate_limited", [True, False], ids=["history-30-per-min", "history-global-pool"])
async def test_several_pairs_draw_no_429_from_history_routes(monkeypatch, history_rate_limited):
    async with sandbox(flow=False, extra_markets=5, history_rate_limited=history_rate_limited) as server:
        pairs = ["SOL-USDC", "BTC-USDC", "ETH-USDC"] + [f"TOKEN{i}-USDC" for i in range(1, 6)]
        prices = {"SOL-USDC": "140", "BTC-USDC": "80000", "ETH-USDC": "2800"}
        me = server.add_account({"USDC": "500000"})
        async with running_connector(server, me.api_key, me.secret, pairs, monkeypatch) as connector:
            for pair in pairs:
                await _open_order(connector, pair, prices.get(pair, "0.5"))
            fills_before = len(_arrivals(server, "GET /wapi/v1/history/fills"))
            cycles = 6
            for _ in range(cycles):      # 8 pairs: one fills request a cycle, not one per pair (48 > 30/min)
                await connector._update_order_status()
            fills_requests = len(_arrivals(server, "GET /wapi/v1/history/fills")) - fills_before
            assert cycles <= fills_requests <= cycles + 2  # + the connector's own status poll meanwhile
            history_429 = {route: n for route, n in server.stats_json()["http429ByRoute"].items() if "/wapi/" in route}
            assert history_429 == {}
