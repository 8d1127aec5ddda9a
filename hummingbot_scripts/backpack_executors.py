"""Backpack executors — a Hummingbot Strategy V2 script that runs one of Hummingbot's own executors on one market.

Install: copy this file into the ``scripts/`` folder of your Hummingbot install (``make templates`` does it) and a
template into ``conf/scripts/``: ``conf_backpack_executors_<kind>_TEMPLATE.yml`` (one per executor) or the generic
``conf_backpack_executors_TEMPLATE.yml``, e.g. as ``conf_backpack_executors.yml``; then in the client:
``start --v2 conf_backpack_executors.yml``.

``executor`` picks what runs (amounts in the base asset unless named ``*_quote``; spreads and barriers are
fractions of the price, 0.001 = 10 bps; times in seconds):

- ``order``: pmm_mister-style quoting with ``OrderExecutor`` — one bid and ask (``quote_order_type``: LIMIT_MAKER,
  post-only, or LIMIT) per ``quote_spreads`` entry around the mid, each re-placed after ``quote_refresh_s``; after
  ``quote_duration_s`` the quotes are withdrawn and the inventory they built is closed with one MARKET
  ``OrderExecutor``.
- ``position``: three ``PositionExecutor`` BUY positions (MARKET entry), one per barrier of the triple barrier:
  a LIMIT take profit at ``take_profit``, a MARKET stop loss at ``stop_loss``, a ``time_limit``; each also ends at
  ``position_max_s``.
- ``grid``: one ``GridExecutor`` (BUY; open and take-profit orders of ``grid_order_type``, LIMIT_MAKER or LIMIT)
  over ``grid_range`` around the mid with ``grid_amount_quote``.
- ``twap``: one ``TWAPExecutor`` (TAKER, MARKET slices) buying ``twap_amount_quote`` over ``twap_duration_s``, one
  slice every ``twap_interval_s``.
- ``xemm``: ``XEMMExecutor`` quoting on ``connector_name`` (maker, alternating BUY and SELL) and hedging on
  ``hedge_connector_name`` (taker), a new one whenever one closes.
- ``arbitrage``: ``ArbitrageExecutor`` rounds between ``connector_name`` and ``hedge_connector_name`` (each round
  the other direction) whenever the profitability is above ``arbitrage_min_profitability``, ``arbitrage_rounds``
  times.

Both venues of ``xemm`` and ``arbitrage`` are real connectors, two different ones, never paper trade (the executors
read the connectors' order trackers); on the sandbox, ``backpack_sandbox`` and ``backpack_sandbox_2`` (a second
account with its own keys).

:attr:`BackpackExecutors.done` is true once a kind with an end (order, position, twap, arbitrage) has finished;
``grid`` and ``xemm`` run until stopped. On stop, Hummingbot's executor orchestrator closes whatever still runs.
"""
import os
from decimal import Decimal
from typing import Dict, List, Optional

from pydantic import Field, field_validator, model_validator

from hummingbot.connector.connector_base import ConnectorBase
from hummingbot.core.data_type.common import MarketDict, OrderType, PriceType, TradeType
from hummingbot.strategy.strategy_v2_base import StrategyV2Base, StrategyV2ConfigBase
from hummingbot.strategy_v2.executors.arbitrage_executor.data_types import ArbitrageExecutorConfig
from hummingbot.strategy_v2.executors.data_types import ConnectorPair
from hummingbot.strategy_v2.executors.grid_executor.data_types import GridExecutorConfig
from hummingbot.strategy_v2.executors.order_executor.data_types import ExecutionStrategy, OrderExecutorConfig
from hummingbot.strategy_v2.executors.position_executor.data_types import PositionExecutorConfig, TripleBarrierConfig
from hummingbot.strategy_v2.executors.twap_executor.data_types import TWAPExecutorConfig, TWAPMode
from hummingbot.strategy_v2.executors.xemm_executor.data_types import XEMMExecutorConfig
from hummingbot.strategy_v2.models.executor_actions import CreateExecutorAction, StopExecutorAction

CONTROLLER_ID = "main"
EXECUTOR_KINDS = ("order", "position", "grid", "twap", "xemm", "arbitrage")
#: Kinds that trade on ``hedge_connector_name`` too.
TWO_VENUE_KINDS = ("xemm", "arbitrage")
#: Hummingbot's paper-trade connectors (``<exchange>_paper_trade``): no order tracker, so no XEMM/arbitrage venue.
PAPER_TRADE_SUFFIX = "_paper_trade"
#: Order types a resting quote or grid level may use (LIMIT_MAKER: post-only, never a taker fill).
RESTING_ORDER_TYPES = ("LIMIT_MAKER", "LIMIT")


