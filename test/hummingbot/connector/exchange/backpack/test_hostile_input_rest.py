"""Hostile input, REST side: generated and mutated answer bodies (aioresponses) for the exchange's REST handlers —
markets/trading rules, balances and lend positions, fills, order status and order placement — and the error
answers 401/451/429/503 plus an expired window on placement, cancel, balance and status requests.

Checked: a bad element never takes down the good ones next to it; a bad whole body raises a clear error and keeps
the previous state; nothing unrelated (AttributeError, decimal.Overflow...) escapes; and no order is lost — an
order stays tracked until its outcome is known (a 200 answer we cannot read is an unknown outcome reconciled by
clientId, an unreadable status answer or a 401/429/451/503 on a status query is not "order not found").
"""
import json
from decimal import Decimal

from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackRateLimitError,
    BackpackRegionBlockedError,
)
from hummingbot.connector.exchange.backpack.backpack_order_parsing import order_update_from_order
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, error_body, official_vectors, url, url_regex, wait_for
from .hostile_payloads import json_values, mutated, wire_text

REST_SETTINGS = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLEAR_ERRORS = (ValueError, IOError)  # a JSON/shape problem, or a BackpackAPIError (IOError)


def market(base: str, tick: str = "0.01") -> dict:
    return {"symbol": f"{base}_USDC", "baseSymbol": base, "quoteSymbol": "USDC", "marketType": "SPOT",
            "visible": True, "orderBookState": "Open",
            "filters": {"price": {"minPrice": tick, "tickSize": tick},
                        "quantity": {"minQuantity": "0.01", "stepSize": "0.01"}}}


GOOD_MARKETS = [market("SOL"), market("ETH", "0.1")]
MARKET_SEEDS = [market("WEN")] + official_vectors("test_market_order_book_state_and_visible_parse") \
    + official_vectors("test_market_rwa_market_type_parse")
CAPITAL = {"SOL": {"available": "10", "locked": "1.5", "staked": "0"},
           "USDC": {"available": "2000.25", "locked": "0", "staked": "0"},
           "BTC": {"available": "0.1", "locked": "0", "staked": "0.05"}}
POSITIONS = [{"symbol": "USDC", "netQuantity": "100", "netExposureQuantity": "100"},
             {"symbol": "SOL", "netQuantity": "-2", "netExposureQuantity": "-2"}]


def fill(trade_id: int, order_no: int) -> dict:
    return {"tradeId": trade_id, "orderId": f"e{order_no}", "clientId": str(order_no), "symbol": "SOL_USDC",
            "side": "Bid", "price": "150", "quantity": "0.5", "fee": "0.01", "feeSymbol": "SOL", "isMaker": True,
            "timestamp": "2025-07-27T17:39:00.092"}


