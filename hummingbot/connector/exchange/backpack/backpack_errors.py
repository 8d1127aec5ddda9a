"""Exceptions for Backpack REST answers (§6); ``IOError`` subclasses whose messages never carry headers or keys."""
import asyncio
import json
from typing import Optional

import aiohttp

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS

#: Error codes that mean "the engine may have executed the command" (§6.3): the outcome is unknown.
UNKNOWN_OUTCOME_CODES = frozenset({"TIMEOUT", "SERVER_ERROR", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR"})
#: Transport errors after which a request may or may not have reached the engine (§6.3).
UNKNOWN_OUTCOME_TRANSPORT_ERRORS = (asyncio.TimeoutError, aiohttp.ServerDisconnectedError,
                                    aiohttp.ServerTimeoutError, aiohttp.ClientPayloadError)
_NOT_FOUND_MESSAGES = tuple(m.lower() for m in CONSTANTS.ORDER_NOT_FOUND_MESSAGES)


class BackpackAPIError(IOError):
    """A non-2xx answer; ``code`` is the ``ApiErrorCode`` (§6.2), ``""`` for a non-JSON body (§6.1)."""

    def __init__(self, status: int, code: str, message: str, method: str = "", path: str = ""):
        self.status = status
        self.code = code or ""
        self.message = message or ""
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        text = (f"Error executing request {self.method} {self.path}. HTTP status is {self.status}. "
                f"Error: {{\"code\": \"{self.code}\", \"message\": \"{self.message}\"}}")
        if self.is_request_expired:
            text += (" The request's timestamp was outside its X-Window even after re-syncing with the server "
                     "time: check the system clock (NTP) of this host.")
        return text

    @property
    def is_order_not_found(self) -> bool:
        """The order is not open or unknown (§5.7, §6.3; exact code/text UNCONFIRMED, several accepted)."""
        if self.code == CONSTANTS.ERROR_RESOURCE_NOT_FOUND:
            return True
        if self.code in (CONSTANTS.ERROR_INVALID_CLIENT_REQUEST, CONSTANTS.ERROR_INVALID_ORDER) or self.status == 404:
            text = self.message.lower()
            return any(fragment in text for fragment in _NOT_FOUND_MESSAGES)
        return False

    @property
    def is_request_expired(self) -> bool:
        """The request's clock was outside ``X-Window`` (§2.7)."""
        return (self.code == CONSTANTS.ERROR_INVALID_CLIENT_REQUEST
                and CONSTANTS.MESSAGE_REQUEST_EXPIRED.lower() in self.message.lower())

    @property
    def is_post_only_rejection(self) -> bool:
        """400 ``INVALID_ORDER`` for a post-only order that would take liquidity (§5.5, UNCONFIRMED text)."""
        return (self.code == CONSTANTS.ERROR_INVALID_ORDER
                and CONSTANTS.POST_ONLY_REJECT_FRAGMENT in self.message.lower())

    @property
    def is_unknown_outcome(self) -> bool:
        """5xx or ``UNKNOWN_OUTCOME_CODES``: the command may have executed (§6.3, §11.15)."""
        return self.status >= 500 or self.code in UNKNOWN_OUTCOME_CODES


class BackpackMalformedAnswerError(BackpackAPIError):
    """A 2xx answer whose body is not JSON: executed, result unknown (§6.3)."""

    def _render(self) -> str:
        return (f"Backpack answered {self.method} {self.path} with HTTP {self.status} but a body that is not JSON "
                f"(the request was executed; its result is unknown): {self.message[:100]!r}")

    @property
    def is_unknown_outcome(self) -> bool:
        return True


class BackpackRateLimitError(BackpackAPIError):
    """HTTP 429 ``TOO_MANY_REQUESTS`` (§6.1, §7)."""

    def _render(self) -> str:
        return (f"Backpack rate limit (HTTP {self.status} {self.code or 'TOO_MANY_REQUESTS'}): {self.method} "
                f"{self.path} was refused, not executed; the connector pauses its requests before the next one. "
                f"Server said: {self.message or 'nothing'}")


class BackpackCredentialsRejectedError(BackpackAPIError):
    """HTTP 401/403: API key or signature refused."""

    def _render(self) -> str:
        return (f"Backpack refused the API credentials (HTTP {self.status} {self.code or 'UNAUTHORIZED'}) for "
                f"{self.method} {self.path}: check the API key and secret and the key's permissions. "
                f"Server said: {self.message or 'nothing'}")


class BackpackRegionBlockedError(BackpackAPIError):
    """HTTP 451: region blocked (UNCONFIRMED status, §6.1)."""

    def _render(self) -> str:
        return (f"Backpack refused the request from this region (HTTP 451) for {self.method} {self.path}: the API is "
                f"not available from this host's location, so this connector cannot trade from here. "
                f"Run it from a location Backpack serves. Server said: {self.message or 'nothing'}")


class BackpackPostOnlyRejectedError(BackpackAPIError):
    """A post-only order refused because it would have crossed the book (§5.5)."""

    def _render(self) -> str:
        return f"post-only order would have taken liquidity (Backpack: {self.code} {self.message!r})"


class BackpackOrderNotFoundError(IOError):
    """The order is neither open (``GET /api/v1/order``, §5.9) nor in the order history (§5.11)."""


class BackpackOrderHistoryLagError(IOError):
    """An acknowledged order is neither open nor in the order history yet, within ``HistoryLagGrace.GRACE_S`` of the
    first such answer (U3: history may lag the open set); not a "not found"."""


class BackpackCredentialsMissingError(ValueError):
    """A private request on a connector built without API key and secret."""


def is_unknown_outcome(error: BaseException) -> bool:
    """Whether a request that failed with ``error`` may still have been executed (§6.3)."""
    if isinstance(error, BackpackAPIError):
        return error.is_unknown_outcome
    return isinstance(error, UNKNOWN_OUTCOME_TRANSPORT_ERRORS)


def error_from_response(status: int, body_text: str, method: str, path: str) -> BackpackAPIError:
    """The ``BackpackAPIError`` subclass for an HTTP status and body (§6.2; JSON, plain text or CDN HTML)."""
    code, message = _parse_error_body(body_text)
    cls = BackpackAPIError
    if status == 429 or code == CONSTANTS.ERROR_TOO_MANY_REQUESTS:
        cls = BackpackRateLimitError
    elif status == 451:
        cls = BackpackRegionBlockedError
    elif status in (401, 403):
        cls = BackpackCredentialsRejectedError
    return cls(status=status, code=code, message=message, method=method, path=path)


def _parse_error_body(body_text: Optional[str]):
    if not body_text:
        return "", ""
    if "<html" in body_text.lower():
        return "", "N/A"
    try:
        body = json.loads(body_text)
    except ValueError:
        return "", body_text[:300]
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message", body.get("msg"))
        return (str(code) if code is not None else ""), (str(message)[:300] if message is not None else "")
    return "", body_text[:300]
