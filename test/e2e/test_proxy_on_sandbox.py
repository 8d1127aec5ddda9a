"""Our connector through a real forwarding proxy (``proxy.py``) on loopback: the sandbox is served over TLS under a
host name only the proxy resolves, so REST, the public and the private WebSocket all reach it through the proxy
(``CONNECT`` tunnels, as to ``api.backpack.exchange``) or not at all."""
import logging
from decimal import Decimal
from test.e2e.forward_proxy import SANDBOX_HOST, forward_proxy, serve_over_tls, trust
from test.e2e.loopback import running_connector, sandbox, wait_until

import pytest
import trustme

from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState

PAIR = "SOL-USDC"
PASSWORD = "pr0xy-s3cret"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


async def _trade_round_trip(server, connector) -> None:
    """The book tracks the sandbox and a limit buy is placed, seen open and cancelled."""
    await wait_until(lambda: connector.order_books[PAIR].get_price(True) > 0, what="a bid in the tracked book")
    # below the bid, within the sandbox's price band around the last trade (±25 %, §4.4): it rests
    best_bid = Decimal(str(connector.order_books[PAIR].get_price(True)))
    price = connector.quantize_order_price(PAIR, best_bid * Decimal("0.9"))
    order_id = connector.buy(PAIR, Decimal("0.2"), OrderType.LIMIT_MAKER, price)
    await wait_until(lambda: order_id in connector.in_flight_orders
                     and connector.in_flight_orders[order_id].current_state is OrderState.OPEN, what="the open buy")
    connector.cancel(PAIR, order_id)
    await wait_until(lambda: order_id not in connector.in_flight_orders, what="the cancel")


async def test_rest_and_both_websockets_go_through_the_configured_proxy(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    ca = trustme.CA()
    trust(ca, monkeypatch)
    async with sandbox(flow=True) as server:
        base_url = await serve_over_tls(server, ca)
        port = int(base_url.rsplit(":", 1)[1])
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        with forward_proxy(basic_auth=f"bot:{PASSWORD}") as fwd:
            async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch, base_url=base_url,
                                         backpack_proxy_url=fwd.url) as connector:
                await wait_until(lambda: connector._orderbook_ds.metrics.connected
                                 and connector._user_stream_tracker.data_source.metrics.connected,
                                 what="both WebSockets connected")
                await _trade_round_trip(server, connector)
                assert server.stats.ws_connections_total >= 2  # public + private, only reachable via the proxy
                tunnels = fwd.connections()[("CONNECT", SANDBOX_HOST, port)]
                assert tunnels >= 3, fwd.connections()  # REST pool + two WebSockets
                assert PASSWORD not in repr(connector._web_assistants_factory._connections_factory)
    assert PASSWORD not in caplog.text


async def test_the_https_proxy_environment_variable_is_used_when_nothing_is_configured(monkeypatch):
    ca = trustme.CA()
    trust(ca, monkeypatch)
    async with sandbox(flow=True) as server:
        base_url = await serve_over_tls(server, ca)
        me = server.add_account({"SOL": "10", "USDC": "5000"})
        with forward_proxy() as fwd:
            monkeypatch.setenv("HTTPS_PROXY", fwd.url)
            async with running_connector(server, me.api_key, me.secret, [PAIR], monkeypatch,
                                         base_url=base_url) as connector:
                await _trade_round_trip(server, connector)
                assert sum(n for (method, host, _), n in fwd.connections().items()
                           if method == "CONNECT" and host == SANDBOX_HOST) >= 3
