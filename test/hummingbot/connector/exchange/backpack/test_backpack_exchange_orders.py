"""BackpackExchange REST behaviours beyond the conformance harness: construction, rules, fees, balances, orders,
cancels (202), batch create/cancel, status after close, HTTP 429/451/503 and fills polling (aioresponses only)."""
import asyncio
import json
from decimal import Decimal
from unittest.mock import patch

from aioresponses import aioresponses

from hummingbot.connector.backpack_common.signing import BackpackKeyError
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackCredentialsMissingError,
    BackpackOrderNotFoundError,
    BackpackRateLimitError,
    BackpackRegionBlockedError,
)
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import (
    API_KEY,
    API_SECRET,
    ExchangeTestCase,
    error_body,
    official_vectors,
    url,
    url_regex,
    wait_for,
)

MARKETS = [
    {"symbol": "SOL_USDC", "baseSymbol": "SOL", "quoteSymbol": "USDC", "marketType": "SPOT", "visible": True,
     "orderBookState": "Open", "filters": {"price": {"minPrice": "0.01", "tickSize": "0.01"},
                                           "quantity": {"minQuantity": "0.01", "stepSize": "0.01"}}},
    {"symbol": "SOL_USDC_PERP", "baseSymbol": "SOL", "quoteSymbol": "USDC", "marketType": "PERP", "visible": True,
     "orderBookState": "Open", "filters": {"price": {"tickSize": "0.01"},
                                           "quantity": {"minQuantity": "0.01", "stepSize": "0.01"}}},
    {"symbol": "HID_USDC", "baseSymbol": "HID", "quoteSymbol": "USDC", "marketType": "SPOT", "visible": False,
     "orderBookState": "Open", "filters": {"price": {"tickSize": "0.01"},
                                           "quantity": {"minQuantity": "0.01", "stepSize": "0.01"}}},
    {"symbol": "BAD_USDC", "baseSymbol": "BAD", "quoteSymbol": "USDC", "marketType": "SPOT", "visible": True,
     "orderBookState": "Open", "filters": {"price": {"tickSize": "abc"}, "quantity": {}}},
    *official_vectors("test_market_order_book_state_and_visible_parse"),   # Closed, invisible
    *official_vectors("test_market_rwa_market_type_parse"),                # PostOnly, invisible
]


class ConstructionTests(ExchangeTestCase):
    def test_bad_key_fails_at_construction_without_leaking_the_secret(self):
        secret = "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg="   # valid base64 seed, not matching the key
        with self.assertRaises(BackpackKeyError) as ctx:
            BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=secret, trading_pairs=[])
        self.assertNotIn(secret, str(ctx.exception))
        with self.assertRaises(BackpackKeyError) as ctx:
            BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret="not-a-key!!", trading_pairs=[])
        self.assertNotIn("not-a-key!!", str(ctx.exception))

    def test_secret_not_kept_on_the_instance(self):
        self.assertNotIn(API_SECRET, repr(vars(self.exchange)))

    async def test_empty_keys_build_a_public_instance(self):
        exchange = BackpackExchange(backpack_api_key="", backpack_api_secret="", trading_pairs=[],
                                    trading_required=False)
        self.assertIsNone(exchange.authenticator)
        self.assertFalse(exchange.real_time_balance_update)
        with self.assertRaises(BackpackCredentialsMissingError) as ctx:
            await exchange._update_balances()
        self.assertIn("without an API key and secret", str(ctx.exception))

    async def test_all_pairs_prices_for_the_rate_source(self):
        exchange = BackpackExchange(backpack_api_key="", backpack_api_secret="", trading_pairs=[],
                                    trading_required=False)
        tickers = [{"symbol": "SOL_USDC", "lastPrice": "142.35"}, {"symbol": "SOL_USDC_PERP", "lastPrice": "142.3"}]
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.MARKETS_PATH_URL), body=json.dumps(MARKETS))
            mock_api.get(url(CONSTANTS.TICKERS_PATH_URL), body=json.dumps(tickers))
            prices = await exchange.get_all_pairs_prices()
        self.assertEqual([{"symbol": "SOL_USDC", "lastPrice": "142.35"}], prices)
        # Hummingbot's BackpackRateSource calls this without await: the result must be usable both ways.
        self.assertEqual("SOL-USDC", exchange.trading_pair_associated_to_exchange_symbol("SOL_USDC"))
        self.assertEqual("SOL-USDC", await exchange.trading_pair_associated_to_exchange_symbol("SOL_USDC"))

    def test_sandbox_domain_name(self):
        exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, domain="sandbox")
        self.assertEqual("backpack_sandbox", exchange.name)


