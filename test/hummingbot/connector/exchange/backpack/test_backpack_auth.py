"""Tests for ``BackpackAuth`` on real Hummingbot ``RESTRequest`` objects, against ``docs/backpack-api.md`` §2.6."""
import base64
import json
import re

import pytest
from aioresponses import aioresponses
from nacl.signing import VerifyKey

from hummingbot.connector.backpack_common.signing import BackpackKeyError
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest, WSJSONRequest
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

SECRET = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
API_KEY = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
SEED = bytes([1]) * 32
BASE = "https://api.backpack.exchange"
TS = 1700000000000

SIG_1 = "8/pvBr2sH4KpHhNiih+BVquUEtRORDCWn0tMcoGGNz09KzLbEWuIvQ/bZpyIfKJVDxIHQ2vwe1ln9It7NyBcCA=="
SIG_2 = "U0Bl+SqTQNHbdr/FEsaDECfkwg+MnkWNvI2EYHy5psSkdPvyQY5KaPpHyWzLLtVZP/oXyZbRmPAHfgv4aljRCQ=="
SIG_3 = "3zkHb3PHDLSTeS+qn9zavJtMZ3qCnVl+voBpn6m4xPzqUtTol4ciptLwiurVSWj9eJ+nzM/ogHrTj7/P9U1lCw=="
SIG_4 = "8Liube1K1WTBsUU3JJ1QXjyqYAx2Lg+VlvIlYm+X4+Ay95nMqjC8jNTwzNbptmlbBpfex+Z8Z51XQ0zFdUh1Bg=="
SIG_5 = "+4bRflRDqlbV+f5XY51oths3TqjlHn5nUUbROcslaX4xsbOJsCFgujAD/6pIxncyo49soPJ/2m4RgkNodFGrCA=="
SIG_6 = "dkkK71mauQ/uIIUmV2PcBlS3HEHM+6eoTQu/DQKrSgem/Gf037Eh+QCW7OSGxLz4GZWIeREampA/g/LEXb/RCA=="
SIG_7 = "vB3kFJBM1A6WXhBy7I3f2ywOhaKhPGEszz/RWLhZqERB813WYKIzClLGCeN1s98qEMIZQZ76bUIeTrJt/fNSCg=="
SIG_8 = "pRObOWlU70asmsHXDgJZfmR4mj2pYuWLErtxNvPIt6dy0Z3R52pak6qGELEXiMnrq03YmNjVSPH0TjJyTo6VAw=="

ORDER_BODY = {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "150.25", "quantity": "0.5",
              "timeInForce": "GTC", "postOnly": True, "clientId": 123456789}
BATCH_BODY = [{"symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Limit", "price": "141", "quantity": "12"},
              {"symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Limit", "price": "140", "quantity": "11"}]


class FakeTime:
    def __init__(self, seconds: float = 1700000000.000):
        self.seconds = seconds

    def time(self) -> float:
        return self.seconds


def make_auth(window_ms: int = 5000, seconds: float = 1700000000.000) -> BackpackAuth:
    return BackpackAuth(API_KEY, SECRET, FakeTime(seconds), window_ms=window_ms)


def expected_headers(signature: str, ts: int = TS, window: str = "5000") -> dict:
    return {"X-API-Key": API_KEY, "X-Signature": signature, "X-Timestamp": str(ts), "X-Window": window}


def signed_part(headers) -> dict:
    return {k: headers[k] for k in ("X-API-Key", "X-Signature", "X-Timestamp", "X-Window")}


def verify(headers, message: str):
    VerifyKey(base64.b64decode(API_KEY)).verify(message.encode(), base64.b64decode(headers["X-Signature"]))


# ------------------------------------------------------------------------------------- REST vectors (§2.6)

@pytest.mark.asyncio
async def test_get_without_params_vector_1():
    request = RESTRequest(method=RESTMethod.GET, url=f"{BASE}/api/v1/capital", is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_1)
    assert "Content-Type" not in out.headers
    assert out.params is None and out.data is None


@pytest.mark.asyncio
async def test_post_order_body_vector_2():
    body = json.dumps(ORDER_BODY)         # RESTAssistant json.dumps the dict before building the request
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=body,
                          headers={"Content-Type": "application/json"}, is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_2)
    assert out.headers["Content-Type"] == "application/json"
    assert out.data == body                # the body is not touched


