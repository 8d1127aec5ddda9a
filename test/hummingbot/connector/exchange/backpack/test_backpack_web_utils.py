"""``backpack_web_utils``: URL builders per domain (``exchange`` and the sandbox, ``BACKPACK_SANDBOX_URL``), the
throttler, the web assistants factories and the server clock (aioresponses only)."""
import json
import re

import pytest
from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.connector.time_synchronizer import TimeSynchronizer
from hummingbot.connector.utils import TimeSynchronizerRESTPreProcessor
from hummingbot.core.web_assistant.connections.data_types import RESTMethod


@pytest.fixture
def no_sandbox_env(monkeypatch):
    monkeypatch.delenv(CONSTANTS.SANDBOX_URL_ENV, raising=False)


def test_exchange_domain_urls(no_sandbox_env):
    assert web_utils.rest_base_url() == web_utils.rest_base_url("exchange") == "https://api.backpack.exchange"
    assert web_utils.wss_url() == web_utils.wss_url("exchange") == "wss://ws.backpack.exchange/"
    assert web_utils.public_rest_url("/api/v1/depth") == "https://api.backpack.exchange/api/v1/depth"
    assert (web_utils.private_rest_url("/api/v1/order", domain="exchange")
            == "https://api.backpack.exchange/api/v1/order")


def test_sandbox_urls_default_to_the_local_sandbox(no_sandbox_env):
    assert web_utils.rest_base_url("sandbox") == CONSTANTS.SANDBOX_DEFAULT_URL == "http://127.0.0.1:8765"
    assert web_utils.wss_url("sandbox") == "ws://127.0.0.1:8765/ws"
    assert web_utils.public_rest_url("/api/v1/markets", domain="sandbox") == "http://127.0.0.1:8765/api/v1/markets"
    assert web_utils.private_rest_url("/api/v1/order", domain="sandbox") == "http://127.0.0.1:8765/api/v1/order"


@pytest.mark.parametrize("env, rest, wss", [
    ("http://127.0.0.1:9999/", "http://127.0.0.1:9999", "ws://127.0.0.1:9999/ws"),
    ("https://sandbox.example:443", "https://sandbox.example:443", "wss://sandbox.example:443/ws"),
    ("http://host/prefix/", "http://host/prefix", "ws://host/prefix/ws"),
])
@pytest.mark.parametrize("domain", ["sandbox", "sandbox_2"])
def test_sandbox_urls_follow_the_environment(monkeypatch, env, rest, wss, domain):
    """Every sandbox domain (the second account's too) is on the one sandbox the environment names."""
    monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, env)
    assert web_utils.rest_base_url(domain) == rest
    assert web_utils.wss_url(domain) == wss
    assert web_utils.public_rest_url("/api/v1/time", domain=domain) == rest + "/api/v1/time"
    assert web_utils.rest_base_url("exchange") == "https://api.backpack.exchange"  # the real domain never moves


def test_unknown_domains_are_refused():
    with pytest.raises(ValueError, match=r"Unknown Backpack domain 'mainnet'.*'exchange', 'sandbox', 'sandbox_2'"):
        web_utils.rest_base_url("mainnet")
    with pytest.raises(ValueError, match="Unknown Backpack domain 'mainnet'"):
        web_utils.wss_url("mainnet")
    with pytest.raises(ValueError):
        web_utils.public_rest_url("/api/v1/depth", domain="mainnet")


def test_create_throttler_is_a_backpack_throttler_over_the_rate_limits():
    throttler = web_utils.create_throttler()
    assert type(throttler) is BackpackThrottler
    assert {r.limit_id for r in throttler._rate_limits} == {r.limit_id for r in CONSTANTS.RATE_LIMITS}


def test_factories_share_the_given_throttler_and_only_one_syncs_the_clock():
    throttler = web_utils.create_throttler()
    synced = web_utils.build_api_factory(throttler=throttler, time_synchronizer=TimeSynchronizer())
    assert synced._throttler is throttler
    assert [type(p) for p in synced._rest_pre_processors] == [TimeSynchronizerRESTPreProcessor]
    plain = web_utils.build_api_factory_without_time_synchronizer_pre_processor(throttler)
    assert plain._throttler is throttler and plain._rest_pre_processors == []
    assert type(web_utils.build_api_factory()._throttler) is BackpackThrottler


@pytest.mark.asyncio
async def test_server_time_is_the_plain_text_milliseconds_of_the_domain(monkeypatch):
    monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, "http://127.0.0.1:9999")
    with aioresponses() as mock_api:
        mock_api.get("https://api.backpack.exchange/api/v1/time", body="1700000000123")
        mock_api.get("http://127.0.0.1:9999/api/v1/time", body=" 1700000000456\n")
        assert await web_utils.get_current_server_time() == 1700000000123.0
        assert await web_utils.get_current_server_time(domain="sandbox") == 1700000000456.0


@pytest.mark.asyncio
async def test_a_server_time_that_is_no_integer_is_a_value_error():
    with aioresponses() as mock_api:
        mock_api.get(web_utils.public_rest_url(CONSTANTS.SERVER_TIME_PATH_URL), body='{"time": 1}')
        with pytest.raises(ValueError, match="Unexpected server time answer from Backpack"):
            await web_utils.get_current_server_time()


