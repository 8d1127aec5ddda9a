"""Order status and fills of ``BackpackExchange``: open order (§5.9) then order history (§5.11) lookups, and fill
polling (§5.12, one request per pair and poll, §11.6). Mixed into ``BackpackExchange``."""
import asyncio
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Tuple

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError, BackpackOrderNotFoundError
from hummingbot.connector.exchange.backpack.backpack_exchange_orders import _order_reference
from hummingbot.connector.exchange.backpack.backpack_order_parsing import (
    order_update_from_order,
    trade_update_from_fill,
)
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderUpdate, TradeUpdate
from hummingbot.core.utils.async_utils import safe_ensure_future, safe_gather


class BackpackOrderStatusMixin:
    """Status and fill polling; state (``_fills_cursor_ms``, ``_missed_fill_fetches``, ``_lost_orders_next_check``)
    is set up by ``BackpackExchange.__init__``."""

    #: Page size and page budget of one fills poll per pair (§5.12 max limit 1000).
    FILLS_PAGE_LIMIT = 1000
    FILLS_MAX_PAGES = 5
    #: Fills are polled from (last poll start − overlap): covers history indexing lag and clock skew (ms).
    FILLS_OVERLAP_MS = 5 * 60 * 1000
    #: Order history rows scanned when looking an order up by clientId only (no orderId known yet; §5.11).
    ORDER_HISTORY_SCAN_LIMIT = 1000
    #: Lost orders (FAILED after repeated "not found", maybe alive) are re-cancelled and re-checked at most this
    #: often (s). Hummingbot does it every 5 s, and each check costs ``/wapi/v1/history/*`` requests (§7): a handful
    #: of lost orders starved every other lookup while those routes had a 30/min budget (``make chaos``).
    LOST_ORDERS_CHECK_INTERVAL_S = 30.0
    #: Wait (s) before fetching fills Backpack reports executed but the connector has not seen: a late or shuffled
    #: WS ``orderFill`` usually lands meanwhile and saves the request.
    MISSED_FILLS_DELAY_S = 1.0

    # ================================================================================== order status
    async def _request_order_status(self, tracked_order: InFlightOrder) -> OrderUpdate:
        """Current state of one order: ``GET /api/v1/order`` by clientId (open orders only, §5.9); on 404/not found,
        ``GET /wapi/v1/history/orders`` (§5.11; by ``orderId`` when known, else the latest rows filtered by clientId).

        :raises BackpackOrderNotFoundError: neither knows the order.
        :raises BackpackAPIError: other API errors.
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=tracked_order.trading_pair)
        try:
            answer = await self._api_get(path_url=CONSTANTS.ORDER_PATH_URL,
                                         params={"symbol": symbol, **_order_reference(tracked_order)},
                                         is_auth_required=True)
        except BackpackAPIError as e:
            if not e.is_order_not_found:
                raise
            answer = None
        else:
            if not isinstance(answer, dict):  # a 200 that is no order object: unreadable, not "not open"
                raise ValueError(f"unexpected answer of GET {CONSTANTS.ORDER_PATH_URL}: {str(answer)[:100]!r}")
        if answer is None:
            answer = await self._find_order_in_history(symbol, tracked_order)
            if answer is None:
                raise BackpackOrderNotFoundError(
                    f"Order {tracked_order.client_order_id} is neither open nor in the {symbol} order history "
                    "on Backpack.")
        self._note_executed_quantity(tracked_order, answer.get("executedQuantity"))
        return order_update_from_order(answer, tracked_order.client_order_id, tracked_order.trading_pair,
                                       self.current_timestamp)

    async def _find_order_in_history(self, symbol: str, order: InFlightOrder) -> Optional[Dict[str, Any]]:
        exchange_order_id = order.exchange_order_id
        if exchange_order_id:
            params = {"symbol": symbol, "orderId": exchange_order_id, "limit": 10}
        else:
            params = {"symbol": symbol, "limit": self.ORDER_HISTORY_SCAN_LIMIT, "sortDirection": "Desc"}
        rows = await self._api_get(path_url=CONSTANTS.ORDER_HISTORY_PATH_URL, params=params, is_auth_required=True)
        client_order_id = order.client_order_id
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            if exchange_order_id and str(row.get("id")) == exchange_order_id:
                return row
            if not exchange_order_id and str(row.get("clientId")) == client_order_id:
                return row
        return None

    async def _handle_update_error_for_active_order(self, order: InFlightOrder, error: Exception):
        """Only "neither open nor in the history" counts toward the tracker's not-found limit (past it the order is
        declared FAILED). The base counts *every* error, so a 401 during a key rotation, a burst of 429s or a 503
        maintenance made every open order "lost" while it was still open; those are logged and retried instead."""
        if self._is_order_not_found_during_status_update_error(error):
            await self._order_tracker.process_order_not_found(order.client_order_id)
            return
        self.logger().warning(f"Error fetching status update for the active order {order.client_order_id}: {error}. "
                              "The order stays tracked; retrying at the next poll.")

    # ================================================================================== fills
    async def _update_orders_fills(self, orders: List[InFlightOrder]):
        """One ``/wapi/v1/history/fills`` request (pages only if > ``FILLS_PAGE_LIMIT`` fills) per trading pair and
        poll (§11.6), filtered ``fillType=User`` and ``from`` = max(oldest order creation, last poll) − overlap;
        fills are matched to orders by ``orderId`` or ``clientId`` and de-duplicated by trade id in the tracker."""
        by_pair: Dict[str, List[InFlightOrder]] = defaultdict(list)
        for order in orders:
            by_pair[order.trading_pair].append(order)
        if by_pair:
            await safe_gather(*[self._update_pair_fills(pair, pair_orders) for pair, pair_orders in by_pair.items()],
                              return_exceptions=False)

    async def _update_pair_fills(self, trading_pair: str, orders: List[InFlightOrder]) -> None:
        started_ms = int(self._time_synchronizer.time() * 1e3)
        oldest_ms = int(min(order.creation_timestamp for order in orders) * 1e3)
        from_ms = max(oldest_ms, self._fills_cursor_ms.get(trading_pair, 0)) - self.FILLS_OVERLAP_MS
        try:
            fills, complete = await self._fetch_fills(trading_pair, {"from": max(0, from_ms)})
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.logger().warning(f"Failed to fetch trade updates for {trading_pair}. Error: {e}", exc_info=e)
            return
        by_exchange_id = {order.exchange_order_id: order for order in orders if order.exchange_order_id}
        by_client_id = {order.client_order_id: order for order in orders}
        newest_ms = 0
        for fill in fills:
            order = by_exchange_id.get(str(fill.get("orderId"))) or by_client_id.get(str(fill.get("clientId")))
            if order is None:
                continue
            update = self._trade_update_from_rest_fill(fill, order)
            if update is not None:
                self._order_tracker.process_trade_update(update)
                newest_ms = max(newest_ms, int(update.fill_timestamp * 1e3))
        self._fills_cursor_ms[trading_pair] = started_ms if complete else max(newest_ms, from_ms)

    async def _fetch_fills(self, trading_pair: str, filters: Dict[str, Any]) -> Tuple[List[Dict[str, Any]], bool]:
        """Fills of ``trading_pair`` matching ``filters`` (oldest first), following pages up to ``FILLS_MAX_PAGES``.

        :returns: (fills, complete) — complete is False when the page budget ran out.
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        fills: List[Dict[str, Any]] = []
        for page in range(self.FILLS_MAX_PAGES):
            params = {"symbol": symbol, "fillType": CONSTANTS.FILL_TYPE_USER, "limit": self.FILLS_PAGE_LIMIT,
                      "sortDirection": "Asc", **filters}
            if page:
                params["offset"] = page * self.FILLS_PAGE_LIMIT
            rows = await self._api_get(path_url=CONSTANTS.FILL_HISTORY_PATH_URL, params=params, is_auth_required=True)
            rows = rows if isinstance(rows, list) else []
            fills.extend(row for row in rows if isinstance(row, dict))
            if len(rows) < self.FILLS_PAGE_LIMIT:
                return fills, True
        return fills, False

    def _trade_update_from_rest_fill(self, fill: Mapping[str, Any], order: InFlightOrder) -> Optional[TradeUpdate]:
        try:
            return trade_update_from_fill(fill, order.client_order_id, order.exchange_order_id, order.trading_pair,
                                          order.trade_type, self.trade_fee_schema())
        except (KeyError, ValueError, TypeError) as e:
            self.logger().warning(f"Skipping malformed Backpack fill {fill!r}: {e!r}")
            return None

    async def _all_trade_updates_for_order(self, order: InFlightOrder) -> List[TradeUpdate]:
        """Fills of one order (``orderId`` filter, §5.12). The poll cycle uses ``_update_orders_fills`` instead."""
        if not order.exchange_order_id:
            return []
        fills, _ = await self._fetch_fills(order.trading_pair, {"orderId": order.exchange_order_id})
        updates = (self._trade_update_from_rest_fill(fill, order) for fill in fills
                   if str(fill.get("orderId")) == order.exchange_order_id)
        return [update for update in updates if update is not None]

    # ================================================================================== missed fills
    def _note_executed_quantity(self, order: InFlightOrder, executed: Any) -> None:
        """Compare Backpack's executed quantity of ``order`` (REST ``executedQuantity`` §5.13, WS ``z`` §8.5; base
        units) with the fills the connector has seen. More on Backpack's side means fills were missed (lost or late
        WS events): the order's fills are fetched (§5.12) after ``MISSED_FILLS_DELAY_S`` — one fetch per order at
        a time — and de-duplicated by trade id. Found by ``make chaos``: an order filled while its private events
        were lost, then cancelled over REST, ended with its fills missing. Unparseable quantities are ignored."""
        try:
            quantity = Decimal(str(executed))
        except (ArithmeticError, ValueError, TypeError):
            return
        if not quantity > order.executed_amount_base or order.client_order_id in self._missed_fill_fetches:
            return
        self.logger().info(f"Order {order.client_order_id}: Backpack reports {quantity} executed, the connector has seen "
                           f"{order.executed_amount_base}; fetching its fills.")
        self._missed_fill_fetches[order.client_order_id] = safe_ensure_future(self._fetch_missed_fills(order, quantity))

    async def _fetch_missed_fills(self, order: InFlightOrder, quantity: Decimal) -> None:
        try:
            await asyncio.sleep(self.MISSED_FILLS_DELAY_S)
            if order.executed_amount_base >= quantity:
                return
            trade_updates = await self._all_trade_updates_for_order(order)
            self.logger().debug(f"Order {order.client_order_id}: {len(trade_updates)} fills fetched.")
            for trade_update in trade_updates:
                self._order_tracker.process_trade_update(trade_update)
            if trade_updates:
                self._order_tracker.complete_if_fully_filled(order.client_order_id, trade_updates[-1].fill_timestamp)
            self._rest_counters.missed_fills_fetches += 1
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.logger().warning(f"Fetching the missed fills of order {order.client_order_id} failed ({e!r}); "
                                  "the next fills poll retries.")
        finally:
            self._missed_fill_fetches.pop(order.client_order_id, None)

    # ================================================================================== lost orders
    async def _cancel_lost_orders(self):
        if self._lost_orders_due("cancel"):
            await super()._cancel_lost_orders()

    async def _update_lost_orders_status(self):
        if self._lost_orders_due("status"):
            await super()._update_lost_orders_status()

    def _lost_orders_due(self, what: str) -> bool:
        """True at most once per ``LOST_ORDERS_CHECK_INTERVAL_S`` for ``what`` (and only with lost orders)."""
        now = time.monotonic()
        if not self._order_tracker.lost_orders or now < self._lost_orders_next_check.get(what, 0.0):
            return False
        self._lost_orders_next_check[what] = now + self.LOST_ORDERS_CHECK_INTERVAL_S
        return True
