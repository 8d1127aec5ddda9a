"""``backpack_balances`` pure functions and ``BalanceStreamState`` alone, then REST balances and WS balance events
through the exchange (aioresponses, including generated hostile bodies); lent funds under both readings of the
account's ``autoLend`` (U5, §5.4)."""
import asyncio
import json
import logging
import unittest
from decimal import Decimal

from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_balances as balances, backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackRateLimitError,
    BackpackRegionBlockedError,
)
from hummingbot.core.data_type.in_flight_order import OrderState

from .exchange_test_support import ExchangeTestCase, error_body, url, url_regex, wait_for
from .hostile_payloads import json_values, mutated, wire_text

REST_SETTINGS = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLEAR_ERRORS = (ValueError, IOError)
LOG = logging.getLogger("test_backpack_balances")
CAPITAL = {"SOL": {"available": "10", "locked": "1.5", "staked": "0"},
           "USDC": {"available": "2000.25", "locked": "0", "staked": "0"},
           "BTC": {"available": "0.1", "locked": "0", "staked": "0.05"}}
POSITIONS = [{"symbol": "USDC", "netQuantity": "100", "netExposureQuantity": "100"},
             {"symbol": "SOL", "netQuantity": "-2", "netExposureQuantity": "-2"}]


#: Auto-lend account (U5): 900 USDC and 3 ETH lent.
LEND_CAPITAL = {"USDC": {"available": "100", "locked": "50", "staked": "0"},
                "SOL": {"available": "2", "locked": "0", "staked": "0"}}
LEND_POSITIONS = [{"id": "1", "symbol": "USDC", "netQuantity": "900"}, {"id": "2", "symbol": "ETH", "netQuantity": "3"}]
LEND_ACCOUNT = {"spotMakerFee": "2", "spotTakerFee": "5"}


class PureFunctionTests(unittest.TestCase):
    def test_balances_from_capital_add_lent_funds_to_total_only(self):
        with self.assertLogs(LOG, "WARNING") as logs:
            available, total = balances.balances_from_capital(
                dict(CAPITAL, BAD={"available": "x"}), {"USDC": Decimal("100"), "ETH": Decimal("2")}, LOG)
        self.assertEqual({"SOL": Decimal("10"), "USDC": Decimal("2000.25"), "BTC": Decimal("0.1"),
                          "ETH": Decimal("0")}, available)
        self.assertEqual({"SOL": Decimal("11.5"), "USDC": Decimal("2100.25"), "BTC": Decimal("0.15"),
                          "ETH": Decimal("2")}, total)
        self.assertIn("Skipping malformed Backpack balance entry 'BAD'", logs.output[0])

    def test_lent_amounts_keep_positive_positions_only(self):
        positions = POSITIONS + [{"symbol": "USDC", "netQuantity": "5"}, {"symbol": 7, "netQuantity": "1"}]
        with self.assertLogs(LOG, "WARNING"):
            self.assertEqual({"USDC": Decimal("105")}, balances.lent_amounts(positions, LOG))
        self.assertEqual({}, balances.lent_amounts({"not": "a list"}, LOG))

    def test_balance_from_event(self):
        event = {"e": "balanceUpdate", "a": "SOL", "A": "5", "L": "1", "S": "0.5"}
        self.assertEqual(("SOL", Decimal("5"), Decimal("8.5")),
                         balances.balance_from_event(event, {"SOL": Decimal("2")}))
        for bad in (dict(event, a=7), dict(event, A="-1"), dict(event, L="x")):
            with self.assertRaises(ValueError):
                balances.balance_from_event(bad, {})
        with self.assertRaises(KeyError):
            balances.balance_from_event({"a": "SOL"}, {})


class AutoLendPureFunctionTests(unittest.TestCase):
    logger = logging.getLogger("test_backpack_balances")

    def test_capital_under_both_readings(self):
        lent = {"USDC": Decimal("900"), "ETH": Decimal("3")}
        available, total = balances.balances_from_capital(LEND_CAPITAL, lent, self.logger)
        self.assertEqual({"USDC": Decimal("100"), "SOL": Decimal("2"), "ETH": Decimal("0")}, available)
        self.assertEqual({"USDC": Decimal("1050"), "SOL": Decimal("2"), "ETH": Decimal("3")}, total)
        available, total_on = balances.balances_from_capital(LEND_CAPITAL, lent, self.logger, lent_available=True)
        self.assertEqual({"USDC": Decimal("1000"), "SOL": Decimal("2"), "ETH": Decimal("3")}, available)
        self.assertEqual(total, total_on)

    def test_balance_event_under_both_readings(self):
        event = {"e": "balanceUpdate", "a": "USDC", "A": "100", "L": "50"}
        lent = {"USDC": Decimal("900")}
        self.assertEqual(("USDC", Decimal("100"), Decimal("1050")), balances.balance_from_event(event, lent))
        self.assertEqual(("USDC", Decimal("1000"), Decimal("1050")),
                         balances.balance_from_event(event, lent, lent_available=True))


