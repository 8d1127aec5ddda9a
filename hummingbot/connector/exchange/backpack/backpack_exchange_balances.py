"""Balances and fees of ``BackpackExchange``: REST balances (§5.1) plus lent funds (§5.3), WS balance events (§8.4)
and the balance-stream check, account fee tier (§5.4). Mixed into ``BackpackExchange``."""
import asyncio
import time
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional

from hummingbot.connector.constants import s_decimal_NaN
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_utils
from hummingbot.connector.exchange.backpack.backpack_order_parsing import bps_to_fraction, to_decimal, us_to_s
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.trade_fee import TradeFeeBase

_ZERO = Decimal("0")


class BackpackBalancesMixin:
    """Fees and balances; state (``_maker_fee``, ``_taker_fee``, ``_lent_balances``, ``_balances_requested_at_s``,
    ``_last_ws_fill_at``, ``_last_balance_event_at``) is set up by ``BackpackExchange.__init__``."""

    #: After WS fills with no ``account.balanceUpdate`` for this long, the balance stream is deemed absent.
    BALANCE_STREAM_GRACE_S = 30.0

    # ================================================================================== fees
    async def _update_trading_fees(self):
        """Account fee tier from ``GET /api/v1/account`` (§5.4): ``spotMakerFee``/``spotTakerFee`` in basis points →
        fractions (negative = rebate). Refreshed every ``TRADING_FEES_INTERVAL`` s by ExchangePyBase's loop."""
        account = await self._api_get(path_url=CONSTANTS.ACCOUNT_PATH_URL, is_auth_required=True)
        self._maker_fee = bps_to_fraction(account["spotMakerFee"])
        self._taker_fee = bps_to_fraction(account["spotTakerFee"])
        self._account_auto_lend = account.get("autoLend")

    def _get_fee(self,
                 base_currency: str,
                 quote_currency: str,
                 order_type: OrderType,
                 order_side: TradeType,
                 amount: Decimal,
                 price: Decimal = s_decimal_NaN,
                 is_maker: Optional[bool] = None) -> TradeFeeBase:
        """Estimated fee: maker rate when ``is_maker`` or LIMIT_MAKER (post-only never takes), else taker; the
        account's fetched rates, or ``backpack_utils.DEFAULT_FEES`` until ``/api/v1/account`` answered."""
        defaults = backpack_utils.DEFAULT_FEES
        if order_type is OrderType.LIMIT_MAKER or is_maker:
            percent = self._maker_fee if self._maker_fee is not None else defaults.maker_percent_fee_decimal
        else:
            percent = self._taker_fee if self._taker_fee is not None else defaults.taker_percent_fee_decimal
        return TradeFeeBase.new_spot_fee(fee_schema=self.trade_fee_schema(), trade_type=order_side, percent=percent)

    # ================================================================================== balances
    async def _update_balances(self):
        """Balances from ``GET /api/v1/capital`` (§5.1) plus lent funds from ``GET /api/v1/borrowLend/positions``
        (§5.3), the source of truth; assets absent from the answer are removed.

        total = available + locked + staked + lent (positive ``netQuantity``); available = ``available`` only.
        Lent funds are NOT counted as available: whether a plain spot order redeems them is UNCONFIRMED (§11.10)
        and upstream's choice (counting them) risks ``INSUFFICIENT_FUNDS`` rejections. If the positions query
        fails, the last known lent amounts are kept (logged).
        """
        self._check_balance_stream()
        self._balances_requested_at_s = self._time_synchronizer.time()
        capital, positions = await asyncio.gather(
            self._api_get(path_url=CONSTANTS.BALANCE_PATH_URL, is_auth_required=True),
            self._api_get(path_url=CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL, is_auth_required=True),
            return_exceptions=True)
        for result in (capital, positions):
            if isinstance(result, asyncio.CancelledError):
                raise result
        if isinstance(capital, BaseException):
            raise capital
        if isinstance(positions, BaseException):
            if self._log_throttle.check("lend") is not None:
                self.logger().warning(f"Could not read Backpack lend positions ({positions}); keeping the last known "
                                      "lent amounts in total balances.")
        else:
            self._lent_balances = _lent_amounts(positions, self.logger())
        if not isinstance(capital, dict):  # empty/non-object 200: keep the balances, say why
            raise ValueError(f"unexpected answer of GET {CONSTANTS.BALANCE_PATH_URL}: {str(capital)[:100]!r}")
        self._apply_rest_balances(capital)

    def _apply_rest_balances(self, capital: Mapping[str, Any]) -> None:
        available: Dict[str, Decimal] = {}
        total: Dict[str, Decimal] = {}
        for asset, entry in capital.items():
            try:
                free = to_decimal(entry["available"])
                held = to_decimal(entry.get("locked") or 0) + to_decimal(entry.get("staked") or 0)
                _check_non_negative(free, held)
            except (KeyError, ValueError, TypeError, AttributeError) as e:
                self.logger().warning(f"Skipping malformed Backpack balance entry {asset!r}: {e!r}")
                continue
            available[asset] = free
            total[asset] = free + held
        for asset, lent in self._lent_balances.items():
            total[asset] = total.get(asset, _ZERO) + lent
            available.setdefault(asset, _ZERO)
        self._account_available_balances.clear()
        self._account_available_balances.update(available)
        self._account_balances.clear()
        self._account_balances.update(total)

    def _apply_balance_event(self, data: Mapping[str, Any]) -> None:
        """``account.balanceUpdate`` (§8.4, UNCONFIRMED; ``a`` asset, ``A`` available, ``L`` locked, ``S`` staked,
        absolute values). An event older than the last REST balance request is ignored (REST already has it)."""
        event_time = data.get("E")
        if event_time is not None and us_to_s(event_time) < self._balances_requested_at_s:
            return
        asset = data["a"]
        if type(asset) is not str:
            raise ValueError(f"balance event asset is not a string: {str(asset)[:32]!r}")
        free = to_decimal(data["A"])
        held = to_decimal(data.get("L") or 0) + to_decimal(data.get("S") or 0)
        _check_non_negative(free, held)
        self._account_available_balances[asset] = free
        self._account_balances[asset] = free + held + self._lent_balances.get(asset, _ZERO)
        self._last_balance_event_at = time.monotonic()
        self._user_event_counters["balance_updates"] += 1
        if not self.real_time_balance_update and self._trading_required:
            self.real_time_balance_update = True

    def _check_balance_stream(self) -> None:
        """Turn ``real_time_balance_update`` off when WS fills were seen but no balance event followed within
        ``BALANCE_STREAM_GRACE_S`` (the stream is UNCONFIRMED, §8.4): Hummingbot then adjusts REST balances by
        in-flight orders between polls, as for exchanges without a balance stream."""
        fill_at = self._last_ws_fill_at
        if (not self.real_time_balance_update or fill_at is None
                or time.monotonic() - fill_at < self.BALANCE_STREAM_GRACE_S):
            return
        if self._last_balance_event_at is None or self._last_balance_event_at < fill_at:
            self.real_time_balance_update = False
            self.logger().warning("No account.balanceUpdate event followed order fills: Backpack's balance stream "
                                  "looks unavailable; balances now come from REST polling only.")


def _check_non_negative(free: Decimal, held: Decimal) -> None:
    """Spot balances are never negative (§5.1): such an entry is malformed."""
    if free < _ZERO or held < _ZERO:
        raise ValueError(f"negative balance (available {free}, locked + staked {held})")


def _lent_amounts(positions: Any, logger) -> Dict[str, Decimal]:
    """Positive ``netQuantity`` per asset of ``/api/v1/borrowLend/positions`` (§5.3; negative = borrowed, ignored)."""
    lent: Dict[str, Decimal] = {}
    for position in positions if isinstance(positions, list) else []:
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