@pytest.mark.asyncio
async def test_the_first_request_of_the_factory_takes_a_server_time_sample_first(no_sandbox_env):
    synchronizer = TimeSynchronizer()
    factory = web_utils.build_api_factory(time_synchronizer=synchronizer, domain="sandbox")
    depth_url = web_utils.public_rest_url(CONSTANTS.DEPTH_PATH_URL, domain="sandbox")
    with aioresponses() as mock_api:
        mock_api.get("http://127.0.0.1:8765/api/v1/time", body="1700000000000")
        mock_api.get(re.compile("^" + re.escape(depth_url)), body=json.dumps({"ok": True}), repeat=True)
        rest = await factory.get_rest_assistant()
        for _ in range(2):
            answer = await rest.execute_request(url=depth_url, method=RESTMethod.GET,
                                                throttler_limit_id=CONSTANTS.DEPTH_PATH_URL)
            assert answer == {"ok": True}
        calls = [str(key[1]) for key in mock_api.requests]
    assert calls == ["http://127.0.0.1:8765/api/v1/time", depth_url]  # one time sample, then the request(s)
    assert synchronizer._time_offset_ms  # the sample was taken


# ------------------------------------------------------------------------------------------------- proxies
@pytest.mark.parametrize("target, configured, environ, expected", [
    ("https://api.backpack.exchange", "http://cfg:1", {"HTTPS_PROXY": "http://env:1"}, "http://cfg:1"),
    ("https://api.backpack.exchange", "  ", {"HTTPS_PROXY": "http://env:1"}, "http://env:1"),
    ("https://api.backpack.exchange", None, {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://up:1"},
     "http://lower:1"),
    ("https://api.backpack.exchange", None, {"HTTP_PROXY": "http://plain:1"}, None),
    ("http://127.0.0.1:8765", None, {"HTTP_PROXY": "http://plain:1", "HTTPS_PROXY": "http://tls:1"},
     "http://plain:1"),
    ("https://api.backpack.exchange", None, {"ALL_PROXY": "http://all:1"}, "http://all:1"),
    ("https://api.backpack.exchange", None, {"ALL_PROXY": "http://all:1", "NO_PROXY": "backpack.exchange"}, None),
    ("https://api.backpack.exchange", None, {"ALL_PROXY": "http://all:1", "no_proxy": "*"}, None),
    ("https://api.backpack.exchange", "http://cfg:1", {"NO_PROXY": "*"}, "http://cfg:1"),
    ("https://api.backpack.exchange", None, {}, None),
])
def test_the_proxy_is_the_setting_else_the_standard_environment(target, configured, environ, expected):
    proxy = web_utils.resolve_proxy(target, configured, environ)
    assert (proxy.url if proxy else None) == expected


def test_proxy_credentials_go_to_basic_auth_and_are_never_shown():
    proxy = web_utils.parse_proxy_url("http://bot:hunter2@proxy.local:3128/")
    assert proxy.url == "http://proxy.local:3128" and proxy.auth.login == "bot" and proxy.auth.password == "hunter2"
    for text in (repr(proxy), str(proxy), proxy.display, web_utils.redact_proxy_url("http://bot:hunter2@h:1")):
        assert "hunter2" not in text and "***" in text
    for bad in ("socks5://bot:hunter2@h:1080", "ftp://bot:hunter2@h", "http://bot:hunter2@", "not a url"):
        with pytest.raises(ValueError) as raised:
            web_utils.parse_proxy_url(bad)
        assert "hunter2" not in str(raised.value)


@pytest.mark.asyncio
async def test_a_proxied_factory_owns_a_session_whose_requests_and_websockets_use_the_proxy(monkeypatch):
    from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    assert web_utils.connections_factory_for("exchange") is None  # Hummingbot's shared session
    factory = web_utils.connections_factory_for("exchange", "http://bot:hunter2@127.0.0.1:3128")
    assert factory is not ConnectionsFactory() and "hunter2" not in repr(factory)
    rest = await factory.get_rest_connection()
    ws = await factory.get_ws_connection()
    session = rest._client_session
    assert ws._client_session is session
    assert str(session._default_proxy) == "http://127.0.0.1:3128" and session._default_proxy_auth.login == "bot"
    await factory.close()
    assert session.closed
    assert not (await factory.get_rest_connection())._client_session.closed  # a restart opens a new one
    await factory.close()


@pytest.mark.asyncio
async def test_the_server_time_sample_uses_the_factory_s_connections(no_sandbox_env):
    calls = []

    class Recording(web_utils.BackpackConnectionsFactory):
        async def get_rest_connection(self):
            calls.append("rest")
            return await super().get_rest_connection()

    connections = Recording(web_utils.parse_proxy_url("http://127.0.0.1:3128"))
    factory = web_utils.build_api_factory(domain="sandbox", connections_factory=connections)
    with aioresponses() as mock_api:
        mock_api.get("http://127.0.0.1:8765/api/v1/time", body="1700000000000")
        await factory._rest_pre_processors[0]._time_provider()
    assert calls == ["rest"]
    await connections.close()
