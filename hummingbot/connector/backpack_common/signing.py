"""Backpack request signing (§2): key parsing, signing strings (§2.3–§2.5) and an ED25519 signer.

Secrets never appear in exception texts, reprs or logs.
"""
import binascii
import re
from decimal import Decimal
from typing import Any, Mapping, Optional, Sequence, Union

from nacl.bindings import crypto_sign, crypto_sign_BYTES
from nacl.signing import SigningKey

__all__ = [
    "BackpackKeyError",
    "DEFAULT_WINDOW_MS",
    "MAX_WINDOW_MS",
    "MIN_WINDOW_MS",
    "WS_SUBSCRIBE_INSTRUCTION",
    "Ed25519Signer",
    "batch_signing_string",
    "decode_api_key",
    "decode_secret",
    "mask_key",
    "render_value",
    "signing_string",
    "validate_window",
    "ws_subscribe_signing_string",
]

#: Validity window bounds in ms (§2.2).
DEFAULT_WINDOW_MS = 5000
MIN_WINDOW_MS = 1
MAX_WINDOW_MS = 60000
#: Instruction signed for private WS subscriptions (§2.5).
WS_SUBSCRIBE_INSTRUCTION = "subscribe"

_SEED_BYTES = 32
_PUBLIC_KEY_BYTES = 32
_HEX_RE = re.compile(r"[0-9a-fA-F]*")
_B64_RE = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")


class BackpackKeyError(ValueError):
    """Unusable API key or secret (length, encoding, mismatch); the message never contains the secret."""


# ------------------------------------------------------------------------------------------- key parsing (§2.1)

def _decode_key_text(text: Any, what: str) -> bytes:
    """Decode base64 (standard or URL-safe, padding optional) or hex text, ignoring whitespace.

    :raises BackpackKeyError: not a str, empty, or neither base64 nor hex.
    """
    if not isinstance(text, str):
        raise BackpackKeyError(f"{what} must be a str (base64 or hex text), got {type(text).__name__}")
    compact = "".join(text.split())
    if not compact:
        raise BackpackKeyError(f"{what} is empty")
    is_hex = _HEX_RE.fullmatch(compact) is not None and len(compact) % 2 == 0
    # 64/128 hex digits also parse as base64 of 48/96 bytes (never a key length): hex wins.
    if is_hex and len(compact) in (2 * _SEED_BYTES, 4 * _SEED_BYTES):
        return bytes.fromhex(compact)
    if _B64_RE.fullmatch(compact) is not None:
        body = compact.rstrip("=").encode("ascii").translate(_URLSAFE_TO_STD)
        if len(body) % 4 != 1:
            padded = body + b"=" * (-len(body) % 4)
            try:
                return binascii.a2b_base64(padded, strict_mode=True)
            except binascii.Error:
                pass
    if is_hex:
        return bytes.fromhex(compact)
    raise BackpackKeyError(
        f"{what} is neither base64 nor hex ({len(compact)} characters after removing whitespace); "
        "expected the base64 text shown by Backpack when the key was created"
    )


def decode_secret(secret: str) -> bytes:
    """32-byte ED25519 seed from base64/hex ``secret`` (§2.1); a 64-byte seed ‖ public key yields its seed.

    :raises BackpackKeyError: not base64/hex, or not 32 or 64 bytes once decoded.
    """
    raw = _decode_key_text(secret, "API secret")
    if len(raw) == _SEED_BYTES:
        return raw
    if len(raw) == 2 * _SEED_BYTES:
        return raw[:_SEED_BYTES]
    raise BackpackKeyError(
        f"API secret decodes to {len(raw)} bytes; expected a 32-byte ED25519 seed "
        "(or 64 bytes: seed followed by public key)"
    )


def decode_api_key(api_key: str) -> bytes:
    """32-byte ED25519 public key from base64/hex ``api_key`` (§2.1); raises ``BackpackKeyError``."""
    raw = _decode_key_text(api_key, "API key")
    if len(raw) != _PUBLIC_KEY_BYTES:
        raise BackpackKeyError(f"API key decodes to {len(raw)} bytes; expected a 32-byte ED25519 public key")
    return raw


def mask_key(api_key: str) -> str:
    """Log-safe API key: first 4 + ``…`` + last 4 characters; ``"…"`` for 12 characters or fewer."""
    if not isinstance(api_key, str) or len(api_key) <= 12:
        return "…"
    return f"{api_key[:4]}…{api_key[-4:]}"


def validate_window(window_ms: int) -> int:
    """Return ``window_ms`` if it is an int in 1..60000 ms (§2.2), else raise ``ValueError``."""
    if type(window_ms) is not int or not MIN_WINDOW_MS <= window_ms <= MAX_WINDOW_MS:
        raise ValueError(
            f"window_ms must be an int in {MIN_WINDOW_MS}..{MAX_WINDOW_MS} (milliseconds, §2.2); got {window_ms!r}"
        )
    return window_ms


# --------------------------------------------------------------------------------------- signing strings (§2.3)

