"""Signing benchmark: one ``orderExecute`` request (``POST /api/v1/order``, §5.5) signed by our ``BackpackAuth``,
by the shipped connector's ``BackpackAuth``, and raw PyNaCl signing of the same signing string (§2.3).

Each auth gets the ``RESTRequest`` its own exchange builds (JSON body text as ``RESTAssistant`` serialises it; the
shipped exchange puts ``"instruction": "orderExecute"`` in the body, ours derives it from the route) and runs its
full ``rest_authenticate`` (parse the body, build the signing string, sign, base64, headers). Requests are built
beforehand; only ``rest_authenticate`` is timed. ``raw`` is ``SigningKey.sign(message)`` on the signing string's
bytes, nothing else. Every signature is checked against the public key before timing.
"""
import asyncio
import base64
import json
import time
from typing import Any, Callable, Dict, List

from nacl.signing import SigningKey, VerifyKey

from backpack_bench.common import perf_counter, settle, throwaway_keys
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest

ORDER_URL = "https://api.backpack.exchange/api/v1/order"
ORDER_BODY: Dict[str, Any] = {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "0.50",
                              "price": "150.25", "clientId": 1234567890, "timeInForce": "GTC", "postOnly": False}


class _Clock:
    """Time provider with the ``time()`` both auths call (Hummingbot's ``TimeSynchronizer`` interface)."""

    @staticmethod
    def time() -> float:
        return time.time()


def signing_message(timestamp_ms: int, window_ms: int = 5000) -> bytes:
    """The §2.3 signing string of ``ORDER_BODY`` (keys sorted, booleans lower-case)."""
    fields = "&".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in sorted(ORDER_BODY.items()))
    return f"instruction=orderExecute&{fields}&timestamp={timestamp_ms}&window={window_ms}".encode()


def _requests(n: int, with_instruction: bool) -> List[RESTRequest]:
    body = dict(ORDER_BODY, instruction="orderExecute") if with_instruction else ORDER_BODY
    text = json.dumps(body)
    return [RESTRequest(method=RESTMethod.POST, url=ORDER_URL, data=text, is_auth_required=True)
            for _ in range(n)]


def _verify(verify_key: VerifyKey, request: RESTRequest, window_ms: int) -> None:
    timestamp = int(request.headers["X-Timestamp"])
    signature = base64.b64decode(request.headers["X-Signature"])
    verify_key.verify(signing_message(timestamp, window_ms), signature)  # raises BadSignatureError


def make_auths():
    from backpack_bench.upstream import load_upstream
    from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
    api_key, secret = throwaway_keys()
    up = load_upstream()
    return (BackpackAuth(api_key, secret, _Clock()),
            up.auth.BackpackAuth(api_key=api_key, secret_key=secret, time_provider=_Clock()),
            SigningKey(base64.b64decode(secret)))


async def _time_auth(auth, requests: List[RESTRequest]) -> float:
    authenticate = auth.rest_authenticate
    settle()
    start = perf_counter()
    for request in requests:
        await authenticate(request)
    return len(requests) / (perf_counter() - start)


def _time_raw(signing_key: SigningKey, n: int) -> float:
    message = signing_message(int(time.time() * 1e3))
    sign = signing_key.sign
    settle()
    start = perf_counter()
    for _ in range(n):
        sign(message)
    return n / (perf_counter() - start)


async def run_signing(n: int, repeats: int, log: Callable[[str], None] = print) -> Dict[str, List[float]]:
    """Signatures per second for ``ours``, ``upstream`` and ``raw``, one value per repeat (interleaved).

    :raises nacl.exceptions.BadSignatureError: an auth produced a signature that does not verify.
    """
    ours, theirs, raw = make_auths()
    verify_key = raw.verify_key
    for auth, with_instruction in ((ours, False), (theirs, True)):
        probe = _requests(1, with_instruction)[0]
        await auth.rest_authenticate(probe)
        _verify(verify_key, probe, 5000)
    out: Dict[str, List[float]] = {"ours": [], "upstream": [], "raw": []}
    for r in range(repeats):
        runs = [("ours", lambda: _time_auth(ours, _requests(n, False))),
                ("upstream", lambda: _time_auth(theirs, _requests(n, True)))]
        if r % 2:
            runs.reverse()
        out["raw"].append(_time_raw(raw, n))
        for name, run in runs:
            out[name].append(await run())
        log(f"  signing repeat {r + 1}/{repeats}: ours {out['ours'][-1]:,.0f}/s, shipped "
            f"{out['upstream'][-1]:,.0f}/s, raw PyNaCl {out['raw'][-1]:,.0f}/s")
    return out


if __name__ == "__main__":  # pragma: no cover
    asyncio.run(run_signing(5000, 3))
