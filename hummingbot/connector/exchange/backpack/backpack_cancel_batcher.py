"""``BackpackCancelBatcher``: when this bot is alone on its API key (``backpack_cancel_by_market``), the cancels of
every order of a market requested together go out as one ``DELETE /api/v1/orders`` (§5.8).

Backpack cancels by id one order per request (§5.7); its only multi-order cancel cancels every open order of a market
on the **account**, other bots' and people's included. A strategy calls ``cancel()`` for each order in one tick; each
starts its own cancel task in the same loop turn. The batcher queues them by trading pair and, a loop iteration
later, sends a pair's group as one cancel by market only when the setting is on, the group holds ≥ 2 orders, it is
every not-done order of ours in that pair (none awaiting its placement answer), and no open order of someone else is
known there (``ForeignOpenOrders``, fed by the private stream and the open-orders poll). Otherwise each order takes
the per-id cancel. Each caller gets the outcome its per-id cancel would have given it; an answer listing an order
that is not ours switches the mode off for the rest of the run.
"""
import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Protocol, Set, Tuple

from hummingbot.connector.exchange.backpack.backpack_cancels import MarketCancelResult
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState
from hummingbot.core.utils.async_utils import safe_ensure_future

#: Order statuses (§5.13) and private-stream events (§8.5) after which an order is no longer open.
FINAL_STATUSES = frozenset({"Filled", "Cancelled", "Expired", "TriggerFailed"})
FINAL_EVENTS = frozenset({"orderCancelled", "orderExpired", "triggerFailed"})

#: Why a queued cancel took the per-id path (``BackpackCancelBatcher.fallbacks`` keys).
FALLBACK_REASONS = ("disabled", "single_order", "placement_in_flight", "not_all_orders", "foreign_orders",
                    "missing_from_answer")

_Queued = Tuple[InFlightOrder, "asyncio.Future[bool]"]


class CancelBatcherTracker(Protocol):

    @property
    def active_orders(self) -> Dict[str, InFlightOrder]: ...

    def find_order(self, client_id: Any, exchange_order_id: Any, trading_pair: Optional[str] = None,
                   side: Any = None) -> Optional[InFlightOrder]: ...


class ForeignOpenOrders:
    """Open order ids per trading pair that are not tracked by this bot: other bots or people on the account."""

    def __init__(self) -> None:
        self._by_pair: Dict[str, Set[str]] = {}

    def note(self, trading_pair: str, order_id: str, is_open: bool) -> None:
        ids = self._by_pair.setdefault(trading_pair, set())
        if is_open:
            ids.add(order_id)
        else:
            ids.discard(order_id)

    def replace(self, open_orders: Iterable[Tuple[str, str]]) -> None:
        """Every foreign ``(trading pair, order id)`` of a complete open-orders list (§5.10)."""
        self._by_pair = {}
        for trading_pair, order_id in open_orders:
            self._by_pair.setdefault(trading_pair, set()).add(order_id)

    def count(self, trading_pair: str) -> int:
        return len(self._by_pair.get(trading_pair, ()))


