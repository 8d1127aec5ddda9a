"""``backpack_sandbox_paper_trade`` as Hummingbot builds it from ``paper_trade_exchanges``: its order book comes
from our order book data source (the sandbox's live market data), its fills are simulated — nothing is sent to
the exchange's private API."""
import asyncio
import contextlib
from decimal import Decimal
from test.e2e.loopback import sandbox, wait_until

import pytest

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from hummingbot.client.config.client_config_map import ClientConfigMap
from hummingbot.client.config.config_helpers import ClientConfigAdapter
from hummingbot.client.settings import AllConnectorSettings
from hummingbot.connector.exchange.backpack.backpack_utils import DEFAULT_FEES
from hummingbot.connector.exchange.paper_trade import create_paper_trade_market
from hummingbot.core.clock import Clock
from hummingbot.core.clock_mode import ClockMode
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

pytestmark = pytest.mark.e2e
PAIR = "SOL-USDC"


def test_client_config_paper_trade_exchanges_register_backpack_paper_trade_connectors():
    client_config = ClientConfigAdapter(ClientConfigMap(
        paper_trade={"paper_trade_exchanges": ["backpack", "backpack_sandbox"]}))
    exchanges = client_config.paper_trade.paper_trade_exchanges
    AllConnectorSettings.initialize_paper_trade_settings(exchanges)
    settings = AllConnectorSettings.get_connector_settings()
    for name in ("backpack", "backpack_sandbox"):
        paper = settings[f"{name}_paper_trade"]
        assert paper.parent_name == name and paper.example_pair == PAIR
    assert {"backpack_paper_trade", "backpack_sandbox_paper_trade"} <= AllConnectorSettings.get_exchange_names()


@pytest.mark.asyncio
async def test_paper_trade_books_come_from_the_sandbox_and_a_market_buy_is_filled_by_simulation(monkeypatch):
    async with sandbox(seed=3, markets=("SOL_USDC",), flow_pace=2.0) as server:
        monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, server.rest_url)
        AllConnectorSettings.initialize_paper_trade_settings([CONSTANTS.SANDBOX_CONNECTOR_NAME])
        paper = create_paper_trade_market(CONSTANTS.SANDBOX_CONNECTOR_NAME, [PAIR])  # as ConnectorManager does
        paper.set_balance("SOL", Decimal("10"))
        paper.set_balance("USDC", Decimal("5000"))
        fills, completed = EventLogger(), EventLogger()
        paper.add_listener(MarketEvent.OrderFilled, fills)
        paper.add_listener(MarketEvent.BuyOrderCompleted, completed)
        clock = Clock(ClockMode.REALTIME, tick_size=0.5)
        clock.add_iterator(paper)
        with clock:
            task = asyncio.ensure_future(clock.run())
            try:
                await wait_until(lambda: paper.ready, 60, lambda: f"paper trade ready ({paper.status_dict})")
                book = paper.get_order_book(PAIR)
                await wait_until(lambda: len(list(book.ask_entries())) > 0 and len(list(book.bid_entries())) > 0,
                                 30, "both sides of the paper book")
                best_ask = Decimal(str(book.get_price(True)))
                best_bid = Decimal(str(book.get_price(False)))
                assert Decimal("100") < best_bid < best_ask < Decimal("200")  # the sandbox's SOL market (mid 150)

                order_id = paper.buy(PAIR, Decimal("0.5"), OrderType.MARKET, best_ask)
                await wait_until(lambda: len(fills.event_log) > 0, 30, "a simulated fill")
                fill = fills.event_log[0]
                assert fill.order_id == order_id and fill.amount == Decimal("0.5")
                assert best_bid * Decimal("0.99") < fill.price < best_ask * Decimal("1.01")
                await wait_until(lambda: len(completed.event_log) > 0, 30, "the order to complete")
                # The buyer's fee comes out of the SOL received (Backpack's rule, our DEFAULT_FEES, taker tier).
                fee = Decimal("0.5") * DEFAULT_FEES.taker_percent_fee_decimal
                assert paper.get_balance("SOL") == Decimal("10.5") - fee
                assert paper.get_balance("USDC") < Decimal("5000") - Decimal("0.5") * best_bid * Decimal("0.99")
                # Simulated: every order and fill on the exchange belongs to its own background traders.
                flow_accounts = {server.flow.maker.id, server.flow.taker.id}
                assert all(o.account_id in flow_accounts for o in server.engine.orders.values())
                assert server.engine.ledger == [] and server.engine.flow_fills
                assert all({f.buyer_account, f.seller_account} <= flow_accounts for f in server.engine.flow_fills)
                assert not server.stats.by_status.get(401)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await ConnectionsFactory().close()
