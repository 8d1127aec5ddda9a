"""``BackpackFillsTracker``: account-wide fills polling (§5.12, §11.6) and recovery of fills the connector missed."""
import asyncio
import logging
import time
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, Tuple, cast

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_order_identity import is_same_order
from hummingbot.connector.exchange.backpack.backpack_order_parsing import trade_update_from_fill
from hummingbot.connector.exchange.backpack.backpack_types import Fill
from hummingbot.core.data_type.in_flight_order import InFlightOrder, TradeUpdate
from hummingbot.core.data_type.trade_fee import TradeFeeSchema
from hummingbot.core.utils.async_utils import safe_ensure_future


class FillsOrderTracker(Protocol):

    def process_trade_update(self, trade_update: TradeUpdate) -> None: ...

    def complete_if_fully_filled(self, client_order_id: str, timestamp: float) -> bool: ...

    def keep_fillable(self, order: InFlightOrder) -> None: ...

    def release_fillable(self, client_order_id: str) -> None: ...


class BackpackFillsTracker:
    """Polls fills and fetches missed ones; the order tracker de-duplicates by trade id.

    Missed fills of every order awaiting them come from one shared account-wide request at a time (§5.12), not one
    request per order: fill history may count in the 30/min bucket (U2), where per-order requests queue behind each
    other for longer than Hummingbot keeps a completed order fillable.

    :param private_get: async ``(path, params) → JSON`` of a signed GET.
    :param server_time_s: server time in seconds.
    """

    #: Page size (§5.12: max 1000) and page budget of one poll.
    FILLS_PAGE_LIMIT = 1000
    FILLS_MAX_PAGES = 5
    #: Overlap (ms) with the previous poll, for history indexing lag and clock skew.
    FILLS_OVERLAP_MS = 5 * 60 * 1000
    #: Wait (s) before fetching missed fills, for a late WS ``orderFill``.
    MISSED_FILLS_DELAY_S = 1.0
    #: Fetches (delay doubling each time) while fewer fills than executed are seen: fill history may lag (U3).
    MISSED_FILLS_ATTEMPTS = 5
    #: A missed-fills fetch starts this long (ms) before the oldest awaiting order's creation, for clock skew.
    MISSED_FILLS_MARGIN_MS = 60 * 1000

    def __init__(self,
                 private_get: Callable[[str, Dict[str, Any]], Awaitable[Any]],
                 symbol_for: Callable[[str], Awaitable[str]],
                 tracker: FillsOrderTracker,
                 fee_schema: Callable[[], TradeFeeSchema],
                 server_time_s: Callable[[], float],
                 on_missed_fills_fetched: Callable[[], None],
                 logger: Callable[[], logging.Logger]):
        self._private_get = private_get
        self._symbol_for = symbol_for
        self._tracker = tracker
        self._fee_schema = fee_schema
        self._server_time_s = server_time_s
        self._on_missed_fills_fetched = on_missed_fills_fetched
        self._logger = logger
        #: ``from`` (ms) of the next account-wide poll, before the overlap.
        self.cursor_ms = 0
        self.missed_fill_fetches: Dict[str, asyncio.Task] = {}
        #: Orders whose missed fills are being fetched, by client order id; the shared fetch serving them.
        self._awaiting: Dict[str, InFlightOrder] = {}
        self._shared_fetch: Optional[asyncio.Future] = None
        self._shared_started = 0.0  # time.monotonic() when the shared fetch started

    async def update_orders_fills(self, orders: List[InFlightOrder]) -> None:
        """One account-wide fills request a cycle (no ``symbol``, §5.12), whatever the number of pairs (each may
        count in the 30/min bucket, U2); a failed request is logged and the next poll covers it."""
        if not orders:
            return
        started_ms = int(self._server_time_s() * 1e3)
        oldest_ms = int(min(order.creation_timestamp for order in orders) * 1e3)
        from_ms = max(oldest_ms, self.cursor_ms) - self.FILLS_OVERLAP_MS
        try:
            fills, complete = await self.fetch(None, {"from": max(0, from_ms)})
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._logger().warning(f"Failed to fetch trade updates. Error: {e}", exc_info=e)
            return
        by_exchange_id = {order.exchange_order_id: order for order in orders if order.exchange_order_id}
        # By clientId only while the order id is unknown, and only a fill of the same symbol and side: another bot
        # on the account may use the same clientId.
        by_client_id = {order.client_order_id: order for order in orders if not order.exchange_order_id}
        symbols = {order.trading_pair: await self._symbol_for(order.trading_pair) for order in by_client_id.values()}
        newest_ms = 0
        for fill in fills:
            order = by_exchange_id.get(str(fill.get("orderId")))
            if order is None:
                order = by_client_id.get(str(fill.get("clientId")))
                fill_symbol = fill.get("symbol")
                if order is not None and not is_same_order(
                        order, order.trading_pair if fill_symbol in (None, symbols[order.trading_pair])
                        else str(fill_symbol), fill.get("side"), None):
                    order = None
            if order is None:
                continue
            update = self._trade_update(fill, order)
            if update is not None:
                self._tracker.process_trade_update(update)
                newest_ms = max(newest_ms, int(update.fill_timestamp * 1e3))
        self.cursor_ms = started_ms if complete else max(newest_ms, from_ms)

    async def fetch(self, trading_pair: Optional[str], filters: Dict[str, Any]) -> Tuple[List[Fill], bool]:
        """``(fills oldest first, complete)`` of one pair, or of the account for ``None``; ``complete`` is False
        when ``FILLS_MAX_PAGES`` ran out."""
        scope = {"symbol": await self._symbol_for(trading_pair)} if trading_pair is not None else {}
        fills: List[Fill] = []
        for page in range(self.FILLS_MAX_PAGES):
            params = {**scope, "fillType": CONSTANTS.FILL_TYPE_USER, "limit": self.FILLS_PAGE_LIMIT,
                      "sortDirection": "Asc", **filters}
            if page:
                params["offset"] = page * self.FILLS_PAGE_LIMIT
            rows = await self._private_get(CONSTANTS.FILL_HISTORY_PATH_URL, params)
            rows = rows if isinstance(rows, list) else []
            fills.extend(cast(Fill, row) for row in rows if isinstance(row, dict))
            if len(rows) < self.FILLS_PAGE_LIMIT:
                return fills, True
        return fills, False

    def _trade_update(self, fill: Fill, order: InFlightOrder) -> Optional[TradeUpdate]:
        try:
            return trade_update_from_fill(fill, order.client_order_id, order.exchange_order_id, order.trading_pair,
                                          order.trade_type, self._fee_schema())
        except (KeyError, ValueError, TypeError) as e:
            self._logger().warning(f"Skipping malformed Backpack fill {fill!r}: {e!r}")
            return None

    async def all_trade_updates_for_order(self, order: InFlightOrder) -> List[TradeUpdate]:
        """Fills of one order (§5.12); none before its exchange order id is known."""
        if not order.exchange_order_id:
            return []
        fills, _ = await self.fetch(order.trading_pair, {"orderId": order.exchange_order_id})
        updates = (self._trade_update(fill, order) for fill in fills
                   if str(fill.get("orderId")) == order.exchange_order_id)
        return [update for update in updates if update is not None]

    def note_executed_quantity(self, order: InFlightOrder, executed: Any) -> None:
        """If Backpack's executed base quantity (§5.13, §8.5) exceeds the fills seen, fetch the order's fills."""
        try:
            quantity = Decimal(str(executed))
        except (ArithmeticError, ValueError, TypeError):
            return
        if not quantity > order.executed_amount_base or order.client_order_id in self.missed_fill_fetches:
            return
        self._logger().info(f"Order {order.client_order_id}: Backpack reports {quantity} executed, the connector has "
                            f"seen {order.executed_amount_base}; fetching its fills.")
        self._awaiting[order.client_order_id] = order
        self._tracker.keep_fillable(order)  # its fills may come back after Hummingbot stopped keeping it
        self.missed_fill_fetches[order.client_order_id] = safe_ensure_future(self._fetch_missed(order, quantity))

    async def _fetch_missed(self, order: InFlightOrder, quantity: Decimal) -> None:
        try:
            delay = self.MISSED_FILLS_DELAY_S
            for _ in range(self.MISSED_FILLS_ATTEMPTS):
                waiting_since = time.monotonic()
                await asyncio.sleep(delay)
                delay *= 2
                if order.executed_amount_base >= quantity:
                    return
                trade_updates = (await self._fetch_awaiting(waiting_since)).get(order.client_order_id, [])
                self._logger().debug(f"Order {order.client_order_id}: {len(trade_updates)} fills fetched.")
                for trade_update in trade_updates:
                    self._tracker.process_trade_update(trade_update)
                if trade_updates:
                    self._tracker.complete_if_fully_filled(order.client_order_id, trade_updates[-1].fill_timestamp)
                if sum(update.fill_base_amount for update in trade_updates) >= quantity:
                    return
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._logger().warning(f"Fetching the missed fills of order {order.client_order_id} failed ({e!r}); "
                                   "the next fills poll retries.")
        finally:
            self.missed_fill_fetches.pop(order.client_order_id, None)
            self._awaiting.pop(order.client_order_id, None)
            self._tracker.release_fillable(order.client_order_id)

    async def _fetch_awaiting(self, since: float) -> Dict[str, List[TradeUpdate]]:
        """Trade updates of the awaiting orders by client order id, from the latest shared fetch if it started at
        or after ``since`` (``time.monotonic()``), in flight or done; else from a new one, started once the older
        one in flight (if any) ends: one request in flight at a time.

        :raises Exception: what the shared fetch raised.
        """
        while True:
            shared = self._shared_fetch
            if shared is not None and self._shared_started >= since:
                return await asyncio.shield(shared)
            if shared is not None and not shared.done():
                await asyncio.wait([shared])
                continue
            self._shared_started = time.monotonic()
            self._shared_fetch = asyncio.ensure_future(self._fetch_for_awaiting())

    async def _fetch_for_awaiting(self) -> Dict[str, List[TradeUpdate]]:
        orders = [order for order in self._awaiting.values() if order.exchange_order_id]
        if not orders:
            return {}
        now_s = self._server_time_s()
        oldest_s = min(order.creation_timestamp if 0 < order.creation_timestamp <= now_s else now_s
                       for order in orders)
        fills, _ = await self.fetch(None, {"from": max(0, int(oldest_s * 1e3) - self.MISSED_FILLS_MARGIN_MS)})
        self._on_missed_fills_fetched()
        by_exchange_id = {order.exchange_order_id: order for order in orders}
        updates: Dict[str, List[TradeUpdate]] = {}
        for fill in fills:
            order = by_exchange_id.get(str(fill.get("orderId")))
            update = self._trade_update(fill, order) if order is not None else None
            if order is not None and update is not None:
                updates.setdefault(order.client_order_id, []).append(update)
        return updates

    def cancel_pending(self) -> None:
        for task in list(self.missed_fill_fetches.values()):
            task.cancel()
        if self._shared_fetch is not None:
            self._shared_fetch.cancel()
