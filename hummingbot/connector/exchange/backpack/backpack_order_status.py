"""``BackpackOrderStatus``: one order's state from the open orders (§5.9) or the order history (§5.11), the status
poll of every tracked order from one open-orders request (§5.10), and what a failed status query means for the
status poll."""
import asyncio
import logging
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, Sequence, Tuple, cast

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackOrderHistoryLagError,
    BackpackOrderNotFoundError,
    BackpackRateLimitError,
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
    :param observe_open_orders: gets each complete open-orders list the status poll reads (§5.10), as read (the
        cancel batcher's foreign orders).
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
                 history_lag: Optional[HistoryLagGrace] = None,
                 observe_open_orders: Optional[Callable[[List[Any]], None]] = None):
        self._private_get = private_get
        self._symbol_for = symbol_for
        self._pair_of = pair_of
        self._tracker = tracker
        self._trade_updates_for_order = trade_updates_for_order
        self._note_executed_quantity = note_executed_quantity
        self._observation_time_s = observation_time_s
        self._logger = logger
        self.history_lag = history_lag or HistoryLagGrace()
        self._observe_open_orders = observe_open_orders
        #: Orders the last ``update_orders`` looked up one by one (absent from the open orders, or no list).
        self.last_looked_up = 0

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
        return await self._update_from(order, answer)

    async def _update_from(self, order: InFlightOrder, answer: Order) -> OrderUpdate:
        self.history_lag.found(order.client_order_id)
        update = order_update_from_order(answer, order.client_order_id, order.trading_pair,
                                         self._observation_time_s())
        if update.new_state in (OrderState.FILLED, OrderState.CANCELED):
            await self.apply_fills_of_final_order(order, answer)
        self._note_executed_quantity(order, answer.get("executedQuantity"))
        return update

    async def update_orders(self, orders: Sequence[InFlightOrder], apply: Callable[[OrderUpdate], None],
                            on_error: Callable[[InFlightOrder, Exception], Awaitable[None]],
                            on_open_orders: Optional[Callable[[List[Any]], Awaitable[None]]] = None) -> None:
        """One status poll of ``orders``: one account-wide ``GET /api/v1/orders`` (spot, §5.10); the orders found
        there are updated from their rows at once, then any other (closed, or placed after the list was read) is
        looked up alone (``request``: open order, then history). When the list cannot be read every order is looked
        up alone, except after a 429 (§7): then the orders wait for the next poll. ``on_error(order, error)`` gets
        each order's failed lookup (``handle_update_error``). ``on_open_orders(rows)`` (the orphan sweep) gets the
        complete list after the rows are applied; with it the list is read even when no order is tracked."""
        if not orders and on_open_orders is None:
            return
        index: Optional[OpenOrders] = None
        try:
            answer = await self._private_get(CONSTANTS.ORDERS_PATH_URL, {"marketType": "SPOT"})
            if not isinstance(answer, list):
                raise ValueError(f"unexpected answer of GET {CONSTANTS.ORDERS_PATH_URL}: {str(answer)[:100]!r}")
            index = OpenOrders(answer)
            if self._observe_open_orders is not None:
                self._observe_open_orders(answer)
        except asyncio.CancelledError:
            raise
        except BackpackRateLimitError as e:
            self._logger().warning(f"Open orders not read ({e}); the order status poll waits for the next cycle.")
            return
        except Exception as e:
            self._logger().warning(f"Open orders not read ({e!r}); looking each tracked order up alone.")
        rows = [(order, self.open_row(order, index) if index is not None else None) for order in orders]
        missing: List[Tuple[InFlightOrder, Optional[Order]]] = [(order, row) for order, row in rows if row is None]
        self.last_looked_up = len(missing)
        for order, row in [(order, row) for order, row in rows if row is not None] + missing:  # rows while fresh
            try:
                apply(await (self._update_from(order, row) if row is not None else self.request(order)))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                await on_error(order, e)
        if on_open_orders is not None and index is not None:
            await on_open_orders(index.rows)

    def open_row(self, order: InFlightOrder, index: "OpenOrders") -> Optional[Order]:
        """``order``'s row among the open orders: by order id once known, else by ``clientId`` with the same pair and
        side (other bots on the key, §5.5); None when absent."""
        if order.exchange_order_id:
            return index.by_id.get(order.exchange_order_id)
        for row in index.by_client_id.get(order.client_order_id, ()):
            if is_same_order(order, self._pair_of(row.get("symbol")), row.get("side"), row.get("id")):
                return row
        return None

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


class OpenOrders:
    """The rows of ``GET /api/v1/orders`` (§5.10) by order id and by ``clientId`` (text); non-objects skipped."""

    def __init__(self, rows: List[Any]):
        self.rows = rows
        self.by_id: Dict[str, Order] = {}
        self.by_client_id: Dict[str, List[Order]] = {}
        for row in rows:
            if isinstance(row, dict):
                self.by_id[str(row.get("id"))] = cast(Order, row)
                self.by_client_id.setdefault(str(row.get("clientId")), []).append(cast(Order, row))
