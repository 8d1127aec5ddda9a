"""``BackpackAuth``: signs REST requests and WS subscriptions (§2); the instruction comes from ``INSTRUCTIONS``."""
import json
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from hummingbot.connector.backpack_common.signing import (
    Ed25519Signer,
    batch_signing_string,
    mask_key,
    render_value,
    signing_string,
    validate_window,
    ws_subscribe_signing_string,
)
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.web_assistant.auth import AuthBase
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest, WSRequest

_INSTRUCTIONS = CONSTANTS.INSTRUCTIONS
_BATCH_ROUTES = CONSTANTS.BATCH_ROUTES
_H_API_KEY = CONSTANTS.HEADER_API_KEY
_H_SIGNATURE = CONSTANTS.HEADER_SIGNATURE
_H_TIMESTAMP = CONSTANTS.HEADER_TIMESTAMP
_H_WINDOW = CONSTANTS.HEADER_WINDOW
_CONTENT_TYPE = "Content-Type"
_JSON = "application/json"
_raw_decode = json.JSONDecoder().raw_decode


def _parse_body(text: str) -> Any:
    """``json.loads(text)``, faster for a body as ``json.dumps`` writes it; same results and errors."""
    try:
        obj, end = _raw_decode(text)
    except ValueError:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return obj


@lru_cache(maxsize=512)
def _split_url(url: str) -> Tuple[str, str]:
    """``url`` → (path, raw query string)."""
    parts = urlsplit(url)
    return parts.path or "/", parts.query