class HostileBodyTests(ExchangeTestCase):
    def forget_orders(self):
        """Examples reuse client order ids: drop every tracked/cached/lost order (a cached order wins lookups)."""
        for client_order_id in list(self.exchange.in_flight_orders):
            self.exchange.stop_tracking_order(client_order_id)
        self.exchange._order_tracker._cached_orders.clear()
        self.exchange._order_tracker._lost_orders.clear()
        self.exchange._order_tracker._order_not_found_records.clear()

    def run_examples(self, test, strategy, max_examples=60):
        @settings(REST_SETTINGS, max_examples=max_examples)
        @given(example=strategy)
        def check(example):
            self.exchange._throttler._task_logs.clear()  # many examples: stay inside the 30/min history pool
            self.run_async_with_timeout(test(example), timeout=30)
        check()

    # ----------------------------------------------------------------------------------------- markets
    def test_a_bad_market_never_takes_down_the_good_ones(self):
        async def one(bad):
            self.exchange._trading_rules.clear()
            with aioresponses() as mock_api:
                mock_api.get(url(CONSTANTS.MARKETS_PATH_URL), body=json.dumps(GOOD_MARKETS + [bad]))
                await self.exchange._update_trading_rules()
            self.assertEqual(Decimal("0.01"), self.exchange._trading_rules["SOL-USDC"].min_price_increment)
            self.assertEqual(Decimal("0.1"), self.exchange._trading_rules["ETH-USDC"].min_price_increment)
            symbols = await self.exchange.trading_pair_symbol_map()
            self.assertEqual("SOL-USDC", symbols["SOL_USDC"])
            self.assertEqual("ETH-USDC", symbols["ETH_USDC"])
        self.run_examples(one, st.sampled_from(MARKET_SEEDS).flatmap(mutated))

    def test_a_bad_markets_body_is_a_clear_error_and_keeps_the_rules(self):
        async def one(text):
            before = dict(self.exchange._trading_rules)
            with aioresponses() as mock_api:
                mock_api.get(url(CONSTANTS.MARKETS_PATH_URL), body=text)
                try:
                    await self.exchange._update_trading_rules()
                except CLEAR_ERRORS:
                    self.assertEqual(before, self.exchange._trading_rules)
        self.run_examples(one, wire_text(st.one_of(json_values, mutated(GOOD_MARKETS))))

    def test_a_junk_ticker_never_hides_the_other_prices(self):
        async def one(bad):
            tickers = [bad, {"symbol": "SOL_USDC", "lastPrice": "142.35"}, {"symbol": "ETH_USDC", "lastPrice": "3000.5"}]
            with aioresponses() as mock_api:
                mock_api.get(url(CONSTANTS.TICKERS_PATH_URL), body=json.dumps(tickers))
                prices = await self.exchange.get_last_traded_prices([self.pair, "ETH-USDC"])
            self.assertEqual({self.pair: 142.35, "ETH-USDC": 3000.5}, prices)
        self.run_examples(one, st.one_of(mutated({"symbol": "BTC_USDC", "lastPrice": "60000"}), json_values))

    async def test_junk_last_prices_are_left_out(self):
        """Regression: a ticker that was not an object, or an unhashable symbol, raised out of
        ``get_last_traded_prices`` (AttributeError/TypeError) and took every other price with it; a ``NaN`` or
        non-numeric ``lastPrice`` raised or became a NaN price."""
        tickers = [5, {"symbol": ["SOL_USDC"]}, {"symbol": "SOL_USDC", "lastPrice": "NaN"},
                   {"symbol": "ETH_USDC", "lastPrice": "abc"}, {"symbol": "SOL_USDC", "lastPrice": "142.35"}]
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.TICKERS_PATH_URL), body=json.dumps(tickers))
            prices = await self.exchange.get_last_traded_prices([self.pair, "ETH-USDC"])
        self.assertEqual({self.pair: 142.35}, prices)

    async def test_markets_with_non_text_symbols_are_skipped(self):
        """Regression: a market whose ``symbol`` was a list raised ``TypeError: unhashable`` out of the symbol-map
        build, so no symbol at all was mapped (every pair of the exchange unusable)."""
        bad = dict(market("BAD"), symbol=["BAD_USDC"])
        odd = dict(market("ODD"), baseSymbol=7)
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.MARKETS_PATH_URL), body=json.dumps([bad, odd] + GOOD_MARKETS))
            await self.exchange._update_trading_rules()
        symbols = await self.exchange.trading_pair_symbol_map()
        self.assertEqual({"SOL_USDC": "SOL-USDC", "ETH_USDC": "ETH-USDC"}, dict(symbols))
        self.assertEqual({"SOL-USDC", "ETH-USDC"}, set(self.exchange._trading_rules))

    # ---------------------------------------------------------------------------------------- balances
    async def _balances(self, capital_text: str, positions_text: str):
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.BALANCE_PATH_URL), body=capital_text)
            mock_api.get(url_regex(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=positions_text)
            await self.exchange._update_balances()

    def _set_known_balances(self):
        self.exchange._account_balances.clear()
        self.exchange._account_available_balances.clear()
        self.exchange._balance_state.lent = {}
        self.exchange._account_balances.update({"OLD": Decimal("7")})
        self.exchange._account_available_balances.update({"OLD": Decimal("7")})

    def test_a_bad_balance_entry_only_skips_that_entry(self):
        async def one(capital):
            self._set_known_balances()
            await self._balances(json.dumps(capital), "[]")
            for asset, entry in capital.items():
                if asset in CAPITAL and entry == CAPITAL[asset]:
                    expected = sum(Decimal(entry[k]) for k in ("available", "locked", "staked"))
                    self.assertEqual(expected, self.exchange.get_balance(asset))
                    self.assertEqual(Decimal(entry["available"]), self.exchange.get_available_balance(asset))
            for asset, total in self.exchange.get_all_balances().items():
                self.assertTrue(total.is_finite(), asset)
                self.assertGreaterEqual(total, self.exchange.get_available_balance(asset))
        self.run_examples(one, mutated(CAPITAL).filter(lambda c: isinstance(c, dict)))

    def test_a_bad_capital_body_is_a_clear_error_and_keeps_the_balances(self):
        """An empty, truncated or non-object 200 answer of ``/api/v1/capital`` must not wipe the balances."""
        async def one(text):
            self._set_known_balances()
            try:
                await self._balances(text, "[]")
            except CLEAR_ERRORS:
                self.assertEqual(Decimal("7"), self.exchange.get_balance("OLD"))
                return
            body = json.loads(text)
            self.assertIsInstance(body, dict)  # only an object may replace the balances
        self.run_examples(one, st.one_of(st.sampled_from(["", " ", "null", "[]", "0", '""', "[1]"]),
                                         wire_text(st.one_of(json_values, mutated(CAPITAL)))))

    def test_bad_lend_positions_never_break_the_balance_update(self):
        async def one(positions_text):
            self._set_known_balances()
            await self._balances(json.dumps(CAPITAL), positions_text)
            self.assertEqual(Decimal("10"), self.exchange.get_available_balance("SOL"))
            for asset, total in self.exchange.get_all_balances().items():
                self.assertTrue(total.is_finite(), asset)
                self.assertGreaterEqual(total, self.exchange.get_available_balance(asset))
        self.run_examples(one, wire_text(st.one_of(mutated(POSITIONS), json_values)))

    async def test_an_empty_capital_answer_keeps_the_balances(self):
        """Regression: an empty or ``null`` 200 answer of ``/api/v1/capital`` (``capital or {}``) removed every
        balance; a list raised ``AttributeError``. Now it is a clear error and the balances stay."""
        for body in ("", "null", "[]"):
            self._set_known_balances()
            with self.assertRaises(ValueError) as ctx:
                await self._balances(body, "[]")
            self.assertIn(f"unexpected answer of GET {CONSTANTS.BALANCE_PATH_URL}", str(ctx.exception))
            self.assertEqual(Decimal("7"), self.exchange.get_balance("OLD"))

    async def test_negative_balance_amounts_are_skipped(self):
        """Regression: ``"locked": "-1"`` was accepted (a total below the available amount); spot balances are never
        negative (§5.1), so such an entry (REST or WS) is malformed."""
        self._set_known_balances()
        capital = dict(CAPITAL, SOL={"available": "10", "locked": "-1", "staked": "0"})
        await self._balances(json.dumps(capital), "[]")
        self.assertNotIn("SOL", self.exchange.get_all_balances())
        self.assertEqual(Decimal("2000.25"), self.exchange.get_balance("USDC"))
        with self.assertRaises(ValueError):
            self.exchange._apply_balance_event({"e": "balanceUpdate", "a": "SOL", "A": "-3"})

    async def test_lend_positions_and_balance_events_with_non_text_assets_are_skipped(self):
        """Regression: a lend position whose ``symbol`` was a list raised ``TypeError: unhashable`` out of the whole
        balance update; a number became a balance keyed by an int."""
        self._set_known_balances()
        positions = [{"symbol": ["USDC"], "netQuantity": "5"}, {"symbol": 7, "netQuantity": "5"},
                     {"symbol": "USDC", "netQuantity": "100"}]
        await self._balances(json.dumps(CAPITAL), json.dumps(positions))
        self.assertEqual(Decimal("2100.25"), self.exchange.get_balance("USDC"))
        self.assertTrue(all(type(asset) is str for asset in self.exchange.get_all_balances()))
        with self.assertRaises(ValueError):
            self.exchange._apply_balance_event({"e": "balanceUpdate", "a": 7, "A": "1"})

    # ------------------------------------------------------------------------------------------- fills
    def test_a_bad_fill_never_hides_the_good_fills_of_the_same_answer(self):
        async def one(bad):
            self.forget_orders()
            self.exchange._fills.cursor_ms.clear()
            orders = [self.track(str(i), f"e{i}", amount="10") for i in (1, 2, 3)]
            body = [fill(11, 1), bad, fill(13, 3)]
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body=json.dumps(body))
                await self.exchange._update_orders_fills(orders)
            for order, trade_id in ((orders[0], "11"), (orders[2], "13")):
                self.assertEqual(Decimal("0.5"), order.order_fills[trade_id].fill_base_amount)
            for order in orders:
                self.assertTrue(order.executed_amount_base.is_finite() and order.executed_amount_base >= 0)
        self.run_examples(one, mutated(fill(12, 2)))

    # ------------------------------------------------------------------------------------ order status
    def test_an_unreadable_status_answer_never_loses_the_order(self):
        async def one(text):
            self.forget_orders()
            order = self.track("42", "4239996998")
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]", repeat=True)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=text, repeat=True)
                mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]", repeat=True)
                for _ in range(self.exchange._order_tracker.lost_order_count_limit + 2):
                    await self.exchange._update_order_status()
            try:
                readable = order_update_from_order(json.loads(text), "42", self.pair, 0)
            except Exception:
                readable = None
            if readable is None:
                self.assertIn("42", self.exchange.in_flight_orders)
                self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get("42", 0))
            self.assertEqual([], [e for e in self.ev(MarketEvent.OrderFailure) if readable is None])
        self.run_examples(one, wire_text(st.one_of(mutated({"id": "4239996998", "clientId": 42, "status": "New",
                                                             "symbol": "SOL_USDC"}), json_values)), 40)

    # ------------------------------------------------------------------------------------- placement
    def test_an_unreadable_placement_answer_is_an_unknown_outcome_not_a_failure(self):
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0,) * 6

        async def one(text):
            failures_before = len(self.ev(MarketEvent.OrderFailure))
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=text)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "555", "status": "New"}),
                             repeat=True)
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                try:
                    answer = json.loads(text)
                    readable = order_update_from_order(answer, order_id, self.pair, 0)
                except Exception:
                    readable = None
                if readable is None:
                    await wait_for(lambda: order_id in self.exchange.in_flight_orders
                                   and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
                    self.assertEqual("555", self.exchange.in_flight_orders[order_id].exchange_order_id)
                    self.assertEqual(failures_before, len(self.ev(MarketEvent.OrderFailure)))
                else:
                    await wait_for(lambda: self.exchange._order_tracker.fetch_order(order_id) is not None
                                   and self.exchange._order_tracker.fetch_order(order_id).current_state
                                   is not OrderState.PENDING_CREATE)
                    if readable.new_state is not OrderState.FAILED:
                        self.assertEqual(failures_before, len(self.ev(MarketEvent.OrderFailure)))
            self.exchange.stop_tracking_order(order_id)
        body = {"id": "77", "clientId": 1, "symbol": "SOL_USDC", "status": "New", "side": "Bid", "price": "150",
                "quantity": "1", "executedQuantity": "0", "createdAt": 1735689600123}
        self.run_examples(one, st.one_of(st.sampled_from(["", "null", "[]", "{}", '{"id": "77"}']),
                                         wire_text(st.one_of(mutated(body), json_values))), 40)


class JunkAnswerTests(ExchangeTestCase):
    async def test_cancel_all_answer_with_junk_elements(self):
        """Regression: a cancel-all answer element that was not an object raised ``AttributeError``: the loop stopped
        and the tracked orders after it in the answer were not updated."""
        first = self.track("1", "a1")
        with aioresponses() as mock_api:
            mock_api.delete(url(CONSTANTS.ORDERS_PATH_URL), body=json.dumps([
                5, "x", None, {"id": "a1", "clientId": 1, "status": []}, self.order_json(first, "Cancelled")]))
            self.assertEqual(1, await self.exchange.cancel_all_on_exchange(self.pair))
        await wait_for(lambda: first.is_cancelled)

    async def test_status_answer_that_is_no_order_is_not_order_not_found(self):
        """Regression: a 200 status answer that was not an order object (``[]``, ``null``...) fell through to the
        history lookup and, not found there, counted toward declaring the (open) order lost."""
        order = self.track("42", "4239996998")
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
            with self.assertRaises(ValueError) as ctx:
                await self.exchange._request_order_status(order)
        self.assertFalse(self.exchange._is_order_not_found_during_status_update_error(ctx.exception))
        self.assertIn(f"unexpected answer of GET {CONSTANTS.ORDER_PATH_URL}", str(ctx.exception))

    async def test_placement_answer_that_is_not_json_is_an_unknown_outcome(self):
        """Regression: a 200 placement answer that was not JSON (truncated, HTML) or not an order (``null``) made the
        order FAILED although Backpack had accepted it: an untracked open order on the exchange."""
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0,) * 6
        for body in ('{"id": "77", "sta', "<html>oops</html>", "null"):
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), body=body)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "555", "status": "New"}))
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                await wait_for(lambda: order_id in self.exchange.in_flight_orders
                               and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
            self.assertEqual("555", self.exchange.in_flight_orders[order_id].exchange_order_id)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
        self.assertEqual(3, self.exchange.metrics_snapshot()["rest"]["unknown_outcome_orders"])


class ErrorAnswerTests(ExchangeTestCase):
    """401 / 451 / 429 / 503 (and an expired window) on placement, cancel, balance and status requests."""

    ANSWERS = {401: error_body("UNAUTHORIZED", "Unauthorized"),
               451: "",
               429: error_body("TOO_MANY_REQUESTS", "Too many requests"),
               503: error_body("SERVICE_UNAVAILABLE", "Unknown error, please check your request or try again later.")}

    def setUp(self):
        super().setUp()
        self.exchange._unknown_outcomes.UNKNOWN_OUTCOME_RECHECK_DELAYS_S = (0.0,) * 6

    def reset_backoff(self):
        self.exchange._rest.backoff_until = 0.0
        self.exchange._rest.backoff_s = 0.0

    async def test_placement_refused_fails_clearly(self):
        expected = {401: "HTTP 401", 451: "region", 429: "HTTP 429"}
        for status, fragment in expected.items():
            self.reset_backoff()
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=status, body=self.ANSWERS[status])
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                await wait_for(lambda: any(e.order_id == order_id for e in self.ev(MarketEvent.OrderFailure)))
            failure = [e for e in self.ev(MarketEvent.OrderFailure) if e.order_id == order_id][0]
            self.assertIn(fragment, failure.error_message, status)
            self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertEqual(1, self.exchange.metrics_snapshot()["rest"]["rate_limited_429"])

    async def test_placement_503_with_plain_text_or_html_is_still_an_unknown_outcome(self):
        for body in ("Service Unavailable", "<html><body>503</body></html>", ""):
            with aioresponses() as mock_api:
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=503, body=body)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), body=json.dumps({"id": "9", "status": "New"}))
                order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
                await wait_for(lambda: order_id in self.exchange.in_flight_orders
                               and self.exchange.in_flight_orders[order_id].current_state is OrderState.OPEN)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))

    async def test_cancel_errors_keep_the_order_tracked_and_open(self):
        order = self.track()
        order.current_state = OrderState.OPEN
        for status in (401, 451, 429, 503):
            self.reset_backoff()
            self.log_records.clear()
            with aioresponses() as mock_api:
                mock_api.delete(url(CONSTANTS.ORDER_PATH_URL), status=status, body=self.ANSWERS[status])
                result = await self.exchange._execute_cancel(self.pair, order.client_order_id)
            self.assertIsNone(result, status)
            self.assertIn(order.client_order_id, self.exchange.in_flight_orders)
            self.assertIs(OrderState.OPEN, order.current_state)
            self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get(order.client_order_id, 0))
            self.assertTrue(any(r.levelname in ("ERROR", "WARNING") and order.client_order_id in r.getMessage()
                                and ("Failed to cancel" in r.getMessage() or "429" in r.getMessage())
                                for r in self.log_records), status)
        self.assertEqual(0, len(self.ev(MarketEvent.OrderCancelled)))

    async def test_balance_errors_raise_clearly_and_keep_the_balances(self):
        self.exchange._account_balances["SOL"] = Decimal("3")
        self.exchange._account_available_balances["SOL"] = Decimal("2")
        expected = {401: BackpackAPIError, 451: BackpackRegionBlockedError, 429: BackpackRateLimitError,
                    503: BackpackAPIError}
        for status, error_type in expected.items():
            self.reset_backoff()
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.BALANCE_PATH_URL), status=status, body=self.ANSWERS[status])
                mock_api.get(url_regex(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body="[]")
                with self.assertRaises(error_type) as ctx:
                    await self.exchange._update_balances()
            self.assertIn(str(status), str(ctx.exception))
            self.assertIn(CONSTANTS.BALANCE_PATH_URL, str(ctx.exception))
            self.assertEqual(Decimal("3"), self.exchange.get_balance("SOL"))
            self.assertEqual(Decimal("2"), self.exchange.get_available_balance("SOL"))

    async def test_status_errors_are_not_order_not_found(self):
        """Regression: any failed status query (a 401 during a key rotation, 429s, a 503 maintenance) counted as "order
        not found"; after four polls every open order was declared FAILED (lost) although it was still open on the
        exchange. Only "neither open nor in the history" counts now; other errors are logged and retried."""
        order = self.track("42", "4239996998")
        order.current_state = OrderState.OPEN
        for status in (401, 451, 429, 503):
            self.reset_backoff()
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]", repeat=True)
                mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=status, body=self.ANSWERS[status],
                             repeat=True)
                for _ in range(self.exchange._order_tracker.lost_order_count_limit + 2):
                    self.reset_backoff()
                    await self.exchange._update_order_status()
            self.assertIn("42", self.exchange.in_flight_orders, status)
            self.assertIs(OrderState.OPEN, order.current_state)
            self.assertEqual(0, self.exchange._order_tracker._order_not_found_records.get("42", 0))
            self.assertTrue(self.logged("WARNING", "Error fetching status update for the active order 42"))
        self.assertEqual(0, len(self.ev(MarketEvent.OrderFailure)))
        # a genuine "not found anywhere" still counts
        with aioresponses() as mock_api:
            mock_api.get(url_regex(CONSTANTS.FILL_HISTORY_PATH_URL), body="[]")
            mock_api.get(url_regex(CONSTANTS.ORDER_PATH_URL), status=404,
                         body=error_body("RESOURCE_NOT_FOUND", "Not Found"))
            mock_api.get(url_regex(CONSTANTS.ORDER_HISTORY_PATH_URL), body="[]")
            await self.exchange._update_order_status()
        self.assertEqual(1, self.exchange._order_tracker._order_not_found_records["42"])

    async def test_window_still_expired_after_the_clock_resync_is_a_clear_error(self):
        async def no_resync():
            return None
        self.exchange._update_time_synchronizer = no_resync
        with aioresponses() as mock_api:
            for _ in range(2):
                mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=400,
                             body=error_body("INVALID_CLIENT_REQUEST", "Request has expired"))
            with self.assertRaises(BackpackAPIError) as ctx:
                await self.exchange._update_trading_fees()
        text = str(ctx.exception)
        self.assertIn("Request has expired", text)
        self.assertIn("clock", text)
        self.assertTrue(ctx.exception.is_request_expired)

    async def test_expired_window_on_placement_is_retried_once_then_fails_clearly(self):
        async def no_resync():
            return None
        self.exchange._update_time_synchronizer = no_resync
        with aioresponses() as mock_api:
            for _ in range(2):
                mock_api.post(url(CONSTANTS.ORDER_PATH_URL), status=400,
                              body=error_body("INVALID_CLIENT_REQUEST", "Request has expired"))
            order_id = self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await wait_for(lambda: any(e.order_id == order_id for e in self.ev(MarketEvent.OrderFailure)))
            posts = [call for (method, _), calls in mock_api.requests.items() if method == "POST" for call in calls]
        self.assertEqual(2, len(posts))
        failure = [e for e in self.ev(MarketEvent.OrderFailure) if e.order_id == order_id][0]
        self.assertIn("clock", failure.error_message)
