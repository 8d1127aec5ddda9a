"""``BackpackOrderBatcher``: placements that arrive together go out as one ``POST /api/v1/orders`` (§5.6).

A strategy calls ``buy()``/``sell()`` several times in one tick; each starts its own placement task in the same loop
turns. The batcher queues each order body and sends the queue a loop iteration later (or after ``window_s``): one
order alone goes to ``POST /api/v1/order`` (§5.5), several to the batch endpoint in chunks of ``max_size``. Every
caller gets the answer or the error the single-order endpoint would have given it.
"""
import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, cast

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_batch_orders import (
    BackpackBatchElementMissingError,
    BackpackBatchOrders,
    element_error,
)
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError, BackpackPostOnlyRejectedError
from hummingbot.connector.exchange.backpack.backpack_types import BatchOrderResult, Order
from hummingbot.core.utils.async_utils import safe_ensure_future

_Queued = Tuple[Dict[str, Any], "asyncio.Future[Order]"]


def post_only_error(error: BackpackAPIError) -> BackpackAPIError:
    """``error`` as ``BackpackPostOnlyRejectedError`` when it is a post-only crossing (§5.5), else unchanged."""
    if error.is_post_only_rejection and not isinstance(error, BackpackPostOnlyRejectedError):
        return BackpackPostOnlyRejectedError(error.status, error.code, error.message, error.method, error.path)
    return error


class BackpackOrderBatcher:
    """Owns the queue of placements waiting for the next send.

    :param post_one: async ``body → order object`` of ``POST /api/v1/order`` (errors as ``BackpackRestClient.call``).
    :param post_batch: async ``body list → JSON`` of ``POST /api/v1/orders``: one request, one throttler slot.
    :param enabled: ``False``: every placement goes to ``post_one`` at once (``backpack_batch_placements``).
    :param window_s: how long (s) the first queued placement waits for others; 0: the next loop iteration only.
    :param max_size: orders per batch request (``BackpackBatchOrders.MAX_SIZE``, §5.6).
    """

    def __init__(self,
                 post_one: Callable[[Dict[str, Any]], Awaitable[Order]],
                 post_batch: Callable[[List[Dict[str, Any]]], Awaitable[Any]],
                 enabled: bool = True,
                 window_s: float = 0.0,
                 max_size: int = BackpackBatchOrders.MAX_SIZE):
        self._post_one = post_one
        self._post_batch = post_batch
        self.enabled = enabled
        self.window_s = window_s
        self.max_size = max_size
        self._queue: List[_Queued] = []
        self._flush_handle: Optional[asyncio.Handle] = None
        #: Requests sent: single-order, batch; orders sent in batches.
        self.single_requests = 0
        self.batch_requests = 0
        self.batched_orders = 0

    async def place(self, body: Dict[str, Any]) -> Order:
        """The order object of ``body`` after matching (§5.5, §5.13).

        :raises BackpackPostOnlyRejectedError: a post-only order that would take liquidity.
        :raises BackpackBatchElementMissingError: the batch answer had no element for it (unknown outcome, §6.3).
        :raises BackpackAPIError: the order's rejection (``Err`` element) or the failed request's error; transport
            errors as the REST client raises them (``is_unknown_outcome`` tells whether it may have been placed).
        """
        if not self.enabled:
            return await self._send_one(body)
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Order]" = loop.create_future()
        self._queue.append((body, future))
        if self._flush_handle is None:
            if self.window_s > 0:
                self._flush_handle = loop.call_later(self.window_s, self._flush)
            else:
                self._flush_handle = loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_handle = None
        queued = [(body, future) for body, future in self._queue if not future.done()]  # done: caller cancelled
        self._queue = []
        size = max(1, int(self.max_size))
        for start in range(0, len(queued), size):
            chunk = queued[start:start + size]
            if len(chunk) == 1:
                safe_ensure_future(self._resolve_one(*chunk[0]))
            else:
                safe_ensure_future(self._send_batch(chunk))

    async def _send_one(self, body: Dict[str, Any]) -> Order:
        self.single_requests += 1
        try:
            return await self._post_one(body)
        except BackpackAPIError as e:
            raise post_only_error(e) from None

    async def _resolve_one(self, body: Dict[str, Any], future: "asyncio.Future[Order]") -> None:
        try:
            answer = await self._send_one(body)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as e:
            _set_exception(future, e)
            return
        _set_result(future, answer)

    async def _send_batch(self, chunk: List[_Queued]) -> None:
        """One request; a failed request fails every order with its error, else element i answers order i."""
        self.batch_requests += 1
        self.batched_orders += len(chunk)
        try:
            answer = await self._post_batch([body for body, _ in chunk])
        except asyncio.CancelledError:
            for _, future in chunk:
                future.cancel()
            raise
        except BackpackAPIError as e:
            error = post_only_error(e)
            for _, future in chunk:
                _set_exception(future, error)
            return
        except Exception as e:
            for _, future in chunk:
                _set_exception(future, e)
            return
        elements = answer if isinstance(answer, list) else []
        for index, (_, future) in enumerate(chunk):
            element = elements[index] if index < len(elements) else None
            if element is None:
                _set_exception(future, BackpackBatchElementMissingError(
                    200, "", f"{len(elements)} elements for {len(chunk)} orders", "POST", CONSTANTS.ORDERS_PATH_URL))
            elif isinstance(element, dict) and element.get("operation") == "Err":
                _set_exception(future, element_error(cast(BatchOrderResult, element)))
            else:
                _set_result(future, element)  # an unreadable element: the exchange's unknown-outcome path


def _set_result(future: "asyncio.Future[Order]", answer: Any) -> None:
    if not future.done():
        future.set_result(answer)


def _set_exception(future: "asyncio.Future[Order]", error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
