"""A standard Backpack client against the sandbox: ccxt (async and pro) with only its URLs pointed at a sandbox on
loopback runs its market-data, trading and streaming calls, and the results agree with the sandbox's own state
(books two-sided and uncrossed, fills with fees, orders in their right states). The README example
(``docs/ccxt_example.py``) runs as a user would run it."""
from __future__ import annotations

import asyncio
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import ccxt
import ccxt.pro as ccxtpro
import pytest
import pytest_asyncio

from backpack_sandbox import SandboxConfig, SandboxServer

pytestmark = pytest.mark.asyncio

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "ccxt_example.py"
FUNDS = {"SOL": "1000", "BTC": "10", "ETH": "100", "USDC": "1000000"}
SYMBOL, MARKET = "SOL/USDC", "SOL_USDC"


async def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def client(server: SandboxServer, keys) -> ccxtpro.backpack:
    """ccxt pro's Backpack class, unchanged but for its URLs."""
    ex = ccxtpro.backpack({"apiKey": keys.api_key, "secret": keys.secret})
    ex.urls["api"] = {"public": server.rest_url, "private": server.rest_url,
                      "ws": {"public": server.ws_url, "private": server.ws_url}}
    return ex


@pytest_asyncio.fixture
async def venue():
    server = SandboxServer(SandboxConfig(port=0, seed=11, flow=True, flow_pace=3, empty_depth_diff_s=0.5))
    await server.start()
    keys = server.add_account(FUNDS)
    ex = client(server, keys)
    try:
        yield server, keys, ex
    finally:
        await ex.close()
        await server.stop()


def engine_trades(server: SandboxServer, symbol: str = MARKET):
    return list(server.engine.markets[symbol].trades)