def _decimals(value):
    if isinstance(value, str):
        return [Decimal(item.strip()) for item in value.split(",") if item.strip()]
    return value


class BackpackExecutorsConfig(StrategyV2ConfigBase):
    """Config of :class:`BackpackExecutors` (``conf/scripts/conf_backpack_executors*.yml``)."""
    script_file_name: str = os.path.basename(__file__)
    executor: str = Field(default="order", json_schema_extra={
        "prompt": f"Executor to run ({', '.join(EXECUTOR_KINDS)})", "prompt_on_new": True})
    connector_name: str = Field(default="backpack", json_schema_extra={
        "prompt": "Connector (backpack, backpack_sandbox, backpack_paper_trade)", "prompt_on_new": True})
    trading_pair: str = Field(default="SOL-USDC", json_schema_extra={
        "prompt": "Trading pair (e.g. SOL-USDC)", "prompt_on_new": True})
    hedge_connector_name: str = Field(default="binance", json_schema_extra={
        "prompt": "Second venue of xemm (taker) and arbitrage (on the sandbox: backpack_sandbox_2)",
        "prompt_on_new": False})
    order_amount: Decimal = Field(default=Decimal("0.1"), json_schema_extra={
        "prompt": "Base amount per order (order, position, xemm, arbitrage)", "prompt_on_new": True})
    quote_spreads: List[Decimal] = Field(default=[Decimal("0.001"), Decimal("0.002")])
    quote_order_type: str = "LIMIT_MAKER"
    quote_refresh_s: int = 10
    quote_duration_s: int = 60
    take_profit: Decimal = Decimal("0.0015")
    stop_loss: Decimal = Decimal("0.003")
    time_limit: int = 10
    position_max_s: int = 60
    grid_range: Decimal = Decimal("0.006")
    grid_amount_quote: Decimal = Decimal("100")
    grid_take_profit: Decimal = Decimal("0.001")
    grid_order_type: str = "LIMIT_MAKER"
    twap_amount_quote: Decimal = Decimal("60")
    twap_duration_s: int = 8
    twap_interval_s: int = 2
    xemm_min_profitability: Decimal = Decimal("0.0005")
    xemm_target_profitability: Decimal = Decimal("0.001")
    xemm_max_profitability: Decimal = Decimal("0.002")
    arbitrage_min_profitability: Decimal = Decimal("0.001")
    arbitrage_rounds: int = 2

    @field_validator("quote_spreads", mode="before")
    @classmethod
    def _parse_spreads(cls, value):
        return _decimals(value)

    @field_validator("quote_order_type", "grid_order_type")
    @classmethod
    def _check_resting_order_type(cls, value):
        if value not in RESTING_ORDER_TYPES:
            raise ValueError(f"order type must be one of {', '.join(RESTING_ORDER_TYPES)}")
        return value

    @field_validator("executor")
    @classmethod
    def _check_executor(cls, value):
        if value not in EXECUTOR_KINDS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTOR_KINDS)}")
        return value

    @model_validator(mode="after")
    def _check_second_venue(self):
        if self.executor in TWO_VENUE_KINDS:
            if self.hedge_connector_name == self.connector_name:
                raise ValueError(f"{self.executor} needs a hedge_connector_name other than connector_name")
            paper = [name for name in (self.connector_name, self.hedge_connector_name)
                     if name.endswith(PAPER_TRADE_SUFFIX)]
            if paper:
                raise ValueError(f"{self.executor} cannot trade on the paper-trade connector {paper[0]} (the executor "
                                 f"reads the connector's order tracker, which paper trade lacks); on the sandbox use "
                                 f"backpack_sandbox and backpack_sandbox_2")
        return self

    def update_markets(self, markets: MarketDict) -> MarketDict:
        markets = markets.add_or_update(self.connector_name, self.trading_pair)
        if self.executor in TWO_VENUE_KINDS:
            markets = markets.add_or_update(self.hedge_connector_name, self.trading_pair)
        return markets


