"""``BackpackRestClient``: throttled REST calls, error mapping (§6), 429 backoff (§7), expired-window retry (§2.7)."""
import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Protocol, Tuple

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackCredentialsMissingError,
    BackpackMalformedAnswerError,
    BackpackRateLimitError,
    BackpackRegionBlockedError,
    error_from_response,
)
from hummingbot.connector.exchange.backpack.backpack_health import RestCounters
from hummingbot.core.web_assistant.connections.data_types import RESTMethod


class _Response(Protocol):
    status: int

    async def text(self) -> str: ...


class RestAssistant(Protocol):

    async def execute_request_and_get_response(self, url: str, throttler_limit_id: str, **kwargs: Any) -> Any: ...


class BackpackRestClient:
    """Sends REST requests; answers become ``(HTTP status, JSON or None)`` or a ``BackpackAPIError``.

    ``clock`` is monotonic seconds.
    """

    def __init__(self,
                 get_rest_assistant: Callable[[], Awaitable[RestAssistant]],
                 url_for: Callable[[str, bool], Awaitable[str]],
                 has_credentials: Callable[[], bool],
                 resync_clock: Callable[[], Awaitable[Any]],
                 logger: Callable[[], logging.Logger],
                 clock: Callable[[], float] = time.monotonic):
        self._get_rest_assistant = get_rest_assistant
        self._url_for = url_for
        self._has_credentials = has_credentials
        self._resync_clock = resync_clock
        self._logger = logger
        self._clock = clock
        self.counters = RestCounters(clock=clock)
        #: Current 429 pause (s) and its monotonic end.
        self.backoff_s = 0.0
        self.backoff_until = 0.0
        self._log_throttle = LogThrottle(interval_s=60.0, clock=clock)

    async def call(self, path_url: str, method: RESTMethod = RESTMethod.GET,
                   params: Optional[Dict[str, Any]] = None, data: Optional[Any] = None,
                   is_auth_required: bool = False, limit_id: Optional[str] = None,
                   headers: Optional[Dict[str, Any]] = None,
                   overwrite_url: Optional[str] = None) -> Tuple[int, Any]:
        """``(HTTP status, JSON or None for an empty body)``; an expired request is retried once after a re-sync.

        :raises BackpackRateLimitError: 429 (and a connector-wide pause starts).
        :raises BackpackMalformedAnswerError: a 2xx body that is not JSON.
        :raises BackpackAPIError: other non-2xx (``BackpackRegionBlockedError`` for 451).
        :raises BackpackCredentialsMissingError: a private route without API credentials.
        """
        if is_auth_required and not self._has_credentials():
            raise BackpackCredentialsMissingError(
                f"{method.value} {path_url} needs Backpack API credentials, but this connector instance was created "
                "without an API key and secret (public data only). Configure the keys with `connect backpack`.")
        url = overwrite_url or await self._url_for(path_url, is_auth_required)
        rest_assistant = await self._get_rest_assistant()
        for attempt in range(2):
            await self.wait_for_backoff()
            response = await rest_assistant.execute_request_and_get_response(
                url=url, throttler_limit_id=limit_id or path_url, params=params, data=data, method=method,
                is_auth_required=is_auth_required, return_err=True, headers=headers)
            status = response.status
            self.counters.on_status(status)
            body = await response.text()
            if status < 400:
                self.backoff_s = 0.0
                try:
                    return status, (json.loads(body) if body and body.strip() else None)
                except ValueError:
                    raise BackpackMalformedAnswerError(status, "", body[:300], method.value, path_url) from None
            error = error_from_response(status, body, method.value, path_url)
            if isinstance(error, BackpackRateLimitError):
                self.start_backoff(path_url)
            elif isinstance(error, BackpackRegionBlockedError):
                if self._log_throttle.check("451") is not None:
                    self._logger().error(str(error))
            elif attempt == 0 and error.is_request_expired:
                await self._resync_clock()
                continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def start_backoff(self, path_url: str) -> None:
        """Pause all REST requests, doubling per 429 after the last pause ended; a 429 during a pause is ignored."""
        now = self._clock()
        if now < self.backoff_until:
            return
        self.backoff_s = min(max(self.backoff_s * 2, CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S),
                             CONSTANTS.RATE_LIMIT_BACKOFF_MAX_S)
        self.backoff_until = now + self.backoff_s
        self._logger().warning(f"Backpack rate limit hit (HTTP 429 on {path_url}): pausing REST requests for "
                               f"{self.backoff_s:.1f} s.")

    def backoff_remaining_s(self) -> float:
        return max(0.0, self.backoff_until - self._clock())

    async def wait_for_backoff(self) -> None:
        remaining = self.backoff_remaining_s()
        if remaining > 0:
            await asyncio.sleep(remaining)
