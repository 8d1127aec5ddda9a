"""The sandbox's view of an account's maker scorecard (``scorecard.py``): maker volume and share from the ledger,
two-sided time within the band around the book's mid, uptime and time-weighted resting notional, over a window;
the control endpoint answers what the Python API does."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from backpack_sandbox.clock import Clock

from .sandbox_client import SignedClient, control

pytestmark = pytest.mark.asyncio
SYMBOL = "SOL_USDC"


class FakeClock:
    def __init__(self) -> None:
        self.start_s = time.time()
        self.offset_s = 0.0

    def __call__(self) -> int:
        return int((self.start_s + self.offset_s) * 1e6)


def order(side, price, qty="1", **extra):
    return {"symbol": SYMBOL, "side": side, "orderType": "Limit", "price": price, "quantity": qty, **extra}


async def setup(make_sandbox, session):
    sb = await make_sandbox(taker_speed_bump_ms=0)
    clock = FakeClock()
    sb.scorecards.now_us = clock
    ours = sb.add_account({"SOL": "10", "USDC": "10000"})
    other = sb.add_account({"SOL": "10", "USDC": "10000"})
    us = SignedClient(session, sb.rest_url, ours.api_key, ours.secret)
    them = SignedClient(session, sb.rest_url, other.api_key, other.secret)
    for body in (order("Bid", "95"), order("Ask", "105")):  # the book around a mid of 100
        status, _ = await them.call("POST", "/api/v1/order", body)
        assert status == 200
    return sb, clock, ours, us, them


async def test_two_sided_time_uptime_and_notional_over_the_window(make_sandbox, session):
    sb, clock, ours, us, _ = await setup(make_sandbox, session)
    status, bid = await us.call("POST", "/api/v1/order", order("Bid", "99.5", postOnly=True))
    assert status == 200
    clock.offset_s = 10                                   # 10 s: bid only
    status, _ = await us.call("POST", "/api/v1/order", order("Ask", "100.5", "2", postOnly=True))
    clock.offset_s = 30                                   # 20 s: both sides, mid 100, within 100 bps
    status, _ = await us.call("DELETE", "/api/v1/order", {"symbol": SYMBOL, "orderId": bid["id"]})
    assert status == 200
    clock.offset_s = 40                                   # 10 s: ask only
    view = sb.scorecard(ours.api_key, since_s=clock.start_s, until_s=clock.start_s + 50)
    assert view["windowS"] == pytest.approx(50) and view["bandBps"] == "100"
    m = view["markets"][SYMBOL]
    assert m["twoSidedS"] == pytest.approx(20) and m["twoSidedShare"] == pytest.approx(0.4)
    assert m["uptimeS"] == pytest.approx(50) and m["uptimeShare"] == pytest.approx(1.0)
    # (99.5·30 + 201·40) / (30 + 40)
    assert Decimal(m["avgRestingOrderNotionalQuote"]) == (Decimal("99.5") * 30 + 201 * 40) / 70
    assert m["makerShare"] is None and m["fills"] == 0
    narrow = sb.scorecard(ours.api_key, since_s=clock.start_s, until_s=clock.start_s + 50, band_bps=40)
    assert narrow["markets"][SYMBOL]["twoSidedS"] == 0    # 50 bps from the mid: outside a 40 bps band


async def test_maker_and_taker_volume_from_the_ledger(make_sandbox, session):
    sb, clock, ours, us, them = await setup(make_sandbox, session)
    sb.engine.clock = Clock(offset_ms=-3_600_000)         # fills stamped an hour early: the window still has them
    await us.call("POST", "/api/v1/order", order("Ask", "100.5", postOnly=True))
    market_buy = {"symbol": SYMBOL, "side": "Bid", "orderType": "Market", "quantity": "0.4"}
    status, _ = await them.call("POST", "/api/v1/order", market_buy)
    assert status == 200                                  # our ask: maker, 0.4 × 100.5
    market_sell = {"symbol": SYMBOL, "side": "Ask", "orderType": "Market", "quantity": "0.2"}
    status, _ = await us.call("POST", "/api/v1/order", market_sell)
    assert status == 200                                  # the other's bid: taker, 0.2 × 95
    view = sb.scorecard(ours.api_key, since_s=clock.start_s, until_s=clock.start_s + 1)
    m = view["markets"][SYMBOL]
    ledger = [f for f in sb.engine.account_fills[sb.account(ours.api_key).id]]
    assert m["fills"] == len(ledger) == 2
    maker = sum((Decimal(f.quote_quantity) for f, oid in ledger if (oid == f.buy_order_id) == f.buyer_is_maker),
                Decimal(0))
    assert Decimal(m["makerVolumeQuote"]) == maker == Decimal("0.4") * Decimal("100.5")
    assert Decimal(m["volumeQuote"]) == sum((f.quote_quantity for f, _ in ledger), Decimal(0)) == Decimal("59.2")
    assert m["makerShare"] == pytest.approx(float(maker / Decimal(m["volumeQuote"])))
    assert view["markets"][SYMBOL]["makerFills"] == 1


async def test_control_endpoint_matches_the_python_api_and_refuses_bad_queries(make_sandbox, session):
    sb, clock, ours, us, _ = await setup(make_sandbox, session)
    await us.call("POST", "/api/v1/order", order("Bid", "99.5", postOnly=True))
    clock.offset_s = 5
    since, until = clock.start_s, clock.start_s + 5
    url = sb.rest_url + f"/_sandbox/accounts/{ours.api_key}/scorecard"
    status, body = await control(session, "GET", url + f"?since={since}&until={until}&bandBps=50")
    assert status == 200
    assert body == sb.scorecard(ours.api_key, since_s=since, until_s=until, band_bps=50)
    status, default = await control(session, "GET", url)
    assert status == 200 and default["bandBps"] == "100" and default["markets"][SYMBOL]["uptimeS"] > 0
    for query in ("?bandBps=0", "?bandBps=abc", f"?since={until}&until={since}", "?since=nan"):
        status, error = await control(session, "GET", url + query)
        assert status == 400 and error["code"] == "INVALID_CLIENT_REQUEST", query
