"""Reading switch ``batch_rate_weight`` (U8): a batch placement takes one slot of the request limit, or one per order
it carries; config field, CLI flag, ``/_sandbox/switches`` and ``server.switches``."""
from __future__ import annotations

import json
import urllib.request

import pytest

from .sandbox_client import SignedClient
from .test_cli import start_serve, stop


def bid(price: str) -> dict:
    return {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": price, "quantity": "0.1"}


@pytest.mark.asyncio
@pytest.mark.parametrize("weight, statuses", [("request", [200, 200, 200, 200]), ("order", [200, 429, 200, 429])])
async def test_batch_takes_one_slot_or_one_per_order(make_sandbox, session, weight, statuses):
    server = await make_sandbox(rate_limit=4, batch_rate_weight=weight)
    keys = server.add_account({"USDC": "10000"})
    client = SignedClient(session, server.rest_url, keys.api_key, keys.secret)
    got = [(await client.call("POST", "/api/v1/orders", [bid("90"), bid("91"), bid("92")]))[0],  # 3 slots or 1
           (await client.call("POST", "/api/v1/orders", [bid("93"), bid("94")]))[0],  # would take 5 of 4
           (await client.call("GET", "/api/v1/capital"))[0],
           (await client.call("GET", "/api/v1/capital"))[0]]
    assert got == statuses
    assert server.switches.batch_rate_weight == weight


@pytest.mark.asyncio
async def test_switch_control_endpoint(make_sandbox, session):
    server = await make_sandbox()
    assert server.switches.batch_rate_weight == "request"
    async with session.post(server.rest_url + "/_sandbox/switches", json={"batch_rate_weight": "order"}) as r:
        assert r.status == 200 and (await r.json())["switches"]["batch_rate_weight"] == "order"
    async with session.post(server.rest_url + "/_sandbox/switches", json={"batch_rate_weight": "both"}) as r:
        assert r.status == 400
    assert server.switches.batch_rate_weight == "order"


@pytest.mark.timeout(60)
def test_cli_flag_sets_the_switch():
    proc, lines = start_serve("--no-flow", "--batch-rate-weight", "order")
    try:
        with urllib.request.urlopen(lines[0].split()[-1] + "/_sandbox/switches", timeout=10) as r:
            assert json.loads(r.read())["batch_rate_weight"] == "order"
    finally:
        stop(proc)
