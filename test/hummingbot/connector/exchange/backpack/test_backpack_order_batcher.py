"""``BackpackOrderBatcher`` alone (fake POSTs), then ``buy()``/``sell()`` through the exchange (aioresponses): orders
placed in one loop turn go out as one ``POST /api/v1/orders`` and each caller gets its own outcome."""
import asyncio
import json
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import Any, Dict, List

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_batch_orders import BackpackBatchElementMissingError
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackPostOnlyRejectedError,
    BackpackRateLimitError,
)
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.connector.exchange.backpack.backpack_order_batcher import BackpackOrderBatcher
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import API_KEY, API_SECRET, ExchangeTestCase, error_body, url, wait_for

POST_ONLY_MESSAGE = "Order would immediately match and take."


def ok(i: int) -> Dict[str, Any]:
    return {"operation": "Ok", "id": str(i), "clientId": i, "status": "New", "symbol": "SOL_USDC"}


class BatcherAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.singles: List[Dict[str, Any]] = []
        self.batches: List[List[Dict[str, Any]]] = []
        self.batch_answer: Any = None
        self.batch_error: Any = None
        self.batcher = BackpackOrderBatcher(post_one=self._post_one, post_batch=self._post_batch)

    async def _post_one(self, body: Dict[str, Any]) -> Dict[str, Any]:
        self.singles.append(body)
        return {"id": str(body["clientId"]), "status": "New"}

    async def _post_batch(self, bodies: List[Dict[str, Any]]) -> Any:
        self.batches.append(bodies)
        if self.batch_error is not None:
            raise self.batch_error
        return self.batch_answer if self.batch_answer is not None else [ok(b["clientId"]) for b in bodies]

    async def place_together(self, n: int) -> List[Any]:
        return await asyncio.gather(*(self.batcher.place({"clientId": i}) for i in range(n)),
                                    return_exceptions=True)

    async def test_a_lone_placement_goes_to_the_single_order_endpoint(self):
        answer = await self.batcher.place({"clientId": 7})
        self.assertEqual("7", answer["id"])
        self.assertEqual(([{"clientId": 7}], []), (self.singles, self.batches))

    async def test_placements_of_one_loop_turn_are_one_request_each_getting_its_element(self):
        answers = await self.place_together(3)
        self.assertEqual([[{"clientId": 0}, {"clientId": 1}, {"clientId": 2}]], self.batches)
        self.assertEqual(["0", "1", "2"], [a["id"] for a in answers])
        self.assertEqual([], self.singles)
        self.assertEqual((1, 3), (self.batcher.batch_requests, self.batcher.batched_orders))

    async def test_queue_split_in_chunks_of_max_size_and_a_lone_remainder_goes_single(self):
        self.batcher.max_size = 2
        answers = await self.place_together(5)
        self.assertEqual([2, 2], [len(b) for b in self.batches])
        self.assertEqual([{"clientId": 4}], self.singles)
        self.assertEqual(["0", "1", "2", "3", "4"], [a["id"] for a in answers])

    async def test_err_element_fails_only_its_order(self):
        self.batch_answer = [ok(0), {"operation": "Err", "code": "INSUFFICIENT_FUNDS", "message": "Insufficient"},
                             {"operation": "Err", "code": "INVALID_ORDER", "message": POST_ONLY_MESSAGE}]
        first, second, third = await self.place_together(3)
        self.assertEqual("0", first["id"])
        self.assertIsInstance(second, BackpackAPIError)
        self.assertEqual((400, "INSUFFICIENT_FUNDS"), (second.status, second.code))
        self.assertFalse(second.is_unknown_outcome)
        self.assertIsInstance(third, BackpackPostOnlyRejectedError)

    async def test_missing_element_is_an_unknown_outcome_for_that_order_only(self):
        self.batch_answer = [ok(0)]
        first, second = await self.place_together(2)
        self.assertEqual("0", first["id"])
        self.assertIsInstance(second, BackpackBatchElementMissingError)
        self.assertTrue(second.is_unknown_outcome)

    async def test_failed_request_gives_every_order_its_error(self):
        self.batch_error = BackpackRateLimitError(429, "TOO_MANY_REQUESTS", "", "POST", CONSTANTS.ORDERS_PATH_URL)
        answers = await self.place_together(3)
        self.assertEqual(1, len(self.batches))
        self.assertTrue(all(a is self.batch_error for a in answers))
        self.batch_error = asyncio.TimeoutError()
        self.assertTrue(all(isinstance(a, asyncio.TimeoutError) for a in await self.place_together(2)))

    async def test_caller_cancelled_before_the_send_is_left_out(self):
        tasks = [asyncio.ensure_future(self.batcher.place({"clientId": i})) for i in range(3)]
        await asyncio.sleep(0)  # the three are queued
        tasks[1].cancel()
        answers = await asyncio.gather(*tasks, return_exceptions=True)
        self.assertEqual([[{"clientId": 0}, {"clientId": 2}]], self.batches)
        self.assertIsInstance(answers[1], asyncio.CancelledError)

    async def test_window_collects_placements_of_later_loop_turns(self):
        self.batcher.window_s = 0.05
        first = asyncio.ensure_future(self.batcher.place({"clientId": 0}))
        for _ in range(3):
            await asyncio.sleep(0)
        second = asyncio.ensure_future(self.batcher.place({"clientId": 1}))
        await asyncio.gather(first, second)
        self.assertEqual([[{"clientId": 0}, {"clientId": 1}]], self.batches)

    async def test_disabled_sends_each_placement_alone(self):
        self.batcher.enabled = False
        await self.place_together(3)
        self.assertEqual(([], 3), (self.batches, len(self.singles)))


