"""``BackpackFeeSchedule``: the account's spot fee tier from ``GET /api/v1/account`` (§5.4)."""
from decimal import Decimal
from typing import Optional

from hummingbot.connector.exchange.backpack import backpack_utils
from hummingbot.connector.exchange.backpack.backpack_order_parsing import bps_to_fraction
from hummingbot.connector.exchange.backpack.backpack_types import AccountSummary
from hummingbot.core.data_type.common import OrderType


class BackpackFeeSchedule:
    """Maker/taker fractions (negative = rebate); ``DEFAULT_FEES`` until an account answer."""

    def __init__(self) -> None:
        self.maker: Optional[Decimal] = None
        self.taker: Optional[Decimal] = None
        #: The account's ``autoLend`` setting (§5.4, U5); ``None`` until an account answer.
        self.auto_lend: Optional[bool] = None

    def update(self, account: AccountSummary) -> None:
        """Read the basis-point fees and ``autoLend``; ``KeyError``/``ValueError`` on a bad fee."""
        self.maker = bps_to_fraction(account["spotMakerFee"])
        self.taker = bps_to_fraction(account["spotTakerFee"])
        self.auto_lend = account.get("autoLend") is True

    @property
    def lent_available(self) -> bool:
        """Lent funds count as available and orders carry ``autoLendRedeem: true`` (auto-lend on, U5)."""
        return self.auto_lend is True

    def percent(self, order_type: OrderType, is_maker: Optional[bool]) -> Decimal:
        """Maker rate for ``is_maker`` or LIMIT_MAKER, else taker."""
        defaults = backpack_utils.DEFAULT_FEES
        if order_type is OrderType.LIMIT_MAKER or is_maker:
            return self.maker if self.maker is not None else defaults.maker_percent_fee_decimal
        return self.taker if self.taker is not None else defaults.taker_percent_fee_decimal
