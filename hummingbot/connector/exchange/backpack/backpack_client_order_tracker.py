"""``BackpackClientOrderTracker``: ``ClientOrderTracker`` with O(1) lookups by client id.

A lost order that a later lookup shows FILLED or CANCELED leaves the lost list. A FILLED or CANCELED order never
goes back to a live state: an answer older than the order's events (a batch element, §5.6, written before a later
order of the same batch cancelled it by self-trade prevention) is dropped. ``observer`` (the connector's
maker scorecard) sees every applied order update and every new fill. An order whose missed fills are being fetched
(``keep_fillable``) stays fillable until ``release_fillable``, however long ago it completed: fill history may answer
later than Hummingbot keeps completed orders (30 s) when it counts in the 30/min bucket (U2).
"""
from typing import Any, Dict, Optional, Protocol

from hummingbot.connector.client_order_tracker import ClientOrderTracker
from hummingbot.connector.exchange.backpack.backpack_order_identity import is_same_order
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate

_FINAL_STATES = (OrderState.FILLED, OrderState.CANCELED, OrderState.FAILED)


class OrderObserver(Protocol):
    def on_order(self, order: InFlightOrder) -> None: ...

    def on_fill(self, order: InFlightOrder, trade_update: TradeUpdate) -> None: ...


class BackpackClientOrderTracker(ClientOrderTracker):
    observer: Optional[OrderObserver] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept_fillable: Dict[str, InFlightOrder] = {}

    def keep_fillable(self, order: InFlightOrder) -> None:
        """Keep ``order`` among the fillable orders until :meth:`release_fillable`."""
        self._kept_fillable[order.client_order_id] = order

    def release_fillable(self, client_order_id: str) -> None:
        self._kept_fillable.pop(client_order_id, None)

    @property
    def all_fillable_orders(self) -> Dict[str, InFlightOrder]:
        """Active, cached and lost orders, and those kept fillable."""
        return {**self._kept_fillable, **super().all_fillable_orders}

    @property
    def all_fillable_orders_by_exchange_order_id(self) -> Dict[str, InFlightOrder]:
        kept = {order.exchange_order_id: order for order in self._kept_fillable.values() if order.exchange_order_id}
        return {**kept, **super().all_fillable_orders_by_exchange_order_id}

    def fetch_order(self, client_order_id: Optional[str] = None,
                    exchange_order_id: Optional[str] = None) -> Optional[InFlightOrder]:
        if client_order_id is not None:
            order = self._cached_orders.get(client_order_id)
            if order is None:
                order = self._in_flight_orders.get(client_order_id)
            if order is not None:
                return order
        if exchange_order_id is None:
            return None
        return super().fetch_order(client_order_id=None, exchange_order_id=exchange_order_id)

    def find_order(self, client_id: Any, exchange_order_id: Any, trading_pair: Optional[str] = None,
                   side: Any = None) -> Optional[InFlightOrder]:
        """Tracked (active, cached or lost) order of a ``clientId`` and order id; None if the order ids, the trading
        pair or the side (``Bid``/``Ask``) differ (another bot's order with the same ``clientId``)."""
        exchange_order_id = str(exchange_order_id) if exchange_order_id is not None else None
        if client_id is not None:
            client_order_id = str(client_id)
            order = (self.fetch_tracked_order(client_order_id) or self.fetch_cached_order(client_order_id)
                     or self.fetch_lost_order(client_order_id=client_order_id))
            if order is None or not is_same_order(order, trading_pair, side, exchange_order_id):
                return None
            return order
        if exchange_order_id is None:
            return None
        return self.all_fillable_orders_by_exchange_order_id.get(exchange_order_id)

    def complete_if_fully_filled(self, client_order_id: str, timestamp: float) -> bool:
        """Move an open order whose fills add up to its amount to FILLED; True when it did."""
        order = self._in_flight_orders.get(client_order_id)
        if (order is None or order.current_state in _FINAL_STATES or order.amount <= 0
                or order.executed_amount_base < order.amount):
            return False
        self.process_order_update(OrderUpdate(
            client_order_id=order.client_order_id, exchange_order_id=order.exchange_order_id,
            trading_pair=order.trading_pair, update_timestamp=timestamp, new_state=OrderState.FILLED))
        return True

    def process_trade_update(self, trade_update: TradeUpdate):
        client_order_id = trade_update.client_order_id
        order = (self._in_flight_orders.get(client_order_id) or self._cached_orders.get(client_order_id)
                 or self._lost_orders.get(client_order_id))
        new = order is not None and trade_update.trade_id not in order.order_fills
        super().process_trade_update(trade_update)
        if new and self.observer is not None and trade_update.trade_id in order.order_fills:
            self.observer.on_fill(order, trade_update)

    async def _process_order_update(self, order_update: OrderUpdate):
        order = self.fetch_order(order_update.client_order_id, order_update.exchange_order_id)
        if (order is not None and order.current_state in (OrderState.FILLED, OrderState.CANCELED)
                and order_update.new_state not in _FINAL_STATES):
            return
        await super()._process_order_update(order_update)
        if order_update.new_state in (OrderState.FILLED, OrderState.CANCELED):
            self._lost_orders.pop(order_update.client_order_id, None)
        if self.observer is not None:
            order = self.fetch_order(order_update.client_order_id, order_update.exchange_order_id)
            if order is not None:
                self.observer.on_order(order)
