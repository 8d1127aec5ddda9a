"""``BackpackCancelFlow``: cancel one order (§5.7) or all orders of a pair (§5.8) and apply the answer."""
import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Optional, Protocol, Set, Tuple, cast

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackOrderHistoryLagError,
    BackpackRateLimitError,
)
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_reference, order_update_from_order
from hummingbot.connector.exchange.backpack.backpack_types import Order
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate
from hummingbot.core.web_assistant.connections.data_types import RESTMethod

CANCEL_CONFIRMED = "confirmed"   # 200 with a final status
CANCEL_ACCEPTED = "accepted"     # 202 or a non-final 200 (§5.7)


@dataclass
class MarketCancelResult:
    """What one ``DELETE /api/v1/orders`` (§5.8) did: ``accepted`` (202 or no list: the pair's tracked orders went
    PENDING_CANCEL), else the client order ids it listed and updated, and how many listed orders were not ours."""
    accepted: bool = False
    updated: Set[str] = field(default_factory=set)
    foreign: int = 0


class CancelOrderTracker(Protocol):

    @property
    def active_orders(self) -> Dict[str, InFlightOrder]: ...

    def process_order_update(self, order_update: OrderUpdate) -> None: ...

    def find_order(self, client_id: Any, exchange_order_id: Any, trading_pair: Optional[str] = None,
                   side: Any = None) -> Optional[InFlightOrder]: ...


