"""Backpack DCA — a Hummingbot Strategy V2 script that runs Hummingbot's own ``DCAExecutor`` on one market.

Install: copy this file into the ``scripts/`` folder of your Hummingbot install (``make templates`` does it) and
``conf_backpack_dca_TEMPLATE.yml`` into ``conf/scripts/`` (e.g. as ``conf_backpack_dca.yml``); then in the client:
``start --v2 conf_backpack_dca.yml``.

What it does: when the connector is ready it reads the mid price, lays out one DCA level per entry of
``level_spreads`` (a fraction of the mid price away from it: below the mid for BUY, above it for SELL) with
``amounts_quote`` of the quote asset per level, and hands them to one ``DCAExecutor`` together with the take
profit, stop loss and time limit. When that executor has finished (take profit, stop loss, time limit) it starts
the next cycle if ``restart_after_close`` is true. On stop, Hummingbot's executor orchestrator cancels the open
levels and closes the position.
"""
import os
from decimal import Decimal
from typing import Dict, List, Optional

from pydantic import Field, field_validator

from hummingbot.connector.connector_base import ConnectorBase
from hummingbot.core.data_type.common import MarketDict, PriceType, TradeType
from hummingbot.strategy.strategy_v2_base import StrategyV2Base, StrategyV2ConfigBase
from hummingbot.strategy_v2.executors.dca_executor.data_types import DCAExecutorConfig, DCAMode
from hummingbot.strategy_v2.models.executor_actions import CreateExecutorAction

CONTROLLER_ID = "main"


class BackpackDCAConfig(StrategyV2ConfigBase):
    """Config of :class:`BackpackDCA` (``conf/scripts/conf_backpack_dca*.yml``)."""
    script_file_name: str = os.path.basename(__file__)
    connector_name: str = Field(default="backpack", json_schema_extra={
        "prompt": "Connector (backpack, backpack_sandbox, backpack_paper_trade)", "prompt_on_new": True})
    trading_pair: str = Field(default="SOL-USDC", json_schema_extra={
        "prompt": "Trading pair (e.g. SOL-USDC)", "prompt_on_new": True})
    side: str = Field(default="BUY", json_schema_extra={"prompt": "Side (BUY or SELL)", "prompt_on_new": True})
    amounts_quote: List[Decimal] = Field(default=[Decimal("20"), Decimal("20"), Decimal("40")], json_schema_extra={
        "prompt": "Quote amount per level, comma-separated (e.g. 20,20,40)", "prompt_on_new": True})
    level_spreads: List[Decimal] = Field(default=[Decimal("0.0005"), Decimal("0.005"), Decimal("0.01")],
                                         json_schema_extra={
                                             "prompt": "Distance of each level from the mid price as a fraction "
                                                       "(0.005 = 0.5 %), comma-separated", "prompt_on_new": True})
    take_profit: Optional[Decimal] = Field(default=Decimal("0.01"), json_schema_extra={
        "prompt": "Take profit as a fraction of the average entry (0.01 = 1 %)", "prompt_on_new": True})
    stop_loss: Optional[Decimal] = Field(default=Decimal("0.03"), json_schema_extra={
        "prompt": "Stop loss as a fraction of the position (0.03 = 3 %)", "prompt_on_new": True})
    time_limit: Optional[int] = Field(default=3600, json_schema_extra={
        "prompt": "Time limit of one DCA cycle, seconds", "prompt_on_new": True})
    mode: DCAMode = Field(default=DCAMode.MAKER, json_schema_extra={
        "prompt": "MAKER (limit orders at the levels) or TAKER (market orders when the price reaches them)",
        "prompt_on_new": True})
    restart_after_close: bool = Field(default=True, json_schema_extra={
        "prompt": "Start a new DCA cycle when one ends (True/False)", "prompt_on_new": True})

    @field_validator("amounts_quote", "level_spreads", mode="before")
    @classmethod
    def _parse_list(cls, value):
        if isinstance(value, str):
            return [Decimal(item.strip()) for item in value.split(",") if item.strip()]
        return value

    @field_validator("side", mode="before")
    @classmethod
    def _check_side(cls, value):
        side = str(value).upper()
        if side not in ("BUY", "SELL"):
            raise ValueError("side must be BUY or SELL")
        return side

    @field_validator("level_spreads")
    @classmethod
    def _check_spreads(cls, value):
        if not value or any(spread < 0 or spread >= 1 for spread in value):
            raise ValueError("level_spreads must be fractions in [0, 1), one per level")
        return value

    @field_validator("amounts_quote")
    @classmethod
    def _check_amounts(cls, value):
        if not value or any(amount <= 0 for amount in value):
            raise ValueError("amounts_quote must be positive, one per level")
        return value

    def update_markets(self, markets: MarketDict) -> MarketDict:
        return markets.add_or_update(self.connector_name, self.trading_pair)

    def level_prices(self, mid_price: Decimal) -> List[Decimal]:
        """One price per level: ``mid * (1 - spread)`` for BUY, ``mid * (1 + spread)`` for SELL."""
        sign = Decimal(-1) if self.side == "BUY" else Decimal(1)
        return [mid_price * (Decimal(1) + sign * spread) for spread in self.level_spreads]