class BalanceStreamStateTests(unittest.TestCase):
    def setUp(self):
        self.now = 100.0
        self.state = balances.BalanceStreamState(clock=lambda: self.now)

    def test_stale_events_are_older_than_the_last_rest_request(self):
        self.state.requested_at_s = 1754939200.0
        self.assertTrue(self.state.is_stale({"E": 1754939110175879}))
        self.assertFalse(self.state.is_stale({"E": 1754939300000000}))
        self.assertFalse(self.state.is_stale({}))

    def test_event_available_adds_acknowledged_locks_and_removes_the_snapshot(self):
        now = {"USDC": Decimal("150")}
        snapshot = {"USDC": Decimal("40"), "SOL": Decimal("1")}
        self.assertEqual(Decimal("960"), balances.event_available(Decimal("850"), "USDC", now, snapshot))
        self.assertEqual(Decimal("4"), balances.event_available(Decimal("5"), "SOL", now, snapshot))
        self.assertEqual(Decimal("5"), balances.event_available(Decimal("5"), "BTC", now, snapshot))

    def test_lend_failures_are_logged_once_a_minute(self):
        self.assertTrue(self.state.should_log_lend_failure())
        self.assertFalse(self.state.should_log_lend_failure())
        self.now += 61
        self.assertTrue(self.state.should_log_lend_failure())


