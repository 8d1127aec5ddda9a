"""URL builders per domain, the throttler, the ``WebAssistantsFactory`` and the server clock.

Domains (``backpack_constants``): ``"exchange"`` → ``https://api.backpack.exchange`` (§1);
``"sandbox"`` and ``"sandbox_2"`` (a second account) → the local sandbox exchange, base URL from the
``BACKPACK_SANDBOX_URL`` environment variable (default ``http://127.0.0.1:8765``), WebSocket at
``<base with ws scheme>/ws``.

Proxies: REST and both WebSockets of a connector go through one HTTP(S) proxy, the config-map setting
``backpack_proxy_url`` or else the standard ``HTTPS_PROXY`` (``HTTP_PROXY`` for an ``http://`` base URL) /
``ALL_PROXY`` environment, minus ``NO_PROXY`` hosts (``resolve_proxy``). aiohttp does the proxying (``CONNECT``
tunnels for ``https``/``wss``) on a session of the connector's own (``BackpackConnectionsFactory``); without a proxy
the connector uses Hummingbot's shared session. Proxy credentials are sent as ``Proxy-Authorization`` and never
shown: ``ProxySettings`` prints ``http://***@host:port``.
"""
import os
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import aiohttp
from yarl import URL

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.connector.time_synchronizer import TimeSynchronizer
from hummingbot.connector.utils import TimeSynchronizerRESTPreProcessor
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.web_assistant.auth import AuthBase
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory


def rest_base_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Base REST URL without trailing slash, e.g. ``"https://api.backpack.exchange"``.

    :raises ValueError: for an unknown domain.
    """
    if domain in CONSTANTS.SANDBOX_DOMAINS:
        return os.environ.get(CONSTANTS.SANDBOX_URL_ENV, CONSTANTS.SANDBOX_DEFAULT_URL).rstrip("/")
    try:
        return CONSTANTS.REST_URLS[domain]
    except KeyError:
        raise ValueError(f"Unknown Backpack domain {domain!r}; expected one of "
                         f"{sorted([*CONSTANTS.REST_URLS, *CONSTANTS.SANDBOX_DOMAINS])}") from None


def wss_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """WebSocket URL for every public and private stream of a domain (§1, §8.1)."""
    if domain in CONSTANTS.SANDBOX_DOMAINS:
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


#: Proxy URL schemes aiohttp proxies through (an ``https://`` proxy is reached over TLS).
PROXY_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class ProxySettings:
    """A proxy without its credentials (``url``) plus ``auth`` (``aiohttp.BasicAuth`` or ``None``);
    ``str()``/``repr()`` show ``display`` only (``http://***@host:port`` when it has credentials)."""
    url: str
    auth: Optional[aiohttp.BasicAuth] = field(default=None, repr=False)
    source: str = "config"

    @property
    def display(self) -> str:
        return self.url if self.auth is None else str(URL(self.url).with_user("***"))

    def __repr__(self) -> str:
        return f"ProxySettings({self.display}, source={self.source})"

    __str__ = __repr__


def redact_proxy_url(url: str) -> str:
    """``url`` with any user/password replaced by ``***`` (unparseable: ``"<unparseable proxy URL>"``)."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "<unparseable proxy URL>"
    if parsed.user is None and parsed.password is None:
        return str(parsed)
    return str(parsed.with_user(None).with_user("***"))


def parse_proxy_url(url: str, source: str = "config") -> ProxySettings:
    """``http[s]://[user[:password]@]host[:port]`` → ``ProxySettings`` (credentials split off into ``auth``).

    :raises ValueError: another scheme or no host; the message never contains the URL's credentials.
    """
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError):
        raise ValueError(f"the proxy URL from {source} does not parse") from None
    if parsed.scheme not in PROXY_SCHEMES or not parsed.host:
        raise ValueError(f"the proxy URL from {source} must be http://host:port or https://host:port "
                         f"(got {redact_proxy_url(url)}); SOCKS proxies are not supported")
    auth = None
    if parsed.user is not None:
        auth = aiohttp.BasicAuth(parsed.user, parsed.password or "")
    return ProxySettings(url=str(parsed.with_user(None).with_path("").with_query(None).with_fragment(None)),
                         auth=auth, source=source)


def resolve_proxy(target_url: str, configured: Optional[str] = None,
                  environ: Optional[Mapping[str, str]] = None) -> Optional[ProxySettings]:
    """The proxy for ``target_url`` (the domain's REST base URL; its WebSocket is on the same host): ``configured``
    when not blank, else ``HTTPS_PROXY`` (``HTTP_PROXY`` for ``http://``) or ``ALL_PROXY`` from ``environ``
    (default ``os.environ``; lower-case names too, ``urllib`` rules), unless ``NO_PROXY`` names the host.

    :raises ValueError: an unusable proxy URL (``parse_proxy_url``).
    """
    if configured is not None and configured.strip():
        return parse_proxy_url(configured, "backpack_proxy_url")
    env = os.environ if environ is None else environ

    def read(name: str) -> str:  # urllib's rule: the lower-case name wins
        return (env.get(name.lower()) or env.get(name.upper()) or "").strip()

    target = URL(target_url)
    no_proxy = read("no_proxy")
    if target.host and no_proxy and urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
            target.host, {"no": no_proxy}):
        return None
    for name in ("https_proxy" if target.scheme in ("https", "wss") else "http_proxy", "all_proxy"):
        value = read(name)
        if value:
            return parse_proxy_url(value, f"the {name.upper()} environment variable")
    return None


class BackpackConnectionsFactory(ConnectionsFactory):
    """Hummingbot's ``ConnectionsFactory`` with a session of its own (not the per-process singleton) whose REST
    requests and WebSockets all go through ``proxy``. ``close()`` closes that session."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, proxy: ProxySettings) -> None:
        self.proxy = proxy
        self._shared_client: Optional[aiohttp.ClientSession] = None
        self._ws_independent_session: Optional[aiohttp.ClientSession] = None

    async def _get_shared_client(self) -> aiohttp.ClientSession:
        if self._shared_client is None or self._shared_client.closed:
            self._shared_client = aiohttp.ClientSession(proxy=self.proxy.url, proxy_auth=self.proxy.auth)
        return self._shared_client

    def __repr__(self) -> str:
        return f"BackpackConnectionsFactory(proxy={self.proxy.display})"


def connections_factory_for(domain: str, proxy_url: Optional[str] = None) -> Optional[ConnectionsFactory]:
    """A ``BackpackConnectionsFactory`` when ``resolve_proxy`` finds a proxy for the domain, else ``None``
    (Hummingbot's shared one). :raises ValueError: an unusable proxy URL."""
    proxy = resolve_proxy(rest_base_url(domain), proxy_url)
    return None if proxy is None else BackpackConnectionsFactory(proxy)


class WebSocketRefusedError(ConnectionError):
    """A WebSocket upgrade answered with an HTTP status instead of ``101``; the message names the likely cause:
    451 Backpack does not serve this region (§6.1, UNCONFIRMED); 401/403/407/5xx a proxy or firewall refusing
    WebSockets (or Backpack unavailable). ``status``: the HTTP status."""

    def __init__(self, stream: str, status: int) -> None:
        self.status = status
        if status == 451:
            cause = ("Backpack refused the connection from this region (HTTP 451): the API is not available from "
                     "this host's location")
        elif status == 407:
            cause = "the proxy asks for authentication (HTTP 407): check the credentials in the proxy URL"
        else:
            cause = (f"the upgrade was answered HTTP {status}: a proxy or firewall may block WebSockets "
                     "(REST-only market data: README \"Networks\")")
        super().__init__(f"{stream} refused: {cause}")


def create_throttler() -> AsyncThrottler:
    """Throttler over ``CONSTANTS.RATE_LIMITS`` (global 2000/min pool + 30/min historical pool, §7)."""
    return BackpackThrottler(CONSTANTS.RATE_LIMITS)


def build_api_factory(
        throttler: Optional[AsyncThrottler] = None,
        time_synchronizer: Optional[TimeSynchronizer] = None,
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        time_provider: Optional[Callable] = None,
        auth: Optional[AuthBase] = None,
        connections_factory: Optional[ConnectionsFactory] = None) -> WebAssistantsFactory:
    """Factory whose REST assistants make sure the time synchronizer has a server-time sample before any
    request (signatures carry a ms timestamp checked against ``X-Window``, §2.7). ``connections_factory``
    (``connections_factory_for``; default Hummingbot's shared one) also serves the server-time requests."""
    throttler = throttler or create_throttler()
    time_synchronizer = time_synchronizer or TimeSynchronizer()
    time_provider = time_provider or (lambda: get_current_server_time(
        throttler=throttler, domain=domain, connections_factory=connections_factory))
    return WebAssistantsFactory(
        throttler=throttler,
        auth=auth,
        rest_pre_processors=[
            TimeSynchronizerRESTPreProcessor(synchronizer=time_synchronizer, time_provider=time_provider),
        ],
        connections_factory=connections_factory)


def build_api_factory_without_time_synchronizer_pre_processor(
        throttler: AsyncThrottler, connections_factory: Optional[ConnectionsFactory] = None) -> WebAssistantsFactory:
    return WebAssistantsFactory(throttler=throttler, connections_factory=connections_factory)


async def get_current_server_time(
        throttler: Optional[AsyncThrottler] = None,
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        connections_factory: Optional[ConnectionsFactory] = None) -> float:
    """Server time in **ms** from ``GET /api/v1/time``, which answers a plain-text integer (§2.7, §4.3).

    :raises ValueError: if the body is not an integer.
    """
    throttler = throttler or create_throttler()
    api_factory = build_api_factory_without_time_synchronizer_pre_processor(
        throttler=throttler, connections_factory=connections_factory)
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