class BackpackDCA(StrategyV2Base):
    """Runs one ``DCAExecutor`` at a time with the levels of :class:`BackpackDCAConfig`."""

    def __init__(self, connectors: Dict[str, ConnectorBase], config: BackpackDCAConfig):
        if len(config.amounts_quote) != len(config.level_spreads):
            raise ValueError(f"amounts_quote ({len(config.amounts_quote)} levels) and level_spreads "
                             f"({len(config.level_spreads)} levels) must have the same length")
        super().__init__(connectors, config)
        self.config: BackpackDCAConfig = config
        self.cycles_started = 0

    def dca_executor_config(self, mid_price: Decimal) -> DCAExecutorConfig:
        connector = self.connectors[self.config.connector_name]
        prices = [connector.quantize_order_price(self.config.trading_pair, price)
                  for price in self.config.level_prices(mid_price)]
        return DCAExecutorConfig(
            timestamp=self.current_timestamp, connector_name=self.config.connector_name,
            trading_pair=self.config.trading_pair, side=TradeType[self.config.side],
            amounts_quote=list(self.config.amounts_quote), prices=prices, take_profit=self.config.take_profit,
            stop_loss=self.config.stop_loss, time_limit=self.config.time_limit, mode=self.config.mode)

    @property
    def dca_executors(self) -> List:
        """The executor orchestrator's DCA executors of this script (running and finished)."""
        return list(self.executor_orchestrator.active_executors.get(CONTROLLER_ID, []))

    def on_tick(self):
        if self._is_stop_triggered:
            return
        if any(not executor.is_closed for executor in self.dca_executors):
            return
        if self.cycles_started and not self.config.restart_after_close:
            return
        mid_price = self.market_data_provider.get_price_by_type(
            self.config.connector_name, self.config.trading_pair, PriceType.MidPrice)
        if mid_price is None or mid_price.is_nan() or mid_price <= 0:
            return
        config = self.dca_executor_config(mid_price)
        self.logger().info(f"Starting DCA cycle {self.cycles_started + 1}: {self.config.side} "
                           f"{self.config.trading_pair} levels {[str(p) for p in config.prices]} "
                           f"amounts {[str(a) for a in config.amounts_quote]} {self.config.trading_pair.split('-')[1]}")
        self.executor_orchestrator.execute_action(CreateExecutorAction(executor_config=config,
                                                                       controller_id=CONTROLLER_ID))
        self.cycles_started += 1

    def format_status(self) -> str:
        if not self.ready_to_trade:
            return "Market connectors are not ready."
        lines = [f"DCA on {self.config.connector_name} {self.config.trading_pair}, cycles started: "
                 f"{self.cycles_started}"]
        for executor in self.dca_executors:
            info = executor.executor_info
            lines.append(f"  {info.status.name:<13} levels {info.custom_info.get('n_levels')} "
                         f"filled {info.filled_amount_quote:.4f} quote  pnl {info.net_pnl_quote:.4f}  "
                         f"close {info.close_type.name if info.close_type else '-'}")
        return "\n".join(lines)