class BalancesThroughExchangeTests(ExchangeTestCase):
    ANSWERS = {401: error_body("UNAUTHORIZED", "Unauthorized"), 451: "",
               429: error_body("TOO_MANY_REQUESTS", "Too many requests"),
               503: error_body("SERVICE_UNAVAILABLE", "Unknown error, please check your request or try again later.")}

    def run_examples(self, test, strategy, max_examples=60):
        @settings(REST_SETTINGS, max_examples=max_examples)
        @given(example=strategy)
        def check(example):
            self.run_async_with_timeout(test(example), timeout=30)
        check()

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

    async def test_balance_errors_raise_clearly_and_keep_the_balances(self):
        self.exchange._account_balances["SOL"] = Decimal("3")
        self.exchange._account_available_balances["SOL"] = Decimal("2")
        expected = {401: BackpackAPIError, 451: BackpackRegionBlockedError, 429: BackpackRateLimitError,
                    503: BackpackAPIError}
        for status, error_type in expected.items():
            self.exchange._rest.backoff_until = 0.0
            self.exchange._rest.backoff_s = 0.0
            with aioresponses() as mock_api:
                mock_api.get(url_regex(CONSTANTS.BALANCE_PATH_URL), status=status, body=self.ANSWERS[status])
                mock_api.get(url_regex(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body="[]")
                with self.assertRaises(error_type) as ctx:
                    await self.exchange._update_balances()
            self.assertIn(str(status), str(ctx.exception))
            self.assertIn(CONSTANTS.BALANCE_PATH_URL, str(ctx.exception))
            self.assertEqual(Decimal("3"), self.exchange.get_balance("SOL"))
            self.assertEqual(Decimal("2"), self.exchange.get_available_balance("SOL"))


class BalanceEventTests(ExchangeTestCase):
    def balance_event(self, asset, available, locked="0", staked="0", event_time_us=1754939110175879):
        return self.ws({"e": "balanceUpdate", "E": event_time_us, "a": asset, "A": available, "L": locked,
                        "S": staked}, stream=CONSTANTS.BALANCE_UPDATE_STREAM)

    def test_absolute_values_applied_with_lent_funds(self):
        self.exchange._balance_state.lent = {"USDC": Decimal("100")}
        self.exchange._process_user_stream_message(self.balance_event("USDC", "50", "25", "5"))
        self.assertEqual(Decimal("50"), self.exchange.available_balances["USDC"])
        self.assertEqual(Decimal("180"), self.exchange.get_balance("USDC"))
        self.assertFalse(self.exchange.real_time_balance_update)  # placements never wait for balance events

    def test_event_older_than_rest_snapshot_ignored(self):
        self.exchange._balance_state.requested_at_s = 1754939200.0
        self.exchange._account_available_balances["SOL"] = Decimal("7")
        self.exchange._process_user_stream_message(self.balance_event("SOL", "1", event_time_us=1754939110175879))
        self.assertEqual(Decimal("7"), self.exchange.available_balances["SOL"])

    def test_event_applied_relative_to_orders_placed_since_the_rest_poll(self):
        exchange = self.exchange
        exchange._account_available_balances["USDC"] = Decimal("1000")  # REST poll, no order in flight
        exchange._in_flight_orders_snapshot = {}
        exchange._in_flight_orders_snapshot_timestamp = 1.0
        acknowledged = self.track(client_order_id="1", amount="1", price="150")
        acknowledged.current_state = OrderState.OPEN
        pending = self.track(client_order_id="2", amount="2", price="100")  # not yet answered by Backpack
        pending_lock = exchange.in_flight_asset_balances({"2": pending})["USDC"]
        # Backpack holds the acknowledged order's 150: its event must not make Hummingbot deduct it again
        exchange._process_user_stream_message(self.balance_event("USDC", "850", "150"))
        self.assertEqual(Decimal("850") - pending_lock, exchange.get_available_balance("USDC"))
        acknowledged_lock = exchange.in_flight_asset_balances({"1": acknowledged})["USDC"]  # 150 + fee estimate
        exchange.stop_tracking_order("1")  # cancelled: its lock returns
        self.assertEqual(Decimal("850") + acknowledged_lock - pending_lock, exchange.get_available_balance("USDC"))

    async def test_refused_balance_stream_refreshes_balances_after_each_fill(self):
        exchange = self.exchange
        data_source = exchange._user_stream_tracker.data_source
        order = self.track(amount="1")
        self.assertEqual({"refused": False, "refusals": 0}, exchange.metrics_snapshot()["balance_stream"])
        with aioresponses() as mock_api:
            for answer in ({"SOL": {"available": "3", "locked": "0"}}, {"SOL": {"available": "4", "locked": "0"}}):
                mock_api.get(url_regex(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(answer))
                mock_api.get(url_regex(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body="[]")
            data_source._on_error_frame({"code": 4006, "message": "Invalid stream"})
            await wait_for(lambda: exchange.get_balance("SOL") == Decimal("3"))
            self.assertEqual({"refused": True, "refusals": 1}, exchange.metrics_snapshot()["balance_stream"])
            exchange._process_user_stream_message(self.fill_event(order, 1, "0.5", "150", "PartiallyFilled"))
            await wait_for(lambda: exchange.get_balance("SOL") == Decimal("4"))
        self.assertTrue(any("balance stream refused" in note for note in exchange.health().notes))
        data_source.balance_stream_refused = False  # a new connection whose balance subscription holds
        self.assertEqual([], exchange.health().notes)
        with aioresponses() as mock_api:
            exchange._process_user_stream_message(self.fill_event(order, 2, "0.5", "150", "Filled"))
            await asyncio.sleep(0)
            self.assertEqual(0, len(mock_api.requests))  # balance events cover fills: no extra REST request


class AutoLendBalancesThroughExchangeTests(ExchangeTestCase):
    """Auto-lend (U5): lent funds (§5.3) count as available only when the account's ``autoLend`` (§5.4) is on."""

    async def _update_balances(self, auto_lend):
        account = dict(LEND_ACCOUNT, **({} if auto_lend is None else {"autoLend": auto_lend}))
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(account))
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(LEND_CAPITAL))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(LEND_POSITIONS))
            await self.exchange._update_balances()
            return [(method, str(u.path)) for (method, u) in mock_api.requests]

    async def test_auto_lend_on_counts_lent_funds_as_available(self):
        requests = await self._update_balances(True)
        self.assertIn(("GET", CONSTANTS.ACCOUNT_PATH_URL), requests)
        self.assertTrue(self.exchange._fees.auto_lend)
        self.assertEqual(Decimal("1000"), self.exchange.get_available_balance("USDC"))
        self.assertEqual(Decimal("1050"), self.exchange.get_balance("USDC"))
        self.assertEqual(Decimal("3"), self.exchange.get_available_balance("ETH"))

    async def test_auto_lend_off_or_absent_keeps_lent_funds_out_of_available(self):
        for auto_lend in (False, None):
            with self.subTest(auto_lend=auto_lend):
                self.exchange._fees.auto_lend = None
                await self._update_balances(auto_lend)
                self.assertIs(False, self.exchange._fees.auto_lend)
                self.assertEqual(Decimal("100"), self.exchange.get_available_balance("USDC"))
                self.assertEqual(Decimal("1050"), self.exchange.get_balance("USDC"))
                self.assertEqual(Decimal("0"), self.exchange.get_available_balance("ETH"))

    async def test_known_setting_is_not_read_again_by_each_balance_poll(self):
        self.exchange._fees.auto_lend = True
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(LEND_CAPITAL))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(LEND_POSITIONS))
            await self.exchange._update_balances()
            paths = [str(u.path) for (_, u) in mock_api.requests]
        self.assertNotIn(CONSTANTS.ACCOUNT_PATH_URL, paths)
        self.assertEqual(Decimal("1000"), self.exchange.get_available_balance("USDC"))

    async def test_unreadable_settings_keep_the_conservative_reading(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=500, body="{}")
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(LEND_CAPITAL))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(LEND_POSITIONS))
            await self.exchange._update_balances()
        self.assertIsNone(self.exchange._fees.auto_lend)
        self.assertEqual(Decimal("100"), self.exchange.get_available_balance("USDC"))
        self.assertTrue(self.logged("WARNING", "Could not read the Backpack account settings"))

    async def test_balance_event_under_auto_lend(self):
        await self._update_balances(True)
        self.exchange._balance_state.requested_at_s = 0
        self.exchange._apply_balance_event({"e": "balanceUpdate", "a": "USDC", "A": "40", "L": "110"})
        self.assertEqual(Decimal("940"), self.exchange.get_available_balance("USDC"))
        self.assertEqual(Decimal("1050"), self.exchange.get_balance("USDC"))
