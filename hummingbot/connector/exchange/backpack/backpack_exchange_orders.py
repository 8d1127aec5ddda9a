"""Order placement of ``BackpackExchange``: single (§5.5) and batch (§5.6) creation and unknown-outcome
reconciliation (§6.3). Cancels live in ``backpack_exchange_cancels``. Mixed into ``BackpackExchange``."""
import asyncio
import itertools
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import aiohttp

from hummingbot.connector.constants import s_decimal_NaN
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackOrderNotFoundError,
    BackpackPostOnlyRejectedError,
)
from hummingbot.connector.exchange.backpack.backpack_order_parsing import build_order_payload, order_update_from_order
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.market_order import MarketOrder
from hummingbot.core.utils.async_utils import safe_ensure_future

#: Transport errors after which an order may or may not have reached the engine (§6.3).
_UNKNOWN_OUTCOME_TRANSPORT_ERRORS = (asyncio.TimeoutError, aiohttp.ServerDisconnectedError,
                                     aiohttp.ServerTimeoutError, aiohttp.ClientPayloadError)
_NewOrder = Union[LimitOrder, MarketOrder]


class BackpackOrderPlacementMixin:
    """Create orders; state (``_unknown_outcome_orders``) is set up by ``BackpackExchange.__init__``."""

    #: Max orders per ``POST /api/v1/orders`` (UNCONFIRMED §5.6: ccxt says 20, a note 50; we use the lower).
    BATCH_ORDER_MAX_SIZE = 20
    #: Waits (s) between the clientId checks of an order whose placement outcome is unknown (§6.3).
    UNKNOWN_OUTCOME_RECHECK_DELAYS_S: Tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)

    # ================================================================================== order placement
    def buy(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
            price: Decimal = s_decimal_NaN, **kwargs) -> str:
        """Place a buy order; returns its client order id (decimal text of a uint32 ``clientId``). kwargs may carry
        ``time_in_force`` (``"GTC"|"IOC"|"FOK"``)."""
        return self._submit_order(TradeType.BUY, trading_pair, amount, order_type, price, **kwargs)

    def sell(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
             price: Decimal = s_decimal_NaN, **kwargs) -> str:
        """Place a sell order; see ``buy``."""
        return self._submit_order(TradeType.SELL, trading_pair, amount, order_type, price, **kwargs)

    def _submit_order(self, trade_type: TradeType, trading_pair: str, amount: Decimal, order_type: OrderType,
                      price: Decimal, **kwargs) -> str:
        order_id = self._new_client_order_id()
        safe_ensure_future(self._create_order(trade_type=trade_type, order_id=order_id, trading_pair=trading_pair,
                                              amount=amount, order_type=order_type, price=price, **kwargs))
        return order_id

    async def _order_payload(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                             order_type: OrderType, price: Optional[Decimal], **kwargs) -> Dict[str, Any]:
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        return build_order_payload(symbol=symbol, trade_type=trade_type, order_type=order_type, amount=amount,
                                   price=price, client_id=int(order_id), time_in_force=kwargs.get("time_in_force"))

    async def _post_order(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """``POST /api/v1/order`` (§5.5). A post-only crossing rejection becomes ``BackpackPostOnlyRejectedError``."""
        try:
            return await self._api_post(path_url=CONSTANTS.ORDER_PATH_URL, data=body, is_auth_required=True)
        except BackpackAPIError as e:
            if e.is_post_only_rejection:
                raise BackpackPostOnlyRejectedError(e.status, e.code, e.message, e.method, e.path) from None
            raise

    async def _place_order(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                           order_type: OrderType, price: Decimal, **kwargs) -> Tuple[str, float]:
        """Send one order; returns ``(exchange order id, update timestamp s)``."""
        body = await self._order_payload(order_id, trading_pair, amount, trade_type, order_type, price, **kwargs)
        answer = await self._post_order(body)
        return str(answer["id"]), self.current_timestamp

    async def _place_order_and_process_update(self, order: InFlightOrder, **kwargs) -> str:
        """Send the order and apply the engine's answer (which may already be PartiallyFilled/Filled, or an
        Expired post-only → FAILED). An unknown outcome (§6.3) keeps the order and starts reconciliation."""
        body = await self._order_payload(order.client_order_id, order.trading_pair, order.amount, order.trade_type,
                                         order.order_type, order.price, **kwargs)
        try:
            answer = await self._post_order(body)
        except Exception as e:
            if _is_unknown_outcome(e):
                self._on_unknown_outcome(order, e)
                return ""
            raise
        try:
            self._apply_order_answer(order, answer)
        except (KeyError, ValueError, TypeError) as e:  # accepted (2xx), but the answer is unreadable: reconcile
            self._on_unknown_outcome(order, ValueError(f"unreadable answer {str(answer)[:200]!r}: {e}"))
            return ""
        return str(answer["id"])

    def _apply_order_answer(self, order: InFlightOrder, answer: Mapping[str, Any]) -> None:
        """Apply a placement answer (§5.5/§5.13). An order that matched on arrival reports ``executedQuantity``; its
        fills come on the private stream — if they do not (lost events), they are fetched over REST."""
        update = order_update_from_order(answer, order.client_order_id, order.trading_pair, self.current_timestamp)
        if update.new_state is OrderState.FAILED and update.misc_updates:
            self.logger().warning(f"Order {order.client_order_id} failed: {update.misc_updates['error_message']}")
        self._process_order_update_keeping_progress(order, update)
        self._note_executed_quantity(order, answer.get("executedQuantity"))

    def _process_order_update_keeping_progress(self, order: InFlightOrder, update: OrderUpdate) -> None:
        """Apply ``update`` without moving an order back to OPEN from PARTIALLY_FILLED or PENDING_CANCEL (a REST
        answer can be older than a WS fill or a 202 cancel)."""
        if update.new_state is OrderState.OPEN and order.current_state in (OrderState.PARTIALLY_FILLED,
                                                                         OrderState.PENDING_CANCEL):
            update = update._replace(new_state=order.current_state)
        if order.exchange_order_id is None and update.exchange_order_id:
            # At once: Hummingbot applies a FILLED update only after waiting for its fills, and fetching fills
            # that the stream lost needs the exchange order id (found by `make chaos`).
            order.update_exchange_order_id(update.exchange_order_id)
        self._order_tracker.process_order_update(update)

    def _on_order_failure(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                          order_type: OrderType, price: Optional[Decimal], exception: Exception, **kwargs):
        if isinstance(exception, BackpackPostOnlyRejectedError):
            self.logger().warning(f"{order_type.name} {trade_type.name} order {order_id} for {amount} {trading_pair} "
                                  f"at {price} rejected: {exception}.")
            self._update_order_after_failure(order_id=order_id, trading_pair=trading_pair, exception=exception)
            return
        super()._on_order_failure(order_id=order_id, trading_pair=trading_pair, amount=amount, trade_type=trade_type,
                                  order_type=order_type, price=price, exception=exception, **kwargs)

    # ---------------------------------------------------------------------------------- unknown outcome
    def _on_unknown_outcome(self, order: InFlightOrder, error: BaseException) -> None:
        self._rest_counters.unknown_outcome_orders += 1
        self.logger().warning(f"Order {order.client_order_id} ({order.trade_type.name} {order.amount} "
                              f"{order.trading_pair}): placement outcome unknown ({error!r}). The order is kept and "
                              "will be resolved by clientId.")
        if order.client_order_id not in self._unknown_outcome_orders:
            self._unknown_outcome_orders[order.client_order_id] = safe_ensure_future(
                self._reconcile_unknown_outcome(order))

    async def _reconcile_unknown_outcome(self, order: InFlightOrder) -> None:
        """Query the order by clientId after each of ``UNKNOWN_OUTCOME_RECHECK_DELAYS_S``, then every last delay:
        open → OPEN, in the history → its state; not found → the tracker's not-found counter (past its limit the
        order becomes FAILED and a lost order, which keeps being checked). Stops as soon as something (WS or polling)
        resolved it. Checks that fail (429, 5xx, timeouts) do not count; the checks go on until one answers (they
        once stopped after five, leaving an order PENDING_CREATE until a status poll minutes later: ``make chaos``)."""
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
                    await self._order_tracker.process_order_not_found(client_order_id)
                    continue
                except Exception as e:
                    self.logger().debug(f"Unknown-outcome check of {client_order_id} failed: {e!r}")
                    continue
                self._process_order_update_keeping_progress(order, update)
                return
        finally:
            self._unknown_outcome_orders.pop(client_order_id, None)

    # ---------------------------------------------------------------------------------- batch create
    def batch_order_create(self, orders_to_create: List[_NewOrder]) -> List[_NewOrder]:
        """Create several orders with ``POST /api/v1/orders`` (§5.6) in chunks of ``BATCH_ORDER_MAX_SIZE``.

        :param orders_to_create: ``LimitOrder``/``MarketOrder`` objects (ids may be blank).
        :returns: the same orders with their client order ids; they are tracked at once, sent in the background;
            each answer element ``"Ok"`` → OPEN (or its state), ``"Err"`` → that order FAILED with the code/message.
        """
        with_ids = [order.copy_with_id(client_order_id=self._new_client_order_id()) for order in orders_to_create]
        safe_ensure_future(self._execute_batch_order_create(with_ids))
        return with_ids

    async def _execute_batch_order_create(self, orders: List[Union[LimitOrder, MarketOrder]]) -> None:
        ready: List[Tuple[InFlightOrder, Dict[str, Any]]] = []
        for order in orders:
            tracked = self._track_batch_order(order)
            if tracked is None:
                continue
            try:
                body = await self._order_payload(tracked.client_order_id, tracked.trading_pair, tracked.amount,
                                                 tracked.trade_type, tracked.order_type, tracked.price)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._update_order_after_failure(tracked.client_order_id, tracked.trading_pair, exception=e)
                continue
            ready.append((tracked, body))
        size = max(1, int(self.BATCH_ORDER_MAX_SIZE))
        for start in range(0, len(ready), size):
            await self._send_batch_chunk(ready[start:start + size])

    def _track_batch_order(self, order: Union[LimitOrder, MarketOrder]) -> Optional[InFlightOrder]:
        order_type = order.order_type()
        trade_type = TradeType.BUY if order.is_buy else TradeType.SELL
        trading_pair = order.trading_pair
        client_order_id = order.client_order_id
        price = order.price if order_type is not OrderType.MARKET else None
        rule = self._trading_rules.get(trading_pair)
        amount = Decimal(str(order.quantity))
        if rule is not None:
            amount = self.quantize_order_amount(trading_pair, amount)
            if price is not None:
                price = self.quantize_order_price(trading_pair, Decimal(str(price)))
        self.start_tracking_order(order_id=client_order_id, exchange_order_id=None, trading_pair=trading_pair,
                                  trade_type=trade_type, price=price, amount=amount, order_type=order_type)
        if rule is None:
            self._update_order_after_failure(client_order_id, trading_pair,
                                             exception=ValueError(f"No trading rule for {trading_pair}"))
            return None
        if amount < rule.min_order_size:
            self._update_order_after_failure(client_order_id, trading_pair, exception=ValueError(
                f"Order amount {order.quantity} is lower than minimum order size {rule.min_order_size} for the pair "
                f"{trading_pair}. The order will not be created."))
            return None
        return self._order_tracker.fetch_tracked_order(client_order_id)

    async def _send_batch_chunk(self, chunk: List[Tuple[InFlightOrder, Dict[str, Any]]]) -> None:
        try:
            answer = await self._api_post(path_url=CONSTANTS.ORDERS_PATH_URL, data=[body for _, body in chunk],
                                          is_auth_required=True)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            for order, _ in chunk:
                if _is_unknown_outcome(e):
                    self._on_unknown_outcome(order, e)
                else:
                    self.logger().network(f"Batch order request failed for {order.client_order_id}: {e}")
                    self._update_order_after_failure(order.client_order_id, order.trading_pair, exception=e)
            return
        elements = answer if isinstance(answer, list) else []
        for index, (order, _) in enumerate(chunk):
            element = elements[index] if index < len(elements) else None
            try:
                self._apply_batch_element(order, element)
            except Exception as e:
                self.logger().error(f"Unexpected batch answer for order {order.client_order_id}: {element!r} ({e!r});"
                                    " its state will be resolved by status polling.")

    def _apply_batch_element(self, order: InFlightOrder, element: Optional[Mapping[str, Any]]) -> None:
        if element is None:
            self._on_unknown_outcome(order, ValueError("no element for this order in the batch answer"))
            return
        if element.get("operation") == "Err":
            error = BackpackAPIError(400, str(element.get("code") or ""), str(element.get("message") or ""),
                                     "POST", CONSTANTS.ORDERS_PATH_URL)
            if error.is_post_only_rejection:
                error = BackpackPostOnlyRejectedError(400, error.code, error.message, "POST", CONSTANTS.ORDERS_PATH_URL)
            self.logger().warning(f"Batch order {order.client_order_id} rejected: {error.code} {error.message}")
            self._update_order_after_failure(order.client_order_id, order.trading_pair, exception=error)
            return
        self._apply_order_answer(order, element)


def _order_reference(order: InFlightOrder) -> Dict[str, Any]:
    """``{"clientId": int}`` when the client order id is a uint32 decimal (ours always are), else
    ``{"orderId": ...}`` (orders restored from another connector's ids). Backpack takes exactly one (§5.7)."""
    client_order_id = order.client_order_id
    if client_order_id.isdigit() and int(client_order_id) <= CONSTANTS.MAX_CLIENT_ID:
        return {"clientId": int(client_order_id)}
    if order.exchange_order_id:
        return {"orderId": order.exchange_order_id}
    raise ValueError(f"order {client_order_id} has neither a uint32 clientId nor an exchange order id")


def _is_unknown_outcome(error: BaseException) -> bool:
    if isinstance(error, BackpackAPIError):
        return error.is_unknown_outcome
    return isinstance(error, _UNKNOWN_OUTCOME_TRANSPORT_ERRORS)

