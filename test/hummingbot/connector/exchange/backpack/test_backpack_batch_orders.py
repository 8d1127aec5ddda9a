"""``BackpackBatchOrders`` alone (fake tracking, payloads and signed POST), then ``batch_order_create`` through the
exchange (aioresponses)."""
import asyncio
import json
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import Any, Dict, List, Optional, Tuple

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_batch_orders import BackpackBatchOrders
from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError, BackpackPostOnlyRejectedError
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.market_order import MarketOrder
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, url, wait_for

PAIR = "SOL-USDC"


class FakeLogger:
    def __init__(self):
        self.records: List[Tuple[str, str]] = []

    def network(self, message: str, *args, **kwargs) -> None:
        self.records.append(("network", message))

    def warning(self, message: str, *args, **kwargs) -> None:
        self.records.append(("warning", message))

    def error(self, message: str, *args, **kwargs) -> None:
        self.records.append(("error", message))


def limit(is_buy: bool = True, price: str = "141.004", quantity: str = "1.006", pair: str = PAIR) -> LimitOrder:
    return LimitOrder("", pair, is_buy, "SOL", "USDC", Decimal(price), Decimal(quantity))


class BatchOrdersAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.next_id = 100
        self.rules = {PAIR: TradingRule(trading_pair=PAIR, min_order_size=Decimal("0.01"),
                                        min_price_increment=Decimal("0.01"), min_base_amount_increment=Decimal("0.01"))}
        self.tracked: Dict[str, InFlightOrder] = {}
        self.failed: List[Tuple[str, Exception]] = []
        self.posts: List[List[Dict[str, Any]]] = []
        self.answers: list = []
        self.unknown: List[Tuple[str, Exception]] = []
        self.applied: List[Tuple[str, Any]] = []
        self.bad_payload: set = set()
        self.log = FakeLogger()
        self.batch = BackpackBatchOrders(
            new_client_order_id=self._new_id, trading_rule=self.rules.get,
            quantize_amount=lambda pair, amount: amount.quantize(Decimal("0.01")),
            quantize_price=lambda pair, price: price.quantize(Decimal("0.01")),
            start_tracking=self._start_tracking, fetch_tracked_order=self.tracked.get,
            fail_order=lambda client_order_id, pair, exception=None: self.failed.append((client_order_id, exception)),
            order_payload=self._payload, private_post=self._post,
            start_unknown_outcome=lambda order, error: self.unknown.append((order.client_order_id, error)),
            apply_order_answer=self._apply, logger=lambda: self.log)

    def _new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def _start_tracking(self, order_id: str, exchange_order_id: Optional[str], trading_pair: str,
                        trade_type: TradeType, price: Optional[Decimal], amount: Decimal, order_type: OrderType):
        self.tracked[order_id] = InFlightOrder(
            client_order_id=order_id, trading_pair=trading_pair, order_type=order_type, trade_type=trade_type,
            amount=amount, creation_timestamp=1.0, price=price, exchange_order_id=exchange_order_id)

    async def _payload(self, client_order_id, trading_pair, amount, trade_type, order_type, price) -> Dict[str, Any]:
        if client_order_id in self.bad_payload:
            raise ValueError("no symbol")
        return {"clientId": int(client_order_id), "quantity": str(amount), "price": str(price)}

    async def _post(self, path: str, body: List[Dict[str, Any]]) -> Any:
        self.assertEqual(CONSTANTS.ORDERS_PATH_URL, path)
        self.posts.append(body)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _apply(self, order: InFlightOrder, element: Any) -> None:
        if element.get("id") == "boom":
            raise KeyError("id")
        self.applied.append((order.client_order_id, element))

    async def test_submit_assigns_ids_and_sends_in_the_background(self):
        self.answers = [[{"operation": "Ok", "id": "1"}, {"operation": "Ok", "id": "2"}]]
        created = self.batch.submit([limit(), limit(is_buy=False)])
        self.assertEqual(["101", "102"], [order.client_order_id for order in created])
        self.assertEqual([], self.posts)  # nothing sent before the loop runs
        await wait_for(lambda: len(self.applied) == 2)
        self.assertEqual([101, 102], [element["clientId"] for element in self.posts[0]])

    async def test_track_quantizes_and_fails_without_a_rule_or_below_the_minimum(self):
        order = self.batch.track(limit().copy_with_id("1"))
        self.assertEqual((Decimal("1.01"), Decimal("141.00")), (order.amount, order.price))
        market = self.batch.track(MarketOrder("2", PAIR, False, "SOL", "USDC", 1.0, 0.0))
        self.assertEqual((OrderType.MARKET, TradeType.SELL, None), (market.order_type, market.trade_type,
                                                                    market.price))
        self.assertIsNone(self.batch.track(limit(pair="ETH-USDC").copy_with_id("3")))
        self.assertIsNone(self.batch.track(limit(quantity="0.001").copy_with_id("4")))
        self.assertEqual({"1", "2", "3", "4"}, set(self.tracked))  # tracked first, so the failure is an event
        self.assertEqual(["3", "4"], [client_order_id for client_order_id, _ in self.failed])
        self.assertIn("No trading rule for ETH-USDC", str(self.failed[0][1]))
        self.assertIn("lower than minimum order size", str(self.failed[1][1]))

    async def test_chunks_of_max_size_and_a_failed_payload_fails_only_its_order(self):
        self.batch.max_size = 2
        self.bad_payload = {"2"}
        self.answers = [[{"operation": "Ok", "id": "a"}, {"operation": "Ok", "id": "b"}], [{"operation": "Ok"}]]
        await self.batch.execute([limit().copy_with_id(str(i)) for i in range(1, 6)])
        self.assertEqual([[1, 3], [4, 5]], [[element["clientId"] for element in body] for body in self.posts])
        self.assertEqual(["2"], [client_order_id for client_order_id, _ in self.failed])
        self.assertEqual(["1", "3", "4"], [client_order_id for client_order_id, _ in self.applied])
        self.assertEqual(["5"], [client_order_id for client_order_id, _ in self.unknown])  # no element for it

    async def test_a_failed_request_fails_the_chunk_unless_its_outcome_is_unknown(self):
        orders = [self.batch.track(limit().copy_with_id(str(i))) for i in (1, 2)]
        chunk = [(order, {}) for order in orders]
        self.answers = [BackpackAPIError(400, "INSUFFICIENT_FUNDS", "no"), BackpackAPIError(503, "", "down"),
                        asyncio.TimeoutError()]
        await self.batch.send_chunk(chunk)
        self.assertEqual(["1", "2"], [client_order_id for client_order_id, _ in self.failed])
        self.assertEqual(2, sum(level == "network" for level, _ in self.log.records))
        await self.batch.send_chunk(chunk)
        await self.batch.send_chunk(chunk)
        self.assertEqual(["1", "2", "1", "2"], [client_order_id for client_order_id, _ in self.unknown])
        self.assertEqual(2, len(self.failed))

    async def test_an_unreadable_element_is_logged_and_the_others_applied(self):
        orders = [self.batch.track(limit().copy_with_id(str(i))) for i in (1, 2)]
        self.answers = [[{"operation": "Ok", "id": "boom"}, {"operation": "Ok", "id": "2"}]]
        await self.batch.send_chunk([(order, {}) for order in orders])
        self.assertEqual(["2"], [client_order_id for client_order_id, _ in self.applied])
        self.assertTrue(any(level == "error" and "Unexpected batch answer for order 1" in message
                            for level, message in self.log.records))
        self.answers = [{"not": "a list"}]
        await self.batch.send_chunk([(orders[0], {})])
        self.assertEqual(["1"], [client_order_id for client_order_id, _ in self.unknown])

    async def test_err_elements_fail_their_order_with_the_api_error(self):
        order = self.batch.track(limit().copy_with_id("1"))
        self.batch.apply_element(order, {"operation": "Err", "code": CONSTANTS.ERROR_INVALID_ORDER,
                                         "message": f"Order would immediately match and take. "
                                                    f"{CONSTANTS.POST_ONLY_REJECT_FRAGMENT}"})
        self.batch.apply_element(order, {"operation": "Err", "code": "INSUFFICIENT_FUNDS", "message": "Insufficient"})
        self.batch.apply_element(order, {"operation": "Err"})
        errors = [error for _, error in self.failed]
        self.assertIsInstance(errors[0], BackpackPostOnlyRejectedError)
        self.assertEqual(("INSUFFICIENT_FUNDS", "Insufficient"), (errors[1].code, errors[1].message))
        self.assertNotIsInstance(errors[1], BackpackPostOnlyRejectedError)
        self.assertEqual("", errors[2].code)
        self.assertEqual([], self.applied)