class RulesAndFeesTests(ExchangeTestCase):
    async def test_rules_and_symbols_only_for_open_visible_spot_markets(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.MARKETS_PATH_URL), body=json.dumps(MARKETS))
            await self.exchange._update_trading_rules()
        self.assertEqual(["SOL-USDC"], list(self.exchange.trading_rules))
        symbol_map = await self.exchange.trading_pair_symbol_map()
        self.assertEqual({"SOL_USDC": "SOL-USDC", "BAD_USDC": "BAD-USDC"}, dict(symbol_map))
        self.assertTrue(self.logged("ERROR", "Error parsing the trading rule of Backpack market BAD_USDC"))

    async def test_fees_from_account_in_bps(self):
        self.assertEqual(CONSTANTS.TRADING_FEES_REFRESH_INTERVAL_S, self.exchange.TRADING_FEES_INTERVAL)
        fee = self.exchange.get_fee("SOL", "USDC", OrderType.LIMIT_MAKER, TradeType.BUY, Decimal(1), Decimal(1))
        self.assertEqual(Decimal("0.0008"), fee.percent)  # DEFAULT_FEES until the first answer
        account = {"autoLend": False, "spotMakerFee": "-2", "spotTakerFee": "9.5", "futuresMakerFee": "2",
                   "futuresTakerFee": "5"}
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(account))
            await self.exchange._update_trading_fees()
        maker = self.exchange.get_fee("SOL", "USDC", OrderType.LIMIT_MAKER, TradeType.SELL, Decimal(1), Decimal(1))
        taker = self.exchange.get_fee("SOL", "USDC", OrderType.LIMIT, TradeType.SELL, Decimal(1), Decimal(1))
        explicit_maker = self.exchange.get_fee("SOL", "USDC", OrderType.LIMIT, TradeType.SELL, Decimal(1), Decimal(1),
                                               is_maker=True)
        self.assertEqual(Decimal("-0.0002"), maker.percent)
        self.assertEqual(Decimal("0.00095"), taker.percent)
        self.assertEqual(Decimal("-0.0002"), explicit_maker.percent)


class BalanceTests(ExchangeTestCase):
    async def test_lent_funds_in_total_not_available_and_gone_assets_removed(self):
        capital = {"SOL": {"available": "10.5", "locked": "2", "staked": "1"},
                   "USDC": {"available": "100", "locked": "0", "staked": "0"}}
        positions = [{"id": "1", "symbol": "USDC", "netQuantity": "950"}, {"id": "2", "symbol": "SOL",
                                                                           "netQuantity": "-1"}]
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(capital))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(positions))
            await self.exchange._update_balances()
            self.assertEqual(Decimal("13.5"), self.exchange.get_balance("SOL"))
            self.assertEqual(Decimal("10.5"), self.exchange.available_balances["SOL"])
            self.assertEqual(Decimal("1050"), self.exchange.get_balance("USDC"))
            self.assertEqual(Decimal("100"), self.exchange.available_balances["USDC"])

            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps({"SOL": capital["SOL"]}))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), status=500)
            await self.exchange._update_balances()
        # USDC left /capital but is still lent (last known lend amounts kept when the positions query fails)
        self.assertEqual(Decimal("950"), self.exchange.get_balance("USDC"))
        self.assertEqual(Decimal("0"), self.exchange.available_balances["USDC"])
        self.assertTrue(self.logged("WARNING", "Could not read Backpack lend positions"))

    async def test_asset_removed_when_it_disappears(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL),
                         body=json.dumps({"ETH": {"available": "1", "locked": "0", "staked": "0"}}))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body="[]")
            await self.exchange._update_balances()
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body="{}")
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body="[]")
            await self.exchange._update_balances()
        self.assertNotIn("ETH", self.exchange.get_all_balances())


