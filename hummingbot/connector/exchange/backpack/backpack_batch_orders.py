"""``BackpackBatchOrders``: ``batch_order_create`` as ``POST /api/v1/orders`` (§5.6) in chunks, each answer element
applied to its own order."""
import asyncio
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackMalformedAnswerError,
    BackpackPostOnlyRejectedError,
    is_unknown_outcome,
)
from hummingbot.connector.exchange.backpack.backpack_types import BatchOrderResult, Order
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.market_order import MarketOrder
from hummingbot.core.utils.async_utils import safe_ensure_future
from hummingbot.logger import HummingbotLogger

NewOrder = Union[LimitOrder, MarketOrder]
_Ready = Tuple[InFlightOrder, Dict[str, Any]]


def element_error(element: BatchOrderResult) -> BackpackAPIError:
    """The error of an ``Err`` element (§5.6) as the single-order endpoint would raise it: HTTP 400 with its code and
    message; a post-only crossing as ``BackpackPostOnlyRejectedError``."""
    error = BackpackAPIError(400, str(element.get("code") or ""), str(element.get("message") or ""),
                             "POST", CONSTANTS.ORDERS_PATH_URL)
    if error.is_post_only_rejection:
        error = BackpackPostOnlyRejectedError(400, error.code, error.message, "POST", CONSTANTS.ORDERS_PATH_URL)
    return error


class BackpackBatchElementMissingError(BackpackMalformedAnswerError):
    """A 2xx batch answer without an element for this order (§5.6): it may have been placed (unknown outcome)."""

    def _render(self) -> str:
        return (f"Backpack answered {self.method} {self.path} with HTTP {self.status} but without an element for "
                f"this order; its outcome is unknown: {self.message[:100]!r}")


