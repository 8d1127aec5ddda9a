"""WebSocket streams (docs/backpack-api.md §8): depth sync, public frames, private signed streams, keep-alive."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp
import pytest

from .sandbox_client import SignedClient, get, recv_json, recv_until, wait_for, ws_signature

pytestmark = pytest.mark.asyncio

ORDER_KEYS = {"e", "E", "s", "S", "o", "f", "q", "p", "X", "i", "t", "z", "Z", "V", "T", "O", "r", "y"}


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def sub(ws, *streams, **extra):
    await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": list(streams), **extra}))


async def test_depth_snapshot_plus_diffs_equals_engine_book(make_sandbox, session):
    sb = await make_sandbox(flow=True, flow_pace=4, seed=7)
    sym = "SOL_USDC"
    async with session.ws_connect(sb.ws_url) as ws:
        await sub(ws, f"depth.{sym}")
        first = await recv_until(ws, lambda f: f.get("stream") == f"depth.{sym}")
        frames = [first["data"]]
        _, snap = await get(session, sb.rest_url + "/api/v1/depth", {"symbol": sym, "limit": "1000"})
        last_id = int(snap["lastUpdateId"])
        book = {"b": {Decimal(p): Decimal(q) for p, q in snap["bids"]},
                "a": {Decimal(p): Decimal(q) for p, q in snap["asks"]}}
        seen = 0
        while seen < 40:
            frames.append((await recv_until(ws, lambda f: f.get("stream") == f"depth.{sym}"))["data"])
            seen += 1
        await sb.flow.stop()
        target = sb.engine.markets[sym].update_id
        while frames[-1]["u"] < target:
            frames.append((await recv_until(ws, lambda f: f.get("stream") == f"depth.{sym}"))["data"])
    for prev, cur in zip(frames, frames[1:]):
        assert cur["U"] == prev["u"] + 1 and cur["U"] == cur["u"]
    synced = False
    for d in frames:
        assert d["e"] == "depth" and d["s"] == sym and d["T"] > 10**15 and d["E"] >= d["T"]
        for p, q in d["a"] + d["b"]:
            assert len(p.split(".")[1]) == 2 and len(q.split(".")[1]) == 2  # padded to tick/step (§8.1)
        if d["u"] <= last_id:
            continue
        if not synced:
            assert d["U"] <= last_id + 1 <= d["u"]
            synced = True
        for key in ("a", "b"):
            for p, q in d[key]:
                if Decimal(q) == 0:
                    book[key].pop(Decimal(p), None)
                else:
                    book[key][Decimal(p)] = Decimal(q)
    engine_book = sb.engine.markets[sym].book
    assert book["b"] == dict(engine_book.level_qty["Bid"]) and book["a"] == dict(engine_book.level_qty["Ask"])
    assert len(book["b"]) >= 3


async def test_public_trade_bookticker_ticker(sandbox, session, trader, counterparty):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "trade.SOL_USDC", "bookTicker.SOL_USDC", "ticker.SOL_USDC", id=5)
        await trader.order(**lim("Bid", "150", "2"))
        bt = await recv_until(ws, lambda f: f["stream"] == "bookTicker.SOL_USDC")
        assert bt["data"]["b"] == "150.00" and bt["data"]["B"] == "2.00" and bt["data"]["a"] is None
        _, ask = await counterparty.order(**lim("Ask", "149", "0.5"))
        tr = (await recv_until(ws, lambda f: f["stream"] == "trade.SOL_USDC"))["data"]
        assert set(tr) == {"e", "E", "s", "p", "q", "b", "a", "t", "T", "m"}
        assert (tr["p"], tr["q"], tr["a"], tr["m"]) == ("150.00", "0.50", ask["id"], True)
        assert isinstance(tr["t"], int)
        bt = await recv_until(ws, lambda f: f["stream"] == "bookTicker.SOL_USDC")
        assert bt["data"]["B"] == "1.50" and isinstance(bt["data"]["u"], int)
        tk = (await recv_until(ws, lambda f: f["stream"] == "ticker.SOL_USDC", timeout=5))["data"]
        assert set(tk) == {"e", "E", "s", "o", "c", "h", "l", "v", "V", "n"} and tk["n"] == 1 and tk["c"] == "150"


async def test_ws_errors_and_unknown_symbol(sandbox, session, trader, counterparty):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await ws.send_str("not json")
        assert await recv_json(ws) == {"id": None, "error": {"code": 4002, "message": "Parse error"}}
        await ws.send_str(json.dumps({"method": "LIST", "params": []}))
        assert (await recv_json(ws))["error"]["code"] == 4002
        await sub(ws, "candles.SOL_USDC")
        assert await recv_json(ws) == {"id": None, "error": {"code": 4006, "message": "Invalid stream"}}
        await sub(ws, "depth.100ms.SOL_USDC")
        assert (await recv_json(ws))["error"]["code"] == 4008
        await sub(ws, "depth.NOPE_USDC", "depth.SOL_USDC")
        await trader.order(**lim("Bid", "150", "1"))
        frame = await recv_json(ws)  # nothing for the unknown symbol, no ack: the next frame is data
        assert frame["stream"] == "depth.SOL_USDC"
        await ws.send_str(json.dumps({"method": "UNSUBSCRIBE", "params": ["depth.SOL_USDC"]}))
        await sub(ws, "trade.SOL_USDC")
        await trader.order(**lim("Bid", "151", "1"))
        await counterparty.order(**lim("Ask", "151", "1"))
        assert (await recv_json(ws))["stream"] == "trade.SOL_USDC"


async def test_private_order_updates(sandbox, session, trader, counterparty):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "account.orderUpdate", "depth.SOL_USDC",
                  signature=ws_signature(trader.api_key, trader.secret))
        _, o = await trader.order(**lim("Bid", "150.5", "2", clientId=77))
        acc = (await recv_until(ws, lambda f: f["stream"] == "account.orderUpdate"))["data"]
        assert ORDER_KEYS <= set(acc) and acc["e"] == "orderAccepted" and acc["c"] == 77
        assert (acc["o"], acc["X"], acc["i"], acc["q"], acc["p"], acc["Q"], acc["t"]) == (
            "LIMIT", "New", o["id"], "2.00", "150.50", "301.0000", None)
        assert acc["E"] > 10**15 and acc["T"] > 10**15
        await counterparty.order(**lim("Ask", "150", "0.5"))
        fill = (await recv_until(ws, lambda f: f["stream"] == "account.orderUpdate"))["data"]
        assert fill["e"] == "orderFill" and fill["X"] == "PartiallyFilled" and isinstance(fill["t"], int)
        assert (fill["l"], fill["L"], fill["m"], fill["N"], fill["z"]) == ("0.50", "150.50", True, "SOL", "0.50")
        assert Decimal(fill["n"]) == Decimal("0.5") * Decimal("8") / 10000
        await trader.call("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]})
        cancel = (await recv_until(ws, lambda f: f["stream"] == "account.orderUpdate"))["data"]
        assert cancel["e"] == "orderCancelled" and cancel["X"] == "Cancelled" and cancel["z"] == "0.50"
        await trader.order(**lim("Bid", "149", "1", timeInForce="IOC"))
        ev = [(await recv_until(ws, lambda f: f["stream"] == "account.orderUpdate"))["data"] for _ in range(2)]
        assert [e["e"] for e in ev] == ["orderAccepted", "orderExpired"]
        assert ev[1]["R"] == "ImmediateOrCancel" and ev[1]["X"] == "Expired" and ev[1]["f"] == "IOC"


async def test_private_symbol_stream_and_shared_connection(sandbox, session, trader):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "account.orderUpdate.ETH_USDC", signature=ws_signature(trader.api_key, trader.secret))
        await sub(ws, "trade.SOL_USDC")
        await trader.order(**lim("Bid", "100", "1"))
        await trader.order(symbol="ETH_USDC", side="Bid", orderType="Limit", price="2000", quantity="0.1")
        f = await recv_json(ws)
        assert f["stream"] == "account.orderUpdate.ETH_USDC" and f["data"]["s"] == "ETH_USDC"


async def test_private_bad_signature_gets_error_and_no_data(sandbox, session, trader, counterparty):
    async with session.ws_connect(sandbox.ws_url) as ws:
        bad = ws_signature(trader.api_key, counterparty.secret)
        await sub(ws, "account.orderUpdate", signature=bad)
        err = await recv_json(ws)
        assert err["id"] is None and 4000 <= err["error"]["code"] < 5000
        assert "signature" in err["error"]["message"].lower()
        await sub(ws, "account.orderUpdate")  # no signature at all
        assert 4000 <= (await recv_json(ws))["error"]["code"] < 5000
        expired = ws_signature(trader.api_key, trader.secret, ts=1700000000000)
        await sub(ws, "account.orderUpdate", signature=expired)
        assert (await recv_json(ws))["error"]["message"] == "Request has expired"
        await sub(ws, "depth.SOL_USDC")
        await trader.order(**lim("Bid", "150", "1"))
        # Private events are emitted before the depth frame of the same command, so this proves no leak.
        assert (await recv_json(ws))["stream"] == "depth.SOL_USDC"


async def test_balance_updates(make_sandbox, session):
    for enabled in (True, False):
        sb = await make_sandbox(balance_updates=enabled)
        keys = sb.add_account({"SOL": "10", "USDC": "1000"})
        c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
        async with session.ws_connect(sb.ws_url) as ws:
            await sub(ws, "account.balanceUpdate", "depth.SOL_USDC", signature=ws_signature(keys.api_key, keys.secret))
            await c.order(**lim("Bid", "100", "2"))
            f = await recv_json(ws)
            if enabled:
                assert f["stream"] == "account.balanceUpdate"
                assert f["data"] == {"e": "balanceUpdate", "E": f["data"]["E"], "a": "USDC", "A": "800", "L": "200",
                                     "S": "0"}
            else:
                assert f["stream"] == "depth.SOL_USDC"


async def test_keepalive_ping_and_idle_close(make_sandbox, session):
    sb = await make_sandbox(ping_interval_s=0.2, idle_timeout_s=0.8)
    # A client that answers pings stays connected well past the idle timeout.
    async with session.ws_connect(sb.ws_url, autoping=False) as ws:
        pings = 0
        while pings < 8:
            msg = await ws.receive(timeout=5)
            assert msg.type == aiohttp.WSMsgType.PING
            await ws.pong(msg.data)
            pings += 1
        assert not ws.closed
        # Client pings are answered.
        await ws.ping(b"hi")
        msg = await recv_until_type(ws, aiohttp.WSMsgType.PONG)
        assert msg.data == b"hi"
    # A silent client is closed.
    async with session.ws_connect(sb.ws_url, autoping=False) as ws:
        closed = await recv_until_type(ws, aiohttp.WSMsgType.CLOSE, timeout=5)
        assert closed.type == aiohttp.WSMsgType.CLOSE
    await wait_for(lambda: sb.stats.ws_connections == 0)


async def recv_until_type(ws, msg_type, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = await ws.receive(timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
        if msg.type == msg_type:
            return msg


async def test_aggregated_depth_stream(sandbox, session, trader):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "depth.200ms.SOL_USDC")
        await wait_for(lambda: sandbox.hub.subs["depth.200ms.SOL_USDC"])
        start_id = sandbox.engine.markets["SOL_USDC"].update_id
        for price in ("100", "101", "102"):
            await trader.order(**lim("Bid", price, "1"))
        await trader.call("DELETE", "/api/v1/orders", {"symbol": "SOL_USDC"})
        await trader.order(**lim("Bid", "103", "2"))
        end_id = sandbox.engine.markets["SOL_USDC"].update_id
        book = {}
        last_u = start_id
        while last_u < end_id:
            d = (await recv_json(ws))["data"]
            assert d["U"] == last_u + 1 and d["U"] <= d["u"]
            last_u = d["u"]
            book.update({p: q for p, q in d["b"]})
        assert book == {"100.00": "0.00", "101.00": "0.00", "102.00": "0.00", "103.00": "2.00"}
