"""The three templates load and validate through Hummingbot's own config machinery (what the client's ``import``
and ``start --v2`` use), carry Backpack-sane values, and ``make templates`` puts them where the client looks."""
import logging
from decimal import Decimal
from test.backpack_client.installed_scripts import import_installed_script

import pytest

from backpack_client import install_templates as installer
from backpack_sandbox.markets import KNOWN_MARKETS
from hummingbot.client.config.config_helpers import (
    ClientConfigAdapter,
    load_strategy_config_map_from_file,
    missing_required_configs_legacy,
    read_yml_file,
)
from hummingbot.connector.exchange.backpack.backpack_utils import DEFAULT_FEES

TEMPLATES = installer.TEMPLATES_DIR
SOL_USDC = KNOWN_MARKETS["SOL_USDC"]
MAKER_FEE_PCT = DEFAULT_FEES.maker_percent_fee_decimal * 100
TAKER_FEE_PCT = DEFAULT_FEES.taker_percent_fee_decimal * 100


def assert_revalidates(adapter: ClientConfigAdapter):
    """The model round-trips through pydantic validation and the client can list every key (``config``)."""
    model = adapter.hb_config
    type(model).model_validate(model.model_dump())
    keys = [item.config_path for item in adapter.traverse()]
    assert keys and all(item.printable_value is not None for item in adapter.traverse())


def assert_on_step_above_minimum(quantity: Decimal):
    assert quantity >= SOL_USDC.min_quantity
    assert quantity % SOL_USDC.step_size == 0


@pytest.mark.asyncio
async def test_pure_market_making_template_loads_complete_and_valid(caplog):
    caplog.set_level(logging.ERROR)
    config_map = await load_strategy_config_map_from_file(TEMPLATES / installer.PMM_TEMPLATE)
    assert isinstance(config_map, dict)  # the legacy (ConfigVar) loader of pure_market_making
    assert not [r for r in caplog.records if "Invalid value" in r.getMessage() or "Cannot find" in r.getMessage()]
    assert missing_required_configs_legacy(config_map) == []
    for key, cvar in config_map.items():
        if cvar.value is not None:
            assert await cvar.validate(str(cvar.value)) is None, key
    assert config_map["strategy"].value == "pure_market_making"
    assert config_map["exchange"].value == "backpack" and config_map["market"].value == "SOL-USDC"
    assert_on_step_above_minimum(Decimal(str(config_map["order_amount"].value)))
    assert min(config_map["bid_spread"].value, config_map["ask_spread"].value) > MAKER_FEE_PCT


@pytest.mark.asyncio
async def test_cross_exchange_market_making_template_loads_and_validates():
    config_map = await load_strategy_config_map_from_file(TEMPLATES / installer.XEMM_TEMPLATE)
    assert isinstance(config_map, ClientConfigAdapter)  # the pydantic loader
    assert_revalidates(config_map)
    assert config_map.strategy == "cross_exchange_market_making"
    assert config_map.maker_market == "backpack" and config_map.maker_market_trading_pair == "SOL-USDC"
    assert config_map.taker_market != "backpack"
    assert config_map.min_profitability > MAKER_FEE_PCT + TAKER_FEE_PCT
    assert_on_step_above_minimum(config_map.order_amount)
    assert type(config_map.order_refresh_mode.hb_config).__name__ == "ActiveOrderRefreshMode"
    assert type(config_map.conversion_rate_mode.hb_config).__name__ == "OracleConversionRateMode"


@pytest.fixture
def dca_module(tmp_path, monkeypatch):
    """The DCA script imported the way Hummingbot imports it: ``scripts.backpack_dca`` from a home's scripts/."""
    return import_installed_script(tmp_path, monkeypatch, "backpack_dca")


