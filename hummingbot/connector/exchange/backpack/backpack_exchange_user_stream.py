"""Private stream events of ``BackpackExchange``: the listener over the user stream queue, order events (§8.5) and
balance events (§8.4, applied by ``BackpackBalancesMixin``). Mixed into ``BackpackExchange``."""
import asyncio
import time
from typing import Any, Mapping, Optional

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_ws, trade_update_from_ws
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState

_ORDER_EVENTS = frozenset({"orderAccepted", "orderCancelled", "orderExpired", "orderFill", "orderModified",
                           "triggerPlaced", "triggerFailed"})


class BackpackUserStreamMixin:
    """Consumes parsed private messages; counters (``_user_event_counters``) are set up by
    ``BackpackExchange.__init__``."""

    # ================================================================================== private stream
    async def _user_stream_event_listener(self):
        """Consume private messages ``{"stream", "data"}`` (§8.4–§8.5) from the user stream data source. A malformed
        message is logged and counted; the loop goes on."""
        async for event_message in self._iter_user_event_queue():
            try:
                self._process_user_stream_message(event_message)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._user_event_counters["malformed"] += 1
                self.logger().error("Unexpected error in user stream listener loop.", exc_info=True)

    def _process_user_stream_message(self, message: Mapping[str, Any]) -> None:
        stream = message["stream"]
        data = message["data"]
        if stream.startswith(CONSTANTS.ORDER_UPDATE_STREAM):
            self._process_order_event(data)
        elif stream.startswith(CONSTANTS.BALANCE_UPDATE_STREAM):
            self._apply_balance_event(data)
        else:
            self._user_event_counters["ignored"] += 1
            return
        self._user_event_counters["processed"] += 1

    def _process_order_event(self, data: Mapping[str, Any]) -> None:
        """One ``account.orderUpdate`` event (§8.5). ``orderFill`` yields a ``TradeUpdate`` (trade id ``t``, fee
        ``n`` in ``N``) and then the order's new state; other events only the state. Events of orders this connector
        does not track are ignored. A fill before ``orderAccepted`` is matched by clientId and sets the exchange id.
        An executed quantity ``z`` above the fills seen so far fetches the missed fills over REST."""
        event_type = data["e"]
        if event_type not in _ORDER_EVENTS:
            self._user_event_counters["ignored"] += 1
            return
        order = self._tracked_order(data.get("c"), data["i"])
        if order is None:
            self._user_event_counters["unknown_order"] += 1
            return
        if event_type == "orderFill":
            self._last_ws_fill_at = time.monotonic()
            self._order_tracker.process_trade_update(trade_update_from_ws(
                data, order.client_order_id, order.trading_pair, order.trade_type, self.trade_fee_schema()))
        update = order_update_from_ws(data, order.client_order_id, order.trading_pair)
        if update.new_state is OrderState.FAILED and update.misc_updates:
            self.logger().warning(f"Order {order.client_order_id} failed: {update.misc_updates['error_message']}")
        self._process_order_update_keeping_progress(order, update)
        self._note_executed_quantity(order, data.get("z"))

    def _tracked_order(self, client_id: Any, exchange_order_id: Any) -> Optional[InFlightOrder]:
        """The tracked (active, cached or lost) order for a WS/REST ``clientId``/order id, or None. A clientId match
        whose known exchange order id differs is someone else's order (ids are only uint32) → None."""
        tracker = self._order_tracker
        exchange_order_id = str(exchange_order_id) if exchange_order_id is not None else None
        if client_id is not None:
            client_order_id = str(client_id)
            order = (tracker.fetch_tracked_order(client_order_id) or tracker.fetch_cached_order(client_order_id)
                     or tracker.fetch_lost_order(client_order_id=client_order_id))
            if order is None:
                return None
            if order.exchange_order_id and exchange_order_id and order.exchange_order_id != exchange_order_id:
                return None
            return order
        if exchange_order_id is None:
            return None
        return tracker.all_fillable_orders_by_exchange_order_id.get(exchange_order_id)
