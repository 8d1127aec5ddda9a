"""Markets of ``BackpackExchange``: trading rules and the symbol map from ``GET /api/v1/markets`` (§4.4) and last
traded prices (§4.5). Mixed into ``BackpackExchange``."""
from typing import Any, Dict, Iterable, List, Mapping, Optional

from bidict import bidict

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_utils
from hummingbot.connector.exchange.backpack.backpack_order_parsing import trading_rule_from_market
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.connector.utils import combine_to_hb_trading_pair


class _ResolvedTradingPair(str):
    """A trading pair that is also awaitable (``await x`` gives the same text).

    ``trading_pair_associated_to_exchange_symbol`` is async in Hummingbot, but Hummingbot's shipped
    ``BackpackRateSource`` calls it without ``await`` (it was written against a connector that overrode it with a
    sync method, §11). Returning this object when the symbol map already knows the symbol serves both callers
    without making the method synchronous.
    """
    __slots__ = ()

    def __await__(self):
        if False:  # pragma: no cover - makes this a generator, never yields
            yield
        return str(self)



class BackpackMarketsMixin:
    """Trading rules, symbol map (``_symbol_map_view`` is set up by ``BackpackExchange.__init__``) and prices."""

    # ============================================================================= markets / rules / symbols
    async def _format_trading_rules(self, exchange_info_dict: Any) -> List[TradingRule]:
        """Trading rules of the tradable spot markets of ``GET /api/v1/markets`` (§4.4; filter:
        ``backpack_utils.is_exchange_information_valid``). Unparseable entries are logged and skipped."""
        rules = []
        for market in _markets(exchange_info_dict):
            try:
                if not backpack_utils.is_exchange_information_valid(market):
                    continue
                trading_pair = combine_to_hb_trading_pair(market["baseSymbol"], market["quoteSymbol"])
                rules.append(trading_rule_from_market(market, trading_pair))
            except Exception as e:
                symbol = market.get("symbol") if isinstance(market, dict) else repr(market)
                self.logger().error(f"Error parsing the trading rule of Backpack market {symbol}: {e!r}. Skipping.")
        return rules

    def _initialize_trading_pair_symbols_from_exchange_info(self, exchange_info: Any):
        """bidict exchange symbol → trading pair from ``baseSymbol``/``quoteSymbol`` (never string replacement,
        §11.8); only tradable spot markets. A pair claimed twice keeps its first symbol (logged)."""
        mapping = bidict()
        for market in _markets(exchange_info):
            try:
                if not backpack_utils.is_exchange_information_valid(market):
                    continue
                symbol = market["symbol"]
                trading_pair = combine_to_hb_trading_pair(market["baseSymbol"], market["quoteSymbol"])
            except Exception:
                continue
            if trading_pair in mapping.inverse or symbol in mapping:
                self.logger().warning(f"Backpack market {symbol} maps to {trading_pair}, already taken; ignored.")
                continue
            mapping[symbol] = trading_pair
        self._set_trading_pair_symbol_map(mapping)

    def _set_trading_pair_symbol_map(self, trading_pair_and_symbol_map: Optional[Mapping[str, str]]):
        self._symbol_map_view = trading_pair_and_symbol_map
        super()._set_trading_pair_symbol_map(trading_pair_and_symbol_map)

    def trading_pair_associated_to_exchange_symbol(self, symbol: str):
        """Awaitable trading pair of an exchange symbol (Hummingbot's async API). When the map is loaded and knows
        the symbol, the result is also usable without ``await`` (see ``_ResolvedTradingPair``)."""
        mapping = self._symbol_map_view
        if mapping is not None and symbol in mapping:
            return _ResolvedTradingPair(mapping[symbol])
        return super().trading_pair_associated_to_exchange_symbol(symbol)

    # ================================================================================== prices
    async def get_last_traded_prices(self, trading_pairs: List[str]) -> Dict[str, float]:
        """``lastPrice`` per trading pair: ``/api/v1/ticker`` for one pair, one ``/api/v1/tickers`` call for several
        (§4.5). A 204 (no data) or a pair without a price is left out."""
        if not trading_pairs:
            return {}
        if len(trading_pairs) == 1:
            symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pairs[0])
            ticker = await self._api_get(path_url=CONSTANTS.TICKER_PATH_URL, params={"symbol": symbol})
            tickers = [ticker] if isinstance(ticker, dict) else []
        else:
            tickers = await self._api_get(path_url=CONSTANTS.TICKERS_PATH_URL) or []
        wanted = set(trading_pairs)
        symbol_map = await self.trading_pair_symbol_map()
        prices = {}
        for ticker in tickers if isinstance(tickers, list) else []:
            symbol = ticker.get("symbol") if isinstance(ticker, dict) else None
            trading_pair = symbol_map.get(symbol) if type(symbol) is str else None
            if trading_pair in wanted and ticker.get("lastPrice") not in (None, ""):
                try:
                    price = float(ticker["lastPrice"])
                except (TypeError, ValueError):
                    price = float("nan")
                if 0 < price < float("inf"):  # junk, NaN, Infinity and non-positive prices are left out
                    prices[trading_pair] = price
        return prices

    async def _get_last_traded_price(self, trading_pair: str) -> float:
        prices = await self.get_last_traded_prices([trading_pair])
        return prices.get(trading_pair, float("nan"))

    async def get_all_pairs_prices(self) -> List[Dict[str, Any]]:
        """Tickers of ``GET /api/v1/tickers`` (§4.5: ``symbol``, ``lastPrice``...) for the spot markets this connector
        maps (perps and closed/hidden markets left out), for Hummingbot's rate oracle. Loads the symbol map first,
        so ``trading_pair_associated_to_exchange_symbol`` resolves every returned symbol."""
        tickers = await self._api_get(path_url=CONSTANTS.TICKERS_PATH_URL) or []
        symbol_map = await self.trading_pair_symbol_map()
        return [ticker for ticker in tickers if isinstance(ticker, dict) and type(ticker.get("symbol")) is str
                and ticker["symbol"] in symbol_map]


def _markets(exchange_info: Any) -> Iterable[Dict[str, Any]]:
    if isinstance(exchange_info, list):
        return exchange_info
    raise ValueError(f"expected the list of markets of GET {CONSTANTS.MARKETS_PATH_URL}, got "
                     f"{type(exchange_info).__name__}")

