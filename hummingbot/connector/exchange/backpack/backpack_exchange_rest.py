"""REST layer of ``BackpackExchange``: one throttled call path, Backpack error mapping (§6), the 429 backoff
(§7), the network check (§4.1) and ExchangePyBase's error-classification hooks. Mixed into ``BackpackExchange``."""
import asyncio
import json
import time
from typing import Any, Dict, Optional, Tuple

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackCredentialsMissingError,
    BackpackOrderNotFoundError,
    BackpackRateLimitError,
    BackpackMalformedAnswerError,
    BackpackRegionBlockedError,
    error_from_response,
)
from hummingbot.core.network_iterator import NetworkStatus
from hummingbot.core.web_assistant.connections.data_types import RESTMethod


class BackpackRestMixin:
    """REST calls and their error handling; state (``_rest_counters``, ``_backoff_*``, ``_log_throttle``) is set up
    by ``BackpackExchange.__init__``."""

    # ======================================================================================= REST layer
    async def _api_request(self,
                           path_url,
                           overwrite_url: Optional[str] = None,
                           method: RESTMethod = RESTMethod.GET,
                           params: Optional[Dict[str, Any]] = None,
                           data: Optional[Any] = None,
                           is_auth_required: bool = False,
                           return_err: bool = False,
                           limit_id: Optional[str] = None,
                           headers: Optional[Dict[str, Any]] = None,
                           **kwargs) -> Any:
        """JSON answer of a Backpack REST call (``None`` for an empty 2xx body such as a 202). See ``_rest_call``."""
        _, payload = await self._rest_call(path_url, method=method, params=params, data=data,
                                           is_auth_required=is_auth_required, limit_id=limit_id,
                                           headers=headers, overwrite_url=overwrite_url)
        return payload

    async def _rest_call(self, path_url: str, method: RESTMethod = RESTMethod.GET,
                         params: Optional[Dict[str, Any]] = None, data: Optional[Any] = None,
                         is_auth_required: bool = False, limit_id: Optional[str] = None,
                         headers: Optional[Dict[str, Any]] = None,
                         overwrite_url: Optional[str] = None) -> Tuple[int, Any]:
        """One REST call through the throttler: ``(HTTP status, parsed JSON or None)``.

        Errors (§6): 429 → ``BackpackRateLimitError`` and a connector-wide backoff (doubling from
        ``RATE_LIMIT_BACKOFF_INITIAL_S`` to ``RATE_LIMIT_BACKOFF_MAX_S``) before the next request; 451 →
        ``BackpackRegionBlockedError``; "Request has expired" → re-sync the clock and retry once; other non-2xx →
        ``BackpackAPIError`` (status, ``code``, ``message``). Transport errors propagate unchanged.

        :raises BackpackCredentialsMissingError: a private route on a connector built without keys.
        """
        if is_auth_required and self._auth is None:
            raise BackpackCredentialsMissingError(
                f"{method.value} {path_url} needs Backpack API credentials, but this connector instance was created "
                "without an API key and secret (public data only). Configure the keys with `connect backpack`.")
        url = overwrite_url or await self._api_request_url(path_url=path_url, is_auth_required=is_auth_required)
        rest_assistant = await self._web_assistants_factory.get_rest_assistant()
        for attempt in range(2):
            await self._wait_for_rate_limit_backoff()
            response = await rest_assistant.execute_request_and_get_response(
                url=url, throttler_limit_id=limit_id or path_url, params=params, data=data, method=method,
                is_auth_required=is_auth_required, return_err=True, headers=headers)
            status = response.status
            self._rest_counters.on_status(status)
            body = await response.text()
            if status < 400:
                self._backoff_s = 0.0
                try:
                    return status, (json.loads(body) if body and body.strip() else None)
                except ValueError:  # executed, but we cannot read the result
                    raise BackpackMalformedAnswerError(status, "", body[:300], method.value, path_url) from None
            error = error_from_response(status, body, method.value, path_url)
            if isinstance(error, BackpackRateLimitError):
                self._start_rate_limit_backoff(path_url)
            elif isinstance(error, BackpackRegionBlockedError):
                if self._log_throttle.check("451") is not None:
                    self.logger().error(str(error))
            elif attempt == 0 and error.is_request_expired:
                await self._update_time_synchronizer()
                continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_rate_limit_backoff(self, path_url: str) -> None:
        """Pause REST requests after a 429: ``RATE_LIMIT_BACKOFF_INITIAL_S`` (1 s), doubling up to
        ``RATE_LIMIT_BACKOFF_MAX_S`` (30 s) for each 429 met after the previous pause ended. A 429 that arrives while
        a pause is running answers a request sent before the pause began — the same burst — and changes nothing
        (a burst of concurrent 429s once escalated the pause per answer, 1 → 30 s; found by ``make chaos``)."""
        now = time.monotonic()
        if now < self._backoff_until:
            return
        self._backoff_s = min(max(self._backoff_s * 2, CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S),
                              CONSTANTS.RATE_LIMIT_BACKOFF_MAX_S)
        self._backoff_until = now + self._backoff_s
        self.logger().warning(f"Backpack rate limit hit (HTTP 429 on {path_url}): pausing REST requests for "
                              f"{self._backoff_s:.1f} s.")

    def _backoff_remaining_s(self) -> float:
        return max(0.0, self._backoff_until - time.monotonic())

    async def _wait_for_rate_limit_backoff(self) -> None:
        remaining = self._backoff_remaining_s()
        if remaining > 0:
            await asyncio.sleep(remaining)

    async def check_network(self) -> NetworkStatus:
        """``CONNECTED`` when ``GET /api/v1/status`` says ``Ok`` — and also while a 429 pause runs or when the check
        itself is answered 429: a rate-limiting Backpack is up, and declaring the network down would stop the
        streams and the order book (found by ``make chaos``). Errors, timeouts, 451 and maintenance are down."""
        if self._backoff_remaining_s() > 0:
            return NetworkStatus.CONNECTED
        try:
            await self._make_network_check_request()
        except asyncio.CancelledError:
            raise
        except BackpackRateLimitError:
            return NetworkStatus.CONNECTED
        except Exception:
            return NetworkStatus.NOT_CONNECTED
        return NetworkStatus.CONNECTED

    async def _make_network_check_request(self):
        """``GET /api/v1/status`` (§4.1): connected only when ``status == "Ok"`` (``Maintenance`` counts as down)."""
        answer = await self._api_get(path_url=self.check_network_request_path)
        if not isinstance(answer, dict) or answer.get("status") != "Ok":
            raise IOError(f"Backpack status is not Ok: {answer!r}")

    def _is_request_exception_related_to_time_synchronizer(self, request_exception: Exception) -> bool:
        """``INVALID_CLIENT_REQUEST`` + "Request has expired" (§2.7, §6.3)."""
        if isinstance(request_exception, BackpackAPIError):
            return request_exception.is_request_expired
        text = str(request_exception)
        return CONSTANTS.ERROR_INVALID_CLIENT_REQUEST in text and CONSTANTS.MESSAGE_REQUEST_EXPIRED in text

    def _is_order_not_found_during_status_update_error(self, status_update_exception: Exception) -> bool:
        """Only when neither the open-order query nor the order history knows the order (§5.9, §5.11)."""
        return isinstance(status_update_exception, BackpackOrderNotFoundError)

    def _is_order_not_found_during_cancelation_error(self, cancelation_exception: Exception) -> bool:
        """``RESOURCE_NOT_FOUND``/"Not Found" or ``INVALID_CLIENT_REQUEST``/"Order not found" (§5.7)."""
        return isinstance(cancelation_exception, BackpackAPIError) and cancelation_exception.is_order_not_found