def render_value(value: Any) -> str:
    """One parameter value as signed (§2.3): bool → ``"true"``/``"false"`` (§11.13), int → decimal, str
    verbatim, Decimal → plain text without exponent. Other types (float, containers) raise ``TypeError``.
    """
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    # Subclasses (str/int enums) and Decimal.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"cannot sign a non-finite Decimal ({value})")
        return format(value, "f")
    raise TypeError(
        f"cannot render a {t.__name__} in a Backpack signing string; use str (prices/quantities as decimal "
        "strings), int, bool or Decimal (§2.3)"
    )


def _int_text(value: int, name: str) -> str:
    if type(value) is not int:
        raise TypeError(f"{name} must be an int (milliseconds), got {type(value).__name__}")
    return int.__repr__(value)


def _pairs(params: Mapping[str, Any]) -> list:
    """``key=value`` for each non-None item, sorted by key; rendering as :func:`render_value`."""
    return [
        f"{key}={value}" if (t := type(value)) is str
        else (f"{key}=true" if value else f"{key}=false") if t is bool
        else f"{key}={value:d}" if t is int
        else f"{key}={render_value(value)}"
        for key in sorted(params)
        if (value := params[key]) is not None
    ]


def signing_string(instruction: str, params: Optional[Mapping[str, Any]], timestamp_ms: int, window_ms: int) -> str:
    """Signing string of one request (§2.3): ``instruction=<ins>&<sorted k=v>&timestamp=<ms>&window=<ms>``.

    ``params`` (body or query) may be None; None values are dropped; the window is not range-checked here.
    :raises TypeError: unsupported value type, or a non-int timestamp/window.
    """
    if type(timestamp_ms) is not int or type(window_ms) is not int:
        _int_text(timestamp_ms, "timestamp_ms")
        _int_text(window_ms, "window_ms")
    tail = f"timestamp={timestamp_ms}&window={window_ms}"
    if not params:
        return f"instruction={instruction}&{tail}"
    pairs = _pairs(params)
    if not pairs:
        return f"instruction={instruction}&{tail}"
    return f"instruction={instruction}&{'&'.join(pairs)}&{tail}"


def batch_signing_string(instruction: str, items: Sequence[Mapping[str, Any]], timestamp_ms: int,
                         window_ms: int) -> str:
    """Signing string of a batch request (§2.4): one instruction block per item, then timestamp/window once.

    :raises ValueError: ``items`` is empty or an item is not a mapping.
    :raises TypeError: unsupported value type, or a non-int timestamp/window.
    """
    if not items:
        raise ValueError("a batch request needs at least one item (§2.4)")
    head = f"instruction={instruction}"
    parts = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ValueError(f"batch items must be JSON objects, got {type(item).__name__} (§2.4)")
        parts.append(head)
        parts.extend(_pairs(item))
    parts.append(f"timestamp={_int_text(timestamp_ms, 'timestamp_ms')}")
    parts.append(f"window={_int_text(window_ms, 'window_ms')}")
    return "&".join(parts)


def ws_subscribe_signing_string(timestamp_ms: int, window_ms: int) -> str:
    """``instruction=subscribe&timestamp=<ms>&window=<ms>`` (§2.5); stream names are not signed."""
    return (f"instruction={WS_SUBSCRIBE_INSTRUCTION}&timestamp={_int_text(timestamp_ms, 'timestamp_ms')}"
            f"&window={_int_text(window_ms, 'window_ms')}")


# ----------------------------------------------------------------------------------------------------- signer

class Ed25519Signer:
    """ED25519 signer (§2.1, §2.3); ``repr`` shows only the masked API key.

    :raises BackpackKeyError: malformed secret/key, or an ``api_key`` not derived from the secret.
    """

    __slots__ = ("_signing_key", "_sk", "_api_key")

    def __init__(self, secret: str, api_key: Optional[str] = None):
        seed = decode_secret(secret)
        signing_key = SigningKey(seed)
        public = bytes(signing_key.verify_key)
        derived = binascii.b2a_base64(public, newline=False).decode("ascii")
        if api_key is not None:
            given = decode_api_key(api_key)
            if given != public:
                hint = " (the API key and the secret hold the same value)" if given == seed else ""
                raise BackpackKeyError(
                    f"API key does not match the secret: the secret derives {mask_key(derived)}{hint}"
                )
        self._signing_key = signing_key
        # libsodium secret key (seed ‖ public); crypto_sign on it avoids PyNaCl's per-call wrappers.
        self._sk = seed + public
        self._api_key = derived

    @property
    def api_key(self) -> str:
        """Standard base64 of the derived 32-byte public key (the ``X-API-Key`` value, §2.2)."""
        return self._api_key

    @property
    def verify_key_bytes(self) -> bytes:
        return bytes(self._signing_key.verify_key)

    def sign(self, message: Union[str, bytes]) -> str:
        """Base64 of the 64-byte ED25519 signature of ``message`` (UTF-8 encoded when a str) — ``X-Signature``."""
        data = message.encode() if isinstance(message, str) else message
        return binascii.b2a_base64(crypto_sign(data, self._sk)[:crypto_sign_BYTES], newline=False).decode("ascii")

    def __repr__(self) -> str:
        return f"Ed25519Signer(api_key={mask_key(self._api_key)!r})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("Ed25519Signer cannot be pickled (it holds a secret key)")
