"""Signature verification (docs/backpack-api.md §2): the nine §2.6 vectors, and the error answers."""
from __future__ import annotations

import time

import pytest

from backpack_sandbox.auth import Verifier, batch_signing_string, signing_string
from backpack_sandbox.errors import ApiError

from .sandbox_client import SignedClient, get

SECRET = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
API_KEY = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
TS = 1700000000000
HDR = {"X-API-Key": API_KEY, "X-Timestamp": str(TS), "X-Window": "5000"}

# (instruction, params, batch, signature) — §2.6 table, rows 1-7 and 9 (row 8 is the WS vector).
VECTORS = [
    ("balanceQuery", {}, False,
     "8/pvBr2sH4KpHhNiih+BVquUEtRORDCWn0tMcoGGNz09KzLbEWuIvQ/bZpyIfKJVDxIHQ2vwe1ln9It7NyBcCA=="),
    ("orderExecute", {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "150.25", "quantity": "0.5",
                      "timeInForce": "GTC", "postOnly": True, "clientId": 123456789}, False,
     "U0Bl+SqTQNHbdr/FEsaDECfkwg+MnkWNvI2EYHy5psSkdPvyQY5KaPpHyWzLLtVZP/oXyZbRmPAHfgv4aljRCQ=="),
    ("orderCancel", {"symbol": "SOL_USDC", "clientId": 123456789}, False,
     "3zkHb3PHDLSTeS+qn9zavJtMZ3qCnVl+voBpn6m4xPzqUtTol4ciptLwiurVSWj9eJ+nzM/ogHrTj7/P9U1lCw=="),
    ("orderQuery", [("orderId", "111051090663277568"), ("symbol", "SOL_USDC")], False,
     "8Liube1K1WTBsUU3JJ1QXjyqYAx2Lg+VlvIlYm+X4+Ay95nMqjC8jNTwzNbptmlbBpfex+Z8Z51XQ0zFdUh1Bg=="),
    ("fillHistoryQueryAll", [("limit", "100"), ("offset", "0"), ("symbol", "SOL_USDC")], False,
     "+4bRflRDqlbV+f5XY51oths3TqjlHn5nUUbROcslaX4xsbOJsCFgujAD/6pIxncyo49soPJ/2m4RgkNodFGrCA=="),
    ("orderCancelAll", {"symbol": "SOL_USDC"}, False,
     "dkkK71mauQ/uIIUmV2PcBlS3HEHM+6eoTQu/DQKrSgem/Gf037Eh+QCW7OSGxLz4GZWIeREampA/g/LEXb/RCA=="),
    ("orderExecute", [
        {"symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Limit", "price": "141", "quantity": "12"},
        {"symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Limit", "price": "140", "quantity": "11"}],
     True, "vB3kFJBM1A6WXhBy7I3f2ywOhaKhPGEszz/RWLhZqERB813WYKIzClLGCeN1s98qEMIZQZ76bUIeTrJt/fNSCg=="),
]
WS_SIG = "pRObOWlU70asmsHXDgJZfmR4mj2pYuWLErtxNvPIt6dy0Z3R52pak6qGELEXiMnrq03YmNjVSPH0TjJyTo6VAw=="
DOC_SIG = "5JNvIFup6BvOx0ITxfxtEn5ac317vAI78vza6AWOyTvrzDTlVnO/T0dQazXuJmS4WJbLnm17ydL4EwqW5+6aBA=="


def _verifier() -> Verifier:
    v = Verifier()
    v.register(API_KEY)
    return v


@pytest.mark.parametrize("instruction,params,batch,sig", VECTORS)
def test_section_2_6_vectors_verify(instruction, params, batch, sig):
    v = _verifier()
    assert v.check({**HDR, "X-Signature": sig}, instruction, params, now_ms=TS, batch=batch) == API_KEY


def test_vector_strings_are_byte_exact():
    assert signing_string("balanceQuery", {}, TS, 5000) == (
        "instruction=balanceQuery&timestamp=1700000000000&window=5000")
    assert signing_string("orderExecute", VECTORS[1][1], TS, 5000) == (
        "instruction=orderExecute&clientId=123456789&orderType=Limit&postOnly=true&price=150.25&quantity=0.5"
        "&side=Bid&symbol=SOL_USDC&timeInForce=GTC&timestamp=1700000000000&window=5000")
    assert batch_signing_string(VECTORS[6][1], TS, 5000).startswith(
        "instruction=orderExecute&orderType=Limit&price=141&quantity=12&side=Bid&symbol=SOL_USDC_PERP&instruction=")


def test_ws_vector_and_docs_vector():
    v = _verifier()
    assert v.check_ws([API_KEY, WS_SIG, str(TS), "5000"], now_ms=TS) == API_KEY
    # Vector 9 (docs example, ts 1614550000000): same seed, body {"orderId":28,"symbol":"BTC_USDT"}.
    hdr = {**HDR, "X-Timestamp": "1614550000000", "X-Signature": DOC_SIG}
    assert v.check(hdr, "orderCancel", {"orderId": 28, "symbol": "BTC_USDT"}, now_ms=1614550000000) == API_KEY


