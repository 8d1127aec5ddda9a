"""Candles from the sandbox's trades (docs/backpack-api.md §4.8 REST ``/klines``, §8.2 WS ``kline``)."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from backpack_sandbox.candles import CandleStore, KlinePublisher

from .sandbox_client import get, recv_until

pytestmark = pytest.mark.asyncio

D = Decimal
T0 = 1_700_000_040  # a minute boundary (s)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def test_store_aggregates_one_second_buckets():
    store = CandleStore(retention_s=650)
    for sec, price, qty in ((T0 + 5, "10", "1"), (T0 + 5, "12", "2"), (T0 + 61, "9", "1"), (T0 + 2, "11", "3")):
        store.add("X", D(price), D(qty), sec * 1_000_000 + 123)
    one_min = store.candles("X", "1m", T0, T0 + 120)
    assert [(c.start_s, c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades) for c in one_min] == [
        (T0, D(11), D(12), D(10), D(12), D(6), D(67), 3), (T0 + 60, D(9), D(9), D(9), D(9), D(1), D(9), 1)]
    seconds = store.candles("X", "1s", T0 + 3, T0 + 10)
    assert [(c.start_s, c.open, c.close, c.trades) for c in seconds] == [(T0 + 5, D(10), D(12), 2)]
    assert store.candles("X", "1m", T0 + 30, T0 + 30)[0].start_s == T0  # overlapping candle included
    assert store.candle_at("X", "1m", T0 + 120) is None and store.candles("Y", "1m", 0, T0) == []
    store.add("X", D(1), D(1), (T0 + 700) * 1_000_000)
    assert [c.start_s for c in store.candles("X", "1s", 0, T0 + 1000)] == [T0 + 61, T0 + 700]  # older pruned
    assert store.candle_at("X", "1m", T0) is None


async def test_publisher_pushes_on_change_and_on_close():
    store = CandleStore()
    sent, now = [], [T0 * 1_000_000]
    pub = KlinePublisher(store, lambda: {"kline.1m.X": T0 * 1_000_000}, lambda s, d: sent.append((s, d)),
                         lambda: now[0])
    pub.tick()
    assert sent == []  # no trade: nothing to push
    store.add("X", D(10), D(1), now[0] + 1)
    now[0] += 1_000_000
    pub.tick()
    assert [(d["o"], d["c"], d["v"], d["n"], d["X"], d["t"], d["T"]) for _, d in sent] == [
        ("10", "10", "1", 1, False, "2023-11-14T22:14:00", "2023-11-14T22:15:00")]
    pub.tick()
    assert len(sent) == 1  # unchanged: no push
    store.add("X", D(11), D(2), now[0] + 5)
    pub.tick()
    assert (sent[-1][1]["c"], sent[-1][1]["h"], sent[-1][1]["n"], sent[-1][1]["X"]) == ("11", "11", 2, False)
    now[0] = (T0 + 61) * 1_000_000
    pub.tick()
    assert (sent[-1][1]["X"], sent[-1][1]["v"], len(sent)) == (True, "3", 3)  # closed; the new minute is empty
    store.add("X", D(12), D(1), now[0])
    pub.tick()
    assert (sent[-1][1]["t"], sent[-1][1]["X"], len(sent)) == ("2023-11-14T22:15:00", False, 4)
    assert sent[-1][1]["e"] == "kline" and sent[-1][1]["s"] == "X" and sent[-1][0] == "kline.1m.X"
    store.add("X", D(13), D(1), (T0 + 181) * 1_000_000)  # a minute that opens and closes between two ticks
    now[0] = (T0 + 245) * 1_000_000
    pub.tick()
    assert [(d["t"][-8:], d["c"], d["X"]) for _, d in sent[4:]] == [("22:15:00", "12", True), ("22:17:00", "13", True)]


async def test_rest_klines(sandbox, session, trader, counterparty):
    await trader.order(**lim("Ask", "150", "2"))
    await counterparty.order(**lim("Bid", "150", "0.5"))
    await counterparty.order(**lim("Bid", "150", "1.5"))
    url = sandbox.rest_url + "/api/v1/klines"
    status, rows = await get(session, url, {"symbol": "SOL_USDC", "interval": "1d", "startTime": "0"})
    assert status == 200 and len(rows) == 1
    row = rows[0]
    assert set(row) == {"start", "end", "open", "high", "low", "close", "volume", "quoteVolume", "trades"}
    assert re.match(r"^\d{4}-\d\d-\d\d 00:00:00$", row["start"]) and row["end"].endswith(" 00:00:00")
    assert (row["open"], row["close"], row["volume"], row["quoteVolume"], row["trades"]) == (
        "150", "150", "2", "300", "2")
    assert (await get(session, url, {"symbol": "SOL_USDC", "interval": "1d", "startTime": "0", "endTime": "1"}))[
        1] == []
    status, text = await get(session, url, {"symbol": "SOL_USDC", "interval": "2m", "startTime": "0"})
    assert status == 400 and "interval" in text
    status, text = await get(session, url, {"symbol": "SOL_USDC", "interval": "1m"})
    assert status == 400 and "startTime" in text


async def test_ws_kline_stream(sandbox, session, trader, counterparty):
    async with session.ws_connect(sandbox.ws_url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["kline.1s.SOL_USDC", "bookTicker.SOL_USDC"]}))
        await trader.order(**lim("Ask", "150", "3"))
        await recv_until(ws, lambda f: f["stream"] == "bookTicker.SOL_USDC")
        for _ in range(3):
            await counterparty.order(**lim("Bid", "150", "1"))
        frames = []
        while sum(f["n"] for f in frames if f["X"]) < 3:
            frames.append((await recv_until(ws, lambda f: f["stream"] == "kline.1s.SOL_USDC", timeout=5))["data"])
    closed = [f for f in frames if f["X"]]
    assert sum(f["n"] for f in closed) == 3 and sum(D(f["v"]) for f in closed) == 3
    assert len({f["t"] for f in closed}) == len(closed)  # one closing push per candle
    for f in frames:
        assert ISO.match(f["t"]) and ISO.match(f["T"]) and isinstance(f["n"], int) and f["o"] == f["c"] == "150"
    for a, b in zip(frames, frames[1:]):
        if a["t"] == b["t"] and not b["X"]:
            assert b["E"] - a["E"] >= 900_000  # at most one push a second per candle
