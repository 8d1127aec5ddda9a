"""``BackpackOrderStatus``: one order's state from the open orders (§5.9) or the order history (§5.11), and what a
failed status query means for the status poll."""
import asyncio
import logging
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, cast

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackOrderHistoryLagError,
    BackpackOrderNotFoundError,
)
from hummingbot.connector.exchange.backpack.backpack_history_lag import HistoryLagGrace
from hummingbot.connector.exchange.backpack.backpack_order_identity import is_same_order
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_reference, order_update_from_order
from hummingbot.connector.exchange.backpack.backpack_types import Order
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate


class StatusOrderTracker(Protocol):

    @property
    def lost_orders(self) -> Dict[str, InFlightOrder]: ...

    def process_trade_update(self, trade_update: TradeUpdate) -> None: ...

    async def process_order_not_found(self, client_order_id: str) -> None: ...


def is_order_not_found(error: Exception) -> bool:
    """Neither open nor in the order history (§5.9, §5.11): the only error that counts toward "lost"."""
    return isinstance(error, BackpackOrderNotFoundError)


class BackpackOrderStatus:
    """Resolves an order's state; owns the history-lag grace (U3).

    :param private_get: async ``(path, params) → JSON`` of a signed GET (errors as ``BackpackRestClient.call``).
    :param pair_of: trading pair of an exchange symbol for identity checks (``BackpackExchange._pair_of``).
    :param trade_updates_for_order: async all fills of one order (``BackpackFillsTracker.all_trade_updates_for_order``).
    :param note_executed_quantity: ``(order, executedQuantity)``: schedules a missed-fill fetch when ahead of fills.
    :param observation_time_s: the update timestamp (s) of an answer without ``createdAt``.
    """

    #: History rows scanned to find an order by clientId only (§5.11).
    ORDER_HISTORY_SCAN_LIMIT = 1000

    def __init__(self,
                 private_get: Callable[[str, Dict[str, Any]], Awaitable[Any]],
                 symbol_for: Callable[[str], Awaitable[str]],
                 pair_of: Callable[[Any], Optional[str]],
                 tracker: StatusOrderTracker,
                 trade_updates_for_order: Callable[[InFlightOrder], Awaitable[List[TradeUpdate]]],
                 note_executed_quantity: Callable[[InFlightOrder, Any], None],
                 observation_time_s: Callable[[], float],
                 logger: Callable[[], logging.Logger],
                 history_lag: Optional[HistoryLagGrace] = None):
        self._private_get = private_get
        self._symbol_for = symbol_for
        self._pair_of = pair_of
        self._tracker = tracker
        self._trade_updates_for_order = trade_updates_for_order
        self._note_executed_quantity = note_executed_quantity
        self._observation_time_s = observation_time_s
        self._logger = logger
        self.history_lag = history_lag or HistoryLagGrace()

    async def request(self, order: InFlightOrder) -> OrderUpdate:
        """Open order by clientId/orderId (§5.9), else the order history (§5.11); the fills of a filled or cancelled
        order are applied first.

        :raises BackpackOrderHistoryLagError: an acknowledged, not lost order neither knows, within
            ``HistoryLagGrace.GRACE_S`` of the first such answer (U3).
        :raises BackpackOrderNotFoundError: neither knows the order (after the grace, for an acknowledged one).
        :raises ValueError: a 200 answer that is no order object.
        :raises BackpackAPIError: other API errors.
        """
        symbol = await self._symbol_for(order.trading_pair)
        answer: Optional[Order]
        try:
            answer = await self._private_get(CONSTANTS.ORDER_PATH_URL, {
                "symbol": symbol, **order_reference(order.client_order_id, order.exchange_order_id)})
        except BackpackAPIError as e:
            if not e.is_order_not_found:
                raise
            answer = None
        else:
            if not isinstance(answer, dict):
                raise ValueError(f"unexpected answer of GET {CONSTANTS.ORDER_PATH_URL}: {str(answer)[:100]!r}")
            if not order.exchange_order_id and not is_same_order(
                    order, self._pair_of(answer.get("symbol")), answer.get("side"), answer.get("id")):
                answer = None  # found by clientId, but another bot's order
        if answer is None:
            answer = await self.find_in_history(symbol, order)
            if answer is None:
                if (order.exchange_order_id and order.client_order_id not in self._tracker.lost_orders
                        and self.history_lag.missing(order.client_order_id)):
                    raise BackpackOrderHistoryLagError(
                        f"Order {order.client_order_id} left the open orders and is not in the {symbol} order "
                        "history yet; checking again at the next poll.")
                raise BackpackOrderNotFoundError(
                    f"Order {order.client_order_id} is neither open nor in the {symbol} order history on Backpack.")
        self.history_lag.found(order.client_order_id)
        update = order_update_from_order(answer, order.client_order_id, order.trading_pair,
                                         self._observation_time_s())
        if update.new_state in (OrderState.FILLED, OrderState.CANCELED):
            await self.apply_fills_of_final_order(order, answer)
        self._note_executed_quantity(order, answer.get("executedQuantity"))
        return update

    async def apply_fills_of_final_order(self, order: InFlightOrder, answer: Order) -> None:
        """Fills of a filled or cancelled order not seen yet (§5.12), applied before its final state is returned:
        a caller that drops the order right after (hummingbot-api's restart reconciliation) still gets them. On
        failure (or fill history lagging, U3) the missed-fill fetch retries."""
        try:
            executed = Decimal(str(answer.get("executedQuantity")))
        except (ArithmeticError, ValueError, TypeError):
            return
        if not executed > order.executed_amount_base:
            return
        if not order.exchange_order_id and answer.get("id") is not None:
            order.update_exchange_order_id(str(answer["id"]))  # identity checked by the lookup
        try:
            for trade_update in await self._trade_updates_for_order(order):
                self._tracker.process_trade_update(trade_update)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._logger().debug(f"Fills of order {order.client_order_id} not fetched ({e!r}); retrying.")

    async def find_in_history(self, symbol: str, order: InFlightOrder) -> Optional[Order]:
        """The order's history row (§5.11): by orderId once known, else by clientId among the newest
        ``ORDER_HISTORY_SCAN_LIMIT`` rows with the same pair and side; None when absent."""
        exchange_order_id = order.exchange_order_id
        params: Dict[str, Any]
        if exchange_order_id:
            params = {"symbol": symbol, "orderId": exchange_order_id, "limit": 10}
        else:
            params = {"symbol": symbol, "limit": self.ORDER_HISTORY_SCAN_LIMIT, "sortDirection": "Desc"}
        rows = await self._private_get(CONSTANTS.ORDER_HISTORY_PATH_URL, params)
        client_order_id = order.client_order_id
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            if exchange_order_id and str(row.get("id")) == exchange_order_id:
                return cast(Order, row)
            if (not exchange_order_id and str(row.get("clientId")) == client_order_id
                    and is_same_order(order, self._pair_of(row.get("symbol")), row.get("side"), None)):
                return cast(Order, row)
        return None

    async def handle_update_error(self, order: InFlightOrder, error: Exception) -> None:
        """Only "neither open nor in the history" counts toward not found; a history lag (U3) is logged at debug,
        other errors as a warning, and the order stays tracked for the next poll."""
        if is_order_not_found(error):
            await self._tracker.process_order_not_found(order.client_order_id)
            return
        if isinstance(error, BackpackOrderHistoryLagError):
            self._logger().debug(str(error))
            return
        self._logger().warning(f"Error fetching status update for the active order {order.client_order_id}: {error}. "
                               "The order stays tracked; retrying at the next poll.")
