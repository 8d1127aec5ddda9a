"""``UnknownOutcomeReconciler``: resolves placements of unknown outcome (§6.3) by querying their ``clientId``."""
import asyncio
import itertools
import logging
from typing import Awaitable, Callable, Dict, Protocol, Tuple

from hummingbot.connector.exchange.backpack.backpack_errors import BackpackOrderNotFoundError
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate
from hummingbot.core.utils.async_utils import safe_ensure_future


class NotFoundCounter(Protocol):

    async def process_order_not_found(self, client_order_id: str) -> None: ...


class UnknownOutcomeReconciler:
    """One background check loop per unknown-outcome order.

    :param request_order_status: async ``order → OrderUpdate``; raises ``BackpackOrderNotFoundError``.
    """

    #: Waits (s) between checks; the last one repeats.
    UNKNOWN_OUTCOME_RECHECK_DELAYS_S: Tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)

    def __init__(self,
                 request_order_status: Callable[[InFlightOrder], Awaitable[OrderUpdate]],
                 apply_update: Callable[[InFlightOrder, OrderUpdate], None],
                 tracker: NotFoundCounter,
                 on_unknown_outcome: Callable[[], None],
                 logger: Callable[[], logging.Logger]):
        self._request_order_status = request_order_status
        self._apply_update = apply_update
        self._tracker = tracker
        self._on_unknown_outcome = on_unknown_outcome
        self._logger = logger
        self.pending: Dict[str, asyncio.Task] = {}

    def is_pending(self, client_order_id: str) -> bool:
        return client_order_id in self.pending

    def start(self, order: InFlightOrder, error: BaseException) -> None:
        """Count, log and start reconciling (once per order)."""
        self._on_unknown_outcome()
        self._logger().warning(f"Order {order.client_order_id} ({order.trade_type.name} {order.amount} "
                               f"{order.trading_pair}): placement outcome unknown ({error!r}). The order is kept and "
                               "will be resolved by clientId.")
        if order.client_order_id not in self.pending:
            self.pending[order.client_order_id] = safe_ensure_future(self._reconcile(order))

    async def _reconcile(self, order: InFlightOrder) -> None:
        """Check until found, counted as not found, or the order left PENDING_CREATE; failed checks don't count."""
        client_order_id = order.client_order_id
        delays = self.UNKNOWN_OUTCOME_RECHECK_DELAYS_S
        try:
            for delay in itertools.chain(delays, itertools.repeat(delays[-1])):
                await asyncio.sleep(delay)
                if order.current_state is not OrderState.PENDING_CREATE or order.is_done:
                    return
                try:
                    update = await self._request_order_status(order)
                except asyncio.CancelledError:
                    raise
                except BackpackOrderNotFoundError:
                    await self._tracker.process_order_not_found(client_order_id)
                    continue
                except Exception as e:
                    self._logger().debug(f"Unknown-outcome check of {client_order_id} failed: {e!r}")
                    continue
                self._apply_update(order, update)
                return
        finally:
            self.pending.pop(client_order_id, None)

    def cancel_pending(self) -> None:
        for task in list(self.pending.values()):
            task.cancel()
