"""Reconcile what the connector saw with the sandbox exchange's ledger.

Three checks, each listing its discrepancies (empty lists mean a match):
1. fills: the connector's ``OrderFilledEvent`` set equals the exchange's fills for the account, by trade id, with
   the same price, quantity, fee and fee asset — no fill missing, none counted twice;
2. balances: the connector's total balance per asset equals the exchange's (available + locked);
3. conservation: start balances + the connector's own fills (quantity in, quote out, fees) equal the end balances
   the exchange reports — the connector's fill accounting is complete and correct.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, Iterable, List

from hummingbot.core.data_type.common import TradeType


@dataclass
class LedgerCheck:
    """Discrepancies by check; trade ids as strings, mismatches per asset as ``{side: amount}``."""

    missing_fills: List[str] = field(default_factory=list)       # on the exchange, not seen by the connector
    duplicate_fills: List[str] = field(default_factory=list)     # seen more than once by the connector
    unknown_fills: List[str] = field(default_factory=list)       # seen by the connector, not on the exchange
    fill_mismatches: List[str] = field(default_factory=list)     # same trade id, different price/qty/fee
    balance_mismatches: Dict[str, Dict[str, str]] = field(default_factory=dict)
    conservation_mismatches: Dict[str, Dict[str, str]] = field(default_factory=dict)

    @property
    def match(self) -> bool:
        return not (self.missing_fills or self.duplicate_fills or self.unknown_fills or self.fill_mismatches
                    or self.balance_mismatches or self.conservation_mismatches)


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def fees_by_asset(fill_events: Iterable) -> Dict[str, Decimal]:
    """Total flat fee per asset of the connector's ``OrderFilledEvent`` objects."""
    fees: Dict[str, Decimal] = defaultdict(Decimal)
    for event in fill_events:
        for token_amount in event.trade_fee.flat_fees:
            fees[token_amount.token] += token_amount.amount
    return dict(fees)


def reconcile(fill_events: List, exchange_fills: List[Dict[str, Any]],
              connector_totals: Dict[str, Decimal], exchange_totals: Dict[str, Decimal],
              start_totals: Dict[str, Decimal]) -> LedgerCheck:
    """Compare the connector's view with the exchange's.

    :param fill_events: the connector's ``OrderFilledEvent`` objects.
    :param exchange_fills: the exchange's fills of the account (``/wapi/v1/history/fills`` shape: ``tradeId``,
        ``price``, ``quantity``, ``fee``, ``feeSymbol``).
    :param connector_totals / exchange_totals / start_totals: total balance per asset.
    """
    check = LedgerCheck()
    seen = Counter(str(e.exchange_trade_id) for e in fill_events)
    check.duplicate_fills = sorted(trade_id for trade_id, n in seen.items() if n > 1)
    ours = {str(e.exchange_trade_id): e for e in fill_events}
    theirs = {str(f["tradeId"]): f for f in exchange_fills}
    check.missing_fills = sorted(set(theirs) - set(ours))
    check.unknown_fills = sorted(set(ours) - set(theirs))
    for trade_id in sorted(set(ours) & set(theirs)):
        event, fill = ours[trade_id], theirs[trade_id]
        fees = {t.token: t.amount for t in event.trade_fee.flat_fees}
        if (event.price != _d(fill["price"]) or event.amount != _d(fill["quantity"])
                or fees.get(fill["feeSymbol"], Decimal(0)) != _d(fill["fee"])):
            check.fill_mismatches.append(trade_id)

    for asset in sorted(set(connector_totals) | set(exchange_totals)):
        ours_total, theirs_total = connector_totals.get(asset, Decimal(0)), exchange_totals.get(asset, Decimal(0))
        if ours_total != theirs_total:
            check.balance_mismatches[asset] = {"connector": str(ours_total), "exchange": str(theirs_total)}

    expected = defaultdict(Decimal, start_totals)
    for event in fill_events:
        base, quote = event.trading_pair.split("-")
        sign = 1 if event.trade_type == TradeType.BUY else -1
        expected[base] += sign * event.amount
        expected[quote] -= sign * event.amount * event.price
        for token_amount in event.trade_fee.flat_fees:
            expected[token_amount.token] -= token_amount.amount
    for asset in sorted(set(expected) | set(exchange_totals)):
        if expected[asset] != exchange_totals.get(asset, Decimal(0)):
            check.conservation_mismatches[asset] = {"expected": str(expected[asset]),
                                                    "exchange": str(exchange_totals.get(asset, Decimal(0)))}
    return check
