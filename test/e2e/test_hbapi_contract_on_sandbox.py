"""Issue 14 item 3 over loopback: our connector driven exactly as hummingbot-api drives it in-process
(``backpack_harness/hbapi.py``: no ``start_network()``, no status polling loop, no clock) against the sandbox with
faults on. Private events never arrive, yet fills, order states and balances match the exchange's ledger within
one reconciliation period; lazy order books, ``add_trading_pair``/``remove_trading_pair`` bools, the credentials
check, and restart reconciliation of orders loaded from the database (with history in step and lagging, U3)."""
import contextlib
from decimal import Decimal
from test.e2e.loopback import sandbox, wait_until
from typing import Any, Dict, List

import pytest

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness import hbapi
from backpack_harness.headless import new_key_pair
from backpack_harness.ledger import reconcile
from backpack_harness.session import drop_foreign_shared_session
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackCredentialsRejectedError
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

PAIR = "SOL-USDC"
SYMBOL = "SOL_USDC"
#: The connector's poll interval in these runs (s): "one reconciliation period".
PERIOD_S = 3.0
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _exchange_fills(server, api_key: str) -> List[Dict[str, Any]]:
    """The account's side of each ledger trade, in the shape ``ledger.reconcile`` reads."""
    account_id = server.account(api_key).id
    rows = []
    for f in server.engine.ledger:
        for account, fee, symbol in ((f.buyer_account, f.buyer_fee, f.base), (f.seller_account, f.seller_fee, f.quote)):
            if account == account_id:
                rows.append({"tradeId": str(f.trade_id), "price": str(f.price), "quantity": str(f.quantity),
                             "fee": str(fee), "feeSymbol": symbol})
    return rows


def _exchange_totals(server, api_key: str) -> Dict[str, Decimal]:
    account = server.account(api_key)
    return {asset: account.total(asset) for asset in account.assets()}


def _connector_totals(connector) -> Dict[str, Decimal]:
    return {asset: Decimal(str(amount)) for asset, amount in connector.get_all_balances().items()}


def _take(server, taker, side: str, price: str, quantity: str) -> None:
    server.engine.place(taker, {"symbol": SYMBOL, "side": side, "orderType": "Limit", "price": price,
                                "quantity": quantity, "timeInForce": "IOC"})


@contextlib.asynccontextmanager
async def _hbapi_connector(server, keys, monkeypatch, store: hbapi.OrderStore):
    monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, server.rest_url)
    drop_foreign_shared_session()
    connector = hbapi.create_trading_connector(CONSTANTS.SANDBOX_CONNECTOR_NAME, {
        "backpack_sandbox_api_key": keys.api_key, "backpack_sandbox_api_secret": keys.secret})
    try:
        await hbapi.initialize_trading_connector(connector, store)
        yield connector
    finally:
        await hbapi.stop_connector_network(connector)
        await ConnectionsFactory().close()


def _ledger_match(connector, server, keys, store, start) -> Any:
    return reconcile(list(store.fills.values()), _exchange_fills(server, keys.api_key), _connector_totals(connector),
                     _exchange_totals(server, keys.api_key), start)


@pytest.fixture
def short_period(monkeypatch):
    monkeypatch.setattr(BackpackExchange, "LONG_POLL_INTERVAL", PERIOD_S)
    monkeypatch.setattr(BackpackExchange, "SHORT_POLL_INTERVAL", PERIOD_S)


async def test_in_process_connector_reconciles_by_itself_with_faults_on(monkeypatch, short_period):
    async with sandbox(flow=False) as server:
        keys = server.add_account({"SOL": "10", "USDC": "5000"})
        taker = server.account(server.add_account({"SOL": "100", "USDC": "50000"}).api_key)
        for side, price in (("Bid", "140"), ("Ask", "160")):
            server.engine.place(taker, {"symbol": SYMBOL, "side": side, "orderType": "Limit", "price": price,
                                        "quantity": "5"})
        store = hbapi.OrderStore()
        async with _hbapi_connector(server, keys, monkeypatch, store) as connector:
            start = _connector_totals(connector)
            assert connector._status_polling_task is None
            assert await hbapi.initialize_order_book(connector, PAIR)
            book = connector.order_books[PAIR]
            assert (book.get_price(False), book.get_price(True)) == (140, 160)

            assert await connector.add_trading_pair("BTC-USDC") is True
            assert await connector.add_trading_pair("BTC-USDC") is False   # already tracked
            assert await connector.remove_trading_pair("BTC-USDC") is True
            assert await connector.remove_trading_pair("BTC-USDC") is False

            server.faults.delay_private_events(ms=600_000)   # no private event reaches the connector: REST must
            ids = [connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("150")),
                   connector.buy(PAIR, Decimal("1"), OrderType.LIMIT, Decimal("149")),
                   connector.sell(PAIR, Decimal("1"), OrderType.LIMIT, Decimal("155")),
                   connector.sell(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal("156"))]
            await wait_until(lambda: all(i in connector.in_flight_orders
                                         and connector.in_flight_orders[i].current_state is OrderState.OPEN
                                         for i in ids), 30, "the four orders to be open")
            server.faults.http_429(count=3)        # polling pauses (§7)
            server.faults.latency_ms(50, jitter_ms=50)
            _take(server, taker, "Ask", "150", "0.5")           # fills the first buy
            _take(server, taker, "Ask", "149", "0.4")           # part of the second
            sell_order = connector.in_flight_orders[ids[3]]
            server.engine.cancel(server.account(keys.api_key), SYMBOL, order_id=sell_order.exchange_order_id)
            expected = {ids[0]: OrderState.FILLED, ids[1]: OrderState.PARTIALLY_FILLED, ids[2]: OrderState.OPEN,
                        ids[3]: OrderState.CANCELED}

            def states():
                return {i: connector._order_tracker.fetch_order(i).current_state for i in ids}

            def check():
                return _ledger_match(connector, server, keys, store, start)

            await wait_until(lambda: states() == expected and check().match, 60,
                             lambda: f"reconciliation ({states()}, {check()})")
            server.faults.clear()
            server.faults.delay_private_events(ms=600_000)

            # Faults cleared: one poll that starts after a trade settles it.
            _take(server, taker, "Ask", "149", "0.6")           # the rest of the second buy
            _take(server, taker, "Bid", "155", "0.25")          # part of the sell
            poller = connector._status_poller
            mark = poller.polls
            await wait_until(lambda: poller.completed > mark, 4 * PERIOD_S + 30, "one full poll after the trades")
            assert states()[ids[1]] is OrderState.FILLED
            assert states()[ids[2]] is OrderState.PARTIALLY_FILLED
            assert check().match, check()
            # hummingbot-api's /trading cancel names no trading pair ("NA"): the tracked order's own pair is used.
            connector.cancel("NA", ids[2])
            await wait_until(lambda: states()[ids[2]] is OrderState.CANCELED, 30, "the cancel by client order id")
            await wait_until(lambda: check().match, 30, lambda: f"the ledger after the cancel ({check()})")
            assert store.duplicate_fills == 0
            assert poller.polls >= 2 and poller.skipped == 0


