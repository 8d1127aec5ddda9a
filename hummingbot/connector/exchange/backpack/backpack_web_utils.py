"""URL builders per domain, the throttler, the ``WebAssistantsFactory`` and the server clock.

Domains (``backpack_constants``): ``"exchange"`` → ``https://api.backpack.exchange`` (§1);
``"sandbox"`` → the local sandbox exchange, base URL from the ``BACKPACK_SANDBOX_URL`` environment variable
(default ``http://127.0.0.1:8765``), WebSocket at ``<base with ws scheme>/ws``.
"""
import os
from typing import Callable, Optional

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.connector.time_synchronizer import TimeSynchronizer
from hummingbot.connector.utils import TimeSynchronizerRESTPreProcessor
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.web_assistant.auth import AuthBase
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory


def rest_base_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Base REST URL without trailing slash, e.g. ``"https://api.backpack.exchange"``.

    :raises ValueError: for an unknown domain.
    """
    if domain == CONSTANTS.SANDBOX_DOMAIN:
        return os.environ.get(CONSTANTS.SANDBOX_URL_ENV, CONSTANTS.SANDBOX_DEFAULT_URL).rstrip("/")
    try:
        return CONSTANTS.REST_URLS[domain]
    except KeyError:
        raise ValueError(f"Unknown Backpack domain {domain!r}; expected one of "
                         f"{sorted([*CONSTANTS.REST_URLS, CONSTANTS.SANDBOX_DOMAIN])}") from None


def wss_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """WebSocket URL for every public and private stream of a domain (§1, §8.1)."""
    if domain == CONSTANTS.SANDBOX_DOMAIN:
        base = rest_base_url(domain)
        scheme, rest = base.split("://", 1)
        return ("wss" if scheme == "https" else "ws") + "://" + rest + CONSTANTS.SANDBOX_WS_PATH
    try:
        return CONSTANTS.WSS_URLS[domain]
    except KeyError:
        raise ValueError(f"Unknown Backpack domain {domain!r}") from None


def public_rest_url(path_url: str, domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Full URL of a REST path such as ``/api/v1/depth`` (public and private routes share one host, §1)."""
    return rest_base_url(domain) + path_url


private_rest_url = public_rest_url


def create_throttler() -> AsyncThrottler:
    """Throttler over ``CONSTANTS.RATE_LIMITS`` (global 2000/min pool + 30/min historical pool, §7)."""
    return BackpackThrottler(CONSTANTS.RATE_LIMITS)


def build_api_factory(
        throttler: Optional[AsyncThrottler] = None,
        time_synchronizer: Optional[TimeSynchronizer] = None,
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        time_provider: Optional[Callable] = None,
        auth: Optional[AuthBase] = None) -> WebAssistantsFactory:
    """Factory whose REST assistants make sure the time synchronizer has a server-time sample before any
    request (signatures carry a ms timestamp checked against ``X-Window``, §2.7)."""
    throttler = throttler or create_throttler()
    time_synchronizer = time_synchronizer or TimeSynchronizer()
    time_provider = time_provider or (lambda: get_current_server_time(throttler=throttler, domain=domain))
    return WebAssistantsFactory(
        throttler=throttler,
        auth=auth,
        rest_pre_processors=[
            TimeSynchronizerRESTPreProcessor(synchronizer=time_synchronizer, time_provider=time_provider),
        ])


def build_api_factory_without_time_synchronizer_pre_processor(throttler: AsyncThrottler) -> WebAssistantsFactory:
    return WebAssistantsFactory(throttler=throttler)


async def get_current_server_time(
        throttler: Optional[AsyncThrottler] = None,
        domain: str = CONSTANTS.DEFAULT_DOMAIN) -> float:
    """Server time in **ms** from ``GET /api/v1/time``, which answers a plain-text integer (§2.7, §4.3).

    :raises ValueError: if the body is not an integer.
    """
    throttler = throttler or create_throttler()
    api_factory = build_api_factory_without_time_synchronizer_pre_processor(throttler=throttler)
    rest_assistant = await api_factory.get_rest_assistant()
    response = await rest_assistant.execute_request_and_get_response(
        url=public_rest_url(CONSTANTS.SERVER_TIME_PATH_URL, domain=domain),
        method=RESTMethod.GET,
        throttler_limit_id=CONSTANTS.SERVER_TIME_PATH_URL,
    )
    body = await response.text()
    try:
        return float(int(body.strip()))
    except ValueError:
        raise ValueError(f"Unexpected server time answer from Backpack: {body[:64]!r}") from None