class PlacementTests(ExchangeTestCase):
    def test_client_order_ids_are_unique_uint32_decimals(self):
        ids = {self.exchange._new_client_order_id() for _ in range(2000)}
        self.assertEqual(2000, len(ids))
        for client_id in ids:
            self.assertTrue(client_id.isdigit())
            self.assertTrue(1 <= int(client_id) <= 0xFFFFFFFF)

    def test_client_order_id_skips_tracked_ids(self):
        self.track(client_order_id="5")
        with patch("hummingbot.connector.exchange.backpack.backpack_client_order_ids.secrets.randbelow", side_effect=[4, 4, 8]):
            self.assertEqual("9", self.exchange._new_client_order_id())

    async def test_limit_maker_buy_sends_post_only_and_time_in_force(self):
        with aioresponses() as mock_api:
            sent = asyncio.Event()
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), callback=lambda *a, **k: sent.set(),
                          body=json.dumps({"id": "77", "status": "New"}))
            order_id = self.exchange.buy(self.pair, Decimal("1.234"), OrderType.LIMIT, Decimal("150.019"),
                                         time_in_force="IOC")
            await asyncio.wait_for(sent.wait(), 10)
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].exchange_order_id == "77")
            body = json.loads(list(mock_api.requests.values())[0][0].kwargs["data"])
        self.assertEqual({"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "150.01",
                          "quantity": "1.23", "timeInForce": "IOC", "clientId": int(order_id)}, body)

    async def test_post_only_rejection_fails_the_order_clearly(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=400,
                          body=error_body("INVALID_ORDER", "Order would immediately match and take liquidity"))
            order_id = self.exchange.sell(self.pair, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("150"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
        self.assertEqual(order_id, failures[0].order_id)
        self.assertIn("post-only order would have taken liquidity", failures[0].error_message)
        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertTrue(self.logged("WARNING", "post-only order would have taken liquidity"))

    async def test_answer_already_filled_is_applied(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "78", "status": "PartiallyFilled"}))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].current_state is OrderState.PARTIALLY_FILLED)

    async def test_accepted_post_only_expired_by_engine_fails(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL),
                          body=json.dumps({"id": "79", "status": "Expired", "expiryReason": "PostOnlyTaker"}))
            self.exchange.sell(self.pair, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("150"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
        self.assertIn("post-only", failures[0].error_message)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))


class UnknownOutcomeTests(ExchangeTestCase):
    def setUp(self):
        super().setUp()
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0,) * 6

    async def test_503_keeps_the_order_and_the_clientid_query_finds_it_open(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=503,
                          body=error_body("SERVICE_UNAVAILABLE", "Unknown error, please check your request"))
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "555", "status": "New"}))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: order_id in self.exchange.in_flight_orders
                           and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
            status_query = [calls for (method, u), calls in mock_api.requests.items() if method == "GET"][0][0]
        order = self.exchange.in_flight_orders[order_id]
        self.assertEqual("555", order.exchange_order_id)
        self.assertEqual(order_id, status_query.kwargs["params"]["clientId"])
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
        self.assertEqual(1, self.exchange.metrics_snapshot()["rest"]["unknown_outcome_orders"])

    async def test_unknown_outcome_not_found_anywhere_fails_after_the_usual_retries(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), exception=asyncio.TimeoutError())
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404,
                         body=error_body("RESOURCE_NOT_FOUND", "Not Found"), repeat=True)
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]", repeat=True)
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: len(self.ev(MarketEvent.OrderFailure)) == 1)
            failures = self.ev(MarketEvent.OrderFailure)
        self.assertEqual(order_id, failures[0].order_id)
        self.assertIn(order_id, self.exchange._order_tracker.lost_orders)  # keeps being checked as a lost order

    async def test_unknown_outcome_found_filled_in_history(self):
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=500, body="")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404,
                         body=error_body("RESOURCE_NOT_FOUND", "Not Found"))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            row = {"id": "556", "clientId": int(order_id), "status": "Filled", "createdAt": "2025-07-27T18:05:40.897"}
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL),
                         body=json.dumps([{"id": "1", "clientId": 1, "status": "Cancelled"}, row]))
            self.exchange._order_tracker.TRADE_FILLS_WAIT_TIMEOUT = 0.1
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCompleted)) == 1)
            completed = self.ev(MarketEvent.BuyOrderCompleted)
            history_query = [calls for (method, u), calls in mock_api.requests.items()
                             if "history" in str(u)][0][0]
        self.assertEqual("556", completed[0].exchange_order_id)
        self.assertEqual("Desc", history_query.kwargs["params"]["sortDirection"])


