"""Shapes of the official API that standard clients rely on (docs/backpack-api.md §4.4, §4.7, §4.9, §5.3, §5.11,
§5.13, §6.2, §8.1, §8.2): assets, securities, market types, borrow-lend fields, quote quantities, unpadded numbers,
trade order, maintenance answers, dotted symbols in stream names, silent ``depth.5.<sym>``, empty depth diffs."""
from __future__ import annotations

import json

import pytest

from backpack_sandbox.faults import parse_fault_spec
from backpack_sandbox.ws import classify_stream

from .sandbox_client import SignedClient, control, get, recv_json, recv_until, wait_for, ws_signature

pytestmark = pytest.mark.asyncio

FUNDS = {"SOL": "100", "BTC": "1", "ETH": "10", "USDC": "100000", "SPCX.US": "50"}


def lim(side, price, qty, symbol="SOL_USDC", **kw):
    return {"symbol": symbol, "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def sub(ws, *streams, **extra):
    await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": list(streams), **extra}))


async def test_assets_and_securities(sandbox, session):
    status, assets = await get(session, sandbox.rest_url + "/api/v1/assets", {"country": "US"})
    assert status == 200 and [a["symbol"] for a in assets] == ["BTC", "ETH", "SOL", "SPCX.US", "USDC"]
    usdc = assets[-1]
    assert set(usdc) == {"symbol", "displayName", "coingeckoId", "tokens"}
    token = usdc["tokens"][0]
    assert set(token) == {"blockchain", "contractAddress", "depositEnabled", "minimumDeposit", "withdrawEnabled",
                          "minimumWithdrawal", "maximumWithdrawal", "withdrawalFee", "nativeDecimals", "displayName"}
    assert token["nativeDecimals"] == 6 and token["depositEnabled"] is True
    assert await get(session, sandbox.rest_url + "/api/v1/securities") == (200, [])


async def test_market_types(make_sandbox, session):
    sb = await make_sandbox()
    url = sb.rest_url + "/api/v1/markets"
    _, rows = await get(session, url)
    kinds = {m["symbol"]: m["marketType"] for m in rows}
    assert kinds == {"SOL_USDC": "SPOT", "BTC_USDC": "SPOT", "ETH_USDC": "SPOT", "SPCX.US_USDC": "SPOT",
                     "SOL_USDC_PERP": "PERP", "BTC_USDC_PERP": "PERP", "ETH_USDC_PERP": "PERP"}
    assert next(m for m in rows if m["symbol"] == "SPCX.US_USDC")["rwaMarketType"] == "STOCK"
    perp = next(m for m in rows if m["symbol"] == "SOL_USDC_PERP")
    assert perp["imfFunction"] == {"type": "sqrt", "base": "0.02", "factor": "0.0001275"}
    assert perp["mmfFunction"]["type"] == "sqrt" and perp["fundingInterval"] == 3600000
    assert (perp["baseSymbol"], perp["quoteSymbol"]) == ("SOL", "USDC")
    spot = next(m for m in rows if m["symbol"] == "SOL_USDC")
    assert spot["imfFunction"] is None and spot["rwaMarketType"] is None
    async with session.get(url, params=[("marketType", "PERP")]) as resp:
        assert {m["symbol"] for m in await resp.json()} == {"SOL_USDC_PERP", "BTC_USDC_PERP", "ETH_USDC_PERP"}
    async with session.get(url, params=[("marketType", "SPOT"), ("marketType", "PERP")]) as resp:
        assert len(await resp.json()) == 7
    assert await get(session, url, {"marketType": "RFQ"}) == (200, [])
    status, text = await get(session, url, {"marketType": "FUTURE"})
    assert status == 400 and "marketType" in text
    status, one = await get(session, sb.rest_url + "/api/v1/market", {"symbol": "BTC_USDC_PERP"})
    assert status == 200 and one["marketType"] == "PERP"
    keys = sb.add_account(FUNDS)
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    assert await c.order(**lim("Bid", "150", "1", symbol="SOL_USDC_PERP")) == (
        400, {"code": "INVALID_CLIENT_REQUEST", "message": "Invalid market symbol"})
    no_perps = await make_sandbox(perp_rows=False)
    _, rows = await get(session, no_perps.rest_url + "/api/v1/markets")
    assert {m["marketType"] for m in rows} == {"SPOT"}


async def test_borrow_lend_position_fields(sandbox, session):
    keys = sandbox.add_account({"USDC": "10"}, lent={"USDC": "950"})
    c = SignedClient(session, sandbox.rest_url, keys.api_key, keys.secret)
    status, rows = await c.call("GET", "/api/v1/borrowLend/positions")
    assert status == 200 and len(rows) == 1
    row = rows[0]
    assert row["netQuantity"] == "950" and row["estLiquidationPrice"] == "0"
    for name in ("imfFunction", "mmfFunction"):
        assert row[name]["type"] == "sqrt" and set(row[name]) == {"type", "base", "factor"}


async def test_quote_quantity_and_system_order_type(trader, counterparty):
    _, resting = await trader.order(**lim("Bid", "150", "2", clientId=7))
    assert resting["systemOrderType"] is None
    _, opens = await trader.call("GET", "/api/v1/orders", {"symbol": "SOL_USDC"})
    assert "systemOrderType" in opens[0] and opens[0]["systemOrderType"] is None
    _, one = await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "clientId": 7})
    assert "systemOrderType" in one
    _, mkt = await counterparty.order(symbol="SOL_USDC", side="Ask", orderType="Market", quantity="0.5")
    assert (mkt["status"], mkt["executedQuoteQuantity"], mkt["quoteQuantity"]) == ("Filled", "75", "75")
    _, by_quote = await counterparty.order(symbol="SOL_USDC", side="Ask", orderType="Market", quoteQuantity="30.00")
    assert by_quote["quoteQuantity"] == "30.00"
    _, hist = await trader.call("GET", "/wapi/v1/history/orders", {"symbol": "SOL_USDC"})
    assert hist[0]["orderType"] == "Limit" and hist[0]["quoteQuantity"] == "300"
    _, hist = await counterparty.call("GET", "/wapi/v1/history/orders", {"sortDirection": "Asc"})
    assert [h["quoteQuantity"] for h in hist] == ["75", "30.00"]


