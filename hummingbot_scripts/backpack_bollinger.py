"""Backpack Bollinger — a candle-driven Hummingbot Strategy V2 script: Bollinger bands on Backpack's candles open
``PositionExecutor`` positions.

Install: copy this file into the ``scripts/`` folder of your Hummingbot install (``make templates`` does it) and
``conf_backpack_bollinger_TEMPLATE.yml`` into ``conf/scripts/``; then in the client:
``start --v2 conf_backpack_bollinger.yml``.

Candles come from Hummingbot's ``MarketDataProvider`` (feed ``candles_connector``, ``backpack`` by default: the
shipped ``BackpackSpotCandles``, attached to the trading connector of the same name). On every tick without an open
position, and ``cooldown_s`` seconds after the last one closed, the script takes the last ``bb_length`` closes
(the live candle included), bands at ``bb_std`` standard deviations around their mean, and the position of the last
close in them, ``bbp`` (0 = lower band, 1 = upper band): below ``long_threshold`` it opens a BUY position, above
``short_threshold`` a SELL position (spot: sells base it holds, buys it back), ``order_amount`` base, MARKET entry,
with the take profit, stop loss and time limit (fractions of the entry, seconds). ``max_positions`` > 0 stops after
that many positions.
"""
import os
import time
from decimal import Decimal
from typing import Dict, List, Optional

from pydantic import Field

from hummingbot.connector.connector_base import ConnectorBase
from hummingbot.core.data_type.common import MarketDict, OrderType, TradeType
from hummingbot.data_feed.candles_feed.data_types import CandlesConfig
from hummingbot.strategy.strategy_v2_base import StrategyV2Base, StrategyV2ConfigBase
from hummingbot.strategy_v2.executors.position_executor.data_types import PositionExecutorConfig, TripleBarrierConfig
from hummingbot.strategy_v2.models.executor_actions import CreateExecutorAction

CONTROLLER_ID = "main"


class BackpackBollingerConfig(StrategyV2ConfigBase):
    """Config of :class:`BackpackBollinger` (``conf/scripts/conf_backpack_bollinger*.yml``)."""
    script_file_name: str = os.path.basename(__file__)
    connector_name: str = Field(default="backpack", json_schema_extra={
        "prompt": "Connector (backpack, backpack_sandbox, backpack_paper_trade)", "prompt_on_new": True})
    trading_pair: str = Field(default="SOL-USDC", json_schema_extra={
        "prompt": "Trading pair (e.g. SOL-USDC)", "prompt_on_new": True})
    candles_connector: Optional[str] = Field(default=None, json_schema_extra={
        "prompt": "Candles feed (empty: the trading connector's)", "prompt_on_new": False})
    candles_interval: str = "1m"
    bb_length: int = Field(default=20, ge=2)
    bb_std: Decimal = Decimal("2")
    long_threshold: Decimal = Decimal("0")
    short_threshold: Decimal = Decimal("1")
    order_amount: Decimal = Decimal("0.1")
    take_profit: Decimal = Decimal("0.003")
    stop_loss: Decimal = Decimal("0.005")
    time_limit: int = 600
    cooldown_s: int = 60
    max_positions: int = 0

    @property
    def candles(self) -> CandlesConfig:
        return CandlesConfig(connector=self.candles_connector or self.connector_name, trading_pair=self.trading_pair,
                             interval=self.candles_interval, max_records=self.bb_length)

    def update_markets(self, markets: MarketDict) -> MarketDict:
        return markets.add_or_update(self.connector_name, self.trading_pair)


def bollinger_position(closes: List[Decimal], std_factor: Decimal) -> Optional[Decimal]:
    """Position of the last close between the bands of ``closes`` (mean ± ``std_factor`` population standard
    deviations): 0 at the lower band, 1 at the upper; None when the bands have no width."""
    mean = sum(closes, Decimal(0)) / len(closes)
    std = (sum(((c - mean) ** 2 for c in closes), Decimal(0)) / len(closes)).sqrt()
    if std == 0:
        return None
    lower, upper = mean - std_factor * std, mean + std_factor * std
    return (closes[-1] - lower) / (upper - lower)


class BackpackBollinger(StrategyV2Base):
    """Opens one ``PositionExecutor`` at a time on Bollinger-band signals (see the module doc)."""

    def __init__(self, connectors: Dict[str, ConnectorBase], config: BackpackBollingerConfig):
        super().__init__(connectors, config)
        self.config: BackpackBollingerConfig = config
        self.market_data_provider.initialize_candles_feed(config.candles)
        self.signals: List[Dict] = []  # every position opened: time, bbp, side
        self.last_bbp: Optional[Decimal] = None

    @property
    def executors(self) -> List:
        return list(self.executor_orchestrator.active_executors.get(CONTROLLER_ID, []))

    @property
    def candles_feed(self):
        """The ``MarketDataProvider`` feed this script reads."""
        return self.market_data_provider.get_candles_feed(self.config.candles)

    def closes(self) -> List[Decimal]:
        candles = self.config.candles
        df = self.market_data_provider.get_candles_df(candles.connector, candles.trading_pair, candles.interval,
                                                      candles.max_records)
        return [Decimal(str(c)) for c in df["close"].tail(self.config.bb_length)] if len(df) else []

    def on_tick(self):
        cfg = self.config
        if self._is_stop_triggered or (cfg.max_positions and len(self.signals) >= cfg.max_positions):
            return
        executors = self.executors
        if any(not e.is_closed for e in executors):
            return
        closed_at = [e.close_timestamp for e in executors if e.close_timestamp]
        if closed_at and self.current_timestamp - max(closed_at) < cfg.cooldown_s:
            return
        closes = self.closes()
        if len(closes) < cfg.bb_length:
            return
        bbp = self.last_bbp = bollinger_position(closes, cfg.bb_std)
        if bbp is None or cfg.long_threshold <= bbp <= cfg.short_threshold:
            return
        side = TradeType.BUY if bbp < cfg.long_threshold else TradeType.SELL
        connector = self.connectors[cfg.connector_name]
        self.executor_orchestrator.execute_action(CreateExecutorAction(controller_id=CONTROLLER_ID, executor_config=(
            PositionExecutorConfig(
                timestamp=self.current_timestamp, connector_name=cfg.connector_name, trading_pair=cfg.trading_pair,
                side=side, amount=connector.quantize_order_amount(cfg.trading_pair, cfg.order_amount),
                triple_barrier_config=TripleBarrierConfig(
                    take_profit=cfg.take_profit, stop_loss=cfg.stop_loss, time_limit=cfg.time_limit,
                    open_order_type=OrderType.MARKET)))))
        self.signals.append({"time": time.time(), "bbp": str(round(bbp, 4)), "side": side.name})
        self.logger().info(f"Bollinger signal: bbp {bbp:.4f} on {len(closes)} closes -> {side.name} position")

    def format_status(self) -> str:
        if not self.ready_to_trade:
            return "Market connectors are not ready."
        lines = [f"Bollinger on {self.config.candles.connector} {self.config.trading_pair} "
                 f"{self.config.candles_interval}: last bbp {self.last_bbp}, positions {len(self.signals)}"]
        for executor in self.executors:
            info = executor.executor_info
            lines.append(f"  {info.status.name:<13} {info.custom_info.get('side')} pnl {info.net_pnl_quote:.4f} "
                         f"close {info.close_type.name if info.close_type else '-'}")
        return "\n".join(lines)
