"""Reading switches of issue 17 items 2, 3 and 9 (switches.py: ``ticker_204_without_trades``, ``history_rate_limited``,
``history_lag_ms``): config field, CLI flag, ``/_sandbox/switches`` and ``server.switches``."""
from __future__ import annotations

import json
import urllib.request

import pytest

from .sandbox_client import SignedClient
from .test_cli import start_serve, stop


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


@pytest.mark.asyncio
async def test_switch_control_endpoint_and_python_api(make_sandbox, session):
    server = await make_sandbox()
    assert server.switches.as_json()["ticker_204_without_trades"] is False
    async with session.post(server.rest_url + "/_sandbox/switches", json={"ticker_204_without_trades": True}) as r:
        assert r.status == 200 and (await r.json())["switches"]["ticker_204_without_trades"] is True
    assert server.switches.ticker_204_without_trades is True
    async with session.get(server.rest_url + "/_sandbox/switches") as r:
        assert (await r.json())["ticker_204_without_trades"] is True
    async with session.post(server.rest_url + "/_sandbox/switches", json={"history_lag_ms": "2500"}) as r:
        assert r.status == 200 and (await r.json())["switches"]["history_lag_ms"] == 2500
    for bad in ({"history_lag_ms": -1}, {"history_lag_ms": True}, {"history_rate_limited": "yes"}):
        async with session.post(server.rest_url + "/_sandbox/switches", json=bad) as r:
            assert r.status == 400, bad
    async with session.post(server.rest_url + "/_sandbox/switches", json={"no_such_switch": 1}) as r:
        assert r.status == 400
    with pytest.raises(ValueError):
        server.switches.set("no_such_switch", True)
    assert server.switches.set("ticker_204_without_trades", False)["ticker_204_without_trades"] is False


@pytest.mark.asyncio
async def test_ticker_204_for_markets_without_trades(make_sandbox, session):
    server = await make_sandbox(ticker_204_without_trades=True)
    url = server.rest_url + "/api/v1/ticker?symbol=SOL_USDC"
    async with session.get(url) as r:
        assert r.status == 204 and await r.read() == b""
    async with session.get(server.rest_url + "/api/v1/tickers") as r:
        assert await r.json() == []
    a = server.add_account({"SOL": "10", "USDC": "10000"})
    b = server.add_account({"SOL": "10", "USDC": "10000"})
    ca = SignedClient(session, server.rest_url, a.api_key, a.secret)
    cb = SignedClient(session, server.rest_url, b.api_key, b.secret)
    assert (await ca.order(**lim("Ask", "150", "1")))[0] == 200
    assert (await cb.order(**lim("Bid", "150", "1")))[0] == 200
    async with session.get(url) as r:
        assert r.status == 200 and (await r.json())["lastPrice"] == "150"
    async with session.get(server.rest_url + "/api/v1/tickers") as r:
        assert [t["symbol"] for t in await r.json()] == ["SOL_USDC"]
    server.switches.set("ticker_204_without_trades", False)
    async with session.get(server.rest_url + "/api/v1/ticker?symbol=BTC_USDC") as r:
        assert r.status == 200
    stats = server.stats_json()
    assert stats["requestsByRoute"]["GET /api/v1/ticker"] == 3
    assert [route for _, route, _ in server.stats.arrivals].count("GET /api/v1/tickers") == 2


@pytest.mark.timeout(60)
def test_cli_flags_set_switches():
    proc, lines = start_serve("--no-flow", "--ticker-204-without-trades", "--history-rate-limited",
                              "--history-lag-ms", "2500")
    try:
        rest = lines[0].split()[-1]
        with urllib.request.urlopen(rest + "/_sandbox/switches", timeout=10) as r:
            switches = json.loads(r.read())
        assert {k: switches[k] for k in ("ticker_204_without_trades", "history_rate_limited", "history_lag_ms")} \
            == {"ticker_204_without_trades": True, "history_rate_limited": True, "history_lag_ms": 2500}
    finally:
        stop(proc)


@pytest.mark.asyncio
async def test_history_rate_limited_puts_account_history_in_the_30_per_minute_bucket(make_sandbox, session):
    server = await make_sandbox(historical_rate_limit=3)
    keys = server.add_account({"USDC": "100"})
    client = SignedClient(session, server.rest_url, keys.api_key, keys.secret)
    for _ in range(4):  # off: the global pool only
        assert (await client.call("GET", "/wapi/v1/history/fills"))[0] == 200
    server.switches.set("history_rate_limited", True)
    server.hist_limiter.reset()
    statuses = [(await client.call("GET", path))[0] for path in ("/wapi/v1/history/fills", "/wapi/v1/history/orders",
                                                                 "/wapi/v1/history/fills", "/wapi/v1/history/orders")]
    assert statuses == [200, 200, 200, 429]
    assert (await client.call("GET", "/api/v1/capital"))[0] == 200
    assert server.stats_json()["http429ByRoute"] == {"GET /wapi/v1/history/orders": 1}


@pytest.mark.asyncio
async def test_stats_tell_rate_limit_429s_from_injected_ones(make_sandbox, session):
    server = await make_sandbox(historical_rate_limit=1, history_rate_limited=True)
    keys = server.add_account({"USDC": "100"})
    client = SignedClient(session, server.rest_url, keys.api_key, keys.secret)
    server.faults.http_429(count=1)
    statuses = [(await client.call("GET", "/wapi/v1/history/fills"))[0] for _ in range(3)]
    assert statuses == [429, 200, 429]  # the fault, then one allowed, then the 1/min bucket
    stats = server.stats_json()
    assert stats["http429ByRoute"] == {"GET /wapi/v1/history/fills": 2}
    assert stats["http429RateLimitedByRoute"] == {"GET /wapi/v1/history/fills": 1}


@pytest.mark.asyncio
async def test_history_lag_ms_delays_orders_and_fills_in_history(make_sandbox, session):
    server = await make_sandbox(history_lag_ms=60000)
    a = server.add_account({"SOL": "10", "USDC": "10000"})
    b = server.add_account({"SOL": "10", "USDC": "10000"})
    ca = SignedClient(session, server.rest_url, a.api_key, a.secret)
    cb = SignedClient(session, server.rest_url, b.api_key, b.secret)
    assert (await ca.order(**lim("Ask", "150", "1")))[0] == 200
    assert (await cb.order(**lim("Bid", "150", "1")))[0] == 200
    assert (await ca.call("GET", "/wapi/v1/history/orders"))[1] == []
    assert (await ca.call("GET", "/wapi/v1/history/fills"))[1] == []
    assert len(await (await session.get(server.rest_url + f"/_sandbox/accounts/{a.api_key}/orders")).json()) == 1
    server.clock.offset_ms += 61000  # the lag has passed
    status, rows = await ca.call("GET", "/wapi/v1/history/orders", ts=server.clock.now_ms())
    assert status == 200 and [r["status"] for r in rows] == ["Filled"]
    status, fills = await ca.call("GET", "/wapi/v1/history/fills", ts=server.clock.now_ms())
    assert status == 200 and len(fills) == 1
    server.switches.set("history_lag_ms", 0)
    assert len((await cb.call("GET", "/wapi/v1/history/fills", ts=server.clock.now_ms()))[1]) == 1
