"""Auto-lend (U5) under both readings of the account's ``autoLend`` (§5.4): on, lent funds (§5.3) count as
available and orders carry ``autoLendRedeem: true`` (§5.5); off (or unknown), lent funds count in total only and
orders carry no flag."""
import asyncio
import json
import logging
import unittest
from decimal import Decimal

from aioresponses import aioresponses
from yarl import URL

from hummingbot.connector.exchange.backpack import backpack_balances as balances, backpack_constants as CONSTANTS
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.event.events import MarketEvent

from .exchange_test_support import ExchangeTestCase, url, wait_for

CAPITAL = {"USDC": {"available": "100", "locked": "50", "staked": "0"},
           "SOL": {"available": "2", "locked": "0", "staked": "0"}}
POSITIONS = [{"id": "1", "symbol": "USDC", "netQuantity": "900"}, {"id": "2", "symbol": "ETH", "netQuantity": "3"}]
ACCOUNT = {"spotMakerFee": "2", "spotTakerFee": "5"}


class PureFunctionTests(unittest.TestCase):
    logger = logging.getLogger("test_backpack_auto_lend")

    def test_capital_under_both_readings(self):
        lent = {"USDC": Decimal("900"), "ETH": Decimal("3")}
        available, total = balances.balances_from_capital(CAPITAL, lent, self.logger)
        self.assertEqual({"USDC": Decimal("100"), "SOL": Decimal("2"), "ETH": Decimal("0")}, available)
        self.assertEqual({"USDC": Decimal("1050"), "SOL": Decimal("2"), "ETH": Decimal("3")}, total)
        available, total_on = balances.balances_from_capital(CAPITAL, lent, self.logger, lent_available=True)
        self.assertEqual({"USDC": Decimal("1000"), "SOL": Decimal("2"), "ETH": Decimal("3")}, available)
        self.assertEqual(total, total_on)

    def test_balance_event_under_both_readings(self):
        event = {"e": "balanceUpdate", "a": "USDC", "A": "100", "L": "50"}
        lent = {"USDC": Decimal("900")}
        self.assertEqual(("USDC", Decimal("100"), Decimal("1050")), balances.balance_from_event(event, lent))
        self.assertEqual(("USDC", Decimal("1000"), Decimal("1050")),
                         balances.balance_from_event(event, lent, lent_available=True))


class AutoLendThroughExchangeTests(ExchangeTestCase):

    async def _update_balances(self, auto_lend):
        account = dict(ACCOUNT, **({} if auto_lend is None else {"autoLend": auto_lend}))
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(account))
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(CAPITAL))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(POSITIONS))
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
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(CAPITAL))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(POSITIONS))
            await self.exchange._update_balances()
            paths = [str(u.path) for (_, u) in mock_api.requests]
        self.assertNotIn(CONSTANTS.ACCOUNT_PATH_URL, paths)
        self.assertEqual(Decimal("1000"), self.exchange.get_available_balance("USDC"))

    async def test_unreadable_settings_keep_the_conservative_reading(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=500, body="{}")
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), body=json.dumps(CAPITAL))
            mock_api.get(url(CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL), body=json.dumps(POSITIONS))
            await self.exchange._update_balances()
        self.assertIsNone(self.exchange._fees.auto_lend)
        self.assertEqual(Decimal("100"), self.exchange.get_available_balance("USDC"))
        self.assertTrue(self.logged("WARNING", "Could not read the Backpack account settings"))

    async def test_fee_refresh_turns_the_reading_on_and_off(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(dict(ACCOUNT, autoLend=True)))
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(dict(ACCOUNT, autoLend=False)))
            await self.exchange._update_trading_fees()
            self.assertTrue(self.exchange._fees.lent_available)
            await self.exchange._update_trading_fees()
            self.assertFalse(self.exchange._fees.lent_available)

    async def _placed_bodies(self, auto_lend: bool):
        self.exchange._fees.auto_lend = auto_lend
        with aioresponses() as mock_api:
            sent = asyncio.Event()
            mock_api.post(url(CONSTANTS.ORDER_PATH_URL), callback=lambda *a, **k: sent.set(),
                          body=json.dumps({"id": "77", "status": "New"}))
            mock_api.post(url(CONSTANTS.ORDERS_PATH_URL),
                          body=json.dumps([{"operation": "Ok", "id": "78", "status": "New"}]))
            self.exchange.buy(self.pair, Decimal("1"), OrderType.LIMIT, Decimal("150"))
            await asyncio.wait_for(sent.wait(), 10)
            self.exchange.batch_order_create(
                [LimitOrder("", self.pair, True, "SOL", "USDC", Decimal("141"), Decimal("1"))])
            await wait_for(lambda: len(self.ev(MarketEvent.BuyOrderCreated)) == 2)
            single = json.loads(mock_api.requests[("POST", _url(CONSTANTS.ORDER_PATH_URL))][0].kwargs["data"])
            batch = json.loads(mock_api.requests[("POST", _url(CONSTANTS.ORDERS_PATH_URL))][0].kwargs["data"])
        return single, batch[0]

    async def test_orders_carry_auto_lend_redeem_only_when_auto_lend_is_on(self):
        single, element = await self._placed_bodies(True)
        self.assertIs(True, single["autoLendRedeem"])
        self.assertIs(True, element["autoLendRedeem"])

    async def test_orders_carry_no_flag_when_auto_lend_is_off(self):
        single, element = await self._placed_bodies(False)
        self.assertNotIn("autoLendRedeem", single)
        self.assertNotIn("autoLendRedeem", element)

    async def test_balance_event_under_auto_lend(self):
        await self._update_balances(True)
        self.exchange._balance_state.requested_at_s = 0
        self.exchange._apply_balance_event({"e": "balanceUpdate", "a": "USDC", "A": "40", "L": "110"})
        self.assertEqual(Decimal("940"), self.exchange.get_available_balance("USDC"))
        self.assertEqual(Decimal("1050"), self.exchange.get_balance("USDC"))


def _url(path: str) -> URL:
    return URL(url(path))
