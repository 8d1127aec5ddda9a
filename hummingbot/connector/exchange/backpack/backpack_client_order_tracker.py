"""``BackpackClientOrderTracker``: Hummingbot's ``ClientOrderTracker`` with an O(1) ``fetch_order`` by client id, and
two rules ``make chaos`` showed missing (below).

The base ``fetch_order(client_order_id)`` builds ``all_orders`` — a fresh dict of every active order and every
cached (recently completed, kept for minutes) order, twice — on each order update; a market maker that has just
placed and cancelled a few hundred orders pays for all of them on every new update (``make bench``'s round trip
profile: ~2 of 8 s). Here the lookup reads the two maps directly, with the base's precedence (``{**active,
**cached}``: a cached order wins); the exchange-order-id fallback is the base's.

- ``complete_if_fully_filled``: an order whose fills add up to its amount is FILLED. The exchange calls it after
  fetching fills it had missed (their WS ``orderFill`` with the status was lost): the base left such an order open
  until a status poll, and the strategy's cancels hit "not found".
- A lost order (FAILED after repeated "not found") that a later lookup shows FILLED or CANCELED leaves the lost
  list: the base's lookup finds it among the cached orders first and never cleared it, so it was re-cancelled
  every few seconds for as long as the bot ran.
"""
from typing import Any, Optional

from hummingbot.connector.client_order_tracker import ClientOrderTracker
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate

_FINAL_STATES = (OrderState.FILLED, OrderState.CANCELED, OrderState.FAILED)


class BackpackClientOrderTracker(ClientOrderTracker):
    """Drop-in ``ClientOrderTracker`` (same constructor); see module docstring."""

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

    def find_order(self, client_id: Any, exchange_order_id: Any) -> Optional[InFlightOrder]:
        """The tracked (active, cached or lost) order of a WS/REST ``clientId`` and order id, or None. A clientId
        match whose known exchange order id differs is another order (ids are only uint32): None."""
        exchange_order_id = str(exchange_order_id) if exchange_order_id is not None else None
        if client_id is not None:
            client_order_id = str(client_id)
            order = (self.fetch_tracked_order(client_order_id) or self.fetch_cached_order(client_order_id)
                     or self.fetch_lost_order(client_order_id=client_order_id))
            if order is None:
                return None
            if order.exchange_order_id and exchange_order_id and order.exchange_order_id != exchange_order_id:
                return None
            return order
        if exchange_order_id is None:
            return None
        return self.all_fillable_orders_by_exchange_order_id.get(exchange_order_id)

    def complete_if_fully_filled(self, client_order_id: str, timestamp: float) -> bool:
        """Move an open order whose fills add up to its amount to FILLED; True when it did. (``is_done`` is already
        true for a fully executed order: the state is what must still move.)"""
        order = self._in_flight_orders.get(client_order_id)
        if (order is None or order.current_state in _FINAL_STATES or order.amount <= 0
                or order.executed_amount_base < order.amount):
            return False
        self.process_order_update(OrderUpdate(
            client_order_id=order.client_order_id, exchange_order_id=order.exchange_order_id,
            trading_pair=order.trading_pair, update_timestamp=timestamp, new_state=OrderState.FILLED))
        return True

    async def _process_order_update(self, order_update: OrderUpdate):
        await super()._process_order_update(order_update)
        if order_update.new_state in (OrderState.FILLED, OrderState.CANCELED):
            self._lost_orders.pop(order_update.client_order_id, None)
