"""Backpack Exchange request signing: key parsing, signing strings and an ED25519 signer.

Pure functions plus one small signer class on PyNaCl; imports nothing from ``hummingbot.connector.exchange``.
Sections: docs/backpack-api.md.

Signing string (§2.3)::

    instruction=<ins>&<k1>=<v1>&...(keys sorted)...&timestamp=<ms>&window=<ms>

Batch (§2.4): one ``instruction=<ins>&<sorted k=v>`` block per array item, joined with ``&``, then
``&timestamp=..&window=..`` once. WS private subscribe (§2.5): ``instruction=subscribe&timestamp=..&window=..``.

Secrets never appear in exception texts, reprs or logs: errors name what is wrong (length, alphabet, mismatch),
and :func:`mask_key` gives a log-safe form of a public API key.
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

#: Validity window bounds in ms (§2.2). Repeated here (not imported from the spot constants) because this
#: module is shared with the perpetual connector; both sides cite the same section.
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
    """An API key or secret that cannot be used: wrong length, wrong encoding, or key/secret mismatch.

    The message says what is wrong and never contains the secret (nor any encoding of it).
    """


# ------------------------------------------------------------------------------------------- key parsing (§2.1)

def _decode_key_text(text: Any, what: str) -> bytes:
    """Decode base64 (standard or URL-safe, padding optional) or hex text to bytes.

    :param text: the key as pasted by a user; all whitespace is ignored.
    :param what: "API secret" / "API key", used in error messages.
    :raises BackpackKeyError: not a str, empty, or neither valid base64 nor hex. The text is never echoed.
    """
    if not isinstance(text, str):
        raise BackpackKeyError(f"{what} must be a str (base64 or hex text), got {type(text).__name__}")
    compact = "".join(text.split())
    if not compact:
        raise BackpackKeyError(f"{what} is empty")
    is_hex = _HEX_RE.fullmatch(compact) is not None and len(compact) % 2 == 0
    # 64 or 128 hex digits are 32 or 64 bytes. The same text is also valid base64 of 48 or 96 bytes, which is
    # never a valid key, so hex wins for exactly these lengths.
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
    """Return the 32-byte ED25519 seed encoded in ``secret`` (§2.1).

    Accepts base64 (standard or URL-safe, with or without ``=`` padding) or hex; whitespace anywhere is
    ignored. A 64-byte value (seed ‖ public key, as some SDKs export it) yields its first 32 bytes.

    :raises BackpackKeyError: not base64/hex, or decodes to a length other than 32 or 64 bytes (the message
        names the decoded length, never the secret).
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
    """Return the 32-byte ED25519 public key encoded in ``api_key`` (base64 or hex, §2.1).

    :raises BackpackKeyError: not base64/hex, or not 32 bytes once decoded (the message names the length).
    """
    raw = _decode_key_text(api_key, "API key")
    if len(raw) != _PUBLIC_KEY_BYTES:
        raise BackpackKeyError(f"API key decodes to {len(raw)} bytes; expected a 32-byte ED25519 public key")
    return raw


def mask_key(api_key: str) -> str:
    """Log-safe form of a (public) API key: first 4 + ``…`` + last 4 characters, e.g. ``"iojj…b1w="``.

    Keys of 12 characters or fewer are masked entirely (``"…"``) so that nothing short is revealed whole.
    """
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
    """Render one parameter value as the signing string shows it (§2.3).

    - ``bool`` → ``"true"`` / ``"false"`` (never Python's ``"True"``; §11.13),
    - ``int`` → decimal text (``123456789``),
    - ``str`` → verbatim: no quotes, no URL-encoding (``"150.25"``, ``"SOL_USDC"``),
    - ``Decimal`` → plain decimal text without exponent (``Decimal("1E-7")`` → ``"0.0000001"``).

    ``None`` is not a value: callers drop such keys. ``float`` (ambiguous text, §2.3), containers and any
    other type raise ``TypeError``.
    """
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    # Subclasses (str/int enums) and Decimal: the slower, general path.
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
    """``key=value`` for each non-None item of ``params``, in sorted key order (the hot path of §2.3).

    str/bool/int are rendered inline (same rules as :func:`render_value`, which handles everything else).
    """
    return [
        f"{key}={value}" if (t := type(value)) is str
        else (f"{key}=true" if value else f"{key}=false") if t is bool
        else f"{key}={value:d}" if t is int
        else f"{key}={render_value(value)}"
        for key in sorted(params)
        if (value := params[key]) is not None
    ]


def signing_string(instruction: str, params: Optional[Mapping[str, Any]], timestamp_ms: int, window_ms: int) -> str:
    """Signing string of one request (§2.3).

    :param instruction: the endpoint's instruction (§3), e.g. ``"orderExecute"``.
    :param params: body (POST/DELETE/PATCH) or query (GET) key/values; ``None`` or empty for none. Keys are
        sorted; ``None`` values are dropped; values rendered by :func:`render_value`.
    :param timestamp_ms: the ``X-Timestamp`` value (Unix ms).
    :param window_ms: the ``X-Window`` value (ms). Not range-checked here (see :func:`validate_window`).
    :returns: e.g. ``instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000``.
    :raises TypeError: a value of an unsupported type, or a non-int timestamp/window.
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
    """Signing string of a batch request such as ``POST /api/v1/orders`` (§2.4).

    Each item contributes ``instruction=<instruction>`` followed by its sorted ``key=value`` pairs; blocks are
    joined with ``&`` in array order; ``timestamp``/``window`` are appended once.

    :raises ValueError: ``items`` is empty or an item is not a mapping.
    :raises TypeError: a value of an unsupported type, or a non-int timestamp/window.
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
    """Signing string of a private WS subscription: ``instruction=subscribe&timestamp=<ms>&window=<ms>`` (§2.5).

    Stream names are not signed.
    """
    return (f"instruction={WS_SUBSCRIBE_INSTRUCTION}&timestamp={_int_text(timestamp_ms, 'timestamp_ms')}"
            f"&window={_int_text(window_ms, 'window_ms')}")


# ----------------------------------------------------------------------------------------------------- signer

class Ed25519Signer:
    """ED25519 signer for Backpack requests (§2.1, §2.3), built once per key pair.

    :param secret: the API secret (32-byte seed, or 64-byte seed ‖ public key) as base64 or hex text.
    :param api_key: optional API key (base64/hex public key). When given it must be the key derived from the
        secret, else ``BackpackKeyError``.
    :raises BackpackKeyError: malformed secret/key, or a key that does not belong to the secret.

    The seed is held only inside PyNaCl's ``SigningKey`` and libsodium's 64-byte secret key (bytes, in a slot);
    ``repr``/``str`` show the masked API key only and instances have no ``__dict__``.
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
        # libsodium's secret key is seed ‖ public key; signing with it directly skips PyNaCl's per-call
        # SignedMessage/encoder objects (same bytes as SigningKey.sign(...).signature, RFC 8032 deterministic).
        self._sk = seed + public
        self._api_key = derived

    @property
    def api_key(self) -> str:
        """Standard base64 of the derived 32-byte public key (the ``X-API-Key`` value, §2.2)."""
        return self._api_key

    @property
    def verify_key_bytes(self) -> bytes:
        """The derived 32-byte public key."""
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