async def test_trades_newest_first(sandbox, session, trader, counterparty):
    for price in ("150", "151", "152"):
        await trader.order(**lim("Ask", price, "1"))
        await counterparty.order(**lim("Bid", price, "1"))
    _, trades = await get(session, sandbox.rest_url + "/api/v1/trades", {"symbol": "SOL_USDC"})
    assert [t["price"] for t in trades] == ["152", "151", "150"]
    assert trades[0]["id"] > trades[1]["id"] > trades[2]["id"]
    _, two = await get(session, sandbox.rest_url + "/api/v1/trades", {"symbol": "SOL_USDC", "limit": "2"})
    assert [t["price"] for t in two] == ["152", "151"]
    _, older = await get(session, sandbox.rest_url + "/api/v1/trades/history",
                         {"symbol": "SOL_USDC", "limit": "5", "offset": "1"})
    assert [t["price"] for t in older] == ["151", "150"]


async def test_maintenance_503(sandbox, session, trader):
    url = sandbox.rest_url
    assert parse_fault_spec("maintenance:2") == {"kind": "maintenance", "seconds": 2}
    assert (await control(session, "POST", url + "/_sandbox/faults", {"kind": "maintenance"}))[0] == 200
    body = {"code": "MAINTENANCE", "message": "System under maintenance"}  # MAINTENANCE: §6.2 ApiErrorCode
    assert await get(session, url + "/api/v1/markets") == (503, body)
    assert await trader.order(**lim("Bid", "150", "1")) == (503, body)
    assert await get(session, url + "/api/v1/status") == (200, {"status": "Maintenance", "message": body["message"]})
    await control(session, "DELETE", url + "/_sandbox/faults?kind=maintenance")
    assert await get(session, url + "/api/v1/status") == (200, {"status": "Ok", "message": None})
    assert (await trader.order(**lim("Bid", "150", "1")))[0] == 200
    sandbox.faults.maintenance(count=1)
    assert (await get(session, url + "/api/v1/ping"))[0] == 503
    assert await get(session, url + "/api/v1/ping") == (200, "pong")
    assert sandbox.faults.counts()["maintenance"] == {"injected": 2, "hits": 3}


async def test_stream_names_with_dots():
    public = ("depth.SPCX.US_USDC", "depth.200ms.SPCX.US_USDC", "trade.SPCX.US_USDC", "bookTicker.SPCX.US_USDC",
              "ticker.SPCX.US_USDC", "kline.1m.SPCX.US_USDC", "depth.5.SOL_USDC", "depth.SOL_USDC")
    for name in public:
        assert classify_stream(name) == ("public", None, None), name
    assert classify_stream("account.orderUpdate.SPCX.US_USDC") == ("private", None, None)
    assert classify_stream("depth.100ms.SPCX.US_USDC") == ("error", 4008, "Invalid depth window")
    for bad in ("depth", "kline.2m.SOL_USDC", "kline.1m", "candles.SOL_USDC", "account.balanceUpdate.SOL_USDC"):
        assert classify_stream(bad)[:2] == ("error", 4006), bad


