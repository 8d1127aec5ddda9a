"""``backpack_markets`` pure functions, then trading rules, symbol map and prices through the exchange (aioresponses,
including generated hostile bodies)."""
import asyncio
import json
import unittest
from decimal import Decimal

from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_markets as markets
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

from .exchange_test_support import ExchangeTestCase, official_vectors, url
from .hostile_payloads import json_values, mutated, wire_text

REST_SETTINGS = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLEAR_ERRORS = (ValueError, IOError)


def market(base: str, tick: str = "0.01", **overrides) -> dict:
    entry = {"symbol": f"{base}_USDC", "baseSymbol": base, "quoteSymbol": "USDC", "marketType": "SPOT",
             "visible": True, "orderBookState": "Open",
             "filters": {"price": {"minPrice": tick, "tickSize": tick},
                         "quantity": {"minQuantity": "0.01", "stepSize": "0.01"}}}
    entry.update(overrides)
    return entry


GOOD_MARKETS = [market("SOL"), market("ETH", "0.1")]
MARKET_SEEDS = [market("WEN")] + official_vectors("test_market_order_book_state_and_visible_parse", expected=1) \
    + official_vectors("test_market_rwa_market_type_parse", expected=1)
MARKETS = [
    market("SOL"),
    market("SOL", symbol="SOL_USDC_PERP", marketType="PERP"),
    market("HID", visible=False),
    dict(market("BAD"), filters={"price": {"tickSize": "abc"}, "quantity": {}}),
    *official_vectors("test_market_order_book_state_and_visible_parse", expected=1),   # Closed, invisible
    *official_vectors("test_market_rwa_market_type_parse", expected=1),                # PostOnly, invisible
]


class PureFunctionTests(unittest.TestCase):
    def test_trading_rules_of_tradable_spot_markets_and_errors_of_bad_ones(self):
        rules, errors = markets.trading_rules(MARKETS)
        self.assertEqual(["SOL-USDC"], [rule.trading_pair for rule in rules])
        self.assertEqual(Decimal("0.01"), rules[0].min_price_increment)
        self.assertEqual(["BAD_USDC"], [symbol for symbol, _ in errors])
        self.assertIsInstance(errors[0][1], ValueError)

    def test_markets_answer_must_be_a_list(self):
        for bad in ({}, None, "x"):
            with self.assertRaises(ValueError):
                markets.trading_rules(bad)
            with self.assertRaises(ValueError):
                markets.symbol_map(bad)

    def test_symbol_map_keeps_the_first_claim(self):
        mapping, conflicts = markets.symbol_map([market("SOL"), market("SOL", symbol="SOL_USDC_2"), 5,
                                                 market("ETH")])
        self.assertEqual({"SOL_USDC": "SOL-USDC", "ETH_USDC": "ETH-USDC"}, dict(mapping))
        self.assertEqual([("SOL_USDC_2", "SOL-USDC")], conflicts)

    def test_last_prices_skip_junk(self):
        tickers = [5, {"symbol": ["SOL_USDC"]}, {"symbol": "SOL_USDC", "lastPrice": "NaN"},
                   {"symbol": "ETH_USDC", "lastPrice": "-1"}, {"symbol": "BTC_USDC", "lastPrice": "60000"},
                   {"symbol": "SOL_USDC", "lastPrice": "142.35"}]
        symbols = {"SOL_USDC": "SOL-USDC", "ETH_USDC": "ETH-USDC", "BTC_USDC": "BTC-USDC"}
        self.assertEqual({"SOL-USDC": 142.35}, markets.last_prices(tickers, symbols, {"SOL-USDC", "ETH-USDC"}))
        self.assertEqual({}, markets.last_prices({"symbol": "SOL_USDC"}, symbols, {"SOL-USDC"}))

    def test_mapped_tickers(self):
        tickers = [{"symbol": "SOL_USDC", "lastPrice": "1"}, {"symbol": "SOL_USDC_PERP"}, "x", {"symbol": 5}]
        self.assertEqual([tickers[0]], markets.mapped_tickers(tickers, {"SOL_USDC": "SOL-USDC"}))
        self.assertEqual([], markets.mapped_tickers(None, {"SOL_USDC": "SOL-USDC"}))

    def test_resolved_trading_pair_is_text_and_awaitable(self):
        pair = markets.ResolvedTradingPair("SOL-USDC")
        self.assertEqual("SOL-USDC", pair)
        self.assertEqual("SOL-USDC", asyncio.run(self._await(pair)))

    @staticmethod
    async def _await(value):
        return await value


class MarketsThroughExchangeTests(ExchangeTestCase):
    def run_examples(self, test, strategy, max_examples=60):
        @settings(REST_SETTINGS, max_examples=max_examples)
        @given(example=strategy)
        def check(example):
            self.run_async_with_timeout(test(example), timeout=30)
        check()

    async def test_rules_and_symbols_only_for_open_visible_spot_markets(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.MARKETS_PATH_URL), body=json.dumps(MARKETS))
            await self.exchange._update_trading_rules()
        self.assertEqual(["SOL-USDC"], list(self.exchange.trading_rules))
        symbol_map = await self.exchange.trading_pair_symbol_map()
        self.assertEqual({"SOL_USDC": "SOL-USDC", "BAD_USDC": "BAD-USDC"}, dict(symbol_map))
        self.assertTrue(self.logged("ERROR", "Error parsing the trading rule of Backpack market BAD_USDC"))

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
            tickers = [bad, {"symbol": "SOL_USDC", "lastPrice": "142.35"},
                       {"symbol": "ETH_USDC", "lastPrice": "3000.5"}]
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


def _book(bids=(), asks=()):
    from hummingbot.core.data_type.order_book import OrderBook
    from hummingbot.core.data_type.order_book_row import OrderBookRow
    book = OrderBook()
    book.apply_snapshot([OrderBookRow(p, 1.0, 1) for p in bids], [OrderBookRow(p, 1.0, 1) for p in asks], 1)
    return book


class FallbackLastPriceTests(unittest.TestCase):
    def test_last_applied_trade_then_mid_then_none(self):
        from hummingbot.core.data_type.common import TradeType
        from hummingbot.core.event.events import OrderBookTradeEvent
        book = _book([99.0], [101.0])
        self.assertEqual(100.0, markets.fallback_last_price(book))
        book.apply_trade(OrderBookTradeEvent("SOL-USDC", 1.0, TradeType.BUY, 100.5, 1.0))
        self.assertEqual(100.5, markets.fallback_last_price(book))
        self.assertIsNone(markets.fallback_last_price(_book([99.0], [])))
        self.assertIsNone(markets.fallback_last_price(_book()))


class EmptyTickerTests(ExchangeTestCase):
    async def test_a_204_ticker_falls_back_to_the_book(self):
        """A 204 (no trades, §4.5) left the pair out of the answer, so Hummingbot's tracker asked again at once."""
        self.exchange.order_book_tracker._order_books[self.pair] = _book([99.0], [101.0])
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.TICKER_PATH_URL) + "?symbol=SOL_USDC", status=204, body="")
            prices = await self.exchange.get_last_traded_prices([self.pair])
            mock_api.get(url(CONSTANTS.TICKERS_PATH_URL), body="[]")
            both = await self.exchange.get_last_traded_prices([self.pair, "ETH-USDC"])
        self.assertEqual({self.pair: 100.0}, prices)
        self.assertEqual({self.pair: 100.0}, both)  # ETH-USDC: no book, no price
