"""Control endpoints (control.py), background flow (flow.py) and the conservation invariant."""
from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import pytest

from backpack_sandbox import SandboxConfig, SandboxServer

from .sandbox_client import SignedClient, control, get, recv_json, wait_for, ws_signature

pytestmark = pytest.mark.asyncio


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def test_control_accounts_fills_orders(sandbox, session):
    url = sandbox.rest_url + "/_sandbox"
    status, a = await control(session, "POST", url + "/accounts", {"balances": {"SOL": "5", "USDC": "1000"},
                                                                   "feeMakerBps": "1", "feeTakerBps": "3"})
    assert status == 200 and set(a) == {"apiKey", "secret", "accountId"}
    _, b = await control(session, "POST", url + "/accounts", {"balances": {"SOL": "5"}})
    ca = SignedClient(session, sandbox.rest_url, a["apiKey"], a["secret"])
    cb = SignedClient(session, sandbox.rest_url, b["apiKey"], b["secret"])
    await ca.order(**lim("Bid", "100", "2"))
    await cb.order(**lim("Ask", "100", "1"))
    status, info = await control(session, "GET", url + "/accounts/" + quote(a["apiKey"], safe=""))
    assert status == 200 and info["balances"]["USDC"] == {"available": "800", "locked": "100"}
    assert info["feesPaid"] == {"SOL": "0.0001"} and info["makerFeeBps"] == "1"
    _, fills = await control(session, "GET", url + "/accounts/" + quote(a["apiKey"], safe="") + "/fills")
    assert len(fills) == 1 and fills[0]["buyerFee"] == "0.0001" and fills[0]["buyerIsMaker"] is True
    _, orders = await control(session, "GET", url + "/accounts/" + quote(b["apiKey"], safe="") + "/orders")
    assert [o["status"] for o in orders] == ["Filled"]
    assert (await control(session, "GET", url + "/accounts/nope"))[0] == 404
    _, cons = await control(session, "GET", url + "/conservation")
    assert all(Decimal(row["diff"]) == 0 for row in cons.values())


async def test_control_inject_event(sandbox, session, trader):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["account.orderUpdate"],
                                      "signature": ws_signature(trader.api_key, trader.secret)}))
        await wait_for(lambda: sandbox.hub.private_subs)
        event = {"e": "triggerPlaced", "s": "SOL_USDC", "S": "Ask", "o": "LIMIT", "f": "GTC", "q": "0", "p": "178.15",
                 "P": "178.05", "X": "TriggerPending", "i": "1", "t": None, "z": "0", "Z": "0", "V": "RejectTaker",
                 "O": "USER", "r": False, "Y": "20.03"}
        status, _ = await control(session, "POST", sandbox.rest_url + "/_sandbox/events",
                                  {"apiKey": trader.api_key, "event": event})
        assert status == 200
        got = (await recv_json(ws))
        assert got["stream"] == "account.orderUpdate" and got["data"]["e"] == "triggerPlaced"
        assert got["data"]["E"] > 10**15 and got["data"]["Y"] == "20.03"


async def test_flow_fills_a_maker_quoting_near_touch(make_sandbox, session):
    sb = await make_sandbox(flow=True, flow_pace=3, seed=11)
    keys = sb.add_account({"SOL": "100", "USDC": "100000"})
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    _, depth = await get(session, sb.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "5"})
    best_bid, best_ask = Decimal(depth["bids"][-1][0]), Decimal(depth["asks"][0][0])
    assert best_bid < best_ask
    assert (await c.order(**lim("Bid", str(best_bid + Decimal("0.01")), "0.5", postOnly=True)))[0] == 200
    assert (await c.order(**lim("Ask", str(best_ask - Decimal("0.01")), "0.5", postOnly=True)))[0] == 200
    acct = sb.account(keys.api_key)
    await wait_for(lambda: sb.engine.account_fills[acct.id], timeout=20)
    assert all(row["diff"] == 0 for row in sb.engine.conservation().values())


