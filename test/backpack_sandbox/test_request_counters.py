"""``GET /_sandbox/stats`` counts REST requests by route and by API key and route (``requestsByKey``), and public WS
frames by stream kind (``wsPublicFramesByKind``): what the scale benchmarks read."""
from __future__ import annotations

import asyncio
import json

import pytest

from .sandbox_client import SignedClient, control, get, recv_until

pytestmark = pytest.mark.asyncio


async def test_requests_are_counted_by_route_and_by_api_key(sandbox, session):
    a = sandbox.add_account({"USDC": "1000"})
    b = sandbox.add_account({"USDC": "1000"})
    ca = SignedClient(session, sandbox.rest_url, a.api_key, a.secret)
    cb = SignedClient(session, sandbox.rest_url, b.api_key, b.secret)
    for _ in range(3):
        assert (await ca.call("GET", "/api/v1/capital"))[0] == 200
    assert (await ca.call("GET", "/api/v1/orders", {}))[0] == 200
    assert (await cb.call("GET", "/api/v1/capital"))[0] == 200
    assert (await get(session, sandbox.rest_url + "/api/v1/time"))[0] == 200   # public, no key
    _, stats = await control(session, "GET", sandbox.rest_url + "/_sandbox/stats")
    assert stats["requestsByKey"] == {a.api_key: {"GET /api/v1/capital": 3, "GET /api/v1/orders": 1},
                                      b.api_key: {"GET /api/v1/capital": 1}}
    assert stats["requestsByRoute"] == {"GET /api/v1/capital": 4, "GET /api/v1/orders": 1, "GET /api/v1/time": 1}


async def test_public_frames_are_counted_by_stream_kind_per_subscriber(sandbox, session, trader, counterparty):
    """``wsPublicFramesByKind``: the pairs-per-core benchmark divides CPU by the depth frames its connector got."""
    async with session.ws_connect(sandbox.ws_url) as one, session.ws_connect(sandbox.ws_url) as two:
        for ws, streams in ((one, ["depth.SOL_USDC", "trade.SOL_USDC"]), (two, ["depth.SOL_USDC"])):
            await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": streams}))
        await asyncio.sleep(0.2)   # both subscriptions processed before the trade
        await trader.order(symbol="SOL_USDC", side="Bid", orderType="Limit", price="150", quantity="1")
        await counterparty.order(symbol="SOL_USDC", side="Ask", orderType="Limit", price="150", quantity="1")
        await recv_until(one, lambda f: f.get("stream") == "trade.SOL_USDC")
        _, stats = await control(session, "GET", sandbox.rest_url + "/_sandbox/stats")
    frames = stats["wsPublicFramesByKind"]
    assert frames["trade"] == 1
    assert frames["depth"] >= 2 and frames["depth"] % 2 == 0   # every depth diff went to both sockets
