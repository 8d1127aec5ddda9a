"""Fault switches (faults.py) via the Python API and the control endpoints; rate limits (§7)."""
from __future__ import annotations

import json
import time

import aiohttp
import pytest

from backpack_sandbox.faults import parse_fault_spec

from .sandbox_client import SignedClient, control, get, recv_json, recv_until, wait_for, ws_signature

pytestmark = pytest.mark.asyncio


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def sub(ws, *streams, **extra):
    await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": list(streams), **extra}))


async def test_drop_ws_by_target(sandbox, session, trader):
    async with session.ws_connect(sandbox.ws_url) as pub, session.ws_connect(sandbox.ws_url) as priv:
        await sub(pub, "depth.SOL_USDC")
        await sub(priv, "account.orderUpdate", signature=ws_signature(trader.api_key, trader.secret))
        await wait_for(lambda: len(sandbox.hub.private_subs) == 1 and sandbox.hub.subs["depth.SOL_USDC"])
        assert sandbox.faults.drop_ws(target="private")["kind"] == "drop_ws"
        msg = await priv.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        await trader.order(**lim("Bid", "150", "1"))
        assert (await recv_json(pub))["stream"] == "depth.SOL_USDC"  # public socket survived
        status, _ = await control(session, "POST", sandbox.rest_url + "/_sandbox/faults",
                                  {"kind": "drop_ws", "abrupt": True})
        assert status == 200
        msg = await pub.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert sandbox.faults.hits["drop_ws"] == 2 and sandbox.faults.injected["drop_ws"] == 2


async def test_stall_all_and_filtered(make_sandbox, session):
    # No speed bump: pings every 50 ms would arrive during a taker's hold, before the awaited frame.
    sb = await make_sandbox(ping_interval_s=0.05, idle_timeout_s=30, taker_speed_bump_ms=0)
    keys = sb.add_account({"SOL": "100", "USDC": "100000"})
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    async with session.ws_connect(sb.ws_url, autoping=False) as ws:
        await sub(ws, "depth.SOL_USDC")
        await wait_for(lambda: sb.hub.subs["depth.SOL_USDC"])
        sb.faults.stall(seconds=0.4)
        _, silenced = await c.order(**lim("Bid", "100", "1"))
        dropped_id = sb.engine.markets["SOL_USDC"].update_id
        await wait_for(lambda: not sb.faults.stalled("depth.SOL_USDC"), timeout=5)
        await c.order(**lim("Bid", "101", "1"))
        pings_during = 0
        while True:  # pings and the post-stall frame; the stalled frame never comes
            msg = await ws.receive(timeout=5)
            if msg.type == aiohttp.WSMsgType.PING:
                pings_during += 1
                await ws.pong(msg.data)
                continue
            data = json.loads(msg.data)["data"]
            assert data["U"] == dropped_id + 1 and data["b"] == [["101.00", "1.00"]]
            break
        assert sb.stats.ws_frames_dropped >= 1
        # Filtered stall: only depth is silenced, trades still flow.
        await sub(ws, "trade.SOL_USDC")
        other = sb.add_account({"SOL": "100"})
        oc = SignedClient(session, sb.rest_url, other.api_key, other.secret)
        await control(session, "POST", sb.rest_url + "/_sandbox/faults",
                      {"kind": "stall", "seconds": 30, "streams": ["depth."]})
        await oc.order(**lim("Ask", "101", "1"))
        frame = await recv_until(ws, lambda f: "stream" in f)
        assert frame["stream"] == "trade.SOL_USDC"
        await control(session, "DELETE", sb.rest_url + "/_sandbox/faults")
        assert not sb.faults.stalled("depth.SOL_USDC")


async def test_stall_suppresses_pings(make_sandbox, session):
    sb = await make_sandbox(ping_interval_s=0.05, idle_timeout_s=30)
    async with session.ws_connect(sb.ws_url, autoping=False) as ws:
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.PING
        sb.faults.stall(seconds=0.5)
        started = time.monotonic()
        while True:
            msg = await ws.receive(timeout=5)
            if msg.type == aiohttp.WSMsgType.PING:
                break
        assert time.monotonic() - started >= 0.4  # no ping while stalled


