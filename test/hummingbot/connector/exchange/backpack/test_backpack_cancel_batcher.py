"""``BackpackCancelBatcher`` through the exchange (aioresponses): with ``backpack_cancel_by_market`` on, cancels of
all our orders of a market in one loop turn go out as one ``DELETE /api/v1/orders`` (§5.8), and only then."""
import asyncio
import json
from typing import Any, Dict, List, Optional

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import API_KEY, API_SECRET, ExchangeTestCase, error_body, url, wait_for

FOREIGN_ROW = {"id": "f1", "clientId": 77, "symbol": "SOL_USDC", "side": "Ask", "status": "New"}


class CancelByMarketTests(ExchangeTestCase):
    def setUp(self):
        super().setUp()
        self.exchange._cancel_batcher.configured = self.exchange._cancel_batcher.enabled = True

    def open_orders(self, n: int, pair: Optional[str] = None) -> List[InFlightOrder]:
        orders = [self.track(str(100 + i), f"a{100 + i}", pair=pair) for i in range(n)]
        for order in orders:
            order.current_state = OrderState.OPEN
        return orders

    async def cancel_together(self, orders: List[InFlightOrder]) -> List[Any]:
        return await asyncio.gather(*(self.exchange._execute_cancel(o.trading_pair, o.client_order_id)
                                      for o in orders))

    def requests(self, mock_api) -> Dict[str, List[Any]]:
        out: Dict[str, List[Any]] = {}
        for (method, request_url), calls in mock_api.requests.items():
            for call in calls:
                out.setdefault(f"{method} {request_url}", []).append(json.loads(call.kwargs["data"]))
        return out

    def per_id_answers(self, mock_api, orders: List[InFlightOrder]) -> None:
        by_id = {o.exchange_order_id: o for o in orders}

        def route(_url, **kwargs):
            from aioresponses import CallbackResult
            order = by_id[json.loads(kwargs["data"])["orderId"]]
            return CallbackResult(body=json.dumps(self.order_json(order, "Cancelled")))
        mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), callback=route, repeat=True)

    async def test_cancels_of_one_turn_are_one_cancel_by_market_each_caller_getting_its_outcome(self):
        orders = self.open_orders(3)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL),
                            body=json.dumps([self.order_json(o, "Cancelled") for o in orders]))
            results = await self.cancel_together(orders)
            sent = self.requests(mock_api)
        self.assertEqual([o.client_order_id for o in orders], results)
        self.assertEqual({f"DELETE {url(CONSTANTS.ORDERS_PATH_URL)}": [{"symbol": "SOL_USDC"}]}, sent)
        await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 3)
        snapshot = self.exchange.metrics_snapshot()["cancel_by_market"]
        self.assertEqual((1, 3, 0), (snapshot["requests"], snapshot["orders_cancelled"],
                                     snapshot["foreign_orders_cancelled"]))

    async def test_setting_off_by_default_cancels_each_order_by_id(self):
        exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                    trading_pairs=[self.pair])
        self.assertFalse(exchange._cancel_batcher.enabled)
        self.exchange._cancel_batcher.configured = self.exchange._cancel_batcher.enabled = False
        orders = self.open_orders(2)
        sent = await self.assert_per_id(orders, None, orders)
        self.assertEqual(2, len(sent[f"DELETE {url(CONSTANTS.ORDER_PATH_URL)}"]))
        self.assertEqual(0, sum(self.exchange._cancel_batcher.fallbacks.values()))

    async def assert_per_id(self, to_cancel: List[InFlightOrder], reason: Optional[str],
                            answered: List[InFlightOrder]) -> Dict[str, List[Any]]:
        with aioresponses() as mock_api:
            self.per_id_answers(mock_api, answered)
            results = await self.cancel_together(to_cancel)
            sent = self.requests(mock_api)
        self.assertEqual([o.client_order_id for o in to_cancel], results)
        self.assertEqual([f"DELETE {url(CONSTANTS.ORDER_PATH_URL)}"], list(sent))
        if reason is not None:
            self.assertEqual(len(to_cancel), self.exchange._cancel_batcher.fallbacks[reason])
        return sent

    async def test_a_lone_cancel_goes_by_id(self):
        orders = self.open_orders(2)
        await self.assert_per_id(orders[:1], "single_order", orders)

    async def test_cancels_of_some_of_our_orders_of_the_market_go_by_id(self):
        orders = self.open_orders(3)
        await self.assert_per_id(orders[:2], "not_all_orders", orders)

    async def test_other_markets_orders_do_not_block_and_groups_are_per_market(self):
        sol, eth = self.open_orders(2), [self.track("200", "b200", pair="ETH-USDC")]
        eth[0].current_state = OrderState.OPEN
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL),
                            body=json.dumps([self.order_json(o, "Cancelled") for o in sol]))
            self.per_id_answers(mock_api, eth)
            results = await self.cancel_together(sol + eth)
            sent = self.requests(mock_api)
        self.assertEqual([o.client_order_id for o in sol + eth], results)
        self.assertEqual([{"symbol": "SOL_USDC"}], sent[f"DELETE {url(CONSTANTS.ORDERS_PATH_URL)}"])
        self.assertEqual(1, len(sent[f"DELETE {url(CONSTANTS.ORDER_PATH_URL)}"]))

    async def test_an_unanswered_placement_of_the_market_blocks_the_group(self):
        orders = self.open_orders(2)
        pending = self.track("300", None)  # PENDING_CREATE, no answer yet
        self.assertEqual("placement_in_flight", self.exchange._cancel_batcher.fallback_reason(
            self.pair, orders + [pending]))
        await self.assert_per_id(orders, "placement_in_flight", orders)
        more = self.open_orders(2)
        self.assertEqual("placement_in_flight", self.exchange._cancel_batcher.fallback_reason(self.pair, more))
        pending.current_state = OrderState.OPEN  # answered
        self.assertIsNone(self.exchange._cancel_batcher.fallback_reason(self.pair, more + [pending]))

    async def test_a_foreign_order_on_the_private_stream_blocks_until_it_is_gone(self):
        orders = self.open_orders(2)
        foreign = {"e": "orderAccepted", "E": 1754939110175879, "s": "SOL_USDC", "c": 77, "S": "Ask", "o": "LIMIT",
                   "f": "GTC", "q": "1", "p": "160", "X": "New", "i": "f1", "z": "0", "T": 1754939110174705}
        self.exchange._process_user_stream_message(self.ws(foreign))
        await self.assert_per_id(orders, "foreign_orders", orders)
        more = self.open_orders(2)
        self.exchange._process_user_stream_message(self.ws(dict(foreign, e="orderCancelled", X="Cancelled")))
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL),
                            body=json.dumps([self.order_json(o, "Cancelled") for o in more]))
            await self.cancel_together(more)
            self.assertIn(f"DELETE {url(CONSTANTS.ORDERS_PATH_URL)}", self.requests(mock_api))

    async def test_a_foreign_order_in_the_open_orders_poll_blocks_and_the_next_poll_replaces_it(self):
        orders = self.open_orders(2)
        rows = [self.order_json(o, "New") for o in orders]
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ORDERS_PATH_URL) + "?marketType=SPOT", body=json.dumps(rows + [FOREIGN_ROW]))
            await self.exchange._update_orders()
        self.assertEqual(1, self.exchange._cancel_batcher.foreign.count(self.pair))
        await self.assert_per_id(orders, "foreign_orders", orders)
        more = self.open_orders(2)
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ORDERS_PATH_URL) + "?marketType=SPOT",
                         body=json.dumps([self.order_json(o, "New") for o in more]))
            await self.exchange._update_orders()
        self.assertEqual(0, self.exchange._cancel_batcher.foreign.count(self.pair))

    async def test_an_order_missing_from_the_answer_falls_back_to_its_cancel_by_id(self):
        orders = self.open_orders(2)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([self.order_json(orders[0], "Cancelled")]))
            self.per_id_answers(mock_api, orders)
            results = await self.cancel_together(orders)
            sent = self.requests(mock_api)
        self.assertEqual([o.client_order_id for o in orders], results)
        self.assertEqual([{"symbol": "SOL_USDC", "orderId": orders[1].exchange_order_id}],
                         [{k: v for k, v in b.items() if k in ("symbol", "orderId")}
                          for b in sent[f"DELETE {url(CONSTANTS.ORDER_PATH_URL)}"]])
        self.assertEqual(1, self.exchange._cancel_batcher.fallbacks["missing_from_answer"])
        await wait_for(lambda: all(o.is_cancelled for o in orders))

    async def test_202_puts_the_group_pending_cancel(self):
        orders = self.open_orders(2)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), status=202, body="")
            results = await self.cancel_together(orders)
        self.assertEqual([o.client_order_id for o in orders], results)
        self.assertTrue(all(o.current_state is OrderState.PENDING_CANCEL for o in orders))
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_429_retries_the_cancel_by_market_as_a_cancel_by_id_is_retried(self):
        orders = self.open_orders(2)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), status=429,
                            body=error_body("TOO_MANY_REQUESTS", "Too many requests"))
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL),
                            body=json.dumps([self.order_json(o, "Cancelled") for o in orders]))
            results = await self.cancel_together(orders)
            sent = self.requests(mock_api)
        self.assertEqual([o.client_order_id for o in orders], results)
        self.assertEqual({f"DELETE {url(CONSTANTS.ORDERS_PATH_URL)}": [{"symbol": "SOL_USDC"}] * 2}, sent)
        self.assertEqual(1, self.exchange._rest.counters.cancel_retries_after_429)
        await wait_for(lambda: all(o.is_cancelled for o in orders))

    async def test_other_errors_fail_each_cancel_as_by_id(self):
        orders = self.open_orders(2)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), status=400, body=error_body("INVALID_CLIENT_REQUEST", "x"))
            results = await self.cancel_together(orders)
        self.assertEqual([None, None], results)
        self.assertTrue(all(o.current_state is OrderState.OPEN for o in orders))
        for order in orders:
            self.assertTrue(self.logged("ERROR", f"Failed to cancel order {order.client_order_id}"))

    async def test_a_foreign_order_in_the_answer_turns_the_mode_off(self):
        orders = self.open_orders(2)
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps(
                [self.order_json(o, "Cancelled") for o in orders] + [dict(FOREIGN_ROW, status="Cancelled")]))
            results = await self.cancel_together(orders)
        self.assertEqual([o.client_order_id for o in orders], results)
        self.assertTrue(self.logged("WARNING", "also cancelled 1 open order(s)"))
        snapshot = self.exchange.metrics_snapshot()["cancel_by_market"]
        self.assertEqual((False, 1), (snapshot["enabled"], snapshot["foreign_orders_cancelled"]))
        more = self.open_orders(2)
        with aioresponses() as mock_api:
            self.per_id_answers(mock_api, more)
            await self.cancel_together(more)
            self.assertEqual([f"DELETE {url(CONSTANTS.ORDER_PATH_URL)}"], list(self.requests(mock_api)))