class BatchedPlacementThroughExchangeTests(ExchangeTestCase):
    def buy_three(self) -> List[str]:
        return [self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal(str(140 + i))) for i in range(3)]

    def posted(self, mock_api) -> Dict[str, List[Any]]:
        out: Dict[str, List[Any]] = {}
        for (method, request_url), calls in mock_api.requests.items():
            for call in calls:
                out.setdefault(str(request_url), []).append(json.loads(call.kwargs["data"]))
        return out

    async def test_buys_of_one_turn_are_one_batch_request_and_one_throttler_slot(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), callback=lambda u, **kw: _echo_ok(kw["data"]))
            ids = self.buy_three()
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 3)
            posted = self.posted(mock_api)
        self.assertEqual([url(CONSTANTS.ORDERS_PATH_URL)], list(posted))
        self.assertEqual([[int(i) for i in ids]], [[b["clientId"] for b in batch]
                                                   for batch in posted[url(CONSTANTS.ORDERS_PATH_URL)]])
        self.assertEqual({i: "e" + i for i in ids},
                         {i: self.exchange.in_flight_orders[i].exchange_order_id for i in ids})
        place_slots = [log for log in self.exchange._throttler._task_logs
                       if log.rate_limit.limit_id == CONSTANTS.ORDER_PLACE_LIMIT_ID]
        self.assertEqual(1, len(place_slots))

    async def test_a_lone_buy_uses_the_single_order_endpoint(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "e1", "status": "New"}))
            self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("140"))
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 1)
            self.assertEqual([url(CONSTANTS.ORDER_PATH_URL)], list(self.posted(mock_api)))

    async def test_partial_rejection_fails_only_the_rejected_order(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                {"operation": "Ok", "id": "e0", "status": "New"},
                {"operation": "Err", "code": "INVALID_ORDER", "message": POST_ONLY_MESSAGE},
                {"operation": "Ok", "id": "e2", "status": "New"}]))
            ids = self.buy_three()
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 2
                           and len(self.ev(MarketEvent.OrderFailure)) == 1)
        self.assertEqual(ids[1], self.ev(MarketEvent.OrderFailure)[0].order_id)
        self.assertEqual({ids[0], ids[2]}, set(self.exchange.in_flight_orders))
        self.assertTrue(self.logged("WARNING", "rejected"))

    async def test_429_on_the_batch_fails_every_order_of_it(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), status=429, body=error_body("TOO_MANY_REQUESTS", ""))
            self.buy_three()
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 3)
        self.assertEqual({}, self.exchange.in_flight_orders)
        self.assertGreater(self.exchange._rest.backoff_remaining_s(), 0)

    async def test_unknown_outcome_of_the_batch_keeps_every_order_for_reconciliation(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), status=503, body=error_body("SERVICE_UNAVAILABLE", ""))
            ids = self.buy_three()
            await wait_for(lambda: all(self.exchange._unknown_outcomes.is_pending(i) for i in ids))
        self.assertEqual([], self.ev(MarketEvent.OrderFailure))
        self.assertTrue(all(self.exchange.in_flight_orders[i].current_state is OrderState.PENDING_CREATE
                            for i in ids))

    async def test_missing_element_keeps_that_order_for_reconciliation(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                {"operation": "Ok", "id": "e0", "status": "New"}, {"operation": "Ok", "id": "e1", "status": "New"}]))
            ids = self.buy_three()
            await wait_for(lambda: self.exchange._unknown_outcomes.is_pending(ids[2])
                           and len(self.ev(MarketEvent.BuyOrderCreated)) == 2)
        self.assertEqual([], self.ev(MarketEvent.OrderFailure))

    async def test_setting_off_places_each_order_alone(self):
        exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                    trading_pairs=[self.pair], backpack_batch_placements=False)
        self.assertFalse(exchange._order_batcher.enabled)
        self.assertTrue(self.exchange._order_batcher.enabled)


def _echo_ok(data: str):
    from aioresponses import CallbackResult
    return CallbackResult(body=json.dumps([{"operation": "Ok", "id": f"e{b['clientId']}", "status": "New"}
                                           for b in json.loads(data)]))
