"""``BackpackRestClient``: throttled REST calls, error mapping (§6), 429 backoff (§7), expired-window retry (§2.7)."""
import asyncio
import json
import logging
import random
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


_ORDER_ACTION_PATHS = (CONSTANTS.ORDER_PATH_URL, CONSTANTS.ORDERS_PATH_URL)


def request_class(method: RESTMethod, path_url: str) -> str:
    """``"cancel"`` (DELETE order/orders, §5.7–§5.8), ``"place"`` (POST order/orders, §5.5–§5.6) or ``"poll"``."""
    if path_url in _ORDER_ACTION_PATHS:
        if method is RESTMethod.DELETE:
            return "cancel"
        if method is RESTMethod.POST:
            return "place"
    return "poll"


_CLASS_LIMIT_IDS = {"cancel": CONSTANTS.ORDER_CANCEL_LIMIT_ID, "place": CONSTANTS.ORDER_PLACE_LIMIT_ID}


class BackpackRestClient:
    """Sends REST requests; answers become ``(HTTP status, JSON or None)`` or a ``BackpackAPIError``.

    Priority (issue 17): cancels, then placements, then polling. Order actions have their own throttler ids with
    reserved headroom (``backpack_constants`` rate limits) and never wait for the 429 pause, which holds polling
    only; a cancel answered 429 is sent again after ``CANCEL_RETRY_DELAY_RANGE_S`` (random) until another answer.
    ``clock`` is monotonic seconds; ``sleep`` and ``rng`` are injectable for tests.
    """

    def __init__(self,
                 get_rest_assistant: Callable[[], Awaitable[RestAssistant]],
                 url_for: Callable[[str, bool], Awaitable[str]],
                 has_credentials: Callable[[], bool],
                 resync_clock: Callable[[], Awaitable[Any]],
                 logger: Callable[[], logging.Logger],
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rng: Optional[random.Random] = None):
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._get_rest_assistant = get_rest_assistant
        self._url_for = url_for
        self._has_credentials = has_credentials
        self._resync_clock = resync_clock
        self._logger = logger
        self._clock = clock
        self.counters = RestCounters(clock=clock)
        #: Current 429 pause of polling (s) and its monotonic end.
        self.backoff_s = 0.0
        self.backoff_until = 0.0
        self._log_throttle = LogThrottle(interval_s=60.0, clock=clock)

    async def call(self, path_url: str, method: RESTMethod = RESTMethod.GET,
                   params: Optional[Dict[str, Any]] = None, data: Optional[Any] = None,
                   is_auth_required: bool = False, limit_id: Optional[str] = None,
                   headers: Optional[Dict[str, Any]] = None,
                   overwrite_url: Optional[str] = None, retry_cancel_429: bool = True) -> Tuple[int, Any]:
        """``(HTTP status, JSON or None for an empty body)``; an expired request is retried once after a re-sync.

        :raises BackpackRateLimitError: 429 on a placement or a poll (and the polling pause starts); a cancel is
            retried instead, unless ``retry_cancel_429`` is false (its caller retries later).
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
        kind = request_class(method, path_url)
        limit_id = limit_id or _CLASS_LIMIT_IDS.get(kind, path_url)
        resynced = False
        while True:
            if kind == "poll":
                await self.wait_for_backoff()
            response = await rest_assistant.execute_request_and_get_response(
                url=url, throttler_limit_id=limit_id, params=params, data=data, method=method,
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
                if kind == "cancel" and retry_cancel_429:
                    self.counters.cancel_retries_after_429 += 1
                    await self._sleep(self._rng.uniform(*CONSTANTS.CANCEL_RETRY_DELAY_RANGE_S))
                    continue
            elif isinstance(error, BackpackRegionBlockedError):
                if self._log_throttle.check("451") is not None:
                    self._logger().error(str(error))
            elif not resynced and error.is_request_expired:
                resynced = True
                await self._resync_clock()
                continue
            raise error

    def start_backoff(self, path_url: str) -> None:
        """Pause polling requests, doubling per 429 after the last pause ended; a 429 during a pause is ignored."""
        now = self._clock()
        if now < self.backoff_until:
            return
        self.backoff_s = min(max(self.backoff_s * 2, CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S),
                             CONSTANTS.RATE_LIMIT_BACKOFF_MAX_S)
        self.backoff_until = now + self.backoff_s
        self._logger().warning(f"Backpack rate limit hit (HTTP 429 on {path_url}): pausing REST polling for "
                               f"{self.backoff_s:.1f} s.")

    def backoff_remaining_s(self) -> float:
        return max(0.0, self.backoff_until - self._clock())

    async def wait_for_backoff(self) -> None:
        remaining = self.backoff_remaining_s()
        if remaining > 0:
            await asyncio.sleep(remaining)