class StatusTests(ExchangeTestCase):
    async def test_closed_order_found_in_history_as_filled_and_cancelled(self):
        for status, state in (("Filled", OrderState.FILLED), ("Cancelled", OrderState.CANCELED),
                              ("Expired", OrderState.CANCELED)):
            order = self.track(client_order_id="42", exchange_order_id="4239996998")
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404,
                             body=error_body("RESOURCE_NOT_FOUND", "Not Found"))
                mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body=json.dumps([
                    {"id": "4239996998", "clientId": 42, "status": status, "createdAt": "2025-07-27T18:05:40.897"}]))
                update = await self.exchange._request_order_status(order)
            self.assertEqual(state, update.new_state, status)
            self.exchange.stop_tracking_order("42")

    async def test_order_unknown_everywhere_is_not_found(self):
        order = self.track(client_order_id="42", exchange_order_id="1")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=400,
                         body=error_body("INVALID_CLIENT_REQUEST", "Order not found"))
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
            with self.assertRaises(BackpackOrderNotFoundError) as ctx:
                await self.exchange._request_order_status(order)
        self.assertTrue(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))

    async def test_other_errors_are_not_not_found(self):
        order = self.track(client_order_id="42", exchange_order_id="1")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=500, body="")
            with self.assertRaises(IOError) as ctx:
                await self.exchange._request_order_status(order)
        self.assertFalse(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))


class CancelTests(ExchangeTestCase):
    async def test_202_is_not_a_confirmation(self):
        order = self.track()
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=202, body="")
            result = await self.exchange._execute_cancel(self.pair, order.client_order_id)
        self.assertEqual(order.client_order_id, result)
        await wait_for(lambda: order.current_state is OrderState.PENDING_CANCEL)
        self.assertIn(order.client_order_id, self.exchange.in_flight_orders)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))
        # an older REST view ("New") does not reopen it; the WS confirmation closes it
        self.exchange._process_order_update_keeping_progress(
            order, (await self._open_update(order)))
        self.exchange._process_user_stream_message(self.order_event(order, "orderCancelled", "Cancelled"))
        await wait_for(lambda: len(self.ev(MarketEvent.OrderCancelled)) == 1)
        self.assertNotIn(order.client_order_id, self.exchange.in_flight_orders)

    async def _open_update(self, order):
        from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_order
        return order_update_from_order({"id": "111", "status": "New"}, order.client_order_id, self.pair, 1.0)

    async def test_cancel_all_on_exchange(self):
        first, second = self.track("1", "a1"), self.track("2", "a2")
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                self.order_json(first, "Cancelled"), {"id": "zz", "clientId": None, "status": "Cancelled"}]))
            self.assertEqual(1, await self.exchange.cancel_all_on_exchange(self.pair))
            await wait_for(lambda: first.is_cancelled)
            self.assertTrue(second.is_open)
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), status=202, body="")
            self.assertEqual(1, await self.exchange.cancel_all_on_exchange(self.pair))
            await wait_for(lambda: second.current_state is OrderState.PENDING_CANCEL)
            body = json.loads(list(mock_api.requests.values())[0][0].kwargs["data"])
        self.assertEqual({"symbol": "SOL_USDC"}, body)

    async def test_batch_cancel_per_order(self):
        first, second = self.track("1", "a1"), self.track("2", "a2")

        def route(_url, **kwargs):
            from aioresponses import CallbackResult
            if json.loads(kwargs["data"])["clientId"] == 1:
                return CallbackResult(body=json.dumps(self.order_json(first, "Cancelled")))
            return CallbackResult(status=404, body=error_body("RESOURCE_NOT_FOUND", "Not Found"))

        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), callback=route, repeat=True)
            results = await self.exchange._execute_batch_cancel([first.to_limit_order(), second.to_limit_order()])
        self.assertEqual([("1", True), ("2", False)], [(r.order_id, r.success) for r in results])
        await wait_for(lambda: first.is_cancelled)
        self.assertEqual(1, self.exchange._order_tracker._order_not_found_records["2"])