def test_verifier_rejections():
    v = _verifier()
    sig = VECTORS[0][3]
    with pytest.raises(ApiError) as e:
        v.check({**HDR, "X-Signature": sig}, "balanceQuery", {"x": "1"}, now_ms=TS)
    assert (e.value.status, e.value.code, e.value.message) == (400, "INVALID_CLIENT_REQUEST", "Invalid signature")
    with pytest.raises(ApiError) as e:
        v.check({**HDR, "X-Signature": sig}, "balanceQuery", {}, now_ms=TS + 5001)
    assert (e.value.status, e.value.message) == (400, "Request has expired")
    with pytest.raises(ApiError) as e:  # signed string said window=5000; header claims 6000
        v.check({**HDR, "X-Signature": sig, "X-Window": "6000"}, "balanceQuery", {}, now_ms=TS)
    assert e.value.message == "Invalid signature"
    with pytest.raises(ApiError) as e:
        v.check({**HDR, "X-Signature": sig, "X-Window": "60001"}, "balanceQuery", {}, now_ms=TS)
    assert (e.value.status, e.value.code) == (400, "INVALID_CLIENT_REQUEST")
    with pytest.raises(ApiError) as e:
        v.check_ws([API_KEY, WS_SIG, str(TS), "5000"], now_ms=TS + 10_000)
    assert e.value.message == "Request has expired"


@pytest.mark.asyncio
async def test_vectors_over_http_with_injected_clock(sandbox, session):
    sandbox.add_account({"USDC": "1000"}, secret_b64=SECRET)
    sandbox.clock.fixed_ms = TS
    # Vector 1: GET /api/v1/capital.
    async with session.get(sandbox.rest_url + "/api/v1/capital", headers={**HDR, "X-Signature": VECTORS[0][3]}) as r:
        assert r.status == 200
        assert await r.json() == {"USDC": {"available": "1000", "locked": "0", "staked": "0"}}
    # Vector 2: POST /api/v1/order with the byte-exact body of §2.6.
    body = ('{"symbol":"SOL_USDC","side":"Bid","orderType":"Limit","price":"150.25","quantity":"0.5",'
            '"timeInForce":"GTC","postOnly":true,"clientId":123456789}')
    hdr = {**HDR, "X-Signature": VECTORS[1][3], "Content-Type": "application/json; charset=utf-8"}
    async with session.post(sandbox.rest_url + "/api/v1/order", data=body, headers=hdr) as r:
        assert r.status == 200, await r.text()
        order = await r.json()
    assert order["clientId"] == 123456789 and order["status"] == "New" and order["postOnly"] is True
    # Vector 3: DELETE /api/v1/order by clientId cancels it.
    hdr = {**HDR, "X-Signature": VECTORS[2][3], "Content-Type": "application/json"}
    async with session.delete(sandbox.rest_url + "/api/v1/order", data='{"symbol":"SOL_USDC","clientId":123456789}',
                              headers=hdr) as r:
        assert r.status == 200
        assert (await r.json())["status"] == "Cancelled"


@pytest.mark.asyncio
async def test_http_auth_errors(sandbox, session, trader):
    now = int(time.time() * 1000)
    status, body = await trader.call("GET", "/api/v1/capital", secret=SECRET)  # signed with the wrong key
    assert status == 400 and body == {"code": "INVALID_CLIENT_REQUEST", "message": "Invalid signature"}
    status, body = await trader.call("GET", "/api/v1/capital", ts=now - 60_000)
    assert status == 400 and body == {"code": "INVALID_CLIENT_REQUEST", "message": "Request has expired"}
    status, body = await trader.call("GET", "/api/v1/capital", ts=now + 60_000)
    assert status == 400 and body["message"] == "Request has expired"
    status, body = await trader.call("GET", "/api/v1/capital", window=60_001)
    assert status == 400 and body["code"] == "INVALID_CLIENT_REQUEST"
    status, body = await trader.call("GET", "/api/v1/capital", ts=now - 50_000, window=60_000)
    assert status == 200
    stranger = SignedClient(session, sandbox.rest_url, API_KEY, SECRET)
    status, body = await stranger.call("GET", "/api/v1/capital")
    assert status == 401 and body["code"] == "UNAUTHORIZED"
    status, body = await get(session, sandbox.rest_url + "/api/v1/capital")
    assert status == 401 and body["code"] == "UNAUTHORIZED" and "X-API-Key" in body["message"]
    async with session.get(sandbox.rest_url + "/api/v1/capital", headers={"X-API-Key": trader.api_key}) as r:
        assert r.status == 400 and "X-Signature" in (await r.json())["message"]
    # Omitting X-Window means the signer must have used window=5000.
    hdr = trader.headers("GET", "/api/v1/capital", {})
    del hdr["X-Window"]
    async with session.get(sandbox.rest_url + "/api/v1/capital", headers=hdr) as r:
        assert r.status == 200
    # Body tampered after signing.
    hdr = trader.headers("POST", "/api/v1/order", {"symbol": "SOL_USDC"})
    async with session.post(sandbox.rest_url + "/api/v1/order", headers=hdr, json={"symbol": "BTC_USDC"}) as r:
        assert r.status == 400 and (await r.json())["message"] == "Invalid signature"
    # Python-style "True" breaks the signature (§2.3).
    payload = {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "1", "quantity": "1",
               "postOnly": True}
    ts = int(time.time() * 1000)
    from .sandbox_client import sign
    bad = ("instruction=orderExecute&orderType=Limit&postOnly=True&price=1&quantity=1&side=Bid&symbol=SOL_USDC"
           f"&timestamp={ts}&window=5000")
    hdr = {"X-API-Key": trader.api_key, "X-Signature": sign(trader.secret, bad), "X-Timestamp": str(ts),
           "X-Window": "5000"}
    async with session.post(sandbox.rest_url + "/api/v1/order", headers=hdr, json=payload) as r:
        assert r.status == 400 and (await r.json())["message"] == "Invalid signature"