async def test_skip_depth_seq_modes(sandbox, session, trader):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "depth.SOL_USDC")
        await wait_for(lambda: sandbox.hub.subs["depth.SOL_USDC"])
        await trader.order(**lim("Bid", "100", "1"))
        a = (await recv_json(ws))["data"]
        sandbox.faults.skip_depth_seq("SOL_USDC")
        await trader.order(**lim("Bid", "101", "1"))
        b = (await recv_json(ws))["data"]
        assert b["U"] == a["u"] + 2
        _, snap = await get(session, sandbox.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "5"})
        assert snap["lastUpdateId"] == str(b["u"])
        await control(session, "POST", sandbox.rest_url + "/_sandbox/faults",
                      {"kind": "skip_depth_seq", "symbol": "SOL_USDC", "mode": "drop_frame"})
        await trader.order(**lim("Bid", "102", "1"))
        await trader.order(**lim("Bid", "103", "1"))
        c = (await recv_json(ws))["data"]
        assert c["U"] == b["u"] + 2 and c["b"] == [["103.00", "1.00"]]
    assert sandbox.faults.hits["skip_depth_seq"] == 2


async def test_http_429_count_and_seconds(sandbox, session):
    sandbox.faults.http_429(count=2)
    statuses = [(await get(session, sandbox.rest_url + "/api/v1/ping"))[0] for _ in range(3)]
    assert statuses == [429, 429, 200]
    status, body = await control(session, "POST", sandbox.rest_url + "/_sandbox/faults",
                                 {"kind": "http_429", "seconds": 30})
    assert status == 200
    assert await get(session, sandbox.rest_url + "/api/v1/time") == (
        429, {"code": "TOO_MANY_REQUESTS", "message": "Too many requests"})
    await control(session, "DELETE", sandbox.rest_url + "/_sandbox/faults?kind=http_429")
    assert (await get(session, sandbox.rest_url + "/api/v1/time"))[0] == 200
    _, stats = await control(session, "GET", sandbox.rest_url + "/_sandbox/stats")
    assert stats["http429"] == 3 and stats["faults"]["http_429"] == {"injected": 2, "hits": 3}


async def test_order_503_accept_and_not(sandbox, trader):
    expected = {"code": "SERVICE_UNAVAILABLE",
                "message": "Unknown error, please check your request or try again later."}
    sandbox.faults.order_503(accept=False)
    assert await trader.order(**lim("Bid", "100", "1", clientId=1)) == (503, expected)
    assert await trader.call("GET", "/api/v1/orders", {}) == (200, [])
    sandbox.faults.order_503(accept=True)
    assert await trader.order(**lim("Bid", "100", "1", clientId=2)) == (503, expected)
    _, opens = await trader.call("GET", "/api/v1/orders", {})
    assert [o["clientId"] for o in opens] == [2]
    sandbox.faults.order_503(count=1)
    assert (await trader.call("POST", "/api/v1/orders", [lim("Bid", "99", "1")]))[0] == 503
    assert (await trader.order(**lim("Bid", "100", "1", clientId=3)))[0] == 200
    assert sandbox.faults.hits["order_503"] == 3


async def test_latency(sandbox, session):
    sandbox.faults.latency_ms(ms=250, jitter_ms=20)
    started = time.monotonic()
    assert (await get(session, sandbox.rest_url + "/api/v1/ping"))[0] == 200
    assert time.monotonic() - started >= 0.22
    sandbox.faults.clear("latency_ms")
    assert sandbox.faults.latency_s() == 0