class BackpackExecutors(StrategyV2Base):
    """Drives the executors of :class:`BackpackExecutorsConfig` ``executor`` (see the module doc)."""

    def __init__(self, connectors: Dict[str, ConnectorBase], config: BackpackExecutorsConfig):
        super().__init__(connectors, config)
        self.config: BackpackExecutorsConfig = config
        self.started_at: Optional[float] = None
        self.close_executor_id: Optional[str] = None
        self.close_skipped = False
        self.rounds = 0
        self._stop_sent: set = set()

    # ------------------------------------------------------------------------------------------------ state
    @property
    def executors(self) -> List:
        """The executor orchestrator's executors of this script (running and finished), oldest first."""
        return list(self.executor_orchestrator.active_executors.get(CONTROLLER_ID, []))

    def _running(self) -> List:
        return [e for e in self.executors if not e.is_closed]

    @property
    def done(self) -> bool:
        """True once the kind has run its course (``order``, ``position``, ``twap``, ``arbitrage``)."""
        kind, executors = self.config.executor, self.executors
        if kind == "order":
            closer = [e for e in executors if e.config.id == self.close_executor_id]
            return self.close_skipped or bool(closer and closer[0].is_closed)
        if kind in ("position", "twap"):
            return bool(executors) and not self._running()
        if kind == "arbitrage":
            return self.rounds >= self.config.arbitrage_rounds and not self._running()
        return False

    # ------------------------------------------------------------------------------------------------ helpers
    @property
    def connector(self) -> ConnectorBase:
        return self.connectors[self.config.connector_name]

    def _price(self, price: Decimal) -> Decimal:
        return self.connector.quantize_order_price(self.config.trading_pair, price)

    def _amount(self, amount: Decimal) -> Decimal:
        return self.connector.quantize_order_amount(self.config.trading_pair, amount)

    def _create(self, config) -> None:
        self.executor_orchestrator.execute_action(CreateExecutorAction(executor_config=config,
                                                                       controller_id=CONTROLLER_ID))

    def _stop(self, executor) -> None:
        if executor.config.id in self._stop_sent:
            return
        self._stop_sent.add(executor.config.id)
        # An order executor keeps what filled (it cannot unwind); the MARKET close does that.
        self.executor_orchestrator.execute_action(StopExecutorAction(executor_id=executor.config.id,
                                                                     controller_id=CONTROLLER_ID,
                                                                     keep_position=True))

    # ------------------------------------------------------------------------------------------------ tick
    def on_tick(self):
        if self._is_stop_triggered or self.done:
            return
        mid = self.market_data_provider.get_price_by_type(self.config.connector_name, self.config.trading_pair,
                                                          PriceType.MidPrice)
        if mid is None or mid.is_nan() or mid <= 0:
            return
        if self.started_at is None:
            self.started_at = self.current_timestamp
        getattr(self, f"_tick_{self.config.executor}")(Decimal(mid))

    def _tick_order(self, mid: Decimal) -> None:
        cfg, now = self.config, self.current_timestamp
        quotes = [e for e in self.executors if e.config.id != self.close_executor_id]
        if now - self.started_at < cfg.quote_duration_s:
            for level, spread in enumerate(cfg.quote_spreads):
                for side in (TradeType.BUY, TradeType.SELL):
                    level_id = f"{side.name.lower()}_{level}"
                    live = [e for e in quotes if e.config.level_id == level_id and not e.is_closed]
                    for executor in live:
                        if now - executor.config.timestamp >= cfg.quote_refresh_s:
                            self._stop(executor)
                    if live:
                        continue
                    sign = Decimal(-1) if side == TradeType.BUY else Decimal(1)
                    self._create(OrderExecutorConfig(
                        timestamp=now, connector_name=cfg.connector_name, trading_pair=cfg.trading_pair,
                        side=side, amount=self._amount(cfg.order_amount), level_id=level_id,
                        price=self._price(mid * (Decimal(1) + sign * spread)),
                        execution_strategy=ExecutionStrategy[cfg.quote_order_type]))
            return
        if self.close_executor_id is not None:
            return
        live = [e for e in quotes if not e.is_closed]
        if live:
            for executor in live:
                self._stop(executor)
            return
        net = sum((e.executed_amount_base if e.config.side == TradeType.BUY else -e.executed_amount_base
                   for e in quotes), Decimal(0))
        amount = self._amount(abs(net))
        if amount <= 0:
            self.close_skipped = True
            return
        config = OrderExecutorConfig(
            timestamp=now, connector_name=cfg.connector_name, trading_pair=cfg.trading_pair,
            side=TradeType.SELL if net > 0 else TradeType.BUY, amount=amount, level_id="close",
            execution_strategy=ExecutionStrategy.MARKET)
        self.close_executor_id = config.id
        self._create(config)

    def _tick_position(self, mid: Decimal) -> None:
        if self.executors:
            return
        cfg = self.config
        barriers = {
            "take_profit": TripleBarrierConfig(take_profit=cfg.take_profit, time_limit=cfg.position_max_s,
                                               open_order_type=OrderType.MARKET,
                                               take_profit_order_type=OrderType.LIMIT),
            "stop_loss": TripleBarrierConfig(stop_loss=cfg.stop_loss, time_limit=cfg.position_max_s,
                                             open_order_type=OrderType.MARKET),
            "time_limit": TripleBarrierConfig(time_limit=cfg.time_limit, open_order_type=OrderType.MARKET),
        }
        for level_id, barrier in barriers.items():
            self._create(PositionExecutorConfig(
                timestamp=self.current_timestamp, connector_name=cfg.connector_name, trading_pair=cfg.trading_pair,
                side=TradeType.BUY, amount=self._amount(cfg.order_amount), triple_barrier_config=barrier,
                level_id=level_id))

    def _tick_grid(self, mid: Decimal) -> None:
        if self.executors:
            return
        cfg = self.config
        half = cfg.grid_range / 2
        self._create(GridExecutorConfig(
            timestamp=self.current_timestamp, connector_name=cfg.connector_name, trading_pair=cfg.trading_pair,
            side=TradeType.BUY, start_price=self._price(mid * (1 - half)), end_price=self._price(mid * (1 + half)),
            limit_price=self._price(mid * (1 - 2 * half)), total_amount_quote=cfg.grid_amount_quote,
            min_order_amount_quote=cfg.grid_amount_quote / 5, max_open_orders=4, leverage=1,
            triple_barrier_config=TripleBarrierConfig(take_profit=cfg.grid_take_profit,
                                                      open_order_type=OrderType[cfg.grid_order_type],
                                                      take_profit_order_type=OrderType[cfg.grid_order_type])))

    def _tick_twap(self, mid: Decimal) -> None:
        if self.executors:
            return
        cfg = self.config
        self._create(TWAPExecutorConfig(
            timestamp=self.current_timestamp, connector_name=cfg.connector_name, trading_pair=cfg.trading_pair,
            side=TradeType.BUY, total_amount_quote=cfg.twap_amount_quote, total_duration=cfg.twap_duration_s,
            order_interval=cfg.twap_interval_s, mode=TWAPMode.TAKER))

    def _markets(self) -> List[ConnectorPair]:
        cfg = self.config
        return [ConnectorPair(connector_name=cfg.connector_name, trading_pair=cfg.trading_pair),
                ConnectorPair(connector_name=cfg.hedge_connector_name, trading_pair=cfg.trading_pair)]

    def _tick_xemm(self, mid: Decimal) -> None:
        if self._running():
            return
        cfg = self.config
        maker, taker = self._markets()
        maker_side = TradeType.BUY if len(self.executors) % 2 == 0 else TradeType.SELL
        buying, selling = (maker, taker) if maker_side == TradeType.BUY else (taker, maker)
        self._create(XEMMExecutorConfig(
            timestamp=self.current_timestamp, buying_market=buying, selling_market=selling, maker_side=maker_side,
            order_amount=self._amount(cfg.order_amount), min_profitability=cfg.xemm_min_profitability,
            target_profitability=cfg.xemm_target_profitability, max_profitability=cfg.xemm_max_profitability))

    def _tick_arbitrage(self, mid: Decimal) -> None:
        if self._running() or self.rounds >= self.config.arbitrage_rounds:
            return
        cfg = self.config
        first, second = self._markets()
        buying, selling = (first, second) if self.rounds % 2 == 0 else (second, first)
        self._create(ArbitrageExecutorConfig(
            timestamp=self.current_timestamp, buying_market=buying, selling_market=selling,
            order_amount=self._amount(cfg.order_amount), min_profitability=cfg.arbitrage_min_profitability))
        self.rounds += 1

    # ------------------------------------------------------------------------------------------------ status
    def format_status(self) -> str:
        if not self.ready_to_trade:
            return "Market connectors are not ready."
        lines = [f"{self.config.executor} executors on {self.config.connector_name} {self.config.trading_pair}"]
        for executor in self.executors:
            info = executor.executor_info
            lines.append(f"  {info.type:<19} {info.status.name:<13} filled {info.filled_amount_quote:.4f} quote  "
                         f"pnl {info.net_pnl_quote:.4f}  close {info.close_type.name if info.close_type else '-'}")
        return "\n".join(lines)