@pytest.mark.asyncio
async def test_post_order_body_as_dict_is_serialised_vector_2():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=dict(ORDER_BODY),
                          is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_2)
    assert isinstance(out.data, str) and json.loads(out.data) == ORDER_BODY
    assert out.headers["Content-Type"] == "application/json"


@pytest.mark.asyncio
async def test_post_compact_json_and_bytes_sign_the_same_vector_2():
    for data in (json.dumps(ORDER_BODY, separators=(",", ":")), json.dumps(ORDER_BODY).encode()):
        request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=data, is_auth_required=True)
        out = await make_auth().rest_authenticate(request)
        assert out.headers["X-Signature"] == SIG_2


@pytest.mark.asyncio
async def test_delete_order_body_vector_3():
    request = RESTRequest(method=RESTMethod.DELETE, url=f"{BASE}/api/v1/order",
                          data=json.dumps({"symbol": "SOL_USDC", "clientId": 123456789}), is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_3)
    assert out.headers["Content-Type"] == "application/json"


@pytest.mark.asyncio
async def test_get_order_query_vector_4():
    params = {"orderId": "111051090663277568", "symbol": "SOL_USDC"}
    request = RESTRequest(method=RESTMethod.GET, url=f"{BASE}/api/v1/order", params=params,
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_4)
    assert out.params == params
    assert out.headers["Content-Type"] == "application/x-www-form-urlencoded"   # existing headers kept


@pytest.mark.asyncio
async def test_get_fills_query_vector_5_int_params_rendered():
    request = RESTRequest(method=RESTMethod.GET, url=f"{BASE}/wapi/v1/history/fills",
                          params={"symbol": "SOL_USDC", "limit": 100, "offset": 0}, is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_5)
    assert out.params == {"symbol": "SOL_USDC", "limit": "100", "offset": "0"}


@pytest.mark.asyncio
async def test_get_fills_query_in_url_vector_5():
    request = RESTRequest(method=RESTMethod.GET, is_auth_required=True,
                          url=f"{BASE}/wapi/v1/history/fills?limit=100&offset=0&symbol=SOL_USDC")
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_5)


@pytest.mark.asyncio
async def test_get_fills_query_split_between_url_and_params_vector_5():
    request = RESTRequest(method=RESTMethod.GET, url=f"{BASE}/wapi/v1/history/fills?symbol=SOL_USDC",
                          params={"limit": 100, "offset": 0}, is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert out.headers["X-Signature"] == SIG_5


@pytest.mark.asyncio
async def test_delete_cancel_all_vector_6():
    request = RESTRequest(method=RESTMethod.DELETE, url=f"{BASE}/api/v1/orders",
                          data=json.dumps({"symbol": "SOL_USDC"}), is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_6)


@pytest.mark.asyncio
async def test_batch_orders_vector_7():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/orders", data=json.dumps(BATCH_BODY),
                          is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert signed_part(out.headers) == expected_headers(SIG_7)


@pytest.mark.asyncio
async def test_batch_route_rejects_object_body():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/orders", data=json.dumps(BATCH_BODY[0]),
                          is_auth_required=True)
    with pytest.raises(ValueError, match="batch"):
        await make_auth().rest_authenticate(request)


@pytest.mark.asyncio
async def test_single_route_rejects_array_body():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=json.dumps(BATCH_BODY),
                          is_auth_required=True)
    with pytest.raises(ValueError):
        await make_auth().rest_authenticate(request)


