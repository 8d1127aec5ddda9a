"""Drive a connector in-process the way hummingbot-api does (``docs/architecture.md``, "Hosts"), written from those
facts.

hummingbot-api builds a trading connector with ``trading_pairs=[]`` from its connector settings, checks it with
``_initialize_trading_pair_symbol_map``, ``_update_trading_rules`` and ``_update_balances``, loads the active orders
of its database into ``in_flight_orders``, starts five tasks by hand (trading rules and fees loops, the user stream
tracker, the user stream listener, the lost-orders loop; never ``start_network()`` or ``_status_polling_loop``),
runs one ``_update_order_status()`` for the loaded orders, reconciles each with ``_request_order_status`` (an error
the connector classifies as "order not found" marks it CANCELED), starts order books lazily, and refreshes balances
and order status itself every few minutes. No clock ticks the connector.
"""
import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, List, Optional

from hummingbot.client.config.config_helpers import get_connector_class
from hummingbot.client.settings import AllConnectorSettings
from hummingbot.connector.exchange_py_base import ExchangePyBase
from hummingbot.core.data_type.common import OrderType, PositionAction, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState
from hummingbot.core.event.event_forwarder import EventForwarder
from hummingbot.core.event.events import MarketEvent, OrderFilledEvent
from hummingbot.core.utils.async_utils import safe_ensure_future

#: Final states: a reconciled order in one of them leaves ``in_flight_orders``.
TERMINAL_STATES = (OrderState.FILLED, OrderState.CANCELED, OrderState.FAILED, OrderState.COMPLETED)
#: The connector attributes of the tasks hummingbot-api starts and cancels by hand.
NETWORK_TASKS = ("_trading_rules_polling_task", "_trading_fees_polling_task", "_user_stream_tracker_task",
                 "_user_stream_event_listener_task", "_lost_orders_update_task")
#: hummingbot-api's order statuses (its database's words) per order state.
STATUS_OF_STATE = {OrderState.PENDING_CREATE: "SUBMITTED", OrderState.OPEN: "OPEN",
                   OrderState.PENDING_CANCEL: "PENDING_CANCEL", OrderState.CANCELED: "CANCELLED",
                   OrderState.PARTIALLY_FILLED: "PARTIALLY_FILLED", OrderState.FILLED: "FILLED",
                   OrderState.FAILED: "FAILED", OrderState.COMPLETED: "FILLED"}
ACTIVE_STATUSES = ("SUBMITTED", "OPEN", "PARTIALLY_FILLED", "PENDING_CANCEL")
STATE_OF_STATUS = {"SUBMITTED": OrderState.PENDING_CREATE, "OPEN": OrderState.OPEN,
                   "PARTIALLY_FILLED": OrderState.PARTIALLY_FILLED, "FILLED": OrderState.FILLED,
                   "CANCELLED": OrderState.CANCELED, "FAILED": OrderState.FAILED}


@dataclass
class OrderRecord:
    """One row of the orders table: what a restart rebuilds an ``InFlightOrder`` from."""
    client_order_id: str
    trading_pair: str
    order_type: str
    trade_type: str
    amount: Decimal
    price: Optional[Decimal]
    exchange_order_id: Optional[str]
    status: str
    filled_amount: Decimal
    created_at: float
    note: Optional[str] = None


@dataclass
class OrderStore:
    """hummingbot-api's orders and trades tables, in memory: orders synced from ``in_flight_orders``, fills recorded
    from ``OrderFilledEvent`` (kept once per trade id; ``duplicate_fills`` counts the repeats)."""
    orders: Dict[str, OrderRecord] = field(default_factory=dict)
    fills: Dict[str, OrderFilledEvent] = field(default_factory=dict)
    duplicate_fills: int = 0
    _forwarders: List[EventForwarder] = field(default_factory=list, repr=False)

    def record_fills_of(self, connector: ExchangePyBase) -> None:
        forwarder = EventForwarder(self._on_fill)  # held here: PubSub keeps listeners weakly
        self._forwarders.append(forwarder)
        connector.add_listener(MarketEvent.OrderFilled, forwarder)

    def _on_fill(self, event: OrderFilledEvent) -> None:
        trade_id = str(event.exchange_trade_id)
        if trade_id in self.fills:
            self.duplicate_fills += 1
        else:
            self.fills[trade_id] = event

    def sync(self, connector: ExchangePyBase) -> None:
        """Write every tracked order's state (hummingbot-api's periodic sync); final ones leave tracking."""
        for client_order_id, order in list(connector.in_flight_orders.items()):
            self.orders[client_order_id] = OrderRecord(
                client_order_id=client_order_id, trading_pair=order.trading_pair, order_type=order.order_type.name,
                trade_type=order.trade_type.name, amount=order.amount, price=order.price,
                exchange_order_id=order.exchange_order_id, status=STATUS_OF_STATE.get(order.current_state, "SUBMITTED"),
                filled_amount=order.executed_amount_base, created_at=order.creation_timestamp)
            if order.current_state in TERMINAL_STATES:
                connector.in_flight_orders.pop(client_order_id, None)

    def active(self) -> List[OrderRecord]:
        return [r for r in self.orders.values() if r.status in ACTIVE_STATUSES]


def create_trading_connector(connector_name: str, api_keys: Dict[str, str]) -> ExchangePyBase:
    """A trading connector built as hummingbot-api builds one: no trading pairs, trading required."""
    settings = AllConnectorSettings.get_connector_settings()[connector_name]
    params = settings.conn_init_parameters(trading_pairs=[], trading_required=True, api_keys=api_keys)
    return get_connector_class(connector_name)(**params)


