"""Request-signature verification, written independently of any client (PyNaCl ``VerifyKey``).

Facts (docs/backpack-api.md):
- §2.1 API key = base64 of the 32-byte ED25519 public key; secret = base64 of the 32-byte seed
  (a 64-byte secret is accepted, first 32 bytes used).
- §2.2 headers ``X-API-Key``, ``X-Signature`` (base64, 64 bytes), ``X-Timestamp`` (ms),
  ``X-Window`` (ms, optional, default 5000, max 60000).
- §2.3 signing string ``instruction=<ins>&k=v...(keys sorted)...&timestamp=<ms>&window=<ms>``;
  booleans ``true``/``false``, integers decimal text, strings verbatim.
- §2.4 batch: per order ``instruction=orderExecute&k=v...`` joined by ``&``, then the suffix once.
- §2.5 WS private subscribe: ``instruction=subscribe&timestamp=..&window=..``.
- §2.7 / §6.3 ``INVALID_CLIENT_REQUEST`` "Request has expired" / "Invalid signature".
- §3 instruction table (only routes the sandbox serves are listed below).
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from .errors import ApiError

# (method, path) -> instruction, docs/backpack-api.md §3.
INSTRUCTIONS: Dict[Tuple[str, str], str] = {
    ("GET", "/api/v1/account"): "accountQuery",
    ("GET", "/api/v1/capital"): "balanceQuery",
    ("GET", "/api/v1/capital/collateral"): "collateralQuery",
    ("GET", "/api/v1/account/limits/order"): "maxOrderQuantity",
    ("GET", "/api/v1/borrowLend/positions"): "borrowLendPositionQuery",
    ("GET", "/api/v1/order"): "orderQuery",
    ("POST", "/api/v1/order"): "orderExecute",
    ("DELETE", "/api/v1/order"): "orderCancel",
    ("GET", "/api/v1/orders"): "orderQueryAll",
    ("POST", "/api/v1/orders"): "orderExecute",
    ("DELETE", "/api/v1/orders"): "orderCancelAll",
    ("GET", "/wapi/v1/history/orders"): "orderHistoryQueryAll",
    ("GET", "/wapi/v1/history/fills"): "fillHistoryQueryAll",
}

WS_INSTRUCTION = "subscribe"


class JsonNumber(str):
    """A JSON number with a fraction/exponent kept as its literal text (§2.3: render verbatim)."""


def render_value(value: Any) -> str:
    """§2.3 value rendering: bool → ``true``/``false``, int → decimal text, str → verbatim."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return str(value)
    if value is None:
        return "null"  # UNCONFIRMED: clients should omit null fields
    raise ValueError("nested values cannot be signed")


def _pairs(params: Mapping[str, Any] | Iterable[Tuple[str, Any]]) -> List[Tuple[str, Any]]:
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    return sorted(items, key=lambda kv: kv[0])  # stable: repeated query keys keep their order


def signing_string(instruction: str, params, timestamp_ms: int, window_ms: int) -> str:
    """Single-request signing string (§2.3); ``params`` is a mapping or a list of (key, value)."""
    parts = [f"instruction={instruction}"]
    parts += [f"{k}={render_value(v)}" for k, v in _pairs(params)]
    parts.append(f"timestamp={timestamp_ms}")
    parts.append(f"window={window_ms}")
    return "&".join(parts)


def batch_signing_string(orders: Sequence[Mapping[str, Any]], timestamp_ms: int, window_ms: int) -> str:
    """Batch signing string (§2.4)."""
    chunks = []
    for order in orders:
        chunk = ["instruction=orderExecute"] + [f"{k}={render_value(v)}" for k, v in _pairs(order)]
        chunks.append("&".join(chunk))
    return "&".join(chunks + [f"timestamp={timestamp_ms}", f"window={window_ms}"])