@pytest.mark.asyncio
async def test_sandbox_host_signs_the_same():
    request = RESTRequest(method=RESTMethod.POST, url="http://127.0.0.1:8765/api/v1/order", data=json.dumps(ORDER_BODY),
                          is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert out.headers["X-Signature"] == SIG_2


# ------------------------------------------------------------------------------------- rendering on the wire

@pytest.mark.asyncio
async def test_get_bool_params_rendered_in_request_and_signature():
    request = RESTRequest(method=RESTMethod.GET, url=f"{BASE}/api/v1/orders",
                          params={"symbol": "SOL_USDC", "includeClosed": True, "x": False, "skip": None},
                          is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert out.params == {"symbol": "SOL_USDC", "includeClosed": "true", "x": "false"}
    verify(out.headers, "instruction=orderQueryAll&includeClosed=true&symbol=SOL_USDC&x=false"
                        "&timestamp=1700000000000&window=5000")


@pytest.mark.asyncio
async def test_body_with_float_is_rejected():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=json.dumps({"price": 141.0}),
                          is_auth_required=True)
    with pytest.raises(TypeError):
        await make_auth().rest_authenticate(request)


@pytest.mark.asyncio
async def test_body_and_query_together_rejected():
    request = RESTRequest(method=RESTMethod.DELETE, url=f"{BASE}/api/v1/order", params={"symbol": "SOL_USDC"},
                          data=json.dumps({"orderId": "1"}), is_auth_required=True)
    with pytest.raises(ValueError, match="both a body and query"):
        await make_auth().rest_authenticate(request)


@pytest.mark.asyncio
async def test_non_json_content_type_replaced_and_other_headers_kept():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=json.dumps(ORDER_BODY),
                          headers={"content-type": "text/plain", "X-Broker-Id": "1"}, is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert out.headers["Content-Type"] == "application/json"
    assert "content-type" not in out.headers
    assert out.headers["X-Broker-Id"] == "1"


@pytest.mark.asyncio
async def test_json_charset_content_type_kept():
    request = RESTRequest(method=RESTMethod.POST, url=f"{BASE}/api/v1/order", data=json.dumps(ORDER_BODY),
                          headers={"Content-Type": "application/json; charset=utf-8"}, is_auth_required=True)
    out = await make_auth().rest_authenticate(request)
    assert out.headers["Content-Type"] == "application/json; charset=utf-8"


# -------------------------------------------------------------------------------------- routes, time, window

@pytest.mark.asyncio
async def test_unknown_route_raises():
    for method, path in ((RESTMethod.GET, "/api/v1/nope"), (RESTMethod.PUT, "/api/v1/order"),
                         (RESTMethod.GET, "/api/v1/order/")):
        request = RESTRequest(method=method, url=f"{BASE}{path}", is_auth_required=True)
        with pytest.raises(ValueError, match="no signing instruction"):
            await make_auth().rest_authenticate(request)


def test_every_table_route_signs():
    auth = make_auth()
    for (method, path), instruction in CONSTANTS.INSTRUCTIONS.items():
        payload = [{"symbol": "SOL_USDC"}] if (method, path) in CONSTANTS.BATCH_ROUTES else {"symbol": "SOL_USDC"}
        headers = auth.headers_for(method, path, payload, TS)
        n = len(payload) if isinstance(payload, list) else 1
        verify(headers, "&".join([f"instruction={instruction}&symbol=SOL_USDC"] * n) + f"&timestamp={TS}&window=5000")


def test_headers_for_vector_2_and_lowercase_method():
    assert make_auth().headers_for("post", "/api/v1/order", ORDER_BODY, TS) == expected_headers(SIG_2)


@pytest.mark.asyncio
async def test_timestamp_from_time_provider_in_ms():
    auth = make_auth(seconds=1700000000.123)
    request = RESTRequest(method=RESTMethod.GET, url=f"{BASE}/api/v1/capital", is_auth_required=True)
    out = await auth.rest_authenticate(request)
    ts = out.headers["X-Timestamp"]
    assert re.fullmatch(r"\d{13}", ts) and abs(int(ts) - 1700000000123) <= 1
    verify(out.headers, f"instruction=balanceQuery&timestamp={ts}&window=5000")


@pytest.mark.asyncio
async def test_custom_window_is_signed_and_sent():
    auth = make_auth(window_ms=60000)
    out = await auth.rest_authenticate(RESTRequest(method=RESTMethod.GET, url=f"{BASE}/api/v1/capital"))
    assert out.headers["X-Window"] == "60000"
    verify(out.headers, "instruction=balanceQuery&timestamp=1700000000000&window=60000")
    assert auth.window_ms == 60000


@pytest.mark.parametrize("window", [0, -5, 60001, 5000.5, "5000", None])
def test_window_validation(window):
    with pytest.raises(ValueError):
        BackpackAuth(API_KEY, SECRET, FakeTime(), window_ms=window)


def test_bad_keys_raise_at_construction():
    with pytest.raises(BackpackKeyError, match="does not match"):
        BackpackAuth("zDIJj9qneWIY0IYZ5aXoHcNMCm+XDhVcTssiT0HyY0A=", SECRET, FakeTime())
    with pytest.raises(BackpackKeyError, match="31 bytes"):
        BackpackAuth(API_KEY, base64.b64encode(SEED[:31]).decode(), FakeTime())
    with pytest.raises(BackpackKeyError, match="neither base64 nor hex"):
        BackpackAuth(API_KEY, "definitely not a key!", FakeTime())


def test_hex_secret_and_key_send_base64_api_key():
    auth = BackpackAuth(base64.b64decode(API_KEY).hex(), SEED.hex(), FakeTime())
    assert auth.api_key == API_KEY
    assert auth.headers_for("GET", "/api/v1/capital", None, TS) == expected_headers(SIG_1)


# -------------------------------------------------------------------------------------------------- WS (§2.5)

def test_ws_subscribe_signature_vector_8():
    auth = make_auth()
    sig = auth.ws_subscribe_signature(TS)
    assert sig == [API_KEY, SIG_8, "1700000000000", "5000"]
    assert all(isinstance(x, str) for x in sig)
    VerifyKey(base64.b64decode(sig[0])).verify(b"instruction=subscribe&timestamp=1700000000000&window=5000",
                                               base64.b64decode(sig[1]))


def test_ws_subscribe_signature_uses_time_provider():
    assert make_auth().ws_subscribe_signature() == [API_KEY, SIG_8, "1700000000000", "5000"]


@pytest.mark.asyncio
async def test_ws_authenticate_is_identity():
    request = WSJSONRequest(payload={"method": "SUBSCRIBE", "params": ["depth.SOL_USDC"]})
    assert await make_auth().ws_authenticate(request) is request


# ------------------------------------------------------------------------------------------------- secrecy

def test_repr_masks_key_and_hides_secret():
    auth = make_auth()
    for text in (repr(auth), str(auth), repr(auth.__dict__)):
        assert SECRET not in text
        assert SECRET.rstrip("=") not in text
        assert SEED.hex() not in text
    assert "iojj…b1w=" in repr(auth)
    assert API_KEY not in repr(auth)
    assert not any(isinstance(v, (str, bytes)) and v in (SECRET, SEED) for v in vars(auth).values())


# ----------------------------------------------------------------------------------- through the framework

@pytest.mark.asyncio
async def test_through_rest_assistant_post_and_bool_get():
    """Hummingbot's RESTAssistant + aiohttp: body JSON, headers and a boolean GET param reach the wire signed."""
    factory = WebAssistantsFactory(throttler=AsyncThrottler(CONSTANTS.RATE_LIMITS), auth=make_auth())
    rest = await factory.get_rest_assistant()
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/api/v1/order", payload={"id": "1"})
        mocked.get(re.compile(rf"^{re.escape(BASE)}/api/v1/orders\?.*"), payload=[])
        await rest.execute_request(url=f"{BASE}/api/v1/order", throttler_limit_id=CONSTANTS.ORDER_PATH_URL,
                                   data=ORDER_BODY, method=RESTMethod.POST, is_auth_required=True)
        await rest.execute_request(url=f"{BASE}/api/v1/orders", throttler_limit_id=CONSTANTS.ORDERS_PATH_URL,
                                   params={"symbol": "SOL_USDC", "flag": True}, method=RESTMethod.GET,
                                   is_auth_required=True)
        calls = [(key, call) for key, calls in mocked.requests.items() for call in calls]
    (post_key, post_call), = [c for c in calls if c[0][0] == "POST"]
    assert signed_part(post_call.kwargs["headers"]) == expected_headers(SIG_2)
    assert json.loads(post_call.kwargs["data"]) == ORDER_BODY
    (get_key, get_call), = [c for c in calls if c[0][0] == "GET"]
    assert get_call.kwargs["params"] == {"symbol": "SOL_USDC", "flag": "true"}
    assert "flag=true" in str(get_key[1])
    verify(get_call.kwargs["headers"],
           "instruction=orderQueryAll&flag=true&symbol=SOL_USDC&timestamp=1700000000000&window=5000")
