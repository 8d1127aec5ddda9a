"""Balances from capital (§5.1), lend positions (§5.3) and ``account.balanceUpdate`` (§8.4); ``BalanceStreamState``."""
import logging
import time
from decimal import Decimal
from typing import Any, Callable, Dict, List, Mapping, Tuple

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle
from hummingbot.connector.exchange.backpack.backpack_order_parsing import to_decimal, us_to_s
from hummingbot.connector.exchange.backpack.backpack_types import BalanceEntry, BalanceUpdateEvent, BorrowLendPosition

_ZERO = Decimal("0")


def check_non_negative(free: Decimal, held: Decimal) -> None:
    """:raises ValueError: a negative amount (spot balances are never negative, §5.1)."""
    if free < _ZERO or held < _ZERO:
        raise ValueError(f"negative balance (available {free}, locked + staked {held})")


def lent_amounts(positions: Any, logger: logging.Logger) -> Dict[str, Decimal]:
    """Positive ``netQuantity`` (lent) per asset (§5.3); malformed positions are logged and skipped."""
    lent: Dict[str, Decimal] = {}
    rows: List[BorrowLendPosition] = positions if isinstance(positions, list) else []
    for position in rows:
        try:
            quantity = to_decimal(position["netQuantity"])
            asset = position["symbol"]
            if type(asset) is not str:
                raise ValueError(f"asset is not a string: {str(asset)[:32]!r}")
        except (KeyError, ValueError, TypeError) as e:
            logger.warning(f"Skipping malformed Backpack lend position {position!r}: {e!r}")
            continue
        if quantity > _ZERO:
            lent[asset] = lent.get(asset, _ZERO) + quantity
    return lent


def balances_from_capital(capital: Mapping[str, BalanceEntry], lent: Mapping[str, Decimal],
                          logger: logging.Logger) -> Tuple[Dict[str, Decimal], Dict[str, Decimal]]:
    """``(available, total)`` per asset; total adds locked, staked and lent (§11.10). Bad entries are skipped."""
    available: Dict[str, Decimal] = {}
    total: Dict[str, Decimal] = {}
    for asset, entry in capital.items():
        try:
            free = to_decimal(entry["available"])
            held = to_decimal(entry.get("locked") or 0) + to_decimal(entry.get("staked") or 0)
            check_non_negative(free, held)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            logger.warning(f"Skipping malformed Backpack balance entry {asset!r}: {e!r}")
            continue
        available[asset] = free
        total[asset] = free + held
    for asset, amount in lent.items():
        total[asset] = total.get(asset, _ZERO) + amount
        available.setdefault(asset, _ZERO)
    return available, total


def balance_from_event(data: BalanceUpdateEvent, lent: Mapping[str, Decimal]) -> Tuple[str, Decimal, Decimal]:
    """``(asset, available, total)`` of an ``account.balanceUpdate`` (§8.4), total including ``lent``.

    :raises KeyError/ValueError/TypeError: a missing or malformed field, a negative amount.
    """
    asset = data["a"]
    if type(asset) is not str:
        raise ValueError(f"balance event asset is not a string: {str(asset)[:32]!r}")
    free = to_decimal(data["A"])
    held = to_decimal(data.get("L") or 0) + to_decimal(data.get("S") or 0)
    check_non_negative(free, held)
    return asset, free, free + held + lent.get(asset, _ZERO)


def event_available(event_free: Decimal, asset: str, in_flight_now: Mapping[str, Decimal],
                    in_flight_snapshot: Mapping[str, Decimal]) -> Decimal:
    """The available amount to store for an ``account.balanceUpdate`` while ``real_time_balance_update`` is off.

    Hummingbot then reports ``stored - in_flight(current orders) + in_flight(snapshot at the last REST poll)``.
    The event already reflects the orders Backpack holds (``in_flight_now``: tracked orders past creation), so the
    stored amount adds their locks back and takes the snapshot's off: the reported amount equals the event's
    ``A`` minus only the orders Backpack has not acknowledged yet.
    """
    return event_free + in_flight_now.get(asset, _ZERO) - in_flight_snapshot.get(asset, _ZERO)


class BalanceStreamState:
    """Lent amounts, REST request time and whether the balance stream is refused; ``clock`` in monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.lent: Dict[str, Decimal] = {}
        #: Server time (s) of the last REST balance request.
        self.requested_at_s = 0.0
        self._log_throttle = LogThrottle(interval_s=60.0, clock=clock)

    def is_stale(self, data: BalanceUpdateEvent) -> bool:
        """Whether the event's ``E`` (µs) predates the last REST balance request."""
        event_time = data.get("E")
        return event_time is not None and us_to_s(event_time) < self.requested_at_s

    def should_log_lend_failure(self) -> bool:
        """True at most once a minute."""
        return self._log_throttle.check("lend") is not None
