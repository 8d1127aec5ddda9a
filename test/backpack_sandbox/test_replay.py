"""Record a live (sandbox) feed, then replay it; a client's snapshot + diffs must equal the REST book."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from backpack_sandbox.replay import capture_symbols, record, rest_url_for

from .sandbox_client import get, recv_json, wait_for


def test_rest_url_for():
    assert rest_url_for("wss://ws.backpack.exchange") == "https://api.backpack.exchange"
    assert rest_url_for("ws://127.0.0.1:8765/ws") == "http://127.0.0.1:8765"


@pytest.mark.asyncio
async def test_record_then_replay_keeps_rest_and_ws_consistent(make_sandbox, session, tmp_path):
    live = await make_sandbox(flow=True, flow_pace=6, seed=3)
    path = str(tmp_path / "capture.jsonl")
    n = await record(live.ws_url, ["SOL_USDC", "BTC_USDC"], path, duration_s=1.5)
    assert n > 20
    lines = [json.loads(x) for x in open(path)]
    assert "snapshot" in lines[0] and all(set(x) in ({"recv_us", "frame"}, {"recv_us", "snapshot"}) for x in lines)
    streams = {json.loads(x["frame"])["stream"].split(".")[0] for x in lines if "frame" in x}
    assert {"depth", "trade", "bookTicker"} <= streams
    assert capture_symbols(path) == ["SOL_USDC", "BTC_USDC"]
    await live.stop()

    replay = await make_sandbox(flow=False, markets=("SOL_USDC",), replay_file=path, replay_speed=3)
    assert replay.replay is not None and replay.replay.has("BTC_USDC")
    async with session.ws_connect(replay.ws_url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["depth.SOL_USDC", "trade.SOL_USDC"]}))
        await wait_for(lambda: replay.hub.subs["depth.SOL_USDC"])
        _, snap = await get(session, replay.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "1000"})
        last = int(snap["lastUpdateId"])
        book = {"b": {Decimal(p): Decimal(q) for p, q in snap["bids"]},
                "a": {Decimal(p): Decimal(q) for p, q in snap["asks"]}}
        await wait_for(replay.replay.done.is_set, timeout=20)
        final_id = replay.replay.books["SOL_USDC"].last_id
        prev_u = None
        trades = 0
        while last < final_id:
            frame = await recv_json(ws)
            d = frame["data"]
            if frame["stream"] == "trade.SOL_USDC":
                trades += 1
                continue
            if prev_u is not None:
                assert d["U"] == prev_u + 1
            prev_u = d["u"]
            if d["u"] <= last:
                continue
            assert d["U"] <= last + 1 <= d["u"]
            for key in ("a", "b"):
                for p, q in d[key]:
                    if Decimal(q) == 0:
                        book[key].pop(Decimal(p), None)
                    else:
                        book[key][Decimal(p)] = Decimal(q)
            last = d["u"]
    _, end = await get(session, replay.rest_url + "/api/v1/depth", {"symbol": "SOL_USDC", "limit": "1000"})
    assert end["lastUpdateId"] == str(final_id)
    assert book["b"] == {Decimal(p): Decimal(q) for p, q in end["bids"]}
    assert book["a"] == {Decimal(p): Decimal(q) for p, q in end["asks"]}
    _, trades_rest = await get(session, replay.rest_url + "/api/v1/trades", {"symbol": "SOL_USDC"})
    assert isinstance(trades_rest, list)
    # Engine-made public frames for replayed symbols are suppressed; the synthetic flow is off.
    assert replay.flow is None


@pytest.mark.asyncio
async def test_record_and_replay_new_streams(make_sandbox, session, tmp_path):
    """Dotted symbols, empty depth diffs and kline frames survive record and replay exactly."""
    live = await make_sandbox(flow=True, flow_pace=4, seed=5, empty_depth_diff_s=0.2,
                              markets=("SOL_USDC", "SPCX.US_USDC"))
    path = str(tmp_path / "capture.jsonl")
    await record(live.ws_url, ["SPCX.US_USDC"], path, duration_s=2.5)
    await live.stop()
    frames = [json.loads(x["frame"]) for x in map(json.loads, open(path)) if "frame" in x]
    depth = [f["data"] for f in frames if f["stream"] == "depth.SPCX.US_USDC"]
    klines = [f for f in frames if f["stream"] == "kline.1m.SPCX.US_USDC"]
    assert klines and any(not d["a"] and not d["b"] for d in depth)
    assert capture_symbols(path) == ["SPCX.US_USDC"]

    replay = await make_sandbox(flow=False, markets=("SOL_USDC",), replay_file=path, replay_speed=2)
    async with session.ws_connect(replay.ws_url) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": [
            "depth.SPCX.US_USDC", "kline.1m.SPCX.US_USDC"]}))
        await wait_for(lambda: replay.hub.subs["kline.1m.SPCX.US_USDC"])
        got = {"depth": [], "kline": []}

        def caught_up() -> bool:  # frames published before the subscription are missed: compare tails
            last_k = klines[-1]["data"]
            return bool(got["depth"] and got["kline"]) and got["depth"][-1]["u"] == depth[-1]["u"] \
                and (got["kline"][-1]["t"], got["kline"][-1]["n"]) == (last_k["t"], last_k["n"])

        while not caught_up():
            frame = await recv_json(ws)
            got[frame["stream"].split(".")[0]].append(frame["data"])
    n_k, n_d = len(got["kline"]), len(got["depth"])
    assert got["kline"] == [{**f["data"], "E": g["E"]} for f, g in zip(klines[-n_k:], got["kline"])]
    assert got["depth"] == [{**d, "E": g["E"], "T": g["T"]} for d, g in zip(depth[-n_d:], got["depth"])]
    assert any(not d["a"] and not d["b"] for d in got["depth"])
    trades = [f["data"] for f in frames if f["stream"] == "trade.SPCX.US_USDC"]
    _, candles = await get(session, replay.rest_url + "/api/v1/klines",
                           {"symbol": "SPCX.US_USDC", "interval": "1d", "startTime": "0"})
    assert sum(int(c["trades"]) for c in candles) == len(trades)
    assert sum(Decimal(c["volume"]) for c in candles) == sum(Decimal(t["q"]) for t in trades)