async def test_dotted_symbol_streams(make_sandbox, session):
    sb = await make_sandbox(markets=("SOL_USDC", "SPCX.US_USDC"))
    sym = "SPCX.US_USDC"
    a = sb.add_account(FUNDS)
    b = sb.add_account(FUNDS)
    maker = SignedClient(session, sb.rest_url, a.api_key, a.secret)
    taker = SignedClient(session, sb.rest_url, b.api_key, b.secret)
    async with session.ws_connect(sb.ws_url) as ws:
        await sub(ws, f"depth.{sym}", f"trade.{sym}", f"bookTicker.{sym}", f"depth.200ms.{sym}")
        await sub(ws, f"account.orderUpdate.{sym}", signature=ws_signature(a.api_key, a.secret))
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["bookTicker.SOL_USDC"]}))
        # Subscriptions are processed in order; a SOL_USDC order proves the earlier frames were taken.
        await maker.order(**lim("Bid", "10", "0.01"))
        await recv_until(ws, lambda f: f.get("stream") == "bookTicker.SOL_USDC")
        assert (await maker.order(**lim("Ask", "250.5", "1.5", symbol=sym)))[0] == 200
        assert (await taker.order(**lim("Bid", "250.5", "0.5", symbol=sym)))[0] == 200
        seen = {}
        while len(seen) < 5:
            frame = await recv_json(ws)
            assert "error" not in frame, frame
            seen.setdefault(frame["stream"], frame["data"])
    assert seen[f"depth.{sym}"]["a"] == [["250.50", "1.500"]] and seen[f"depth.{sym}"]["s"] == sym
    assert seen[f"trade.{sym}"]["p"] == "250.50" and seen[f"trade.{sym}"]["q"] == "0.500"
    assert seen[f"bookTicker.{sym}"]["a"] == "250.50"
    assert seen[f"depth.200ms.{sym}"]["s"] == sym
    assert seen[f"account.orderUpdate.{sym}"]["e"] == "orderAccepted"


async def test_depth_5_is_silent(sandbox, session, trader):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "depth.5.SOL_USDC", "bookTicker.SOL_USDC")
        await trader.order(**lim("Bid", "150", "1"))
        # The depth frame of a command precedes its bookTicker: a depth.5 frame or an error would come first.
        first = await recv_json(ws)
    assert first["stream"] == "bookTicker.SOL_USDC"


async def test_ws_numbers_padded_or_plain(make_sandbox, session):
    for pad, expect in ((True, ("150.00", "2.00", "300.0000")), (False, ("150", "2", "300"))):
        sb = await make_sandbox(ws_pad_numbers=pad)
        keys = sb.add_account(FUNDS)
        c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
        async with session.ws_connect(sb.ws_url) as ws:
            await sub(ws, "depth.SOL_USDC", "account.orderUpdate", signature=ws_sig(keys))
            await c.order(**lim("Bid", "999", "0.01"))  # private subscription taken once its event arrives
            await recv_until(ws, lambda f: f["stream"] == "account.orderUpdate")
            await c.order(**lim("Bid", "150", "2"))
            ev = (await recv_until(ws, lambda f: f["stream"] == "account.orderUpdate"))["data"]
            depth = (await recv_until(ws, lambda f: f["stream"] == "depth.SOL_USDC"
                                      and f["data"]["b"][0][0].startswith("150")))["data"]
        assert (ev["p"], ev["q"], ev["Q"]) == expect
        assert (ev["z"], ev["Z"]) == ("0", "0")  # nothing executed yet: "0" (§8.5 examples)
        assert depth["b"] == [[expect[0], expect[1]]]


def ws_sig(keys):
    return ws_signature(keys.api_key, keys.secret)


async def test_empty_depth_diffs(make_sandbox, session):
    sb = await make_sandbox()
    async with session.ws_connect(sb.ws_url) as ws:
        await sub(ws, "depth.SOL_USDC", "depth.200ms.SOL_USDC")
        await wait_for(lambda: sb.hub.subs.get("depth.200ms.SOL_USDC"))
        sb.engine.empty_depth("BTC_USDC")
        sb.engine.empty_depth("SOL_USDC")
        frame = await recv_until(ws, lambda f: f["stream"] == "depth.SOL_USDC")
        assert {k: frame["data"][k] for k in ("a", "b", "U", "u")} == {"a": [], "b": [], "U": 1, "u": 1}
        agg = await recv_until(ws, lambda f: f["stream"] == "depth.200ms.SOL_USDC")
        assert (agg["data"]["a"], agg["data"]["b"], agg["data"]["U"], agg["data"]["u"]) == ([], [], 1, 1)
    _, snap = await get(session, sb.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC"})
    assert snap["lastUpdateId"] == "1" and snap["bids"] == [] and snap["asks"] == []
    assert sb.engine.markets["BTC_USDC"].update_id == 1

    flowing = await make_sandbox(flow=True, flow_pace=2, seed=3, empty_depth_diff_s=0.3)
    async with session.ws_connect(flowing.ws_url) as ws:
        await sub(ws, "depth.ETH_USDC")
        frames = []
        while not any(not f["a"] and not f["b"] for f in frames[1:]):
            frames.append((await recv_until(ws, lambda f: f["stream"] == "depth.ETH_USDC", timeout=20))["data"])
    for prev, cur in zip(frames, frames[1:]):
        assert cur["U"] == cur["u"] == prev["u"] + 1
