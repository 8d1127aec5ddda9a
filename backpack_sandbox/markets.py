"""Market definitions, asset rows and decimal formatting.

Market JSON follows the Market object of docs/backpack-api.md §4.4 (``visible`` true, ``orderBookState`` Open,
``filters.price`` / ``filters.quantity``). Spot markets trade; the PERP rows of :data:`PERP_MARKETS` are listed by
``GET /api/v1/markets`` only (no book, no orders), so clients see the real mix of market types.

Filter values of the three real markets:
- SOL_USDC tick 0.01 / step 0.01 / min 0.01: the §4.4 example of docs/backpack-api.md (from the spec) and
  the stored apis.io "Backpack Markets List Example" (api.backpack.exchange/api/v1/markets).
- BTC_USDC tick 0.1 / step 0.00001 / min 0.00001: step 0.00001 is what a wire probe read on
  BTC_USDC_PERP (nemanull/arbitrage-observatory docs/profiles/backpack/rest.md §2); tick 0.1 matches
  the probe's BTC prices "86700" (REST) vs "86700.0" (WS) (§4.6). Spot assumed equal to the perp: UNCONFIRMED.
- ETH_USDC tick 0.01 / step 0.0001 / min 0.0001: §8.5 orderFill example ("q":"0.0010","L":"4299.16").
  minQuantity equal to the step is UNCONFIRMED.
- SPCX.US_USDC (tokenized stock, ``rwaMarketType`` STOCK, §4.4): symbol shape from §4.4; tick 0.01 / step 0.001 /
  min 0.001 and mid 250 are the sandbox's choice. Not in the default market list.
- PERP rows: futures fields (``imfFunction``/``mmfFunction`` ``{type: "sqrt", base, factor}``, ``fundingInterval``
  ms, funding bounds in bps) with the shapes of §4.4; their values are illustrative.

Formatting (§4.6, §8.1): REST prints decimals without trailing zeros (``"86700"``); WS pads prices to
the tick's decimals and quantities to the step's decimals (``"86700.0"``, ``"0.00000"``).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, Iterable, List, Optional


def fmt(value: Optional[Decimal]) -> Optional[str]:
    """REST rendering: plain notation, no trailing zeros, ``"0"`` for zero (§4.6)."""
    if value is None:
        return None
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def decimals_of(step: Decimal) -> int:
    """Number of decimal places of an increment such as ``0.001`` (→ 3) or ``1`` (→ 0)."""
    exp = step.normalize().as_tuple().exponent
    return max(0, -int(exp))


def fmt_pad(value: Optional[Decimal], places: int) -> Optional[str]:
    """WS rendering: fixed ``places`` decimals (§8.1, e.g. ``"86700.0"``)."""
    if value is None:
        return None
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def fmt_ws(value: Optional[Decimal], places: int, pad: bool = True) -> Optional[str]:
    """WS rendering: padded to ``places`` (§8.1) or, with ``pad`` false, as REST prints it."""
    return fmt_pad(value, places) if pad else fmt(value)


@dataclass(frozen=True)
class MarketSpec:
    """One market: symbol ``BASE_QUOTE`` (§0), tick/step/min as Decimals, initial mid (quote units), and the price
    band (``min_multiplier``/``max_multiplier``) and market-order impact limits of its price filter (§4.4; the
    §4.4 example's values)."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    initial_mid: Decimal
    created_at: str = "2025-01-21T06:34:54.691858"
    market_type: str = "SPOT"
    rwa_type: Optional[str] = None
    max_multiplier: Decimal = Decimal("1.25")
    min_multiplier: Decimal = Decimal("0.75")
    max_impact_multiplier: Decimal = Decimal("1.03")
    min_impact_multiplier: Decimal = Decimal("0.97")

    @property
    def price_decimals(self) -> int:
        return decimals_of(self.tick_size)

    @property
    def qty_decimals(self) -> int:
        return decimals_of(self.step_size)

    def to_json(self) -> dict:
        """Market object of §4.4 (futures-only fields null on spot rows)."""
        perp = self.market_type == "PERP"
        return {
            "symbol": self.symbol,
            "baseSymbol": self.base,
            "quoteSymbol": self.quote,
            "marketType": self.market_type,
            "filters": {
                "price": {
                    "minPrice": fmt(self.tick_size),
                    "maxPrice": None,
                    "tickSize": fmt(self.tick_size),
                    "maxMultiplier": fmt(self.max_multiplier),
                    "minMultiplier": fmt(self.min_multiplier),
                    "maxImpactMultiplier": fmt(self.max_impact_multiplier),
                    "minImpactMultiplier": fmt(self.min_impact_multiplier),
                    "meanMarkPriceBand": {"maxMultiplier": "1.1", "minMultiplier": "0.9"} if perp else None,
                    "meanPremiumBand": {"tolerancePct": "0.05"} if perp else None,
                    "borrowEntryFeeMaxMultiplier": None,
                    "borrowEntryFeeMinMultiplier": None,
                },
                "quantity": {
                    "minQuantity": fmt(self.min_quantity),
                    "maxQuantity": None,
                    "stepSize": fmt(self.step_size),
                },
            },
            "imfFunction": {"type": "sqrt", "base": "0.02", "factor": "0.0001275"} if perp else None,
            "mmfFunction": {"type": "sqrt", "base": "0.0125", "factor": "0.0000765"} if perp else None,
            "fundingInterval": 3600000 if perp else None,
            "fundingRateUpperBound": "100" if perp else None,
            "fundingRateLowerBound": "-100" if perp else None,
            "openInterestLimit": "4000000" if perp else "0",
            "orderBookState": "Open",
            "createdAt": self.created_at,
            "visible": True,
            "positionLimitWeight": "1" if perp else None,
            "rwaMarketType": self.rwa_type,
        }


def asset_json(symbol: str) -> dict:
    """Element of ``GET /api/v1/assets`` (§4.9): one Solana token row; withdrawal figures illustrative."""
    decimals = {"BTC": 8, "ETH": 8, "USDC": 6}.get(symbol, 9)
    token = {
        "blockchain": "Solana", "contractAddress": None, "depositEnabled": True, "minimumDeposit": "0",
        "withdrawEnabled": True, "minimumWithdrawal": "0", "maximumWithdrawal": None, "withdrawalFee": "0",
        "nativeDecimals": decimals, "displayName": symbol,
    }
    return {"symbol": symbol, "displayName": symbol, "coingeckoId": None, "tokens": [token]}


def _spec(symbol: str, tick: str, step: str, min_q: str, mid: str, **kw) -> MarketSpec:
    base, quote = symbol.split("_")[:2]
    return MarketSpec(symbol, base, quote, Decimal(tick), Decimal(step), Decimal(min_q), Decimal(mid), **kw)


KNOWN_MARKETS: Dict[str, MarketSpec] = {
    m.symbol: m
    for m in (
        _spec("SOL_USDC", "0.01", "0.01", "0.01", "150"),
        _spec("BTC_USDC", "0.1", "0.00001", "0.00001", "90000"),
        _spec("ETH_USDC", "0.01", "0.0001", "0.0001", "3000"),
        _spec("SPCX.US_USDC", "0.01", "0.001", "0.001", "250", rwa_type="STOCK"),
    )
}

PERP_MARKETS: List[MarketSpec] = [
    _spec(f"{base}_USDC_PERP", tick, step, step, mid, market_type="PERP")
    for base, tick, step, mid in (("SOL", "0.01", "0.01", "150"), ("BTC", "0.1", "0.00001", "90000"),
                                  ("ETH", "0.01", "0.0001", "3000"))
]


def synthetic_market(index: int) -> MarketSpec:
    """``TOKEN<n>_USDC``: tick 0.0001, step 0.1, min 0.1, mid 1 + n/10 (for many-pair benchmarks)."""
    return _spec(f"TOKEN{index}_USDC", "0.0001", "0.1", "0.1", str(Decimal(1) + Decimal(index) / 10))


def build_markets(symbols: Iterable[str], extra_markets: int = 0) -> List[MarketSpec]:
    """Resolve configured symbols (known ones, or ``TOKENn_USDC``) and append ``extra_markets`` synthetic ones."""
    out: List[MarketSpec] = []
    seen = set()
    for sym in symbols:
        sym = sym.strip()
        if not sym or sym in seen:
            continue
        if sym in KNOWN_MARKETS:
            out.append(KNOWN_MARKETS[sym])
        elif sym.startswith("TOKEN") and sym.endswith("_USDC") and sym[5:-5].isdigit():
            out.append(synthetic_market(int(sym[5:-5])))
        else:
            raise ValueError(f"unknown market {sym!r}; known: {sorted(KNOWN_MARKETS)} or TOKENn_USDC")
        seen.add(sym)
    n = 1
    added = 0
    while added < extra_markets:
        spec = synthetic_market(n)
        n += 1
        if spec.symbol in seen:
            continue
        out.append(spec)
        seen.add(spec.symbol)
        added += 1
    return out