async def check_credentials(connector: ExchangePyBase) -> None:
    """hummingbot-api's credentials check and initialisation of a freshly built connector; raises what the connector
    raises (a bad key: the exchange's authentication error)."""
    await connector._initialize_trading_pair_symbol_map()
    await connector._update_trading_rules()
    await connector._update_balances()


def load_orders(connector: ExchangePyBase, records: List[OrderRecord]) -> None:
    """Put the database's active orders straight into ``in_flight_orders``."""
    for record in records:
        state = STATE_OF_STATUS.get(record.status, OrderState.PENDING_CREATE)
        order = InFlightOrder(
            client_order_id=record.client_order_id, trading_pair=record.trading_pair,
            order_type=OrderType[record.order_type], trade_type=TradeType[record.trade_type], amount=record.amount,
            creation_timestamp=record.created_at, price=record.price, exchange_order_id=record.exchange_order_id,
            initial_state=state, leverage=1, position=PositionAction.NIL)
        order.current_state = state
        if record.filled_amount:
            order.executed_amount_base = record.filled_amount
        connector.in_flight_orders[record.client_order_id] = order


def start_connector_network(connector: ExchangePyBase) -> None:
    """The five tasks hummingbot-api starts by hand (never ``start_network()``)."""
    connector._trading_rules_polling_task = safe_ensure_future(connector._trading_rules_polling_loop())
    connector._trading_fees_polling_task = safe_ensure_future(connector._trading_fees_polling_loop())
    connector._user_stream_tracker_task = connector._create_user_stream_tracker_task()
    connector._user_stream_event_listener_task = safe_ensure_future(connector._user_stream_event_listener())
    connector._lost_orders_update_task = safe_ensure_future(connector._lost_orders_update_polling_loop())


async def stop_connector_network(connector: ExchangePyBase) -> None:
    """Cancel the tasks by attribute, stop the order book tracker, then ``stop_network()``."""
    for name in NETWORK_TASKS:
        task = getattr(connector, name, None)
        if task is not None:
            task.cancel()
            setattr(connector, name, None)
    connector.order_book_tracker.stop()
    await connector.stop_network()


async def update_connector_state(connector: ExchangePyBase) -> None:
    """hummingbot-api's periodic refresh: timestamp, balances, order status of tracked orders."""
    connector._set_current_timestamp(time.time())
    await connector._update_balances()
    if connector.in_flight_orders:
        await connector._update_order_status()


@dataclass
class Reconciliation:
    """What restart reconciliation decided per client order id (order state), and the orders it left unverified."""
    states: Dict[str, OrderState] = field(default_factory=dict)
    not_found: List[str] = field(default_factory=list)
    unverified: List[str] = field(default_factory=list)


async def reconcile_active_orders(connector: ExchangePyBase, store: OrderStore) -> Reconciliation:
    """Ask the connector each tracked order's state; "not found" → CANCELED; other errors leave the order alone.
    Final orders leave ``in_flight_orders`` at once; the store gets every decided status."""
    result = Reconciliation()
    for order in list(connector.in_flight_orders.values()):
        try:
            new_state = (await connector._request_order_status(order)).new_state
        except Exception as e:
            if not connector._is_order_not_found_during_status_update_error(e):
                result.unverified.append(order.client_order_id)
                continue
            new_state = OrderState.CANCELED
            result.not_found.append(order.client_order_id)
        result.states[order.client_order_id] = new_state
        record = store.orders.get(order.client_order_id)
        if record is not None:
            record.status = STATUS_OF_STATE.get(new_state, "SUBMITTED")
        if new_state in TERMINAL_STATES:
            connector.in_flight_orders.pop(order.client_order_id, None)
    return result


async def initialize_trading_connector(connector: ExchangePyBase, store: OrderStore) -> None:
    """Check, load the store's active orders, record fills, start the network tasks and poll the loaded orders."""
    await check_credentials(connector)
    load_orders(connector, store.active())
    store.record_fills_of(connector)
    start_connector_network(connector)
    if connector.in_flight_orders:
        connector._set_current_timestamp(time.time())
        await connector._update_order_status()


async def initialize_order_book(connector: ExchangePyBase, trading_pair: str, timeout_s: float = 30.0) -> bool:
    """Lazy order book start: a running, ready tracker gets ``add_trading_pair``; otherwise the pair is appended to
    the tracker's pairs and the tracker started. True once the pair's book has bids and asks."""
    tracker = connector.order_book_tracker
    listener = tracker._order_book_stream_listener_task
    running = listener is not None and not listener.done()
    if running and tracker.ready:
        if trading_pair not in tracker.order_books and not await connector.add_trading_pair(trading_pair):
            return False
    else:
        if trading_pair not in tracker._trading_pairs:
            tracker._trading_pairs.append(trading_pair)
        tracker.start()
        try:
            await asyncio.wait_for(tracker.wait_ready(), timeout_s)
        except asyncio.TimeoutError:
            return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        book = tracker.order_books.get(trading_pair)
        if book is not None:
            bids, asks = book.snapshot
            if len(bids) and len(asks):
                return True
        await asyncio.sleep(0.1)
    return False


def tracked_states(connector: Any) -> Dict[str, OrderState]:
    return {client_order_id: order.current_state for client_order_id, order in connector.in_flight_orders.items()}