async def test_status_poller_stands_down_when_the_status_polling_loop_runs(monkeypatch, short_period):
    from test.e2e.loopback import running_connector
    async with sandbox(flow=False) as server:
        keys = server.add_account({"SOL": "10", "USDC": "5000"})
        async with running_connector(server, keys.api_key, keys.secret, [PAIR], monkeypatch) as connector:
            poller = connector._status_poller
            assert poller.running
            await wait_until(lambda: poller.skipped >= 2, 4 * PERIOD_S + 30, "the poller to skip twice")
            assert poller.polls == 0


async def test_credentials_check_of_an_unknown_key_fails_clearly(monkeypatch):
    async with sandbox(flow=False) as server:
        monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, server.rest_url)
        drop_foreign_shared_session()
        api_key, secret = new_key_pair()
        connector = hbapi.create_trading_connector(CONSTANTS.SANDBOX_CONNECTOR_NAME, {
            "backpack_sandbox_api_key": api_key, "backpack_sandbox_api_secret": secret})
        try:
            with pytest.raises(Exception) as raised:
                await hbapi.check_credentials(connector)
        finally:
            await ConnectionsFactory().close()
        text = str(raised.value)
        assert isinstance(raised.value, BackpackCredentialsRejectedError), repr(raised.value)
        assert "refused the API credentials" in text and "401" in text, text
        assert secret not in text and secret not in repr(raised.value)


@pytest.mark.parametrize("lag_ms", [0, 2500], ids=["history-in-step", "history-lag-2.5s"])
async def test_restart_reconciliation_of_orders_loaded_from_the_database(monkeypatch, short_period, lag_ms):
    async with sandbox(flow=False, history_lag_ms=lag_ms) as server:
        keys = server.add_account({"SOL": "10", "USDC": "5000"})
        me = server.account(keys.api_key)
        taker = server.account(server.add_account({"SOL": "100", "USDC": "50000"}).api_key)
        store = hbapi.OrderStore()
        async with _hbapi_connector(server, keys, monkeypatch, store) as connector:
            start = _connector_totals(connector)
            ids = [connector.buy(PAIR, Decimal("0.5"), OrderType.LIMIT, Decimal(price))
                   for price in ("150", "149", "148", "147")]
            await wait_until(lambda: all(i in connector.in_flight_orders
                                         and connector.in_flight_orders[i].current_state is OrderState.OPEN
                                         for i in ids), 30, "the orders to be open")
            store.sync(connector)
            exchange_ids = {i: connector.in_flight_orders[i].exchange_order_id for i in ids}
        # hummingbot-api is down: one order fills, one is cancelled elsewhere, one fills in part, one stays open.
        _take(server, taker, "Ask", "150", "0.5")
        server.engine.cancel(me, SYMBOL, order_id=exchange_ids[ids[1]])
        _take(server, taker, "Ask", "148", "0.2")
        assert len(store.active()) == 4
        async with _hbapi_connector(server, keys, monkeypatch, store) as connector:
            summary = await hbapi.reconcile_active_orders(connector, store)
            assert summary.not_found == []                  # never "not found" for an order in history
            expected = {ids[0]: OrderState.FILLED, ids[1]: OrderState.CANCELED,
                        ids[2]: OrderState.PARTIALLY_FILLED, ids[3]: OrderState.OPEN}

            def state(i):
                if i in summary.states and summary.states[i] in hbapi.TERMINAL_STATES:
                    return summary.states[i]
                order = connector._order_tracker.fetch_order(i)
                return order.current_state if order is not None else summary.states.get(i)

            await wait_until(lambda: {i: state(i) for i in ids} == expected, 30,
                             lambda: f"the restored orders' states ({dict((i, state(i)) for i in ids)}, {summary})")
            await wait_until(lambda: _ledger_match(connector, server, keys, store, start).match, 30,
                             lambda: f"the fills and balances ({_ledger_match(connector, server, keys, store, start)})")
            assert store.duplicate_fills == 0
            assert ids[3] in connector.in_flight_orders       # still open: still tracked and cancelable
