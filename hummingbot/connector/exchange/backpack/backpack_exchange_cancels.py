"""Cancels of ``BackpackExchange``: one order (§5.7), all of a pair (§5.8), several by id. Mixed into
``BackpackExchange``.

Three rules, each from a bug ``make chaos`` found:
- a cancel of an order whose placement request has not been answered yet waits for that answer (bounded by
  ``CANCEL_WAITS_FOR_PLACEMENT_S``): sent first, it would be "not found", the order placed a moment later would be
  counted lost and dropped while open on the exchange;
- a cancel answered "not found" means the order is no longer open (§5.7): its final state (and, when Backpack's
  executed quantity shows fills the connector missed, those fills) is looked up at once instead of counting it
  towards "lost" — a fill whose WS event was lost is recovered, not dropped with the order;
- a cancel refused with 429 is a warning; the order stays open and the caller (strategy) cancels again.
"""
import asyncio
import time
from typing import List

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError, BackpackRateLimitError
from hummingbot.connector.exchange.backpack.backpack_exchange_orders import _order_reference
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_order
from hummingbot.core.data_type.cancellation_result import CancellationResult
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.utils.async_utils import safe_ensure_future, safe_gather
from hummingbot.core.web_assistant.connections.data_types import RESTMethod

_CANCEL_CONFIRMED = "confirmed"   # 200 with a final status: the order is cancelled
_CANCEL_ACCEPTED = "accepted"     # 202 (or a non-final 200): wait for WS / polling (§5.7)