class BatchCreateThroughExchangeTests(ExchangeTestCase):
    async def test_ok_and_err_elements(self):
        orders = [LimitOrder("", self.pair, True, "SOL", "USDC", Decimal("141"), Decimal("12")),
                  LimitOrder("", self.pair, False, "SOL", "USDC", Decimal("150"), Decimal("11"))]
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                {"operation": "Ok", "id": "111051090663277569", "status": "New", "symbol": "SOL_USDC"},
                {"operation": "Err", "code": "INSUFFICIENT_FUNDS", "message": "Insufficient funds"}]))
            created = self.exchange.batch_order_create(orders)
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1
                           and len(self.ev(MarketEvent.BuyOrderCreated)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
            body = json.loads(list(mock_api.requests.values())[0][0].kwargs["data"])
        self.assertEqual(2, len(created))
        self.assertTrue(all(o.client_order_id.isdigit() for o in created))
        self.assertEqual([int(o.client_order_id) for o in created], [element["clientId"] for element in body])
        self.assertEqual(["Bid", "Ask"], [element["side"] for element in body])
        first = self.exchange.in_flight_orders[created[0].client_order_id]
        self.assertEqual("111051090663277569", first.exchange_order_id)
        self.assertEqual(created[1].client_order_id, failures[0].order_id)
        self.assertIn("INSUFFICIENT_FUNDS", failures[0].error_message)

    async def test_chunks_of_batch_size(self):
        self.exchange._batch_orders.max_size = 2
        orders = [LimitOrder("", self.pair, True, "SOL", "USDC", Decimal("141"), Decimal("1")) for _ in range(3)]
        with aioresponses() as mock_api:
            ok = [{"operation": "Ok", "id": str(i), "status": "New"} for i in (1, 2, 3)]
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps(ok[:2]))
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps(ok[2:]))
            self.exchange.batch_order_create(orders)
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 3)
            sizes = [len(json.loads(call.kwargs["data"])) for calls in mock_api.requests.values() for call in calls]
        self.assertEqual([2, 1], sizes)

    async def test_orders_of_an_unticked_connector_get_a_wall_clock_creation_time(self):
        """hummingbot-api places orders before any clock ticks the connector: never a NaN creation time."""
        self.exchange._set_current_timestamp(float("nan"))
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL),
                          body=json.dumps([{"operation": "Ok", "id": "1", "status": "New"}]))
            created = self.exchange.batch_order_create([limit(price="141", quantity="1")])
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 1)
        self.assertGreater(self.exchange.in_flight_orders[created[0].client_order_id].creation_timestamp, 0)
