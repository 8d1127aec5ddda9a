"""Pure functions over ``GET /api/v1/markets`` (§4.4) and tickers (§4.5): trading rules, the symbol map, last
prices. No I/O; problems are returned for the caller to log."""
from typing import Any, Collection, Dict, List, Mapping, Sequence, Tuple, cast

from bidict import bidict

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_utils
from hummingbot.connector.exchange.backpack.backpack_order_parsing import trading_rule_from_market
from hummingbot.connector.exchange.backpack.backpack_types import Market, Ticker
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.connector.utils import combine_to_hb_trading_pair


class ResolvedTradingPair(str):
    """A trading pair that is also awaitable (``await x`` gives the same text).

    ``trading_pair_associated_to_exchange_symbol`` is async in Hummingbot, but Hummingbot's shipped
    ``BackpackRateSource`` calls it without ``await`` (§11); this value serves both callers.
    """
    __slots__ = ()

    def __await__(self):
        if False:  # pragma: no cover - makes this a generator, never yields
            yield
        return str(self)


def markets_list(exchange_info: Any) -> Sequence[Market]:
    """The markets of a ``GET /api/v1/markets`` answer. :raises ValueError: the answer is not a list."""
    if isinstance(exchange_info, list):
        return exchange_info
    raise ValueError(f"expected the list of markets of GET {CONSTANTS.MARKETS_PATH_URL}, got "
                     f"{type(exchange_info).__name__}")


def trading_rules(exchange_info: Any) -> Tuple[List[TradingRule], List[Tuple[str, Exception]]]:
    """``(rules, errors)``: rules of the tradable spot markets (``backpack_utils.is_exchange_information_valid``);
    ``errors`` lists ``(symbol or repr, exception)`` of the markets that could not be parsed.

    :raises ValueError: the answer is not a list.
    """
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
    """``(map, conflicts)``: bidict exchange symbol → trading pair from ``baseSymbol``/``quoteSymbol`` (never string
    replacement, §11.8) of the tradable spot markets. A pair or symbol claimed twice keeps its first claim; later
    claims are returned in ``conflicts`` as ``(symbol, trading pair)``. Malformed markets are skipped.

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
    """``lastPrice`` per wanted trading pair from ticker objects (§4.5); junk tickers, NaN/infinite/non-positive or
    missing prices are left out."""
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


def mapped_tickers(tickers: Any, symbols: Mapping[str, str]) -> List[Ticker]:
    """The ticker objects whose ``symbol`` is in ``symbols`` (spot markets the connector maps)."""
    return [cast(Ticker, ticker) for ticker in tickers or []
            if isinstance(ticker, dict) and type(ticker.get("symbol")) is str and ticker["symbol"] in symbols]
