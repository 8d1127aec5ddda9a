"""``OrphanSweep`` through the exchange (aioresponses): the first complete open-orders read after start cancels the
orders a previous life left open with our stable instance tag, and nothing else."""
import json
from decimal import Decimal
from typing import Any, Dict, List

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState

from .exchange_test_support import ExchangeTestCase, error_body, url_regex, wait_for

TAG = 5


def cid(tag: int, n: int) -> int:
    return tag << 20 | n


def row(order_id: str, client_id: Any, side: str = "Bid", symbol: str = "SOL_USDC", price: str = "150",
        quantity: str = "1") -> Dict[str, Any]:
    return {"id": order_id, "clientId": client_id, "symbol": symbol, "side": side, "orderType": "Limit",
            "price": price, "quantity": quantity, "executedQuantity": "0", "status": "New",
            "createdAt": 1735689600123}


class SweepTestCase(ExchangeTestCase):
    exchange_kwargs = {"backpack_instance_tag": TAG}

    def setUp(self):
        super().setUp()
        self.cancelled: List[Dict[str, Any]] = []

    def mock_open_orders(self, mock_api: aioresponses, rows: List[Dict[str, Any]], repeat: bool = False) -> None:
        mock_api.get(url_regex(CONSTANTS.ORDERS_PATH_URL), body=json.dumps(rows), repeat=repeat)

    def mock_cancel(self, mock_api: aioresponses, status: int = 200, body: str = "", repeat: bool = True) -> None:
        def callback(url, **kwargs):
            self.cancelled.append(json.loads(kwargs["data"]))
        mock_api.delete(url_regex(CONSTANTS.ORDER_PATH_URL), status=status, callback=callback, repeat=repeat,
                        body=body or json.dumps({"id": "x", "status": "Cancelled"}))

    def cancelled_ids(self) -> List[str]:
        return [body["orderId"] for body in self.cancelled]

    def sweep(self) -> Dict[str, Any]:
        return self.exchange.metrics_snapshot()["orphan_sweep"]