async def test_delay_and_shuffle_private_events(make_sandbox, session):
    sb = await make_sandbox(seed=3)
    keys = sb.add_account({"USDC": "100000"})
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    async with session.ws_connect(sb.ws_url) as ws:
        await sub(ws, "account.orderUpdate", signature=ws_signature(keys.api_key, keys.secret))
        await wait_for(lambda: sb.hub.private_subs)
        sb.faults.delay_private_events(ms=300)
        started = time.monotonic()
        status, o = await c.order(**lim("Bid", "100", "1"))
        assert time.monotonic() - started < 0.25  # the REST reply is not delayed
        ev = (await recv_json(ws))["data"]
        assert ev["i"] == o["id"] and time.monotonic() - started >= 0.28
        sb.faults.clear()
        sb.faults.delay_private_events(shuffle_window_ms=200)
        ids = [(await c.order(**lim("Bid", str(90 + i), "1")))[1]["id"] for i in range(8)]
        got = [(await recv_json(ws))["data"]["i"] for _ in range(8)]
        assert sorted(got) == sorted(ids) and got != ids


async def test_clock_offset(sandbox, session, trader):
    sandbox.faults.clock_offset_ms(ms=20_000)
    status, text = await get(session, sandbox.rest_url + "/api/v1/time")
    assert abs(int(text) - (time.time() * 1000 + 20_000)) < 2_000
    status, body = await trader.call("GET", "/api/v1/capital")
    assert (status, body["message"]) == (400, "Request has expired")
    assert (await trader.call("GET", "/api/v1/capital", ts=int(text)))[0] == 200
    sandbox.faults.clear("clock_offset_ms")
    assert (await trader.call("GET", "/api/v1/capital"))[0] == 200


async def test_cancel_202(sandbox, session, trader):
    _, o = await trader.order(**lim("Bid", "100", "1"))
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "account.orderUpdate", signature=ws_signature(trader.api_key, trader.secret))
        await wait_for(lambda: sandbox.hub.private_subs)
        sandbox.faults.cancel_202(delay_ms=200)
        hdr = trader.headers("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]})
        async with session.delete(sandbox.rest_url + "/api/v1/order", headers=hdr,
                                  json={"symbol": "SOL_USDC", "orderId": o["id"]}) as r:
            assert r.status == 202 and await r.read() == b""
        assert (await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]}))[0] == 200
        ev = (await recv_json(ws))["data"]
        assert ev["e"] == "orderCancelled" and ev["i"] == o["id"]
    assert (await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]}))[0] == 404


async def test_rate_limits(make_sandbox, session):
    sb = await make_sandbox(rate_limit=5, historical_rate_limit=2)
    a = sb.add_account({"USDC": "1"})
    b = sb.add_account({"USDC": "1"})
    ca = SignedClient(session, sb.rest_url, a.api_key, a.secret)
    cb = SignedClient(session, sb.rest_url, b.api_key, b.secret)
    statuses = [(await ca.call("GET", "/api/v1/capital"))[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert await ca.call("GET", "/api/v1/capital") == (
        429, {"code": "TOO_MANY_REQUESTS", "message": "Too many requests"})
    assert (await cb.call("GET", "/api/v1/capital"))[0] == 200  # per API key
    hist = [(await get(session, sb.rest_url + "/api/v1/trades/history", {"symbol": "SOL_USDC"}))[0] for _ in range(3)]
    assert hist == [200, 200, 429]
    _, stats = await control(session, "GET", sb.rest_url + "/_sandbox/stats")
    assert stats["http429"] == 3


async def test_fault_spec_parsing_and_start_faults(make_sandbox, session):
    assert parse_fault_spec("latency_ms:50") == {"kind": "latency_ms", "ms": 50}
    assert parse_fault_spec("order_503:accept=true,count=2") == {"kind": "order_503", "accept": True, "count": 2}
    assert parse_fault_spec("stall:seconds=1.5,streams=depth.|trade.") == {
        "kind": "stall", "seconds": 1.5, "streams": ["depth.", "trade."]}
    with pytest.raises(ValueError):
        parse_fault_spec("meteor_strike")
    sb = await make_sandbox(faults=("http_429:count=1",))
    assert (await get(session, sb.rest_url + "/api/v1/ping"))[0] == 429
    status, body = await control(session, "POST", sb.rest_url + "/_sandbox/faults", {"kind": "nope"})
    assert status == 400