class BackpackCancelFlow:
    """Cancels orders and applies the answers.

    :param private_call: async ``(path, method, body, headers=) → (HTTP status, JSON or None)`` of a signed
        request; cancels carry ``CONSTANTS.BROKER_HEADERS``.
    :param apply_update: ``(order, update)`` that never moves an order back to OPEN.
    :param current_timestamp: connector clock (s), may be NaN before the first tick; then ``wall_time`` is used.
    """

    #: Longest wait (s) for the placement answer before cancelling anyway.
    CANCEL_WAITS_FOR_PLACEMENT_S = CONSTANTS.RATE_LIMIT_BACKOFF_MAX_S + 5.0
    PLACEMENT_POLL_S = 0.02

    def __init__(self,
                 private_call: Callable[..., Awaitable[Tuple[int, Any]]],
                 symbol_for: Callable[[str], Awaitable[str]],
                 tracker: CancelOrderTracker,
                 request_order_status: Callable[[InFlightOrder], Awaitable[OrderUpdate]],
                 apply_update: Callable[[InFlightOrder, OrderUpdate], None],
                 note_executed_quantity: Callable[[InFlightOrder, Any], None],
                 placement_reconciling: Callable[[str], bool],
                 current_timestamp: Callable[[], float],
                 wall_time: Callable[[], float],
                 logger: Callable[[], logging.Logger]):
        self._private_call = private_call
        self._symbol_for = symbol_for
        self._tracker = tracker
        self._request_order_status = request_order_status
        self._apply_update = apply_update
        self._note_executed_quantity = note_executed_quantity
        self._placement_reconciling = placement_reconciling
        self._current_timestamp = current_timestamp
        self._wall_time = wall_time
        self._logger = logger
        self.closed_order_lookups: Set[str] = set()

    async def place_cancel(self, order: InFlightOrder) -> str:
        """``DELETE /api/v1/order`` (§5.7): ``CANCEL_CONFIRMED`` or ``CANCEL_ACCEPTED``.

        :raises BackpackAPIError: on errors (``is_order_not_found`` for an order that is no longer open).
        """
        symbol = await self._symbol_for(order.trading_pair)
        body = {"symbol": symbol, **order_reference(order.client_order_id, order.exchange_order_id)}
        status, answer = await self._private_call(CONSTANTS.ORDER_PATH_URL, RESTMethod.DELETE, body,
                                                  headers=dict(CONSTANTS.BROKER_HEADERS))
        if status == 202 or not isinstance(answer, dict):
            return CANCEL_ACCEPTED
        self._note_executed_quantity(order, answer.get("executedQuantity"))
        if answer.get("status") in ("Cancelled", "Expired"):
            return CANCEL_CONFIRMED
        return CANCEL_ACCEPTED

    async def cancel(self, order: InFlightOrder) -> bool:
        """Cancel one order (CANCELED or PENDING_CANCEL → True); False if the placement failed, on 429, or if the
        order had closed. :raises BackpackAPIError: other errors, or "not found" unknown to the history too.
        """
        if not await self.wait_for_placement_answer(order):
            return False
        try:
            outcome = await self.place_cancel(order)
        except BackpackAPIError as e:
            return await self.cancel_error_outcome(order, e)
        if outcome == CANCEL_CONFIRMED:
            new_state = OrderState.CANCELED
        else:
            new_state = OrderState.PENDING_CANCEL
            self._logger().info(f"Cancel of order {order.client_order_id} accepted by Backpack, awaiting "
                                "confirmation.")
        timestamp = self._current_timestamp()
        if timestamp is None or timestamp != timestamp:
            timestamp = self._wall_time()
        self._tracker.process_order_update(OrderUpdate(
            client_order_id=order.client_order_id, trading_pair=order.trading_pair, update_timestamp=timestamp,
            new_state=new_state))
        return True

    async def cancel_error_outcome(self, order: InFlightOrder, error: Exception) -> bool:
        """What ``cancel`` makes of a failed cancel request of ``order``: False after a 429 (logged) or for an order
        no longer open (its state applied); :raises: ``error`` otherwise."""
        if isinstance(error, BackpackRateLimitError):
            self._logger().warning(f"Cancel of order {order.client_order_id} refused by Backpack's rate limit (HTTP "
                                   "429); the order stays open until cancelled again.")
            return False
        if (isinstance(error, BackpackAPIError) and error.is_order_not_found
                and await self.resolve_order_no_longer_open(order)):
            return False
        raise error

    async def wait_for_placement_answer(self, order: InFlightOrder) -> bool:
        """Wait (≤ ``CANCEL_WAITS_FOR_PLACEMENT_S``) for an unanswered placement; False if the order failed."""
        if not self._placement_unanswered(order):
            return True
        deadline = time.monotonic() + self.CANCEL_WAITS_FOR_PLACEMENT_S
        while self._placement_unanswered(order) and time.monotonic() < deadline:
            await asyncio.sleep(self.PLACEMENT_POLL_S)
        return not order.is_failure

    def _placement_unanswered(self, order: InFlightOrder) -> bool:
        return (order.current_state is OrderState.PENDING_CREATE and order.exchange_order_id is None
                and not self._placement_reconciling(order.client_order_id))

    async def resolve_order_no_longer_open(self, order: InFlightOrder) -> bool:
        """After a "not found" cancel, apply the order's state (§5.9, §5.11), one lookup per order at a time.

        :returns: True when the state is known, a lookup is already running, or the order history has not caught up
            yet (U3; the status poll resolves it).
        """
        client_order_id = order.client_order_id
        if client_order_id in self.closed_order_lookups:
            return True
        self.closed_order_lookups.add(client_order_id)
        try:
            update = await self._request_order_status(order)
        except asyncio.CancelledError:
            raise
        except BackpackOrderHistoryLagError as e:  # closed, history not caught up (U3): the next poll resolves it
            self._logger().debug(str(e))
            return True
        except Exception as e:
            self._logger().debug(f"Lookup of order {client_order_id} after a 'not found' cancel failed: {e!r}")
            return False
        finally:
            self.closed_order_lookups.discard(client_order_id)
        self._apply_update(order, update)
        self._logger().info(f"Order {client_order_id} was no longer open when cancelled: Backpack reports it "
                            f"{update.new_state.name}.")
        return True

    async def cancel_all(self, trading_pair: str) -> int:
        """``DELETE /api/v1/orders`` (§5.8): cancels every open order of the pair on the **account**, other bots'
        included (opt-in: ``cancel_all_on_exchange`` and ``BackpackCancelBatcher``); returns tracked orders updated."""
        return len((await self.cancel_market(trading_pair)).updated)

    async def cancel_market(self, trading_pair: str) -> MarketCancelResult:
        """``DELETE /api/v1/orders`` (§5.8) of ``trading_pair``, its answer applied to the tracked orders.

        :raises BackpackAPIError: the request failed (errors as ``BackpackRestClient.call``).
        """
        symbol = await self._symbol_for(trading_pair)
        status, answer = await self._private_call(CONSTANTS.ORDERS_PATH_URL, RESTMethod.DELETE, {"symbol": symbol},
                                                  headers=dict(CONSTANTS.BROKER_HEADERS))
        timestamp = self._current_timestamp()
        result = MarketCancelResult()
        if status == 202 or not isinstance(answer, list):
            result.accepted = True
            for order in list(self._tracker.active_orders.values()):
                if order.trading_pair == trading_pair and not order.is_done:
                    self._tracker.process_order_update(OrderUpdate(
                        client_order_id=order.client_order_id, trading_pair=trading_pair,
                        update_timestamp=timestamp, new_state=OrderState.PENDING_CANCEL))
                    result.updated.add(order.client_order_id)
            return result
        for element in answer:
            if not isinstance(element, dict):
                continue
            element_symbol = element.get("symbol")
            tracked = self._tracker.find_order(
                element.get("clientId"), element.get("id"),
                trading_pair=trading_pair if element_symbol in (None, symbol) else str(element_symbol),
                side=element.get("side"))
            if tracked is None:
                result.foreign += 1
                continue
            try:
                update = order_update_from_order(cast(Order, element), tracked.client_order_id, tracked.trading_pair,
                                                 timestamp)
            except (KeyError, ValueError) as e:
                self._logger().warning(f"Unexpected cancel-all element {element!r}: {e!r}")
                continue
            self._note_executed_quantity(tracked, element.get("executedQuantity"))
            self._tracker.process_order_update(update)
            result.updated.add(tracked.client_order_id)
        return result
