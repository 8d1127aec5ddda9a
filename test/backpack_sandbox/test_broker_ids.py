"""Broker attribution: the sandbox records each order's ``X-Broker-Id`` header (placement and cancel) without
putting it into Backpack's order JSON."""
from __future__ import annotations

import pytest

from .sandbox_client import SignedClient, control

pytestmark = pytest.mark.asyncio
BROKER = {"X-Broker-Id": "2200"}


def lim(price, qty="1"):
    return {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": price, "quantity": qty}


async def test_broker_header_recorded_per_order_for_placements_and_cancels(make_sandbox, session):
    sb = await make_sandbox()
    keys = sb.add_account({"USDC": "1000"})
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    status, single = await c.call("POST", "/api/v1/order", lim("100"), headers=BROKER)
    assert status == 200 and "broker" not in str(single).lower()
    status, plain = await c.call("POST", "/api/v1/order", lim("99"))
    status, batch = await c.call("POST", "/api/v1/orders", [lim("98"), lim("97")], headers=BROKER)
    assert status == 200 and [row["operation"] for row in batch] == ["Ok", "Ok"]
    status, _ = await c.call("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": single["id"]},
                             headers=BROKER)
    assert status == 200
    status, _ = await c.call("DELETE", "/api/v1/order", {"symbol": "SOL_USDC", "orderId": plain["id"]})
    status, _ = await c.call("DELETE", "/api/v1/orders", {"symbol": "SOL_USDC"}, headers={"X-Broker-Id": "7"})
    assert status == 200
    expected = {single["id"]: {"placed": "2200", "cancelled": "2200"},
                plain["id"]: {"placed": None, "cancelled": None},
                batch[0]["id"]: {"placed": "2200", "cancelled": "7"},
                batch[1]["id"]: {"placed": "2200", "cancelled": "7"}}
    assert sb.broker_ids(keys.api_key) == expected
    status, body = await control(session, "GET", sb.rest_url + f"/_sandbox/accounts/{keys.api_key}/brokers")
    assert status == 200 and body == expected
    status, history = await c.call("GET", "/wapi/v1/history/orders", {"symbol": "SOL_USDC"})
    assert status == 200 and all("broker" not in str(row).lower() for row in history)
