"""The V2 controller configs for Backpack (pmm_mister, pmm_simple, grid_strike) carry Backpack values and pass the
config classes the Hummingbot wheel has: the controllers themselves are only in Hummingbot's source checkout and
Docker image, so their own fields are checked against the values they must hold, and the generic ones against
``ControllerConfigBase`` / ``MarketMakingControllerConfigBase`` / the executor configs the controllers build."""
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from backpack_client import install_templates as installer
from backpack_sandbox.config import SandboxConfig
from backpack_sandbox.markets import KNOWN_MARKETS
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.strategy_v2.controllers.controller_base import ControllerConfigBase
from hummingbot.strategy_v2.controllers.market_making_controller_base import MarketMakingControllerConfigBase
from hummingbot.strategy_v2.executors.grid_executor.data_types import GridExecutorConfig
from hummingbot.strategy_v2.executors.position_executor.data_types import TripleBarrierConfig

SOL_USDC = KNOWN_MARKETS["SOL_USDC"]
MAKER_FEE = Decimal(SandboxConfig().fee_maker_bps) / 10000  # Backpack's default tier: 8 bps
#: Fields of each controller's own config class (Hummingbot's controllers/ source), beyond ControllerConfigBase's.
OWN_FIELDS = {
    "pmm_mister": {
        "connector_name", "trading_pair", "portfolio_allocation", "target_base_pct", "min_base_pct", "max_base_pct",
        "buy_spreads", "sell_spreads", "buy_amounts_pct", "sell_amounts_pct", "executor_refresh_time",
        "buy_cooldown_time", "sell_cooldown_time", "buy_position_effectivization_time",
        "sell_position_effectivization_time", "price_distance_tolerance", "refresh_tolerance", "tolerance_scaling",
        "leverage", "position_mode", "position_side", "take_profit", "take_profit_order_type", "open_order_type",
        "max_active_executors_by_level", "tick_mode", "position_profit_protection", "min_skew",
        "global_take_profit", "global_stop_loss", "global_tp_enabled", "global_sl_enabled"},
    "grid_strike": {
        "connector_name", "trading_pair", "leverage", "position_mode", "side", "start_price", "end_price",
        "limit_price", "min_spread_between_orders", "min_order_amount_quote", "max_open_orders",
        "max_orders_per_batch", "order_frequency", "keep_position", "triple_barrier_config"},
}


def load(name):
    return yaml.safe_load((installer.TEMPLATES_DIR / f"conf_backpack_controller_{name}_TEMPLATE.yml").read_text())


def spreads(value):
    return [Decimal(str(s).strip()) for s in str(value).split(",")]


def generic_fields(config):
    return {key: value for key, value in config.items() if key in ControllerConfigBase.model_fields}


def test_the_controllers_are_not_in_the_pypi_package():
    assert importlib.util.find_spec("controllers") is None


@pytest.mark.parametrize("name", ["pmm_mister", "pmm_simple", "grid_strike"])
def test_controller_config_is_a_backpack_spot_config(name):
    config = load(name)
    assert config["controller_name"] == name and config["id"]
    assert config["connector_name"] == "backpack" and config["trading_pair"] == "SOL-USDC"
    assert config["leverage"] == 1 and config["position_mode"] == "ONEWAY"
    base = ControllerConfigBase(**generic_fields(config))
    assert base.total_amount_quote > 0 and base.manual_kill_switch is False
    if name in OWN_FIELDS:
        assert set(config) - set(ControllerConfigBase.model_fields) <= OWN_FIELDS[name]
    assert Path(installer.TEMPLATES_DIR / f"conf_backpack_controller_{name}_TEMPLATE.yml").name in \
        installer.CONTROLLER_TEMPLATES


def test_pmm_simple_config_passes_the_market_making_controller_base():
    config = MarketMakingControllerConfigBase(**load("pmm_simple"))
    assert min(config.buy_spreads + config.sell_spreads) > MAKER_FEE
    assert config.take_profit > 2 * MAKER_FEE
    assert config.take_profit_order_type == OrderType.LIMIT_MAKER
    assert len(config.buy_amounts_pct) == len(config.buy_spreads)


def test_pmm_mister_quotes_limit_maker_above_the_maker_fee():
    config = load("pmm_mister")
    buy, sell = spreads(config["buy_spreads"]), spreads(config["sell_spreads"])
    assert len(buy) == len(sell) == 2 and min(buy + sell) > MAKER_FEE
    assert len(spreads(config["buy_amounts_pct"])) == len(buy)
    barrier = TripleBarrierConfig(take_profit=Decimal(str(config["take_profit"])),
                                  open_order_type=OrderType[config["open_order_type"]],
                                  take_profit_order_type=OrderType[config["take_profit_order_type"]])
    assert barrier.open_order_type == barrier.take_profit_order_type == OrderType.LIMIT_MAKER
    assert barrier.take_profit > 2 * MAKER_FEE
    assert Decimal(str(config["min_base_pct"])) < Decimal(str(config["target_base_pct"])) < \
        Decimal(str(config["max_base_pct"]))


def test_grid_strike_builds_a_valid_limit_maker_grid_on_the_sol_usdc_tick():
    config = load("grid_strike")
    prices = [Decimal(str(config[k])) for k in ("limit_price", "start_price", "end_price")]
    assert all(price % SOL_USDC.tick_size == 0 for price in prices)
    grid = GridExecutorConfig(
        connector_name=config["connector_name"], trading_pair=config["trading_pair"],
        side=TradeType[config["side"]], start_price=prices[1], end_price=prices[2], limit_price=prices[0],
        total_amount_quote=Decimal(str(config["total_amount_quote"])),
        min_spread_between_orders=Decimal(str(config["min_spread_between_orders"])),
        min_order_amount_quote=Decimal(str(config["min_order_amount_quote"])),
        max_open_orders=config["max_open_orders"], max_orders_per_batch=config["max_orders_per_batch"],
        order_frequency=config["order_frequency"], keep_position=config["keep_position"],
        leverage=config["leverage"], triple_barrier_config=TripleBarrierConfig(
            take_profit=Decimal(str(config["triple_barrier_config"]["take_profit"])),
            open_order_type=OrderType[config["triple_barrier_config"]["open_order_type"]],
            take_profit_order_type=OrderType[config["triple_barrier_config"]["take_profit_order_type"]]))
    assert grid.triple_barrier_config.open_order_type == OrderType.LIMIT_MAKER
    assert grid.triple_barrier_config.take_profit_order_type == OrderType.LIMIT_MAKER
    assert grid.min_spread_between_orders > 2 * MAKER_FEE and grid.triple_barrier_config.take_profit > 2 * MAKER_FEE
    # The smallest level is above Backpack's minimum quantity even at the top of the range.
    assert grid.min_order_amount_quote / grid.end_price >= SOL_USDC.min_quantity
