"""Exchange side of the private stream (§8.4–§8.5): every order event type, fills de-duplicated across WS and REST,
fill before acceptance, unknown orders, malformed messages and balance events."""
import asyncio
import json
from decimal import Decimal
from unittest.mock import AsyncMock

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, official_vectors, url_regex, wait_for


class OrderEventTests(ExchangeTestCase):
    async def test_sdk_vectors_without_client_id_match_by_order_id(self):
        expected = {"triggerPlaced": OrderState.OPEN, "orderAccepted": OrderState.OPEN,
                    "orderCancelled": OrderState.CANCELED}
        for index, event in enumerate(official_vectors("test_order_update")):
            self.assertNotIn("c", event)
            order = self.track(client_order_id=str(index + 1), exchange_order_id=None,
                               order_type=OrderType.MARKET if event["o"] == "MARKET" else OrderType.LIMIT,
                               trade_type=TradeType.SELL)
            order.update_exchange_order_id(event["i"])
            self.exchange._process_user_stream_message(self.ws(event))
            await wait_for(lambda: order.current_state is expected[event["e"]])
        self.assertEqual(1, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_each_event_type(self):
        cases = [
            ("orderAccepted", "New", {}, OrderState.OPEN),
            ("triggerPlaced", "TriggerPending", {}, OrderState.OPEN),
            ("orderModified", "New", {"q": "0.5"}, OrderState.OPEN),
            ("orderCancelled", "Cancelled", {}, OrderState.CANCELED),
            ("orderExpired", "Expired", {"R": "ImmediateOrCancel", "f": "IOC"}, OrderState.CANCELED),
            ("orderExpired", "Expired", {"R": "PostOnlyTaker", "y": True}, OrderState.FAILED),
            ("triggerFailed", "TriggerFailed", {}, OrderState.FAILED),
        ]
        for index, (event_type, status, extra, state) in enumerate(cases):
            order = self.track(client_order_id=str(1000 + index), exchange_order_id=f"x{index}")
            if state is not OrderState.OPEN:  # final states need an order that was open
                self.exchange._process_user_stream_message(self.order_event(order, "orderAccepted", "New"))
                await wait_for(lambda: order.current_state is OrderState.OPEN)
            self.exchange._process_user_stream_message(self.order_event(order, event_type, status, **extra))
            await wait_for(lambda: order.current_state is state)
        failures = self.ev(MarketEvent.OrderFailure)
        self.assertIn("post-only order would have taken liquidity", failures[0].error_message)
        self.assertTrue(self.logged("WARNING", "post-only order would have taken liquidity"))

    async def test_partial_then_full_fill(self):
        order = self.track(amount="1", price="150")
        self.exchange._process_user_stream_message(self.fill_event(order, 1, "0.4", "150", "PartiallyFilled",
                                                                   fee="0.06", fee_asset="USDC"))
        await wait_for(lambda: order.current_state is OrderState.PARTIALLY_FILLED)
        self.exchange._process_user_stream_message(self.fill_event(order, 2, "0.6", "149.5", "Filled"))
        await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
        fills = self.ev(MarketEvent.OrderFilled)
        self.assertEqual([Decimal("0.4"), Decimal("0.6")], [f.amount for f in fills])
        self.assertEqual(Decimal("0.06"), fills[0].trade_fee.flat_fees[0].amount)
        self.assertEqual("USDC", fills[0].trade_fee.flat_fees[0].token)
        self.assertEqual(["1", "2"], [f.exchange_trade_id for f in fills])
        self.assertAlmostEqual(1754939110.174705, order.order_fills["1"].fill_timestamp, places=5)

    async def test_fill_seen_on_ws_and_rest_is_counted_once(self):
        order = self.track(client_order_id="42", exchange_order_id="4238907375", amount="1", price="150")
        self.exchange._process_user_stream_message(self.fill_event(order, 9748827, "0.5", "150", "PartiallyFilled"))
        await wait_for(lambda: len(self.ev(MarketEvent.OrderFilled)) == 1)
        rest_fill = {"tradeId": 9748827, "orderId": "4238907375", "clientId": "42", "symbol": self.symbol,
                     "side": "Bid", "price": "150", "quantity": "0.5", "fee": "0.01", "feeSymbol": "USDC",
                     "isMaker": True, "timestamp": "2025-08-11T19:05:10.174"}
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps([rest_fill]))
            await self.exchange._update_orders_fills([order])
        self.assertEqual(Decimal("0.5"), order.executed_amount_base)
        self.assertEqual(1, len(self.ev(MarketEvent.OrderFilled)))

    async def test_fill_before_acceptance_is_not_lost(self):
        order = self.track(client_order_id="77", exchange_order_id=None, amount="1", price="150")
        self.assertTrue(order.is_pending_create)
        self.exchange._process_user_stream_message(self.fill_event(order, 5, "0.3", "150", "PartiallyFilled",
                                                                   exchange_order_id="e77"))
        await wait_for(lambda: order.current_state is OrderState.PARTIALLY_FILLED)
        self.assertEqual("e77", order.exchange_order_id)
        self.assertEqual(Decimal("0.3"), order.executed_amount_base)
        self.assertEqual(1, len(self.ev(MarketEvent.BuyOrderCreated)))
        # the placement answer ("New", older than the fill) arrives afterwards: no step back to OPEN
        self.exchange._apply_order_answer(order, {"id": "e77", "status": "New"})
        self.exchange._process_user_stream_message(self.order_event(order, "orderAccepted", "New"))
        await asyncio.sleep(0)
        await wait_for(lambda: self.exchange._user_event_counters["processed"] == 2)
        self.assertEqual(OrderState.PARTIALLY_FILLED, order.current_state)

    async def test_events_of_unknown_orders_are_ignored(self):
        mine = self.track(client_order_id="42", exchange_order_id="mine")
        foreign = {"e": "orderFill", "E": 1, "s": self.symbol, "c": 42, "S": "Bid", "o": "LIMIT", "f": "GTC",
                   "X": "Filled", "i": "someone-else", "t": 1, "l": "1", "L": "1", "m": False, "n": "0", "N": "USDC",
                   "T": 1}
        unknown = dict(foreign, c=999, i="other")
        no_client_id = {k: v for k, v in unknown.items() if k != "c"}
        for event in (foreign, unknown, no_client_id):
            self.exchange._process_user_stream_message(self.ws(event))
        self.assertEqual(3, self.exchange._user_event_counters["unknown_order"])
        self.assertEqual(Decimal("0"), mine.executed_amount_base)
        self.assertFalse(any(r.levelname == "ERROR" for r in self.log_records))

    async def test_malformed_messages_are_logged_and_the_loop_goes_on(self):
        order = self.track(client_order_id="42", exchange_order_id="e42")
        queue = AsyncMock()
        queue.get.side_effect = [
            "garbage",
            {"stream": CONSTANTS.ORDER_UPDATE_STREAM, "data": {"e": "orderAccepted"}},          # no i/X
            {"stream": CONSTANTS.ORDER_UPDATE_STREAM, "data": dict(self.order_event(order, "orderAccepted", "New")[
                "data"], X="Weird")},
            {"stream": "account.somethingNew", "data": {}},
            self.order_event(order, "orderAccepted", "New"),
            asyncio.CancelledError,
        ]
        self.exchange._user_stream_tracker._user_stream = queue
        with self.assertRaises(asyncio.CancelledError):
            await self.exchange._user_stream_event_listener()
        await wait_for(lambda: order.current_state is OrderState.OPEN)
        counters = self.exchange.metrics_snapshot()["user_stream_events"]
        self.assertEqual(3, counters["malformed"])
        self.assertEqual(1, counters["ignored"])
        self.assertEqual(3, sum(1 for r in self.log_records
                                if r.getMessage() == "Unexpected error in user stream listener loop."))


