"""Pure functions over markets (§4.4) and tickers (§4.5); problems are returned for the caller to log."""
import math
from typing import Any, Collection, Dict, List, Mapping, Optional, Sequence, Tuple, cast

from bidict import bidict

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_utils
from hummingbot.connector.exchange.backpack.backpack_order_parsing import trading_rule_from_market
from hummingbot.connector.exchange.backpack.backpack_types import Market, Ticker
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.connector.utils import combine_to_hb_trading_pair


class ResolvedTradingPair(str):
    """A trading pair that is also awaitable, for callers with and without ``await`` (§11)."""
    __slots__ = ()

    def __await__(self):
        if False:  # pragma: no cover - makes this a generator, never yields
            yield
        return str(self)


def markets_list(exchange_info: Any) -> Sequence[Market]:
    """:raises ValueError: the answer is not a list."""
    if isinstance(exchange_info, list):
        return exchange_info
    raise ValueError(f"expected the list of markets of GET {CONSTANTS.MARKETS_PATH_URL}, got "
                     f"{type(exchange_info).__name__}")


def trading_rules(exchange_info: Any) -> Tuple[List[TradingRule], List[Tuple[str, Exception]]]:
    """``(rules, [(symbol, exception)])`` of the tradable spot markets; ``ValueError`` if not a list."""
    rules: List[TradingRule] = []
    errors: List[Tuple[str, Exception]] = []
    for market in markets_list(exchange_info):
        try:
            if not backpack_utils.is_exchange_information_valid(market):
                continue
            trading_pair = combine_to_hb_trading_pair(market["baseSymbol"], market["quoteSymbol"])
            rules.append(trading_rule_from_market(market, trading_pair))
        except Exception as e:
            symbol = market.get("symbol") if isinstance(market, dict) else repr(market)
            errors.append((str(symbol), e))
    return rules, errors


def symbol_map(exchange_info: Any) -> Tuple[bidict, List[Tuple[str, str]]]:
    """``(bidict symbol → pair, conflicts)`` from ``baseSymbol``/``quoteSymbol`` (§11.8); first claim wins.

    :raises ValueError: the answer is not a list.
    """
    mapping: bidict = bidict()
    conflicts: List[Tuple[str, str]] = []
    for market in markets_list(exchange_info):
        try:
            if not backpack_utils.is_exchange_information_valid(market):
                continue
            symbol = market["symbol"]
            trading_pair = combine_to_hb_trading_pair(market["baseSymbol"], market["quoteSymbol"])
        except Exception:
            continue
        if trading_pair in mapping.inverse or symbol in mapping:
            conflicts.append((symbol, trading_pair))
            continue
        mapping[symbol] = trading_pair
    return mapping, conflicts


def last_prices(tickers: Any, symbols: Mapping[str, str], wanted: Collection[str]) -> Dict[str, float]:
    """Finite positive ``lastPrice`` per wanted trading pair (§4.5)."""
    prices: Dict[str, float] = {}
    for ticker in tickers if isinstance(tickers, list) else []:
        symbol = ticker.get("symbol") if isinstance(ticker, dict) else None
        trading_pair = symbols.get(symbol) if type(symbol) is str else None
        if trading_pair is not None and trading_pair in wanted and ticker.get("lastPrice") not in (None, ""):
            try:
                price = float(ticker["lastPrice"])
            except (TypeError, ValueError):
                price = float("nan")
            if 0 < price < float("inf"):
                prices[trading_pair] = price
    return prices


def fallback_last_price(order_book: Any) -> Optional[float]:
    """Price of the last public trade the book applied, else the book's mid; ``None`` without either.

    For pairs a ticker answer leaves out (204 for a market without trades, §4.5).
    """
    if order_book.last_applied_trade > 0:
        price = order_book.last_trade_price
        if 0 < price < math.inf:
            return float(price)
    try:
        mid = (order_book.get_price(True) + order_book.get_price(False)) / 2
    except (OSError, ValueError):  # an empty side
        return None
    return float(mid) if 0 < mid < math.inf else None


def mapped_tickers(tickers: Any, symbols: Mapping[str, str]) -> List[Ticker]:
    return [cast(Ticker, ticker) for ticker in tickers or []
            if isinstance(ticker, dict) and type(ticker.get("symbol")) is str and ticker["symbol"] in symbols]