class BackpackAuth(AuthBase):
    """Signs private REST requests (§2.2–§2.4) and the WS subscribe (§2.5, §8.4); ``repr`` masks the key.

    :param time_provider: ``time()`` returns server-synchronised Unix time in seconds.
    :param window_ms: ``X-Window`` in ms, 1..60000 (§2.2).
    :raises BackpackKeyError: malformed key/secret, or an API key that does not belong to the secret.
    :raises ValueError: ``window_ms`` outside 1..60000.
    """

    def __init__(self, api_key: str, secret_key: str, time_provider, window_ms: int = CONSTANTS.DEFAULT_WINDOW_MS):
        self._window_ms = validate_window(window_ms)
        self._window_text = str(window_ms)
        self._signer = Ed25519Signer(secret_key, api_key)
        self._sign = self._signer.sign
        self._api_key = self._signer.api_key
        self._time_provider = time_provider

    @property
    def api_key(self) -> str:
        """``X-API-Key``: standard base64 of the public key derived from the secret."""
        return self._api_key

    @property
    def window_ms(self) -> int:
        return self._window_ms

    def _now_ms(self) -> int:
        return int(self._time_provider.time() * 1e3)

    def headers_for(self, method: str, path: str, payload: Any, timestamp_ms: int) -> Dict[str, str]:
        """The four ``X-*`` signed headers of one request.

        :param payload: body or query mapping, or ``None``; a list of mappings for ``BATCH_ROUTES`` (§2.4).
        :raises ValueError: route not in ``INSTRUCTIONS`` (§3), or a payload of the wrong shape.
        :raises TypeError: a value that cannot be signed (e.g. a float, §2.3).
        """
        return {
            _H_API_KEY: self._api_key,
            _H_SIGNATURE: self._signature(method.upper(), path, payload, timestamp_ms),
            _H_TIMESTAMP: str(timestamp_ms),
            _H_WINDOW: self._window_text,
        }

    def _signature(self, method: str, path: str, payload: Any, timestamp_ms: int) -> str:
        route = (method, path)
        instruction = _INSTRUCTIONS.get(route)
        if instruction is None:
            raise ValueError(f"no signing instruction for {method} {path}: add the route to "
                             "backpack_constants.INSTRUCTIONS (§3)")
        if route in _BATCH_ROUTES:
            if type(payload) is not list:
                raise ValueError(f"{method} {path} is a batch route: its body must be a JSON array (§2.4), "
                                 f"got {type(payload).__name__}")
            return self._sign(batch_signing_string(instruction, payload, timestamp_ms, self._window_ms))
        if payload is not None and type(payload) is not dict and not isinstance(payload, Mapping):
            raise ValueError(f"{method} {path} must carry a JSON object (or nothing), got {type(payload).__name__}")
        return self._sign(signing_string(instruction, payload, timestamp_ms, self._window_ms))

    async def rest_authenticate(self, request: RESTRequest) -> RESTRequest:
        """Add the signed headers (§2.2); signs the JSON body if any, else the query (rewritten to signed text).

        :raises ValueError: unknown route, a body of the wrong shape, or both a body and query params.
        :raises TypeError: a value that cannot be signed (e.g. a float).
        """
        method = request.method
        method = method.value if type(method) is RESTMethod else str(method).upper()
        path, url_query = _split_url(request.url)

        data = request.data
        if type(data) is str and data:
            payload = _parse_body(data)
            has_body = True
        elif data is None or data == "" or data == b"":
            payload = self._query_payload(request, url_query)
            has_body = False
        elif isinstance(data, (str, bytes, bytearray)):
            payload = json.loads(data)
            has_body = True
        elif isinstance(data, (dict, list)):
            payload = data
            request.data = json.dumps(data)
            has_body = True
        else:
            raise ValueError(f"cannot sign a request body of type {type(data).__name__}; pass a dict/list "
                             "or its JSON text")
        if has_body and (request.params or url_query):
            raise ValueError(f"{method} {path} has both a body and query params; Backpack signs one of them "
                             "(§2.3) — move the params into the body")

        timestamp_ms = int(self._time_provider.time() * 1e3)
        signature = self._signature(method, path, payload, timestamp_ms)

        headers = request.headers
        headers = dict(headers) if headers else {}
        if has_body:
            _ensure_json_content_type(headers)
        headers[_H_API_KEY] = self._api_key
        headers[_H_SIGNATURE] = signature
        headers[_H_TIMESTAMP] = str(timestamp_ms)
        headers[_H_WINDOW] = self._window_text
        request.headers = headers
        return request

    @staticmethod
    def _query_payload(request: RESTRequest, url_query: str) -> Optional[Dict[str, str]]:
        """URL + ``request.params`` query as signed text; rewrites ``request.params`` to match."""
        params = request.params
        rendered: Optional[Dict[str, str]] = None
        if params:
            rendered = {key: render_value(value) for key, value in params.items() if value is not None}
            request.params = rendered
        if url_query:
            pairs = parse_qsl(url_query, keep_blank_values=True)
            merged = dict(pairs)
            if len(merged) != len(pairs):
                raise ValueError("repeated query keys are not supported by the signer (§2.3)")
            if rendered:
                overlap = merged.keys() & rendered.keys()
                if overlap:
                    raise ValueError(f"query keys given both in the URL and in params: {sorted(overlap)}")
                merged.update(rendered)
            return merged
        return rendered

    async def ws_authenticate(self, request: WSRequest) -> WSRequest:
        """Unchanged: the signature goes inside the SUBSCRIBE payload (``ws_subscribe_signature``)."""
        return request

    def ws_subscribe_signature(self, timestamp_ms: Optional[int] = None) -> List[str]:
        """``[api_key, signature_b64, timestamp_ms, window_ms]`` strings of a private SUBSCRIBE (§2.5, §8.4).

        ``timestamp_ms`` (Unix ms) defaults to now.
        """
        if timestamp_ms is None:
            timestamp_ms = self._now_ms()
        message = ws_subscribe_signing_string(timestamp_ms, self._window_ms)
        return [self._api_key, self._sign(message), str(timestamp_ms), self._window_text]

    def __repr__(self) -> str:
        return f"BackpackAuth(api_key={mask_key(self._api_key)!r}, window_ms={self._window_ms})"

    __str__ = __repr__


def _ensure_json_content_type(headers: Dict[str, str]) -> None:
    """Set a JSON Content-Type unless an ``application/json…`` one is present."""
    value = headers.get(_CONTENT_TYPE)
    if value == _JSON or (value is not None and str(value).lower().startswith(_JSON)):
        return
    for key in [k for k in headers if k.lower() == "content-type"]:
        if str(headers[key]).lower().startswith(_JSON):
            return
        del headers[key]
    headers[_CONTENT_TYPE] = _JSON