class BackpackBatchOrders:
    """Tracks, sends and resolves batch-created orders.

    :param new_client_order_id: the next client order id (``ClientOrderIdGenerator.new_id``).
    :param trading_rule: the pair's ``TradingRule``, None when not loaded.
    :param quantize_amount: ``(pair, amount) → amount`` on the pair's step; ``quantize_price`` likewise.
    :param start_tracking: ``ExchangePyBase.start_tracking_order`` (keyword arguments).
    :param fetch_tracked_order: the tracked ``InFlightOrder`` of a client order id.
    :param fail_order: ``(client_order_id, pair, exception=)``: the order FAILED (``_update_order_after_failure``).
    :param order_payload: async ``(client_order_id, pair, amount, trade type, order type, price) → body`` (§5.5).
    :param private_post: async ``(path, body list) → JSON`` of a signed POST with ``CONSTANTS.BROKER_HEADERS``.
    :param start_unknown_outcome: ``(order, error)``: reconcile an order of unknown outcome by clientId (§6.3).
    :param apply_order_answer: ``(order, order object)``: apply an accepted element (§5.5).
    """

    #: Max orders per request (UNCONFIRMED §5.6: 20 or 50; the lower is used).
    MAX_SIZE = 20

    def __init__(self,
                 new_client_order_id: Callable[[], str],
                 trading_rule: Callable[[str], Optional[TradingRule]],
                 quantize_amount: Callable[[str, Decimal], Decimal],
                 quantize_price: Callable[[str, Decimal], Decimal],
                 start_tracking: Callable[..., None],
                 fetch_tracked_order: Callable[[str], Optional[InFlightOrder]],
                 fail_order: Callable[..., None],
                 order_payload: Callable[..., Awaitable[Dict[str, Any]]],
                 private_post: Callable[[str, List[Dict[str, Any]]], Awaitable[Any]],
                 start_unknown_outcome: Callable[[InFlightOrder, Exception], None],
                 apply_order_answer: Callable[[InFlightOrder, Order], None],
                 logger: Callable[[], HummingbotLogger]):
        self._new_client_order_id = new_client_order_id
        self._trading_rule = trading_rule
        self._quantize_amount = quantize_amount
        self._quantize_price = quantize_price
        self._start_tracking = start_tracking
        self._fetch_tracked_order = fetch_tracked_order
        self._fail_order = fail_order
        self._order_payload = order_payload
        self._private_post = private_post
        self._start_unknown_outcome = start_unknown_outcome
        self._apply_order_answer = apply_order_answer
        self._logger = logger
        self.max_size = self.MAX_SIZE

    def submit(self, orders: List[NewOrder]) -> List[NewOrder]:
        """Copies of ``orders`` with new client order ids; they are tracked and sent in the background."""
        with_ids = [order.copy_with_id(client_order_id=self._new_client_order_id()) for order in orders]
        safe_ensure_future(self.execute(with_ids))
        return with_ids

    async def execute(self, orders: List[NewOrder]) -> None:
        """Track every order, build the bodies (an order whose body fails is FAILED), send chunks of ``max_size``."""
        ready: List[_Ready] = []
        for order in orders:
            tracked = self.track(order)
            if tracked is None:
                continue
            try:
                body = await self._order_payload(tracked.client_order_id, tracked.trading_pair, tracked.amount,
                                                 tracked.trade_type, tracked.order_type, tracked.price)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._fail_order(tracked.client_order_id, tracked.trading_pair, exception=e)
                continue
            ready.append((tracked, body))
        size = max(1, int(self.max_size))
        for start in range(0, len(ready), size):
            await self.send_chunk(ready[start:start + size])

    def track(self, order: NewOrder) -> Optional[InFlightOrder]:
        """Start tracking ``order`` (amount and price quantized); None, with the order FAILED, without a trading rule
        or below the minimum size."""
        order_type = order.order_type()
        trade_type = TradeType.BUY if order.is_buy else TradeType.SELL
        trading_pair = order.trading_pair
        client_order_id = order.client_order_id
        price = order.price if order_type is not OrderType.MARKET else None
        rule = self._trading_rule(trading_pair)
        amount = Decimal(str(order.quantity))
        if rule is not None:
            amount = self._quantize_amount(trading_pair, amount)
            if price is not None:
                price = self._quantize_price(trading_pair, Decimal(str(price)))
        self._start_tracking(order_id=client_order_id, exchange_order_id=None, trading_pair=trading_pair,
                             trade_type=trade_type, price=price, amount=amount, order_type=order_type)
        if rule is None:
            self._fail_order(client_order_id, trading_pair,
                             exception=ValueError(f"No trading rule for {trading_pair}"))
            return None
        if amount < rule.min_order_size:
            self._fail_order(client_order_id, trading_pair, exception=ValueError(
                f"Order amount {order.quantity} is lower than minimum order size {rule.min_order_size} for the pair "
                f"{trading_pair}. The order will not be created."))
            return None
        return self._fetch_tracked_order(client_order_id)

    async def send_chunk(self, chunk: List[_Ready]) -> None:
        """One request; a failed one fails every order (unknown outcome: reconciled instead), else each element is
        applied to its order (an unreadable element is logged; status polling resolves that order)."""
        try:
            answer = await self._private_post(CONSTANTS.ORDERS_PATH_URL, [body for _, body in chunk])
        except asyncio.CancelledError:
            raise
        except Exception as e:
            for order, _ in chunk:
                if is_unknown_outcome(e):
                    self._start_unknown_outcome(order, e)
                else:
                    self._logger().network(f"Batch order request failed for {order.client_order_id}: {e}")
                    self._fail_order(order.client_order_id, order.trading_pair, exception=e)
            return
        elements = answer if isinstance(answer, list) else []
        for index, (order, _) in enumerate(chunk):
            element = elements[index] if index < len(elements) else None
            try:
                self.apply_element(order, element)
            except Exception as e:
                self._logger().error(f"Unexpected batch answer for order {order.client_order_id}: {element!r} "
                                     f"({e!r}); its state will be resolved by status polling.")

    def apply_element(self, order: InFlightOrder, element: Optional[BatchOrderResult]) -> None:
        """``Ok`` → the order answer; ``Err`` → FAILED (a post-only crossing as ``BackpackPostOnlyRejectedError``);
        missing → unknown outcome."""
        if element is None:
            self._start_unknown_outcome(order, ValueError("no element for this order in the batch answer"))
            return
        if element.get("operation") == "Err":
            error = element_error(element)
            self._logger().warning(f"Batch order {order.client_order_id} rejected: {error.code} {error.message}")
            self._fail_order(order.client_order_id, order.trading_pair, exception=error)
            return
        self._apply_order_answer(order, element)