class BatchCreateTests(ExchangeTestCase):
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
        self.exchange.BATCH_ORDER_MAX_SIZE = 2
        orders = [LimitOrder("", self.pair, True, "SOL", "USDC", Decimal("141"), Decimal("1")) for _ in range(3)]
        with aioresponses() as mock_api:
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([{"operation": "Ok", "id": "1",
                                                                             "status": "New"},
                                                                            {"operation": "Ok", "id": "2",
                                                                             "status": "New"}]))
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([{"operation": "Ok", "id": "3",
                                                                             "status": "New"}]))
            self.exchange.batch_order_create(orders)
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 3)
            sizes = [len(json.loads(call.kwargs["data"])) for calls in mock_api.requests.values() for call in calls]
        self.assertEqual([2, 1], sizes)


class HttpErrorTests(ExchangeTestCase):
    async def test_429_backs_off_and_is_counted(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=429, body=error_body("TOO_MANY_REQUESTS", "slow"))
            with self.assertRaises(BackpackRateLimitError):
                await self.exchange._update_trading_fees()
        self.assertTrue(self.logged("WARNING", "Backpack rate limit hit (HTTP 429"))
        self.assertGreater(self.exchange._rest.backoff_remaining_s(), 0)
        snapshot = self.exchange.metrics_snapshot()
        self.assertEqual(1, snapshot["rest"]["rate_limited_429"])
        self.assertGreater(snapshot["rate_limit_backoff_s"], 0)
        self.assertIn("rate-limit backoff active", " ".join(self.exchange.health().reasons))
        # the next request waits for the backoff to end
        self.exchange._rest.backoff_until = 0.0
        self.exchange._rest.backoff_s = 4.0
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=429, body="")
            with self.assertRaises(BackpackRateLimitError):
                await self.exchange._update_trading_fees()
        self.assertEqual(8.0, self.exchange._rest.backoff_s)  # doubling

    async def test_451_says_region_plainly(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=451, body="")
            with self.assertRaises(BackpackRegionBlockedError) as ctx:
                await self.exchange._update_trading_fees()
        self.assertTrue(str(ctx.exception).startswith("Backpack refused the request from this region (HTTP 451)"))
        self.assertTrue(self.logged("ERROR", "Backpack refused the request from this region (HTTP 451)"))
        health = self.exchange.health()
        self.assertEqual("down", health.status)

    async def test_expired_request_resyncs_clock_and_retries_once(self):
        with aioresponses() as mock_api, patch.object(self.exchange, "_update_time_synchronizer") as resync:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=400,
                         body=error_body("INVALID_CLIENT_REQUEST", "Request has expired"))
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps({"spotMakerFee": "1", "spotTakerFee": "2"}))
            await self.exchange._update_trading_fees()
        resync.assert_awaited_once()
        self.assertEqual(Decimal("0.0001"), self.exchange._fees.maker)


class FillsPollingTests(ExchangeTestCase):
    async def test_one_fills_request_per_pair_for_many_orders(self):
        sol = [self.track(str(i), f"e{i}") for i in range(1, 4)]
        self.track("9", "e9", pair="ETH-USDC")
        fills = [{"tradeId": 10 + i, "orderId": f"e{i}", "clientId": str(i), "symbol": "SOL_USDC", "side": "Bid",
                  "price": "150", "quantity": "0.5", "fee": "0.01", "feeSymbol": "SOL", "isMaker": True,
                  "timestamp": "2025-07-27T17:39:00.092"} for i in range(1, 4)]
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps(fills))
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            await self.exchange._update_orders_fills(list(self.exchange.in_flight_orders.values()))
            calls = [call for calls in mock_api.requests.values() for call in calls]
        self.assertEqual(2, len(calls))
        self.assertEqual({"SOL_USDC", "ETH_USDC"}, {call.kwargs["params"]["symbol"] for call in calls})
        for order in sol:
            self.assertEqual(Decimal("0.5"), order.executed_amount_base)
        self.assertEqual(3, len(self.ev(MarketEvent.OrderFilled)))
