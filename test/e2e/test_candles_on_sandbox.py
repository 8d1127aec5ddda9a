"""Hummingbot's shipped ``BackpackSpotCandles`` feed, pointed at a sandbox on loopback by its URL constants only,
backfills (REST ``/api/v1/klines``) and streams (WS ``kline.1m.<symbol>``) candles whose OHLCV are those of the
sandbox's own trades. Earlier minutes are filled by trading with the sandbox clock set back."""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from decimal import Decimal

import pytest

import hummingbot.data_feed.candles_feed.backpack_spot_candles.constants as CANDLES_CONSTANTS
from backpack_sandbox import SandboxConfig, SandboxServer
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory
from hummingbot.data_feed.candles_feed.backpack_spot_candles.backpack_spot_candles import BackpackSpotCandles

pytestmark = pytest.mark.asyncio

RECORDS = 6  # five backfilled minutes and the live one


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def cross(server: SandboxServer, maker, taker, price: str, qty: str) -> None:
    """One trade on SOL_USDC: ``maker`` rests an ask, ``taker`` lifts it with an IOC bid."""
    server.engine.place(maker, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "price": price,
                                "quantity": qty})
    order = server.engine.place(taker, {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": price,
                                        "quantity": qty, "timeInForce": "IOC"})
    assert order.status == "Filled"


def by_minute(server: SandboxServer) -> "OrderedDict[int, list]":
    """Minute start (s) → [open, high, low, close, volume, quote volume, trades] from the engine's ledger."""
    out: "OrderedDict[int, list]" = OrderedDict()
    for f in server.engine.ledger:
        minute = f.time_us // 1_000_000 // 60 * 60
        row = out.setdefault(minute, [f.price, f.price, f.price, f.price, Decimal(0), Decimal(0), 0])
        row[1], row[2], row[3] = max(row[1], f.price), min(row[2], f.price), f.price
        row[4] += f.quantity
        row[5] += f.quantity * f.price
        row[6] += 1
    return out


async def test_backpack_spot_candles_backfill_and_stream(monkeypatch):
    server = SandboxServer(SandboxConfig(port=0, flow=False))
    await server.start()
    maker = server.account(server.add_account({"SOL": "1000"}).api_key)
    taker = server.account(server.add_account({"USDC": "1000000"}).api_key)
    monkeypatch.setattr(CANDLES_CONSTANTS, "REST_URL", server.rest_url)
    monkeypatch.setattr(CANDLES_CONSTANTS, "WSS_URL", server.ws_url)
    for back in range(RECORDS - 1, 0, -1):  # the middle of each of the previous minutes
        now_ms = int(time.time() * 1000)
        server.clock.offset_ms = (now_ms // 60_000 - back) * 60_000 + 30_000 - now_ms
        for price, qty in (("150.00", "1"), ("150.50", "0.5"), ("149.80", "2")):
            cross(server, maker, taker, str(Decimal(price) + back), qty)
    server.clock.offset_ms = 0

    async def live_trades() -> None:
        i = 0
        while True:
            cross(server, maker, taker, str(Decimal("150") + Decimal(i % 5) / 10), "0.25")
            i += 1
            await asyncio.sleep(0.3)

    await ConnectionsFactory().close()  # Hummingbot's shared session may belong to an earlier test's closed loop
    live_from_s = int(time.time()) // 60 * 60  # minutes from here on may be streamed (a minute can roll over)
    driver = asyncio.ensure_future(live_trades())
    feed = BackpackSpotCandles("SOL-USDC", interval="1m", max_records=RECORDS)
    try:
        await feed.start_network()
        await wait_until(lambda: feed.ready, 60, "the feed to fill its candles")
        driver.cancel()
        expected = by_minute(server)

        def last_row_streamed() -> bool:
            last = feed.candles_df.iloc[-1]
            want = expected.get(int(last["timestamp"]))
            return want is not None and [last["close"], last["volume"], last["n_trades"]] == [
                float(want[3]), float(want[4]), want[6]]

        await wait_until(last_row_streamed, 15, "the live candle to catch up with the last trade")
        df = feed.candles_df
        assert len(df) == RECORDS and list(df["timestamp"].diff().dropna().unique()) == [60.0]
        for n, row in enumerate(df.itertuples()):
            want = expected[int(row.timestamp)]
            assert [row.open, row.high, row.low, row.close, row.volume, row.n_trades] == [
                float(want[0]), float(want[1]), float(want[2]), float(want[3]), float(want[4]), want[6]], row
            if row.timestamp < live_from_s:  # backfilled over REST: exact quote volume (the WS kline carries none)
                assert row.quote_asset_volume == float(want[5])
        # the feed keeps the newest RECORDS minutes: one more when live trading spanned a minute boundary
        assert int(df["timestamp"].iloc[0]) == sorted(expected)[-RECORDS] and df["n_trades"].iloc[0] == 3
    finally:
        driver.cancel()
        await feed.stop_network()
        await ConnectionsFactory().close()
        await server.stop()