def minute_ohlcv(trades, start_s: int):
    """[open, high, low, close, volume] as floats of the trades in ``[start_s, start_s + 60)``."""
    rows = [f for f in trades if start_s <= f.time_us // 1_000_000 < start_s + 60]
    if not rows:
        return None
    prices = [f.price for f in rows]
    return [float(prices[0]), float(max(prices)), float(min(prices)), float(prices[-1]),
            float(sum((f.quantity for f in rows), Decimal(0)))]


async def test_market_data_calls(venue):
    server, _, ex = venue
    markets = await ex.load_markets()
    assert markets[SYMBOL]["spot"] and markets[SYMBOL]["active"] and markets[SYMBOL]["precision"]["price"] == 0.01
    assert markets["SOL/USDC:USDC"]["swap"]  # the PERP rows are listed, as on Backpack
    assert {"SOL", "BTC", "ETH", "USDC"} <= set(ex.currencies)  # load_markets fetched /api/v1/assets
    currencies = await ex.fetch_currencies()
    assert currencies["USDC"]["networks"]["SOL"]["deposit"] is True
    await wait_until(lambda: len(engine_trades(server)) >= 5, what="background trades on SOL_USDC")
    await server.flow.stop()
    book = await ex.fetch_order_book(SYMBOL)
    assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
    assert book["nonce"] == server.engine.markets[MARKET].update_id
    assert book["bids"] == sorted(book["bids"], reverse=True) and book["asks"] == sorted(book["asks"])
    trades = engine_trades(server)
    ticker = await ex.fetch_ticker(SYMBOL)
    assert ticker["last"] == float(trades[-1].price) and ticker["baseVolume"] > 0
    tickers = await ex.fetch_tickers()
    assert {SYMBOL, "BTC/USDC", "ETH/USDC"} <= set(tickers)
    fetched = sorted(await ex.fetch_trades(SYMBOL, limit=1000), key=lambda t: int(t["id"]))  # ccxt sorts by ms
    assert [t["id"] for t in fetched] == [str(f.trade_id) for f in trades]
    assert all(t["price"] == float(f.price) and t["amount"] == float(f.quantity) for t, f in zip(fetched, trades))
    candles = await ex.fetch_ohlcv(SYMBOL, "1m")
    assert candles
    for ts, *values in candles:
        assert values == minute_ohlcv(trades, ts // 1000)
    assert sum(c[5] for c in candles) == pytest.approx(float(sum((f.quantity for f in trades), Decimal(0))))


async def test_trading_calls(venue):
    server, keys, ex = venue
    await ex.load_markets()
    await wait_until(lambda: server.engine.markets[MARKET].book.best("Ask"), what="asks on the book")
    await server.flow.stop()
    balance = await ex.fetch_balance()
    assert balance["USDC"]["free"] == 1_000_000 and balance["SOL"]["total"] == 1000
    best_bid = float(server.engine.markets[MARKET].book.best("Bid"))
    best_ask = float(server.engine.markets[MARKET].book.best("Ask"))
    low, high = round(best_bid * 0.9, 2), round(best_ask * 1.1, 2)  # resting, inside the ±25 % price band
    rest = await ex.create_order(SYMBOL, "limit", "buy", 2, low)
    assert (rest["status"], rest["amount"], rest["filled"]) == ("open", 2, 0)
    maker = await ex.create_order(SYMBOL, "limit", "buy", 1, best_bid, {"postOnly": True})
    assert maker["status"] == "open" and maker["postOnly"] is True
    with pytest.raises(ccxt.InvalidOrder):
        await ex.create_order(SYMBOL, "limit", "buy", 1, best_ask, {"postOnly": True})
    taker = await ex.create_order(SYMBOL, "market", "buy", 1)
    assert (taker["status"], taker["filled"], taker["type"]) == ("closed", 1, "market")
    batch = await ex.create_orders([
        {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 1, "price": low + 1},
        {"symbol": SYMBOL, "type": "limit", "side": "sell", "amount": 1, "price": high},
    ])
    assert [o["status"] for o in batch] == ["open", "open"] and [o["side"] for o in batch] == ["buy", "sell"]
    open_ids = {o["id"] for o in await ex.fetch_open_orders(SYMBOL)}
    assert open_ids == {rest["id"], maker["id"], batch[0]["id"], batch[1]["id"]}
    cancelled = await ex.cancel_order(rest["id"], SYMBOL)
    assert (cancelled["id"], cancelled["status"]) == (rest["id"], "canceled")
    swept = await ex.cancel_all_orders(SYMBOL)
    assert {o["id"] for o in swept} == open_ids - {rest["id"]} and {o["status"] for o in swept} == {"canceled"}
    assert await ex.fetch_open_orders(SYMBOL) == []
    history = {o["id"]: o["status"] for o in await ex.fetch_orders(SYMBOL)}
    assert history == {**{i: "canceled" for i in open_ids}, taker["id"]: "closed"}
    assert [o["id"] for o in await ex.fetch_closed_orders(SYMBOL)] == [taker["id"]]
    fills = await ex.fetch_my_trades(SYMBOL)
    ledger = [f for f in server.engine.ledger if f.buy_order_id == taker["id"]]
    assert sorted(t["id"] for t in fills) == sorted(str(f.trade_id) for f in ledger) and fills
    for t in fills:
        assert (t["order"], t["side"], t["takerOrMaker"], t["fee"]["currency"]) == (taker["id"], "buy", "taker", "SOL")
        assert t["fee"]["cost"] == pytest.approx(t["amount"] * 0.001)  # taker 10 bps, paid in the received base
    assert sum(t["amount"] for t in fills) == pytest.approx(1.0)
    account = server.account(keys.api_key)
    final = await ex.fetch_balance()
    assert final["SOL"]["total"] == float(account.total("SOL")) and final["USDC"]["used"] == 0


async def test_streaming_calls(venue):
    server, keys, ex = venue
    await ex.load_markets()
    book = await ex.watch_order_book(SYMBOL)
    for _ in range(20):  # empty diffs (every ~0.5 s here) are applied like any other
        book = await ex.watch_order_book(SYMBOL)
        assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
    trades = await ex.watch_trades(SYMBOL)
    assert trades and all(t["price"] > 0 and t["amount"] > 0 and t["symbol"] == SYMBOL for t in trades)
    ticker = await ex.watch_ticker(SYMBOL)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0
    candles = await ex.watch_ohlcv(SYMBOL, "1m")
    assert candles and candles[-1][1] > 0
    await server.flow.stop()
    market = server.engine.markets[MARKET]
    while book["nonce"] < market.update_id:
        book = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 10)
    assert dict(book["bids"]) == {float(p): float(q) for p, q in market.book.level_qty["Bid"].items()}
    assert dict(book["asks"]) == {float(p): float(q) for p, q in market.book.level_qty["Ask"].items()}

    def candle_matches():
        ts, *values = ex.ohlcvs[SYMBOL]["1m"][-1]
        return values == minute_ohlcv(engine_trades(server), ts // 1000 - 60)  # ccxt stamps a kline with its T

    await wait_until(candle_matches, 10, "the streamed candle to match the sandbox's trades")

    account_id = server.account(keys.api_key).id
    orders_task = asyncio.ensure_future(ex.watch_orders(SYMBOL))
    await wait_until(lambda: server.hub.private_subs.get(account_id), what="the private subscription")
    low = round(float(market.book.best("Bid")) * 0.9, 2)
    placed = await ex.create_order(SYMBOL, "limit", "buy", 1, low, {"clientOrderId": 77})
    streamed = await asyncio.wait_for(orders_task, 10)
    assert [(o["id"], o["status"], o["clientOrderId"]) for o in streamed] == [(placed["id"], "open", "77")]
    if ex.has["watchBalance"]:
        balance_task = asyncio.ensure_future(ex.watch_balance())
        await wait_until(lambda: any("account.balanceUpdate" in streams
                                     for streams in server.hub.private_subs[account_id].values()),
                         what="the balance subscription")
        await ex.cancel_order(placed["id"], SYMBOL)
        balance = await asyncio.wait_for(balance_task, 10)
        assert balance["USDC"]["used"] == 0
    else:  # ccxt releases before watchBalance know no balance stream; the sandbox serves one (test_ws)
        with pytest.raises(ccxt.NotSupported):
            await ex.watch_balance()


async def test_readme_example_runs(venue):
    server, keys, _ = venue
    env = dict(os.environ, BACKPACK_SANDBOX_URL=server.rest_url, BACKPACK_SANDBOX_API_KEY=keys.api_key,
               BACKPACK_SANDBOX_SECRET=keys.secret)
    proc = await asyncio.create_subprocess_exec(sys.executable, str(EXAMPLE), env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    first, second = out.decode().splitlines()
    status, order_id, _ = first.split(" ", 2)
    assert (status, second) == ("open", "canceled")
    assert server.engine.orders[order_id].status == "Cancelled" and server.engine.orders[order_id].post_only
