"""REST shapes and order lifecycle (docs/backpack-api.md §4, §5, §6)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from .sandbox_client import get

pytestmark = pytest.mark.asyncio

ISO_NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def test_public_endpoints(sandbox, session):
    url = sandbox.rest_url
    assert await get(session, url + "/api/v1/ping") == (200, "pong")
    status, body = await get(session, url + "/api/v1/time")
    assert status == 200 and body.isdigit() and len(body) == 13
    assert await get(session, url + "/api/v1/status") == (200, {"status": "Ok", "message": None})
    status, markets = await get(session, url + "/api/v1/markets", {"marketType": "SPOT"})
    by_sym = {m["symbol"]: m for m in markets}
    assert set(by_sym) == {"SOL_USDC", "BTC_USDC", "ETH_USDC", "SPCX.US_USDC"}
    sol = by_sym["SOL_USDC"]
    assert (sol["marketType"], sol["visible"], sol["orderBookState"]) == ("SPOT", True, "Open")
    assert sol["filters"]["price"]["tickSize"] == "0.01" and sol["filters"]["quantity"]["stepSize"] == "0.01"
    assert by_sym["BTC_USDC"]["filters"]["quantity"]["minQuantity"] == "0.00001"
    assert (await get(session, url + "/api/v1/market", {"symbol": "ETH_USDC"}))[1]["baseSymbol"] == "ETH"
    assert await get(session, url + "/api/v1/market", {"symbol": "NOPE_USDC"}) == (
        400, {"code": "INVALID_CLIENT_REQUEST", "message": "Invalid market symbol"})
    status, text = await get(session, url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "30"})
    assert status == 400 and isinstance(text, str) and "limit" in text
    assert await get(session, url + "/api/v1/nothing") == (404, "not found")
    status, ticker = await get(session, url + "/api/v1/ticker", {"symbol": "SOL_USDC"})
    assert status == 200 and set(ticker) >= {"firstPrice", "lastPrice", "priceChangePercent", "volume", "trades"}
    assert len((await get(session, url + "/api/v1/tickers"))[1]) == 4


async def test_depth_shape_and_order(sandbox, session, trader):
    for price in ("149", "150", "148.5"):
        assert (await trader.order(**lim("Bid", price, "1")))[0] == 200
    for price in ("151", "153", "152"):
        assert (await trader.order(**lim("Ask", price, "2")))[0] == 200
    status, depth = await get(session, sandbox.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "5"})
    assert status == 200
    assert depth["bids"] == [["148.5", "1"], ["149", "1"], ["150", "1"]]  # ascending, best bid last
    assert depth["asks"] == [["151", "2"], ["152", "2"], ["153", "2"]]
    assert isinstance(depth["lastUpdateId"], str) and depth["lastUpdateId"] == "6"
    assert isinstance(depth["timestamp"], int) and depth["timestamp"] > 10**15  # µs


async def test_order_lifecycle(sandbox, trader, counterparty):
    status, o = await trader.order(**lim("Bid", "150.25", "2", clientId=42, timeInForce="GTC"))
    assert status == 200
    assert isinstance(o["id"], str) and isinstance(o["createdAt"], int) and o["createdAt"] < 10**13
    assert (o["status"], o["clientId"], o["executedQuantity"], o["price"], o["postOnly"]) == (
        "New", 42, "0", "150.25", False)
    status, q = await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "clientId": 42})
    assert status == 200 and q["id"] == o["id"]
    status, q = await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]})
    assert status == 200 and q["status"] == "New"
    status, opens = await trader.call("GET", "/api/v1/orders", {"symbol": "SOL_USDC"})
    assert [x["id"] for x in opens] == [o["id"]]
    # Partial fill by a crossing ask at a lower price: fills at the maker's price.
    status, t = await counterparty.order(**lim("Ask", "150", "0.5"))
    assert status == 200 and t["status"] == "Filled" and t["executedQuoteQuantity"] == "75.125"
    status, q = await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]})
    assert q["status"] == "PartiallyFilled" and q["executedQuantity"] == "0.5"
    status, t = await counterparty.order(
        **{"symbol": "SOL_USDC", "side": "Ask", "orderType": "Market", "quantity": "1.5"})
    assert status == 200 and t["status"] == "Filled" and t["orderType"] == "Market"
    # Closed → /order is 404, history has it.
    assert await trader.call("GET", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]}) == (
        404, {"code": "RESOURCE_NOT_FOUND", "message": "Not Found"})
    assert (await trader.call("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": o["id"]}))[0] == 404
    status, hist = await trader.call("GET", "/wapi/v1/history/orders", {"symbol": "SOL_USDC"})
    h = next(x for x in hist if x["id"] == o["id"])
    assert h["status"] == "Filled" and h["executedQuantity"] == "2" and ISO_NAIVE.match(h["createdAt"])
    status, fills = await trader.call("GET", "/wapi/v1/history/fills", {"orderId": o["id"], "limit": 100})
    assert status == 200 and len(fills) == 2
    f = fills[0]
    assert isinstance(f["tradeId"], int) and f["clientId"] == "42" and f["isMaker"] is True
    assert f["feeSymbol"] == "SOL" and f["side"] == "Bid" and ISO_NAIVE.match(f["timestamp"])
    assert sum(Decimal(x["quantity"]) for x in fills) == 2


async def test_cancel_and_cancel_all_and_balances(trader):
    _, a = await trader.order(**lim("Bid", "100", "1", clientId=1))
    _, b = await trader.order(**lim("Bid", "101", "1", clientId=2))
    _, c = await trader.order(**lim("Ask", "200", "3", clientId=3))
    _, cap = await trader.call("GET", "/api/v1/capital")
    assert cap["USDC"] == {"available": "99799", "locked": "201", "staked": "0"}
    assert cap["SOL"]["locked"] == "3"
    status, x = await trader.call("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "clientId": 1})
    assert status == 200 and x["status"] == "Cancelled" and x["id"] == a["id"]
    status, err = await trader.call("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": a["id"]})
    assert (status, err["code"]) == (404, "RESOURCE_NOT_FOUND")
    status, err = await trader.call("DELETE", "/api/v1/order",
                                    {"symbol": "SOL_USDC", "orderId": b["id"], "clientId": 2})
    assert status == 400
    status, gone = await trader.call("DELETE", "/api/v1/orders", {"symbol": "SOL_USDC"})
    assert status == 200 and sorted(o["id"] for o in gone) == sorted([b["id"], c["id"]])
    assert all(o["status"] == "Cancelled" for o in gone)
    _, cap = await trader.call("GET", "/api/v1/capital")
    assert cap["USDC"]["locked"] == "0" and cap["USDC"]["available"] == "100000" and cap["SOL"]["locked"] == "0"
    assert await trader.call("GET", "/api/v1/orders", {}) == (200, [])


async def test_batch_orders(trader):
    batch = [lim("Bid", "140", "1", clientId=10), lim("Bid", "140.001", "1"), lim("Bid", "1", "9999999")]
    status, out = await trader.call("POST", "/api/v1/orders", batch)
    assert status == 200 and [x["operation"] for x in out] == ["Ok", "Err", "Err"]
    assert out[0]["status"] == "New" and out[0]["clientId"] == 10
    assert out[1] == {"operation": "Err", "code": "INVALID_CLIENT_REQUEST", "message": "Price decimal too long"}
    assert out[2]["code"] == "INSUFFICIENT_FUNDS"


async def test_validation_errors(trader):
    cases = [
        (lim("Bid", "150.001", "1"), "INVALID_CLIENT_REQUEST", "Price decimal too long"),
        (lim("Bid", "150", "1.001"), "INVALID_CLIENT_REQUEST", "Quantity decimal too long"),
        (lim("Bid", "150", "0"), "INVALID_QUANTITY", None),
        ({**lim("Bid", "3000", "0.00001"), "symbol": "ETH_USDC"}, "INVALID_CLIENT_REQUEST",
         "Quantity decimal too long"),
        (lim("Bid", "150", "1", clientId=4294967296), "INVALID_CLIENT_REQUEST", None),
        (lim("Bid", "150", "1", clientId=-1), "INVALID_CLIENT_REQUEST", None),
        (lim("Bid", "150", "1", clientId="7"), "INVALID_CLIENT_REQUEST", None),
        (lim("Bid", "150", "1000"), "INSUFFICIENT_FUNDS", None),
        (lim("Ask", "150", "101"), "INSUFFICIENT_FUNDS", None),
        (lim("Buy", "150", "1"), "INVALID_CLIENT_REQUEST", None),
        ({**lim("Bid", "150", "1"), "symbol": "XYZ_USDC"}, "INVALID_CLIENT_REQUEST", "Invalid market symbol"),
    ]
    for payload, code, message in cases:
        status, body = await trader.order(**payload)
        assert status == 400 and body["code"] == code, (payload, body)
        if message:
            assert body["message"] == message
    status, body = await trader.order(**lim("Bid", "150", "1", clientId=4294967295))
    assert status == 200 and body["clientId"] == 4294967295


async def test_post_only_reject_and_expire(make_sandbox, session):
    from .sandbox_client import SignedClient
    for mode in ("reject", "expire"):
        sb = await make_sandbox(post_only_mode=mode)
        keys = sb.add_account({"SOL": "10", "USDC": "10000"})
        c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
        assert (await c.order(**lim("Ask", "150", "1")))[0] == 200
        status, body = await c.order(**lim("Bid", "150", "1", postOnly=True))
        if mode == "reject":
            assert (status, body) == (400, {"code": "INVALID_ORDER",
                                            "message": "Order would immediately match and take liquidity"})
        else:
            assert status == 200 and body["status"] == "Expired"
            _, hist = await c.call("GET", "/wapi/v1/history/orders", {})
            assert hist[0]["expiryReason"] == "PostOnlyTaker"
        assert (await c.order(**lim("Bid", "149.99", "1", postOnly=True)))[1]["status"] == "New"


async def test_ioc_fok_market(trader, counterparty):
    await counterparty.order(**lim("Ask", "150", "1"))
    await counterparty.order(**lim("Ask", "151", "1"))
    _, fok = await trader.order(**lim("Bid", "150.5", "2", timeInForce="FOK"))
    assert fok["status"] == "Expired" and fok["executedQuantity"] == "0"
    _, ioc = await trader.order(**lim("Bid", "150.5", "2", timeInForce="IOC"))
    assert ioc["status"] == "Expired" and ioc["executedQuantity"] == "1" and ioc["executedQuoteQuantity"] == "150"
    await counterparty.order(**lim("Ask", "152", "1"))
    _, fok = await trader.order(**lim("Bid", "152", "2", timeInForce="FOK"))
    assert fok["status"] == "Filled" and fok["executedQuoteQuantity"] == "303"
    await counterparty.order(**lim("Ask", "160", "5"))
    _, mkt = await trader.order(symbol="SOL_USDC", side="Bid", orderType="Market", quantity="1.5")
    assert mkt["status"] == "Filled" and mkt["executedQuoteQuantity"] == "240" and mkt["quoteQuantity"] == "240"
    _, mq = await trader.order(symbol="SOL_USDC", side="Bid", orderType="Market", quoteQuantity="400")
    assert mq["status"] == "Filled" and mq["executedQuantity"] == "2.5" and mq["executedQuoteQuantity"] == "400"
    _, empty = await trader.order(symbol="SOL_USDC", side="Bid", orderType="Market", quantity="5")
    assert empty["status"] == "Expired" and empty["executedQuantity"] == "1"  # only 1 left on the book


async def test_fee_math_and_account(sandbox, trader, counterparty):
    sandbox.account(trader.api_key).maker_bps = Decimal("2")
    sandbox.account(counterparty.api_key).taker_bps = Decimal("10")
    _, acct = await trader.call("GET", "/api/v1/account")
    assert acct["spotMakerFee"] == "2" and acct["spotTakerFee"] == "10" and acct["limitOrders"] == 0
    await trader.order(**lim("Bid", "150", "4"))           # maker buys 4 SOL, fee 2 bps in SOL
    _, t = await counterparty.order(**lim("Ask", "150", "4"))  # taker sells, fee 10 bps in USDC
    assert t["status"] == "Filled"
    _, mine = await trader.call("GET", "/wapi/v1/history/fills", {})
    _, theirs = await counterparty.call("GET", "/wapi/v1/history/fills", {})
    assert (mine[0]["fee"], mine[0]["feeSymbol"], mine[0]["isMaker"]) == ("0.0008", "SOL", True)
    assert (theirs[0]["fee"], theirs[0]["feeSymbol"], theirs[0]["isMaker"]) == ("0.6", "USDC", False)
    _, cap = await trader.call("GET", "/api/v1/capital")
    assert cap["SOL"]["available"] == "103.9992" and cap["USDC"]["available"] == "99400"
    _, cap = await counterparty.call("GET", "/api/v1/capital")
    assert cap["SOL"]["available"] == "96" and cap["USDC"]["available"] == "100599.4"
    assert all(row["diff"] == 0 for row in sandbox.engine.conservation().values())


async def test_borrow_lend_positions(sandbox, session):
    from .sandbox_client import SignedClient
    keys = sandbox.add_account({"USDC": "10"}, lent={"USDC": "950.5"})
    c = SignedClient(session, sandbox.rest_url, keys.api_key, keys.secret)
    status, pos = await c.call("GET", "/api/v1/borrowLend/positions")
    assert status == 200 and pos[0]["symbol"] == "USDC" and pos[0]["netQuantity"] == "950.5"
    other = sandbox.add_account({})
    c2 = SignedClient(session, sandbox.rest_url, other.api_key, other.secret)
    assert await c2.call("GET", "/api/v1/borrowLend/positions") == (200, [])
    assert await c2.call("GET", "/api/v1/capital") == (200, {})


async def test_malformed_bodies_do_not_crash(sandbox, session, trader):
    hdr = trader.headers("POST", "/api/v1/order", {})
    async with session.post(sandbox.rest_url + "/api/v1/order", data=b"{not json", headers=hdr) as r:
        assert r.status == 400 and (await r.json())["code"] == "INVALID_CLIENT_REQUEST"
    async with session.post(sandbox.rest_url + "/api/v1/order", data=b"\xff\xfe", headers=hdr) as r:
        assert r.status == 400
    status, body = await trader.call("POST", "/api/v1/order", {"symbol": {"nested": 1}})
    assert status == 400
    status, body = await trader.call("GET", "/wapi/v1/history/fills", {"limit": "abc"})
    assert status == 400 and isinstance(body, str)
    assert await get(session, sandbox.rest_url + "/api/v1/ping") == (200, "pong")


async def test_max_order_quantity_and_collateral(trader):
    status, body = await trader.call("GET", "/api/v1/account/limits/order",
                                     {"symbol": "SOL_USDC", "side": "Bid", "price": "150"})
    assert status == 200 and body["maxOrderQuantity"] == "666.66"
    status, body = await trader.call("GET", "/api/v1/account/limits/order", {"symbol": "SOL_USDC", "side": "Ask"})
    assert body["maxOrderQuantity"] == "100"
    status, body = await trader.call("GET", "/api/v1/account/limits/order",
                                     {"symbol": "SOL_USDC", "side": "Bid", "price": "x"})
    assert status == 400
    status, col = await trader.call("GET", "/api/v1/capital/collateral")
    assert status == 200 and {c["symbol"] for c in col["collateral"]} == {"SOL", "BTC", "ETH", "USDC"}
