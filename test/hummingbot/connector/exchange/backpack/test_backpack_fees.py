"""``BackpackFeeSchedule`` alone, then the exchange's fee estimates and ``autoLend`` reading after
``GET /api/v1/account`` (aioresponses)."""
import json
import unittest
from decimal import Decimal

from aioresponses import aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_utils
from hummingbot.connector.exchange.backpack.backpack_fees import BackpackFeeSchedule
from hummingbot.core.data_type.common import OrderType, TradeType

from .exchange_test_support import ExchangeTestCase, url

AUTO_LEND_ACCOUNT = {"spotMakerFee": "2", "spotTakerFee": "5"}


class FeeScheduleTests(unittest.TestCase):
    def test_defaults_until_the_account_answers(self):
        fees = BackpackFeeSchedule()
        defaults = backpack_utils.DEFAULT_FEES
        self.assertEqual(defaults.maker_percent_fee_decimal, fees.percent(OrderType.LIMIT_MAKER, None))
        self.assertEqual(defaults.taker_percent_fee_decimal, fees.percent(OrderType.LIMIT, None))

    def test_basis_points_to_fractions_maker_for_post_only_or_is_maker(self):
        fees = BackpackFeeSchedule()
        fees.update({"spotMakerFee": "-2", "spotTakerFee": "9.5", "autoLend": True})
        self.assertEqual(Decimal("-0.0002"), fees.percent(OrderType.LIMIT_MAKER, None))
        self.assertEqual(Decimal("-0.0002"), fees.percent(OrderType.LIMIT, True))
        self.assertEqual(Decimal("0.00095"), fees.percent(OrderType.LIMIT, False))
        self.assertEqual(Decimal("0.00095"), fees.percent(OrderType.MARKET, None))
        self.assertTrue(fees.auto_lend)

    def test_a_malformed_answer_raises(self):
        for account in ({}, {"spotMakerFee": "x", "spotTakerFee": "1"}):
            with self.assertRaises((KeyError, ValueError)):
                BackpackFeeSchedule().update(account)


class FeesThroughExchangeTests(ExchangeTestCase):
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

    async def test_fee_refresh_turns_the_reading_on_and_off(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(dict(AUTO_LEND_ACCOUNT, autoLend=True)))
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps(dict(AUTO_LEND_ACCOUNT, autoLend=False)))
            await self.exchange._update_trading_fees()
            self.assertTrue(self.exchange._fees.lent_available)
            await self.exchange._update_trading_fees()
            self.assertFalse(self.exchange._fees.lent_available)
