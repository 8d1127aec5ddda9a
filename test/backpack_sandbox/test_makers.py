"""Background books that look like a market (makers.py): several makers, one depth diff per requote, a book that is
never empty or one-sided between diffs, a settable message rate; the legacy ladder flow stays reachable."""
from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from backpack_sandbox.__main__ import build_parser

from .sandbox_client import get, recv_until, wait_for

pytestmark = pytest.mark.asyncio


async def sub(ws, *streams):
    await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": list(streams)}))


async def test_requote_is_one_command(sandbox, session):
    keys = sandbox.add_account({"SOL": "100", "USDC": "100000"})
    acct = sandbox.account(keys.api_key)
    engine = sandbox.engine
    old = [engine.place(acct, {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": p, "quantity": "1"})
           for side, p in (("Bid", "149"), ("Bid", "148"), ("Ask", "151"))]
    async with session.ws_connect(sandbox.ws_url) as ws:
        await sub(ws, "depth.SOL_USDC")
        await wait_for(lambda: sandbox.hub.subs.get("depth.SOL_USDC"))
        placed = engine.requote(acct, "SOL_USDC", old[:2], [
            {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "149.5", "quantity": "2"},
            {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "151", "quantity": "1",
             "postOnly": True},  # would cross: refused, skipped
            {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "price": "151.5", "quantity": "1"}])
        frame = (await recv_until(ws, lambda f: f["stream"] == "depth.SOL_USDC"))["data"]
    assert [o is not None for o in placed] == [True, False, True]
    assert frame["U"] == frame["u"] == 4  # three placements, then this ONE command
    assert frame["b"] == [["148.00", "0.00"], ["149.00", "0.00"], ["149.50", "2.00"]]
    assert frame["a"] == [["151.50", "1.00"]]
    assert [o.status for o in old] == ["Cancelled", "Cancelled", "New"]


async def test_market_flow_books(make_sandbox, session):
    sb = await make_sandbox(flow=True, seed=9, depth_rate=40)
    sym = "SOL_USDC"
    book = sb.engine.markets[sym].book
    assert {o.account_id for o in book.orders()} == {sb.flow.maker.id}  # the flow's liquidity account
    ladders = [{key for key, o in m.orders[sym].items() if o.is_open} for m in sb.flow.makers]
    assert len(ladders) == 3 and all({"Bid", "Ask"} == {side for side, _ in ladder} for ladder in ladders)
    assert sum(len(ladder) for ladder in ladders) == len(list(book.orders()))  # each order belongs to one maker
    assert all(sb.engine.markets[s].book.best("Bid") for s in ("BTC_USDC", "ETH_USDC", "SPCX.US_USDC"))
    async with session.ws_connect(sb.ws_url) as ws:
        await sub(ws, f"depth.{sym}")
        frames = [(await recv_until(ws, lambda f: f["stream"] == f"depth.{sym}"))["data"]]
        _, snap = await get(session, sb.rest_url + "/api/v1/depth", {"symbol": sym})
        start = time.monotonic()
        while time.monotonic() - start < 3:
            frames.append((await recv_until(ws, lambda f: f["stream"] == f"depth.{sym}"))["data"])
    rate = (len(frames) - 1) / (time.monotonic() - start)
    assert 10 <= rate <= 80, rate  # ≈ 40 requotes a second, plus the takers' diffs
    levels = {"b": {Decimal(p): Decimal(q) for p, q in snap["bids"]},
              "a": {Decimal(p): Decimal(q) for p, q in snap["asks"]}}
    last, applied = int(snap["lastUpdateId"]), 0
    for f in frames:
        if f["u"] <= last:
            continue
        assert f["U"] == last + 1 == f["u"]
        last = f["u"]
        for key in ("a", "b"):
            for p, q in f[key]:
                if Decimal(q) == 0:
                    levels[key].pop(Decimal(p), None)
                else:
                    levels[key][Decimal(p)] = Decimal(q)
        assert len(levels["b"]) >= 5 and len(levels["a"]) >= 5  # never empty or thin between diffs
        assert max(levels["b"]) < min(levels["a"])
        applied += 1
    assert applied >= 20


async def test_ladder_style_still_available(make_sandbox):
    sb = await make_sandbox(flow=True, flow_style="ladder", markets=("SOL_USDC",))
    book = sb.engine.markets["SOL_USDC"].book
    owners = {o.account_id for o in book.orders()}
    assert len(owners) == 1 and len(list(book.orders())) == 20  # one maker, ten levels a side
    with pytest.raises(ValueError):
        await make_sandbox(flow_style="wild")


async def test_cli_options():
    args = build_parser().parse_args(["serve", "--flow-style", "ladder", "--makers", "5", "--depth-rate", "7",
                                      "--no-price-bands", "--ws-plain-numbers", "--empty-depth-diff-s", "0",
                                      "--no-perp-rows"])
    assert (args.flow_style, args.makers, args.depth_rate, args.no_price_bands) == ("ladder", 5, 7.0, True)
    assert (args.ws_plain_numbers, args.empty_depth_diff_s, args.no_perp_rows) == (True, 0.0, True)
    assert build_parser().parse_args(["serve"]).markets == "SOL_USDC,BTC_USDC,ETH_USDC,SPCX.US_USDC"