class BackpackCancelBatcher:
    """Owns the queue of cancels waiting for the next send, the foreign open orders and the mode's counters.

    :param cancel_one: async ``order → bool`` of the per-id cancel (``BackpackCancelFlow.cancel``).
    :param cancel_market: async ``trading pair → MarketCancelResult`` (``BackpackCancelFlow.cancel_market``).
    :param cancel_error_outcome: async ``(order, error) → bool`` (or raises) of a failed per-id cancel request
        (``BackpackCancelFlow.cancel_error_outcome``).
    :param pair_of: trading pair of an exchange symbol (``BackpackExchange._pair_of``).
    :param enabled: ``backpack_cancel_by_market``; off: every cancel goes to ``cancel_one`` at once, nothing tracked.
    """

    def __init__(self,
                 cancel_one: Callable[[InFlightOrder], Awaitable[bool]],
                 cancel_market: Callable[[str], Awaitable[MarketCancelResult]],
                 cancel_error_outcome: Callable[[InFlightOrder, Exception], Awaitable[bool]],
                 tracker: CancelBatcherTracker,
                 pair_of: Callable[[Any], Optional[str]],
                 logger: Callable[[], logging.Logger],
                 enabled: bool = False):
        self._cancel_one = cancel_one
        self._cancel_market = cancel_market
        self._cancel_error_outcome = cancel_error_outcome
        self._tracker = tracker
        self._pair_of = pair_of
        self._logger = logger
        #: The setting; ``enabled`` goes off for the rest of the run when an answer lists a foreign order.
        self.configured = bool(enabled)
        self.enabled = bool(enabled)
        self.foreign = ForeignOpenOrders()
        self._queue: Dict[str, List[_Queued]] = {}
        self._flush_handle: Optional[asyncio.Handle] = None
        #: Cancel-by-market requests sent, orders they cancelled, foreign orders they cancelled.
        self.market_requests = 0
        self.market_cancelled_orders = 0
        self.foreign_orders_cancelled = 0
        #: Queued cancels that took the per-id path, by reason (``FALLBACK_REASONS``).
        self.fallbacks: Dict[str, int] = {reason: 0 for reason in FALLBACK_REASONS}

    async def cancel(self, order: InFlightOrder) -> bool:
        """``cancel_one``'s outcome for ``order``, or its share of its market's cancel-all; errors as ``cancel_one``."""
        if not self.enabled:
            return await self._cancel_one(order)
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[bool]" = loop.create_future()
        self._queue.setdefault(order.trading_pair, []).append((order, future))
        if self._flush_handle is None:
            self._flush_handle = loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_handle = None
        groups, self._queue = self._queue, {}
        for trading_pair, queued in groups.items():
            queued = [(order, future) for order, future in queued if not future.done()]  # done: caller cancelled
            if not queued:
                continue
            reason = self.fallback_reason(trading_pair, [order for order, _ in queued])
            if reason is None:
                safe_ensure_future(self._send_market(trading_pair, queued))
                continue
            self.fallbacks[reason] += len(queued)
            for order, future in queued:
                safe_ensure_future(self._resolve_one(order, future))

    def fallback_reason(self, trading_pair: str, orders: List[InFlightOrder]) -> Optional[str]:
        """None when ``orders`` may be cancelled by market, else why not (``FALLBACK_REASONS``)."""
        if not self.enabled:
            return "disabled"
        group = {order.client_order_id for order in orders}
        if len(group) < 2:
            return "single_order"
        ours = [order for order in self._tracker.active_orders.values()
                if order.trading_pair == trading_pair and not order.is_done]
        if any(order.current_state is OrderState.PENDING_CREATE for order in ours):
            return "placement_in_flight"
        if group != {order.client_order_id for order in ours}:
            return "not_all_orders"
        if self.foreign.count(trading_pair):
            return "foreign_orders"
        return None

    async def _resolve_one(self, order: InFlightOrder, future: "asyncio.Future[bool]") -> None:
        await _settle(future, self._cancel_one(order))

    async def _send_market(self, trading_pair: str, queued: List[_Queued]) -> None:
        self.market_requests += 1
        try:
            result = await self._cancel_market(trading_pair)
        except asyncio.CancelledError:
            for _, future in queued:
                future.cancel()
            raise
        except Exception as e:
            for order, future in queued:
                safe_ensure_future(_settle(future, self._cancel_error_outcome(order, e)))
            return
        if result.foreign:
            self.foreign_orders_cancelled += result.foreign
            self.enabled = False
            self._logger().warning(
                f"Cancel by market of {trading_pair} also cancelled {result.foreign} open order(s) of another bot or "
                "person on this API key; cancel by market is off for the rest of this run (set "
                "backpack_cancel_by_market only for a bot alone on its key).")
        for order, future in queued:
            if result.accepted or order.client_order_id in result.updated:
                self.market_cancelled_orders += 1
                if not future.done():
                    future.set_result(True)
            else:  # not in the answer: it may have filled; the per-id cancel's "not found" path resolves it
                self.fallbacks["missing_from_answer"] += 1
                safe_ensure_future(self._resolve_one(order, future))

    def note_order_event(self, data: Mapping[str, Any]) -> None:
        """An ``account.orderUpdate`` (§8.5) of an order that is not ours: open or gone on its market."""
        if not self.configured or data.get("i") is None:
            return
        symbol = data.get("s")
        trading_pair = self._pair_of(symbol) or str(symbol)
        is_open = data.get("e") not in FINAL_EVENTS and data.get("X") not in FINAL_STATUSES
        self.foreign.note(trading_pair, str(data["i"]), is_open)

    def note_open_orders(self, rows: List[Any]) -> None:
        """A complete open-orders list (§5.10): its rows that match no tracked order replace the foreign orders."""
        if not self.configured:
            return
        foreign: List[Tuple[str, str]] = []
        for row in rows:
            if not isinstance(row, dict) or row.get("id") is None or row.get("status") in FINAL_STATUSES:
                continue
            symbol = row.get("symbol")
            trading_pair = self._pair_of(symbol) or str(symbol)
            if self._tracker.find_order(row.get("clientId"), row.get("id"), trading_pair=trading_pair,
                                        side=row.get("side")) is None:
                foreign.append((trading_pair, str(row["id"])))
        self.foreign.replace(foreign)

    def snapshot(self) -> Dict[str, Any]:
        """The mode's counters for ``metrics_snapshot``."""
        return {"configured": self.configured, "enabled": self.enabled, "requests": self.market_requests,
                "orders_cancelled": self.market_cancelled_orders, "fallbacks": dict(self.fallbacks),
                "foreign_orders_cancelled": self.foreign_orders_cancelled}


async def _settle(future: "asyncio.Future[bool]", outcome: Awaitable[bool]) -> None:
    try:
        result = await outcome
    except asyncio.CancelledError:
        future.cancel()
        raise
    except Exception as e:
        if not future.done():
            future.set_exception(e)
        return
    if not future.done():
        future.set_result(result)