class BackpackCancelMixin:
    """Cancel orders; uses the placement mixin's ``_unknown_outcome_orders`` and the status mixin's lookups; state
    (``_closed_order_lookups``) is set up by ``BackpackExchange.__init__``."""

    #: Longest wait (s) of a cancel for the answer to its order's placement request: the longest 429 pause
    #: (``RATE_LIMIT_BACKOFF_MAX_S``) plus a margin. After it the cancel is sent by clientId anyway.
    CANCEL_WAITS_FOR_PLACEMENT_S = CONSTANTS.RATE_LIMIT_BACKOFF_MAX_S + 5.0
    _PLACEMENT_POLL_S = 0.02

    async def _place_cancel(self, order_id: str, tracked_order: InFlightOrder) -> str:
        """``DELETE /api/v1/order`` with ``symbol`` + ``clientId`` (or ``orderId``), §5.7.

        :returns: ``"confirmed"`` (200 with a final status) or ``"accepted"`` (202 without body, or a non-final
            200): not a confirmation, the order stays tracked until a final state is seen.
        :raises BackpackAPIError: on errors (``is_order_not_found`` for an order that is no longer open).
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=tracked_order.trading_pair)
        body = {"symbol": symbol, **_order_reference(tracked_order)}
        status, answer = await self._rest_call(CONSTANTS.ORDER_PATH_URL, method=RESTMethod.DELETE, data=body,
                                               is_auth_required=True)
        if status == 202 or not isinstance(answer, dict):
            return _CANCEL_ACCEPTED
        self._note_executed_quantity(tracked_order, answer.get("executedQuantity"))
        if answer.get("status") in ("Cancelled", "Expired"):
            return _CANCEL_CONFIRMED
        return _CANCEL_ACCEPTED

    async def _execute_order_cancel_and_process_update(self, order: InFlightOrder) -> bool:
        """Cancel one order. Confirmed → CANCELED; accepted (202) → PENDING_CANCEL, the order stays tracked: both
        return True (a successful cancel request for ``cancel``/``cancel_all``). False — nothing was cancelled —
        when the placement failed meanwhile, when a 429 refused the cancel, or when "not found" turned out to be an
        order that filled or closed (its fills and final state are applied).

        :raises BackpackAPIError: other errors, and "not found" when the order history does not know the order
            either (ExchangePyBase then counts it towards "lost").
        """
        if not await self._wait_for_placement_answer(order):
            return False
        try:
            outcome = await self._place_cancel(order.client_order_id, order)
        except BackpackRateLimitError:
            self.logger().warning(f"Cancel of order {order.client_order_id} refused by Backpack's rate limit (HTTP "
                                  "429); the order stays open until cancelled again.")
            return False
        except BackpackAPIError as e:
            if e.is_order_not_found and await self._resolve_order_no_longer_open(order):
                return False
            raise
        if outcome == _CANCEL_CONFIRMED:
            new_state = OrderState.CANCELED
        else:
            new_state = OrderState.PENDING_CANCEL
            self.logger().info(f"Cancel of order {order.client_order_id} accepted by Backpack, awaiting confirmation.")
        timestamp = self.current_timestamp
        if timestamp is None or timestamp != timestamp:
            timestamp = self._time()
        self._order_tracker.process_order_update(OrderUpdate(
            client_order_id=order.client_order_id, trading_pair=order.trading_pair, update_timestamp=timestamp,
            new_state=new_state))
        return True

    async def _wait_for_placement_answer(self, order: InFlightOrder) -> bool:
        """Wait while the order's placement request is unanswered (PENDING_CREATE, no exchange order id, not
        under unknown-outcome reconciliation), at most ``CANCEL_WAITS_FOR_PLACEMENT_S``.

        :returns: False when the order failed while the cancel waited (never placed): nothing to cancel. True
            otherwise — including for lost orders (FAILED earlier, maybe alive), which are cancelled as usual.
        """
        if not self._placement_unanswered(order):
            return True
        deadline = time.monotonic() + self.CANCEL_WAITS_FOR_PLACEMENT_S
        while self._placement_unanswered(order) and time.monotonic() < deadline:
            await asyncio.sleep(self._PLACEMENT_POLL_S)
        return not order.is_failure

    def _placement_unanswered(self, order: InFlightOrder) -> bool:
        return (order.current_state is OrderState.PENDING_CREATE and order.exchange_order_id is None
                and order.client_order_id not in self._unknown_outcome_orders)

    async def _resolve_order_no_longer_open(self, order: InFlightOrder) -> bool:
        """After a cancel answered "not found": apply the order's state from the open-order query or the order
        history (§5.9, §5.11). Its missed fills, if the history's ``executedQuantity`` shows any, are fetched by
        ``_note_executed_quantity`` (Hummingbot waits for them before it completes a FILLED order). One lookup per
        order at a time: a repeated cancel meanwhile returns at once (each lookup costs history requests, §7).

        :returns: True when the order's state is now known (closed — or, after a race, open) or a lookup is already
            running; False when the lookup failed or neither endpoint knows the order.
        """
        client_order_id = order.client_order_id
        if client_order_id in self._closed_order_lookups:
            return True
        self._closed_order_lookups.add(client_order_id)
        try:
            update = await self._request_order_status(order)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.logger().debug(f"Lookup of order {client_order_id} after a 'not found' cancel failed: {e!r}")
            return False
        finally:
            self._closed_order_lookups.discard(client_order_id)
        self._process_order_update_keeping_progress(order, update)
        self.logger().info(f"Order {client_order_id} was no longer open when cancelled: Backpack reports it "
                           f"{update.new_state.name}.")
        return True

    async def cancel_all_on_exchange(self, trading_pair: str) -> int:
        """``DELETE /api/v1/orders`` {"symbol"} (§5.8): cancels EVERY open order of the pair on the account, including
        orders this bot did not place. 200 → tracked orders in the answer become CANCELED; 202 → the tracked open
        orders of the pair go PENDING_CANCEL until confirmed.

        :returns: number of tracked orders updated.
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        status, answer = await self._rest_call(CONSTANTS.ORDERS_PATH_URL, method=RESTMethod.DELETE,
                                               data={"symbol": symbol}, is_auth_required=True)
        timestamp = self.current_timestamp
        count = 0
        if status == 202 or not isinstance(answer, list):
            for order in list(self.in_flight_orders.values()):
                if order.trading_pair == trading_pair and not order.is_done:
                    self._order_tracker.process_order_update(OrderUpdate(
                        client_order_id=order.client_order_id, trading_pair=trading_pair,
                        update_timestamp=timestamp, new_state=OrderState.PENDING_CANCEL))
                    count += 1
            return count
        for element in answer:
            if not isinstance(element, dict):  # junk in the answer must not stop the loop over the others
                continue
            order = self._tracked_order(element.get("clientId"), element.get("id"))
            if order is None:
                continue
            try:
                update = order_update_from_order(element, order.client_order_id, order.trading_pair, timestamp)
            except (KeyError, ValueError) as e:
                self.logger().warning(f"Unexpected cancel-all element {element!r}: {e!r}")
                continue
            self._note_executed_quantity(order, element.get("executedQuantity"))
            self._order_tracker.process_order_update(update)
            count += 1
        return count

    def batch_order_cancel(self, orders_to_cancel: List[LimitOrder]):
        """Cancel several orders. Backpack has no batch cancel by ids (§5.7–§5.8): the orders are cancelled
        concurrently one by one. ``DELETE /api/v1/orders`` is not used because it would also cancel orders on the
        same pair that this bot does not track (manual orders, other bots on the account, orders in flight)."""
        safe_ensure_future(self._execute_batch_cancel(orders_to_cancel))

    async def _execute_batch_cancel(self, orders_to_cancel: List[LimitOrder]) -> List[CancellationResult]:
        """Concurrent per-order cancels; one ``CancellationResult`` per order (success = request accepted)."""
        results = await safe_gather(*[self._execute_cancel(order.trading_pair, order.client_order_id)
                                      for order in orders_to_cancel], return_exceptions=True)
        return [CancellationResult(order.client_order_id, result == order.client_order_id)
                for order, result in zip(orders_to_cancel, results)]
