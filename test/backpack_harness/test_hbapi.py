"""The hummingbot-api driver's pieces without a network: the order store (sync, fills by trade id), loading orders
into ``in_flight_orders`` and restart reconciliation's decisions (the e2e run is
``test/e2e/test_hbapi_contract_on_sandbox.py``)."""
import asyncio
from decimal import Decimal
from types import SimpleNamespace

from backpack_harness import hbapi
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate


class NotFound(Exception):
    pass


class FakeConnector:
    """Just what the driver reads: ``in_flight_orders``, ``_request_order_status`` and its error classifier."""

    def __init__(self, answers):
        self.in_flight_orders = {}
        self.answers = answers

    async def _request_order_status(self, order):
        answer = self.answers[order.client_order_id]
        if isinstance(answer, Exception):
            raise answer
        return OrderUpdate(trading_pair=order.trading_pair, update_timestamp=1.0, new_state=answer,
                           client_order_id=order.client_order_id)

    @staticmethod
    def _is_order_not_found_during_status_update_error(error):
        return isinstance(error, NotFound)


def _record(client_order_id, status="OPEN", filled="0"):
    return hbapi.OrderRecord(client_order_id=client_order_id, trading_pair="SOL-USDC", order_type="LIMIT",
                             trade_type="BUY", amount=Decimal("1"), price=Decimal("150"), exchange_order_id="e" +
                             client_order_id, status=status, filled_amount=Decimal(filled), created_at=1700000000.0)


def test_load_orders_rebuilds_in_flight_orders_in_their_state():
    connector = FakeConnector({})
    hbapi.load_orders(connector, [_record("1"), _record("2", "PARTIALLY_FILLED", "0.4"), _record("3", "SUBMITTED")])
    orders = connector.in_flight_orders
    assert {i: o.current_state for i, o in orders.items()} == {
        "1": OrderState.OPEN, "2": OrderState.PARTIALLY_FILLED, "3": OrderState.PENDING_CREATE}
    assert orders["2"].executed_amount_base == Decimal("0.4") and orders["2"].exchange_order_id == "e2"


def test_reconcile_marks_not_found_cancelled_leaves_errors_alone_and_drops_final_orders():
    store = hbapi.OrderStore(orders={i: _record(i) for i in "1234"})
    connector = FakeConnector({"1": OrderState.FILLED, "2": NotFound("gone"), "3": IOError("timeout"),
                               "4": OrderState.OPEN})
    hbapi.load_orders(connector, store.active())
    result = asyncio.run(hbapi.reconcile_active_orders(connector, store))
    assert result.states == {"1": OrderState.FILLED, "2": OrderState.CANCELED, "4": OrderState.OPEN}
    assert (result.not_found, result.unverified) == (["2"], ["3"])
    assert sorted(connector.in_flight_orders) == ["3", "4"]
    statuses = {i: r.status for i, r in store.orders.items()}
    assert statuses == {"1": "FILLED", "2": "CANCELLED", "3": "OPEN", "4": "OPEN"}


def test_store_sync_writes_states_and_drops_final_orders_and_fills_count_once():
    store = hbapi.OrderStore()
    connector = FakeConnector({})
    for client_order_id, state in (("1", OrderState.OPEN), ("2", OrderState.FILLED)):
        order = InFlightOrder(client_order_id=client_order_id, trading_pair="SOL-USDC", order_type=OrderType.LIMIT,
                              trade_type=TradeType.SELL, amount=Decimal("1"), creation_timestamp=1.0,
                              price=Decimal("150"), exchange_order_id="x" + client_order_id, initial_state=state)
        connector.in_flight_orders[client_order_id] = order
    store.sync(connector)
    assert {i: r.status for i, r in store.orders.items()} == {"1": "OPEN", "2": "FILLED"}
    assert list(connector.in_flight_orders) == ["1"] and [r.client_order_id for r in store.active()] == ["1"]
    fill = SimpleNamespace(exchange_trade_id=7)
    store._on_fill(fill)
    store._on_fill(fill)
    assert (list(store.fills), store.duplicate_fills) == (["7"], 1)


def test_hummingbot_api_builds_the_second_sandbox_account_connector_from_its_own_keys():
    """``backpack_sandbox_2`` as hummingbot-api builds a connector (settings → init parameters → class): our
    exchange class on the ``sandbox_2`` domain, signing with that account's key."""
    from backpack_harness.headless import new_key_pair

    api_key, secret = new_key_pair()

    async def build():  # the connector's constructor wants a running loop, as in hummingbot-api
        return hbapi.create_trading_connector("backpack_sandbox_2", {
            "backpack_sandbox_2_api_key": api_key, "backpack_sandbox_2_api_secret": secret})

    connector = asyncio.run(build())
    assert type(connector).__name__ == "BackpackExchange"
    assert connector.name == "backpack_sandbox_2" and connector.domain == "sandbox_2"
    assert connector._auth.api_key == api_key