async def test_move_price_endpoint(make_sandbox, session):
    sb = await make_sandbox(flow=True, flow_pace=0.2)
    status, body = await control(session, "POST", sb.rest_url + "/_sandbox/price", {"symbol": "SOL_USDC", "mid": "200"})
    assert status == 200
    _, depth = await get(session, sb.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "5"})
    assert Decimal(depth["bids"][-1][0]) < 200 < Decimal(depth["asks"][0][0]) < Decimal("200.5")
    assert (await control(session, "POST", sb.rest_url + "/_sandbox/price", {"symbol": "X", "mid": "1"}))[0] == 400


async def test_conservation_under_random_flow_with_users(make_sandbox, session):
    import random
    sb = await make_sandbox(flow=True, flow_pace=8, seed=5, extra_markets=2)
    rng = random.Random(99)
    users = [sb.add_account({"SOL": "50", "BTC": "0.5", "ETH": "5", "USDC": "50000", "TOKEN1": "1000"},
                            fee_maker_bps=rng.choice(["-1", "0", "2"]), fee_taker_bps="7") for _ in range(3)]
    clients = [SignedClient(session, sb.rest_url, u.api_key, u.secret) for u in users]
    for i in range(60):
        c = rng.choice(clients)
        sym = rng.choice(["SOL_USDC", "BTC_USDC", "ETH_USDC", "TOKEN1_USDC"])
        spec = sb.engine.specs[sym]
        mid = sb.flow.mids[sym]
        price = (mid * Decimal(str(rng.uniform(0.998, 1.002))) / spec.tick_size).quantize(Decimal(1)) * spec.tick_size
        qty = spec.min_quantity * rng.randint(1, 20)
        kind = rng.random()
        if kind < 0.6:
            await c.order(symbol=sym, side=rng.choice(["Bid", "Ask"]), orderType="Limit", price=str(price),
                          quantity=str(qty), timeInForce=rng.choice(["GTC", "GTC", "IOC", "FOK"]))
        elif kind < 0.8:
            await c.order(symbol=sym, side=rng.choice(["Bid", "Ask"]), orderType="Market", quantity=str(qty))
        else:
            await c.call("DELETE", "/api/v1/orders", {"symbol": sym})
    await wait_for(lambda: sb.engine.fill_count > 100, timeout=20)
    await sb.flow.stop()
    rows = sb.engine.conservation()
    assert all(row["diff"] == 0 for row in rows.values()), rows
    assert Decimal(0) not in (rows["SOL"]["fees"], rows["USDC"]["fees"])
    for acct in sb.engine.accounts.values():
        for asset in acct.assets():
            assert acct.available[asset] >= 0 and acct.locked[asset] >= 0
        assert sum((o.locked for o in sb.engine.open_orders[acct.id].values() if o.lock_asset == "USDC"),
                   Decimal(0)) == acct.locked.get("USDC", 0)


async def test_flow_is_deterministic_given_seed():
    books = []
    for _ in range(2):
        sb = SandboxServer(SandboxConfig(port=0, seed=42, flow=True))
        await sb.start()
        await sb.flow.stop()
        for _ in range(20):
            sb.flow._walk_mid("SOL_USDC")
            sb.flow.requote("SOL_USDC")
            sb.flow.take_once()
        book = sb.engine.markets["SOL_USDC"].book
        books.append((dict(book.level_qty["Bid"]), dict(book.level_qty["Ask"]), sb.engine.fill_count,
                      [(f.trade_id, f.price, f.quantity) for f in sb.engine.flow_fills]))
        await sb.stop()
    assert books[0] == books[1]


async def test_extra_markets(make_sandbox, session):
    sb = await make_sandbox(extra_markets=17)
    _, markets = await get(session, sb.rest_url + "/api/v1/markets", {"marketType": "SPOT"})
    assert len(markets) == 21 and "TOKEN17_USDC" in {m["symbol"] for m in markets}
