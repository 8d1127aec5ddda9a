"""Exchange-behaviour switches (backpack_sandbox/switches.py): each reading of an undocumented behaviour, set by
config, CLI, control endpoint or Python API."""
from __future__ import annotations

import json

import pytest

from backpack_sandbox.__main__ import build_parser
from backpack_sandbox.config import SandboxConfig

from .sandbox_client import SignedClient, control, recv_json, recv_until, ws_signature

pytestmark = pytest.mark.asyncio


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def subscribe(ws, keys, *streams):
    await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": list(streams),
                                  "signature": ws_signature(keys.api_key, keys.secret)}))


async def test_refused_balance_stream_answers_4006_and_leaves_order_events(make_sandbox, session):
    sb = await make_sandbox()
    status, body = await control(session, "POST", sb.rest_url + "/_sandbox/switches", {"balance_stream": "refused"})
    assert status == 200 and body["switches"]["balance_stream"] == "refused"
    keys = sb.add_account({"SOL": "10", "USDC": "1000"})
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    async with session.ws_connect(sb.ws_url) as ws:
        await subscribe(ws, keys, "account.orderUpdate")
        await subscribe(ws, keys, "account.balanceUpdate")
        assert await recv_json(ws) == {"id": None, "error": {"code": 4006, "message": "Invalid stream"}}
        await c.order(**lim("Bid", "100", "2"))
        frame = await recv_json(ws)
        assert frame["stream"] == "account.orderUpdate" and frame["data"]["e"] == "orderAccepted"
        await subscribe(ws, keys, "depth.SOL_USDC")  # nothing else was queued: no balance event
        await c.order(**lim("Bid", "101", "1"))
        frames = [await recv_json(ws) for _ in range(2)]
        assert [f["stream"] for f in frames] == ["account.orderUpdate", "depth.SOL_USDC"]
    status, body = await control(session, "GET", sb.rest_url + "/_sandbox/switches")
    assert body["balance_stream"] == "refused"


async def test_fills_only_balance_stream(make_sandbox, session):
    sb = await make_sandbox()
    sb.switches.set("balance_stream", "fills")
    maker_keys = sb.add_account({"SOL": "10", "USDC": "1000"})
    taker_keys = sb.add_account({"SOL": "10", "USDC": "1000"})
    maker = SignedClient(session, sb.rest_url, maker_keys.api_key, maker_keys.secret)
    taker = SignedClient(session, sb.rest_url, taker_keys.api_key, taker_keys.secret)
    async with session.ws_connect(sb.ws_url) as ws:
        await subscribe(ws, maker_keys, "account.balanceUpdate", "account.orderUpdate")
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["depth.SOL_USDC"]}))
        await maker.order(**lim("Bid", "100", "2"))            # a placement: no balance event
        first = await recv_json(ws)
        assert first["stream"] == "account.orderUpdate"
        assert (await recv_json(ws))["stream"] == "depth.SOL_USDC"
        await taker.order(**lim("Ask", "100", "1"))            # a fill of the maker's order
        balance = await recv_until(ws, lambda f: f.get("stream") == "account.balanceUpdate")
        assert balance["data"]["a"] in ("SOL", "USDC")
    sb.switches.set("balance_stream", "all")
    async with session.ws_connect(sb.ws_url) as ws:
        await subscribe(ws, maker_keys, "account.balanceUpdate")
        await maker.order(**lim("Bid", "99", "1"))
        balance = await recv_json(ws)
        assert balance["data"] == {"e": "balanceUpdate", "E": balance["data"]["E"], "a": "USDC", "A": "701",
                                   "L": "199", "S": "0"}


async def test_switch_values_are_checked(make_sandbox, session):
    sb = await make_sandbox()
    status, _ = await control(session, "POST", sb.rest_url + "/_sandbox/switches", {"balance_stream": "maybe"})
    assert status == 400
    status, _ = await control(session, "POST", sb.rest_url + "/_sandbox/switches", {"no_such_switch": "all"})
    assert status == 400
    assert sb.switches.balance_stream == "all"
    with pytest.raises(ValueError):
        SandboxConfig(balance_stream="sometimes")
    with pytest.raises(ValueError):
        sb.switches.set("balance_stream", "sometimes")


async def test_switches_from_config_and_cli(make_sandbox):
    sb = await make_sandbox(balance_stream="fills")
    assert sb.switches.as_json()["balance_stream"] == "fills"
    sb = await make_sandbox(balance_updates=False)
    assert sb.switches.balance_stream == "off"
    args = build_parser().parse_args(["serve", "--balance-stream", "refused"])
    assert args.balance_stream == "refused"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--balance-stream", "sometimes"])
