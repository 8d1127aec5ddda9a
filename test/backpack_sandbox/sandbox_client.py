"""Small, independent Backpack signing client for the sandbox tests (PyNaCl only; nothing from
hummingbot or the connector). Signing rules: docs/backpack-api.md §2.3 (single), §2.4 (batch), §2.5 (WS)."""
from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any, Callable, Dict, Optional

import aiohttp
from nacl.signing import SigningKey

# The route table is a fact list (§3), taken from the sandbox; the signing itself stays independent below.
from backpack_sandbox.auth import INSTRUCTIONS


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _kv(params: Dict[str, Any]) -> str:
    return "&".join(f"{k}={_text(params[k])}" for k in sorted(params))


def message(instruction: str, params: Dict[str, Any], ts: int, window: int) -> str:
    head = f"instruction={instruction}"
    body = _kv(params)
    return f"{head}&{body}&timestamp={ts}&window={window}" if body else f"{head}&timestamp={ts}&window={window}"


def batch_message(orders, ts: int, window: int) -> str:
    parts = []
    for o in orders:
        kv = _kv(o)
        parts.append("instruction=orderExecute" + ("&" + kv if kv else ""))
    return "&".join(parts) + f"&timestamp={ts}&window={window}"


def sign(secret_b64: str, text: str) -> str:
    key = SigningKey(base64.b64decode(secret_b64)[:32])
    return base64.b64encode(key.sign(text.encode()).signature).decode()


def ws_signature(api_key: str, secret_b64: str, ts: Optional[int] = None, window: int = 5000) -> list:
    ts = ts if ts is not None else int(time.time() * 1000)
    return [api_key, sign(secret_b64, f"instruction=subscribe&timestamp={ts}&window={window}"), str(ts), str(window)]


class SignedClient:
    """REST client: ``await c.call(method, path, params)`` → (status, body JSON or text)."""

    def __init__(self, session: aiohttp.ClientSession, rest_url: str, api_key: str, secret: str,
                 window: int = 5000) -> None:
        self.session = session
        self.rest_url = rest_url
        self.api_key = api_key
        self.secret = secret
        self.window = window

    def headers(self, method: str, path: str, params: Any, ts: Optional[int] = None,
                window: Optional[int] = None, secret: Optional[str] = None) -> Dict[str, str]:
        ts = ts if ts is not None else int(time.time() * 1000)
        window = window if window is not None else self.window
        instruction = INSTRUCTIONS[(method, path)]
        if isinstance(params, list):
            text = batch_message(params, ts, window)
        else:
            text = message(instruction, params or {}, ts, window)
        return {"X-API-Key": self.api_key, "X-Signature": sign(secret or self.secret, text),
                "X-Timestamp": str(ts), "X-Window": str(window)}

    async def call(self, method: str, path: str, params: Any = None, *, ts: Optional[int] = None,
                   window: Optional[int] = None, headers: Optional[Dict[str, str]] = None,
                   secret: Optional[str] = None):
        hdrs = self.headers(method, path, params, ts, window, secret)
        if headers is not None:
            hdrs.update(headers)
        url = self.rest_url + path
        if method == "GET":
            query = {k: _text(v) for k, v in (params or {}).items()}
            resp_cm = self.session.get(url, params=query, headers=hdrs)
        else:
            hdrs["Content-Type"] = "application/json; charset=utf-8"
            resp_cm = self.session.request(method, url, data=json.dumps(params if params is not None else {}),
                                           headers=hdrs)
        async with resp_cm as resp:
            return resp.status, await _body(resp)

    async def order(self, **payload):
        return await self.call("POST", "/api/v1/order", payload)


async def _body(resp: aiohttp.ClientResponse):
    text = await resp.text()
    if resp.content_type == "application/json":
        return json.loads(text)
    return text


async def get(session: aiohttp.ClientSession, url: str, params: Optional[dict] = None):
    async with session.get(url, params=params) as resp:
        return resp.status, await _body(resp)


async def control(session: aiohttp.ClientSession, method: str, url: str, body: Any = None):
    async with session.request(method, url, json=body) as resp:
        return resp.status, await _body(resp)


async def wait_for(cond: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01):
    """Poll ``cond`` until truthy; returns its value or raises AssertionError after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = cond()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met within %.1fs" % timeout)
        await asyncio.sleep(interval)


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10.0) -> dict:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def recv_until(ws: aiohttp.ClientWebSocketResponse, pred: Callable[[dict], bool], timeout: float = 10.0) -> dict:
    """Read frames until ``pred(frame)``; returns that frame."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError("no matching WS frame within %.1fs" % timeout)
        frame = await recv_json(ws, timeout=left)
        if pred(frame):
            return frame