def _b64decode(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normalize_api_key(api_key_b64: str) -> Optional[str]:
    """Canonical (standard base64) form of an API key, or None if it is not a 32-byte key."""
    try:
        raw = _b64decode(api_key_b64)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32:
        return None
    return base64.b64encode(raw).decode()


def keypair_from_secret(secret_b64: Optional[str]) -> Tuple[str, str]:
    """(api_key_b64, secret_b64) from a base64 seed (§2.1); a fresh random key pair when None."""
    if secret_b64 is None:
        sk = SigningKey.generate()
    else:
        raw = _b64decode(secret_b64)
        if len(raw) not in (32, 64):
            raise ValueError("secret must be base64 of a 32-byte seed (or 64-byte key)")
        sk = SigningKey(raw[:32])
    seed_b64 = base64.b64encode(bytes(sk)).decode()
    return base64.b64encode(bytes(sk.verify_key)).decode(), seed_b64


class Verifier:
    """Verifies ED25519 signatures for known API keys; caches one ``VerifyKey`` per key."""

    def __init__(self, default_window_ms: int = 5000, max_window_ms: int = 60000) -> None:
        self.default_window_ms = default_window_ms
        self.max_window_ms = max_window_ms
        self._keys: Dict[str, VerifyKey] = {}

    def register(self, api_key_b64: str) -> None:
        key = normalize_api_key(api_key_b64)
        if key is None:
            raise ValueError("API key must be base64 of 32 bytes")
        self._keys[key] = VerifyKey(base64.b64decode(key))

    def known(self, api_key_b64: str) -> Optional[str]:
        key = normalize_api_key(api_key_b64)
        return key if key in self._keys else None

    def signature_ok(self, api_key: str, signature_b64: str, message: str) -> bool:
        vk = self._keys.get(api_key)
        if vk is None:
            return False
        try:
            sig = _b64decode(signature_b64)
        except (binascii.Error, ValueError):
            return False
        if len(sig) != 64:
            return False
        try:
            vk.verify(message.encode("utf-8"), sig)
            return True
        except BadSignatureError:
            return False

    def check(
        self,
        headers: Mapping[str, str],
        instruction: str,
        params: Any,
        now_ms: int,
        batch: bool = False,
    ) -> str:
        """Check a signed REST request; returns the canonical API key or raises :class:`ApiError`.

        ``headers`` is case-insensitive (aiohttp ``CIMultiDict``) or lower-cased. ``params`` is the body
        object / query pairs, or (``batch=True``) the list of order objects.
        Order of checks: headers present and well-formed, window ≤ max (400), key known (401),
        timestamp within ±window of ``now_ms`` (400 "Request has expired"), signature (400).
        """
        def h(name: str) -> Optional[str]:
            v = headers.get(name)
            if v is None:
                v = headers.get(name.lower())
            return v

        api_key_raw = h("X-API-Key")
        if not api_key_raw:
            raise ApiError(401, "UNAUTHORIZED", "Missing X-API-Key header")
        sig = h("X-Signature")
        if not sig:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Missing X-Signature header")
        ts_raw = h("X-Timestamp")
        if not ts_raw:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Missing X-Timestamp header")
        try:
            ts = int(ts_raw.strip())
        except ValueError:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid X-Timestamp header")
        win_raw = h("X-Window")
        if win_raw is None or win_raw.strip() == "":
            window = self.default_window_ms
        else:
            try:
                window = int(win_raw.strip())
            except ValueError:
                raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid X-Window header")
        if window < 0 or window > self.max_window_ms:
            raise ApiError(
                400, "INVALID_CLIENT_REQUEST", f"Invalid X-Window header: must be between 0 and {self.max_window_ms}"
            )
        api_key = self.known(api_key_raw)
        if api_key is None:
            raise ApiError(401, "UNAUTHORIZED", "Invalid API key")
        if ts < now_ms - window or ts > now_ms + window:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Request has expired")
        try:
            if batch:
                message = batch_signing_string(params, ts, window)
            else:
                message = signing_string(instruction, params, ts, window)
        except ValueError:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid signature")
        if not self.signature_ok(api_key, sig, message):
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid signature")
        return api_key

    def check_ws(self, signature: Any, now_ms: int) -> str:
        """Check a WS private-subscribe ``signature`` array ``[key, sig, "tsMs", "windowMs"]`` (§2.5, §8.4).

        Returns the canonical API key or raises :class:`ApiError` (message used in the WS error frame).
        """
        if not isinstance(signature, list) or len(signature) not in (3, 4):
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Missing or malformed signature")
        if not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in signature):
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Missing or malformed signature")
        api_key_raw, sig, ts_raw = str(signature[0]), str(signature[1]), str(signature[2])
        win_raw = str(signature[3]) if len(signature) == 4 else str(self.default_window_ms)
        try:
            ts = int(ts_raw)
            window = int(win_raw)
        except ValueError:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid timestamp or window")
        if window < 0 or window > self.max_window_ms:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid window")
        api_key = self.known(api_key_raw)
        if api_key is None:
            raise ApiError(401, "UNAUTHORIZED", "Invalid API key")
        if ts < now_ms - window or ts > now_ms + window:
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Request has expired")
        message = f"instruction={WS_INSTRUCTION}&timestamp={ts}&window={window}"
        if not self.signature_ok(api_key, sig, message):
            raise ApiError(400, "INVALID_CLIENT_REQUEST", "Invalid signature")
        return api_key