class OrphanSweepTests(SweepTestCase):

    async def test_only_untracked_orders_with_our_tag_are_cancelled_by_order_id(self):
        restored = self.track(client_order_id=str(cid(TAG, 1)), exchange_order_id="111")
        rows = [self.order_json(restored, "New"),          # restored: ours, tracked
                row("222", cid(TAG, 2), side="Ask"),       # left by a previous life
                row("444", cid(TAG, 1)),                    # our tracked clientId, but another order id
                row("333", cid(TAG + 1, 3)),                # another bot's tag
                row("555", None), row("666", "not a number"), row("777", 1 << 40)]
        with aioresponses() as mock_api:
            self.mock_open_orders(mock_api, rows)
            self.mock_cancel(mock_api)
            await self.exchange._update_orders()
        self.assertEqual(["222", "444"], self.cancelled_ids())
        self.assertEqual({"symbol": "SOL_USDC", "orderId": "222"}, self.cancelled[0])
        await wait_for(lambda: restored.current_state is OrderState.OPEN)  # updated from its row, not cancelled
        self.assertTrue(self.logged("WARNING", "left by a previous run"))
        self.assertTrue(self.logged("WARNING", "SOL-USDC Ask 1 @ 150"))
        self.assertEqual(2, sum("left by a previous run" in r.getMessage() for r in self.log_records))
        self.assertEqual({"enabled": True, "done": True, "found": 2, "cancelled": 2, "closed": 0, "given_up": 0,
                          "cancel_errors": 0}, self.sweep())

    async def test_restored_order_without_exchange_id_is_spared(self):
        """A saved order whose placement answer never came has no order id: matched by clientId, symbol, side."""
        self.exchange.start_tracking_order(order_id=str(cid(TAG, 9)), exchange_order_id=None, trading_pair=self.pair,
                                           trade_type=TradeType.SELL, price=Decimal("160"), amount=Decimal("1"),
                                           order_type=OrderType.LIMIT)
        with aioresponses() as mock_api:
            self.mock_open_orders(mock_api, [row("900", cid(TAG, 9), side="Ask", price="160")])
            self.mock_cancel(mock_api)
            await self.exchange._update_orders()
        self.assertEqual([], self.cancelled_ids())
        self.assertEqual(0, self.sweep()["found"])
        self.assertTrue(self.sweep()["done"])

    async def test_the_first_read_runs_with_no_tracked_order_and_only_once_per_start(self):
        with aioresponses() as mock_api:
            self.mock_open_orders(mock_api, [row("222", cid(TAG, 2))])
            self.mock_cancel(mock_api)
            await self.exchange._update_orders()
            self.mock_open_orders(mock_api, [row("223", cid(TAG, 3))], repeat=True)
            await self.exchange._update_orders()  # nothing tracked, sweep done: no request at all
            self.track(client_order_id=str(cid(TAG, 4)), exchange_order_id="224")
            await self.exchange._update_orders()  # the status poll's read: no more sweeping
        self.assertEqual(["222"], self.cancelled_ids())
        self.assertEqual(2, sum(len(calls) for (method, url), calls in mock_api.requests.items()
                                if method == "GET" and url.path == CONSTANTS.ORDERS_PATH_URL))

    async def test_failed_cancel_retries_at_the_next_polls_at_most_n_times(self):
        self.exchange._orphan_sweep.MAX_CANCEL_ATTEMPTS = 2
        with aioresponses() as mock_api:
            self.mock_open_orders(mock_api, [row("222", cid(TAG, 2)), row("223", cid(TAG, 3))], repeat=True)
            self.mock_cancel(mock_api, status=429, body=error_body("TOO_MANY_REQUESTS", "Too many requests"))
            await self.exchange._update_orders()
            self.assertEqual(["222", "223"], self.cancelled_ids())   # one attempt each, no retry loop
            self.assertTrue(self.logged("WARNING", "retrying at the next poll (attempt 1 of 2)"))
            self.exchange._rest.backoff_until = 0.0
            await self.exchange._update_orders()
            self.assertEqual(["222", "223"] * 2, self.cancelled_ids())
            self.exchange._rest.backoff_until = 0.0
            await self.exchange._update_orders()                     # given up: no request
        self.assertEqual(4, len(self.cancelled))
        self.assertTrue(self.logged("WARNING", "gave up after 2 attempts"))
        self.assertEqual({"enabled": True, "done": True, "found": 2, "cancelled": 0, "closed": 0, "given_up": 2,
                          "cancel_errors": 4}, self.sweep())

    async def test_a_retry_skips_an_orphan_no_longer_open_and_not_found_counts_as_closed(self):
        with aioresponses() as mock_api:
            self.mock_open_orders(mock_api, [row("222", cid(TAG, 2)), row("223", cid(TAG, 3))])
            self.mock_cancel(mock_api, status=503, body=error_body("SERVICE_UNAVAILABLE", "down"), repeat=False)
            self.mock_cancel(mock_api, status=404, body=error_body("RESOURCE_NOT_FOUND", "Not Found"), repeat=False)
            await self.exchange._update_orders()
            self.mock_open_orders(mock_api, [])                       # 222 filled meanwhile
            await self.exchange._update_orders()
        self.assertEqual(["222", "223"], self.cancelled_ids())
        self.assertEqual({"enabled": True, "done": True, "found": 2, "cancelled": 0, "closed": 2, "given_up": 0,
                          "cancel_errors": 1}, self.sweep())

    async def test_an_unreadable_list_is_not_a_complete_read(self):
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDERS_PATH_URL), status=500,
                         body=error_body("INTERNAL_ERROR", "boom"))
            await self.exchange._update_orders()
            self.assertFalse(self.sweep()["done"])
            self.mock_open_orders(mock_api, [row("222", cid(TAG, 2))])
            self.mock_cancel(mock_api)
            await self.exchange._update_orders()
        self.assertEqual(["222"], self.cancelled_ids())


class RandomTagTests(SweepTestCase):
    exchange_kwargs: Dict[str, Any] = {}

    async def test_random_tag_sweeps_nothing(self):
        tag = self.exchange._client_order_ids.instance_tag
        with aioresponses() as mock_api:
            await self.exchange._update_orders()  # nothing tracked: no request at all (none is mocked)
            self.track(client_order_id=str(cid(tag, 1)), exchange_order_id="111")
            self.mock_open_orders(mock_api, [row("222", cid(tag, 2))])
            self.mock_cancel(mock_api)
            await self.exchange._update_orders()
        self.assertEqual([], self.cancelled_ids())
        self.assertEqual({"enabled": False, "done": False, "found": 0, "cancelled": 0, "closed": 0, "given_up": 0,
                          "cancel_errors": 0}, self.sweep())
