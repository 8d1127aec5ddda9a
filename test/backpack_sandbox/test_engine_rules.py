"""Price band and market-order impact limit from each market's price filter (docs/backpack-api.md §4.4, §6.3,
§5.11 ``PriceImpact``): out-of-band limit prices answer 400 ``INVALID_PRICE``; a market order fills up to the impact
limit and the rest expires."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from .sandbox_client import SignedClient, recv_until, wait_for, ws_signature

pytestmark = pytest.mark.asyncio

FAR = {"code": "INVALID_PRICE", "message": "Price is too far from the last active price"}
FUNDS = {"SOL": "1000", "USDC": "1000000"}


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def clients(sandbox, session, n=2):
    out = []
    for _ in range(n):
        keys = sandbox.add_account(FUNDS)
        out.append(SignedClient(session, sandbox.rest_url, keys.api_key, keys.secret))
    return out


async def test_price_band_around_the_last_trade(sandbox, session):
    a, b = await clients(sandbox, session)
    assert (await a.order(**lim("Bid", "1", "1")))[0] == 200  # no trade yet: no band
    await a.order(**lim("Ask", "150", "1"))
    assert (await b.order(**lim("Bid", "150", "1")))[1]["status"] == "Filled"  # last active price 150
    assert await b.order(**lim("Bid", "112.49", "1")) == (400, FAR)  # below 150 × 0.75
    assert await b.order(**lim("Ask", "187.51", "1")) == (400, FAR)  # above 150 × 1.25
    assert (await b.order(**lim("Bid", "112.5", "1")))[1]["status"] == "New"  # the bounds themselves pass
    assert (await b.order(**lim("Ask", "187.5", "1")))[1]["status"] == "New"
    status, batch = await b.call("POST", "/api/v1/orders", [lim("Bid", "100", "1"), lim("Bid", "140", "1")])
    assert status == 200 and batch[0] == {"operation": "Err", **FAR} and batch[1]["operation"] == "Ok"
    _, market = await b.call("GET", "/api/v1/orders", {"symbol": "SOL_USDC"})
    assert len(market) == 3


async def test_market_order_stops_at_the_impact_limit(sandbox, session):
    maker, taker = await clients(sandbox, session)
    for price in ("150", "152", "154.5", "154.51", "160"):  # 150 × 1.03 = 154.5
        await maker.order(**lim("Ask", price, "1"))
    async with session.ws_connect(sandbox.ws_url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["account.orderUpdate"],
                                      "signature": ws_signature(taker.api_key, taker.secret)}))
        await maker.order(**lim("Bid", "100", "1"))  # no trade yet, so no band: a barrier order
        await taker.order(**lim("Bid", "101", "1"))
        await recv_until(ws, lambda f: f["data"]["e"] == "orderAccepted")
        status, order = await taker.order(symbol="SOL_USDC", side="Bid", orderType="Market", quantity="5")
        expired = (await recv_until(ws, lambda f: f["data"]["e"] == "orderExpired"))["data"]
    assert status == 200
    assert (order["status"], order["executedQuantity"], order["executedQuoteQuantity"]) == ("Expired", "3", "456.5")
    assert (expired["R"], expired["X"], expired["z"]) == ("PriceImpact", "Expired", "3.00")
    _, hist = await taker.call("GET", "/wapi/v1/history/orders", {"orderId": order["id"]})
    assert hist[0]["expiryReason"] == "PriceImpact"
    book = sandbox.engine.markets["SOL_USDC"].book
    assert book.best("Ask") == Decimal("154.51") and sandbox.account(taker.api_key).locked["USDC"] == 101
    # Sells by quote amount stop at best bid × 0.97 the same way (150 × 0.97 = 145.5).
    await taker.call("DELETE", "/api/v1/orders", {"symbol": "SOL_USDC"})
    for price in ("150", "148", "145.49"):
        assert (await maker.order(**lim("Bid", price, "1")))[0] == 200
    status, sell = await taker.order(symbol="SOL_USDC", side="Ask", orderType="Market", quoteQuantity="1000")
    assert (sell["status"], sell["executedQuantity"], sell["executedQuoteQuantity"]) == ("Expired", "2", "298")
    assert [o.expiry_reason for o in sandbox.engine.history[sandbox.account(taker.api_key).id]][-1] == "PriceImpact"


async def test_switched_off(make_sandbox, session):
    sb = await make_sandbox(price_bands=False)
    maker, taker = await clients(sb, session)
    for price in ("150", "200"):
        await maker.order(**lim("Ask", price, "1"))
    _, order = await taker.order(symbol="SOL_USDC", side="Bid", orderType="Market", quantity="2")
    assert (order["status"], order["executedQuoteQuantity"]) == ("Filled", "350")  # swept past 150 × 1.03
    assert (await taker.order(**lim("Bid", "1", "1")))[1]["status"] == "New"  # far from the last trade (200)


async def test_background_traders_are_exempt(make_sandbox, session):
    sb = await make_sandbox(flow=True, seed=4)
    (user,) = await clients(sb, session, 1)
    sym = "SOL_USDC"
    await wait_for(lambda: sb.engine.markets[sym].trades, 20)
    sb.set_mid(sym, "300")  # twice the last trade: the flow requotes there all the same
    book = sb.engine.markets[sym].book
    assert book.best("Bid") > 290 and book.best("Ask") < 310
    assert await user.order(**lim("Bid", "400", "0.1")) == (400, FAR)  # out of band of 150 and of 300 alike