class BalanceEventTests(ExchangeTestCase):
    def balance_event(self, asset, available, locked="0", staked="0", event_time_us=1754939110175879):
        return self.ws({"e": "balanceUpdate", "E": event_time_us, "a": asset, "A": available, "L": locked,
                        "S": staked}, stream=CONSTANTS.BALANCE_UPDATE_STREAM)

    def test_absolute_values_applied_with_lent_funds(self):
        self.exchange._balance_state.lent = {"USDC": Decimal("100")}
        self.exchange._process_user_stream_message(self.balance_event("USDC", "50", "25", "5"))
        self.assertEqual(Decimal("50"), self.exchange.available_balances["USDC"])
        self.assertEqual(Decimal("180"), self.exchange.get_balance("USDC"))
        self.assertTrue(self.exchange.real_time_balance_update)

    def test_event_older_than_rest_snapshot_ignored(self):
        self.exchange._balance_state.requested_at_s = 1754939200.0
        self.exchange._account_available_balances["SOL"] = Decimal("7")
        self.exchange._process_user_stream_message(self.balance_event("SOL", "1", event_time_us=1754939110175879))
        self.assertEqual(Decimal("7"), self.exchange.available_balances["SOL"])

    async def test_missing_balance_stream_detected(self):
        order = self.track(amount="1")
        self.exchange._balance_state.BALANCE_STREAM_GRACE_S = 0.0
        self.exchange._process_user_stream_message(self.fill_event(order, 1, "0.5", "150", "PartiallyFilled"))
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.BALANCE_PATH_URL), body="{}")
            mock_api.get(url_regex(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body="[]")
            await self.exchange._update_balances()
        self.assertFalse(self.exchange.real_time_balance_update)
        self.assertTrue(self.logged("WARNING", "balance stream looks unavailable"))
        self.exchange._process_user_stream_message(self.balance_event("SOL", "1"))
        self.assertTrue(self.exchange.real_time_balance_update)