def test_dca_template_validates_with_the_scripts_config_class(dca_module, tmp_path):
    data = read_yml_file(tmp_path / "conf" / "scripts" / installer.DCA_TEMPLATE)
    assert data["script_file_name"] == "backpack_dca.py"
    config = dca_module.BackpackDCAConfig(**data)  # what TradingCore.load_v2_class does with the yml
    assert_revalidates(ClientConfigAdapter(config))
    assert config.connector_name == "backpack" and config.trading_pair == "SOL-USDC"
    assert len(config.amounts_quote) == len(config.level_spreads)
    for amount, price in zip(config.amounts_quote, config.level_prices(SOL_USDC.initial_mid)):
        quantity = (amount / price).quantize(SOL_USDC.step_size, rounding="ROUND_DOWN")
        assert quantity >= SOL_USDC.min_quantity
    assert config.take_profit > (DEFAULT_FEES.maker_percent_fee_decimal + DEFAULT_FEES.taker_percent_fee_decimal)
    dca_module.BackpackDCA.init_markets(config)
    assert dca_module.BackpackDCA.markets == {"backpack": {"SOL-USDC"}}


@pytest.mark.parametrize("bad, message", [
    ({"side": "HOLD"}, "side must be BUY or SELL"),
    ({"level_spreads": [1.5]}, "level_spreads must be fractions"),
    ({"amounts_quote": "20,-1"}, "amounts_quote must be positive"),
])
def test_dca_config_rejects_bad_values_clearly(dca_module, bad, message):
    with pytest.raises(ValueError, match=message):
        dca_module.BackpackDCAConfig(**bad)


def test_dca_level_prices_sit_below_the_mid_for_buy_and_above_for_sell(dca_module):
    buy = dca_module.BackpackDCAConfig(side="buy", level_spreads="0.001,0.01", amounts_quote="10,10")
    assert buy.level_prices(Decimal("100")) == [Decimal("99.900"), Decimal("99.00")]
    sell = dca_module.BackpackDCAConfig(side="SELL", level_spreads=[Decimal("0.01")], amounts_quote=[10])
    assert sell.level_prices(Decimal("100")) == [Decimal("101.00")]


def test_install_copies_templates_and_script_where_the_client_looks(tmp_path):
    home, package = tmp_path / "home", tmp_path / "package"
    written = installer.install(home=home, package_dir=package)
    expected = {
        package / "templates" / installer.PMM_TEMPLATE, package / "templates" / installer.XEMM_TEMPLATE,
        package / "templates" / installer.DCA_TEMPLATE,
        home / "conf" / "strategies" / installer.PMM_TEMPLATE, home / "conf" / "strategies" / installer.XEMM_TEMPLATE,
        home / "conf" / "scripts" / installer.DCA_TEMPLATE, home / "scripts" / installer.DCA_SCRIPT,
        package / "templates" / installer.EXECUTORS_TEMPLATE, home / "conf" / "scripts" / installer.EXECUTORS_TEMPLATE,
        home / "scripts" / installer.EXECUTORS_SCRIPT,
        package / "templates" / installer.BOLLINGER_TEMPLATE, home / "conf" / "scripts" / installer.BOLLINGER_TEMPLATE,
        home / "scripts" / installer.BOLLINGER_SCRIPT,
        *(package / "templates" / t for t in installer.CONTROLLER_TEMPLATES),
        *(home / "conf" / "controllers" / t for t in installer.CONTROLLER_TEMPLATES),
        *(package / "templates" / t for t in installer.EXECUTOR_TEMPLATES.values()),
        *(home / "conf" / "scripts" / t for t in installer.EXECUTOR_TEMPLATES.values()),
    }
    assert set(written) == expected and len(written) == len(expected)
    for path in expected:
        source = installer.SCRIPTS_DIR if path.suffix == ".py" else installer.TEMPLATES_DIR
        assert path.read_bytes() == (source / path.name).read_bytes()
    (home / "conf" / "strategies" / "mine.yml").write_text("keep: me\n")
    installer.install(home=home, package_dir=package)  # idempotent, leaves other files alone
    assert (home / "conf" / "strategies" / "mine.yml").read_text() == "keep: me\n"


def test_default_destinations_are_hummingbots_own_folders():
    from hummingbot.client import settings
    assert installer.hummingbot_home() == settings.CONF_DIR_PATH.parent
    assert installer.hummingbot_package_dir() / "templates" == settings.TEMPLATE_PATH.resolve()
    plan = installer.plan(installer.hummingbot_home(), installer.hummingbot_package_dir())
    destinations = {d.parent for _, d in plan}
    assert {settings.STRATEGIES_CONF_DIR_PATH, settings.SCRIPT_STRATEGY_CONF_DIR_PATH,
            settings.SCRIPT_STRATEGIES_PATH} <= destinations
