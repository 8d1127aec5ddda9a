"""The executors templates — the generic one and one per executor — validate with the config class of the script
they run (as ``start --v2`` loads them), with Backpack values (USDC pairs, amounts on the SOL step, LIMIT_MAKER where
quoting, spreads and profit targets above the fees), ``make templates`` installs them, and the script's markets
follow the kind."""
import importlib
from decimal import Decimal
from pathlib import Path
from test.backpack_client.installed_scripts import import_installed_script

import pytest

from backpack_client import install_templates as installer
from backpack_sandbox.markets import KNOWN_MARKETS
from hummingbot.client.config.config_helpers import ClientConfigAdapter, read_yml_file
from hummingbot.connector.exchange.backpack.backpack_utils import DEFAULT_FEES

SOL_USDC = KNOWN_MARKETS["SOL_USDC"]
MAKER = DEFAULT_FEES.maker_percent_fee_decimal
TAKER = DEFAULT_FEES.taker_percent_fee_decimal


@pytest.fixture
def module(tmp_path, monkeypatch):
    """The script imported the way Hummingbot imports it: ``scripts.backpack_executors`` from a home's scripts/."""
    return import_installed_script(tmp_path, monkeypatch, "backpack_executors")


@pytest.fixture
def template(tmp_path, module):
    return read_yml_file(tmp_path / "conf" / "scripts" / installer.EXECUTORS_TEMPLATE)


def test_template_validates_with_backpack_values(module, template):
    config = module.BackpackExecutorsConfig(**template)
    ClientConfigAdapter(config)  # what the client wraps it in
    assert config.script_file_name == installer.EXECUTORS_SCRIPT and config.executor in module.EXECUTOR_KINDS
    assert config.connector_name == "backpack" and config.trading_pair == "SOL-USDC"
    assert config.order_amount % SOL_USDC.step_size == 0 and config.order_amount >= SOL_USDC.min_quantity
    assert len(config.quote_spreads) == 2 and min(config.quote_spreads) > MAKER
    assert config.take_profit > MAKER + TAKER and config.grid_take_profit > 2 * MAKER
    assert config.xemm_min_profitability > 0 and config.arbitrage_min_profitability > 0


@pytest.mark.parametrize("kind, markets", [
    ("order", {"backpack": {"SOL-USDC"}}),
    ("xemm", {"backpack": {"SOL-USDC"}, "binance": {"SOL-USDC"}}),
    ("arbitrage", {"backpack": {"SOL-USDC"}, "binance": {"SOL-USDC"}}),
])
def test_markets_follow_the_executor_kind(module, template, kind, markets):
    config = module.BackpackExecutorsConfig(**{**template, "executor": kind})
    module.BackpackExecutors.init_markets(config)
    assert module.BackpackExecutors.markets == markets


@pytest.mark.parametrize("kind", ["xemm", "arbitrage"])
def test_two_sandbox_accounts_are_the_two_venues_on_the_sandbox(module, template, kind):
    config = module.BackpackExecutorsConfig(**{**template, "executor": kind, "connector_name": "backpack_sandbox",
                                               "hedge_connector_name": "backpack_sandbox_2"})
    module.BackpackExecutors.init_markets(config)
    assert module.BackpackExecutors.markets == {"backpack_sandbox": {"SOL-USDC"}, "backpack_sandbox_2": {"SOL-USDC"}}


@pytest.mark.parametrize("kind", ["xemm", "arbitrage"])
@pytest.mark.parametrize("venues", [
    {"hedge_connector_name": "backpack_paper_trade"},
    {"connector_name": "backpack_sandbox_paper_trade", "hedge_connector_name": "backpack_sandbox_2"},
])
def test_a_paper_trade_venue_is_refused_for_two_venue_executors(module, template, kind, venues):
    """Hummingbot's executors look their orders up in the connector's ``_order_tracker``, which paper trade lacks:
    such a run would trade and never complete, so the config says so up front."""
    with pytest.raises(ValueError, match="cannot trade on the paper-trade connector .*backpack_sandbox_2"):
        module.BackpackExecutorsConfig(**{**template, "executor": kind, **venues})
    # A one-venue kind does not use hedge_connector_name: any value passes.
    module.BackpackExecutorsConfig(**{**template, "executor": "order", "hedge_connector_name": "backpack_paper_trade"})


@pytest.mark.parametrize("kind", ["xemm", "arbitrage"])
def test_the_second_venue_must_be_another_connector(module, template, kind):
    with pytest.raises(ValueError, match="hedge_connector_name other than connector_name"):
        module.BackpackExecutorsConfig(**{**template, "executor": kind, "hedge_connector_name": "backpack"})


def test_unknown_executor_kind_is_refused(module, template):
    with pytest.raises(ValueError, match="executor must be one of"):
        module.BackpackExecutorsConfig(**{**template, "executor": "lp"})


def test_sandbox_values_pace_every_kind_for_the_run(module):
    from backpack_demo.v2 import KINDS, sandbox_values
    assert set(KINDS) == set(module.EXECUTOR_KINDS)
    for kind in KINDS:
        values = sandbox_values(kind, 20)
        assert values["executor"] == kind and values["connector_name"] == "backpack_sandbox"
        assert values["hedge_connector_name"] == "backpack_sandbox_2"  # the second sandbox account
    assert sandbox_values("order", 20)["quote_duration_s"] < 20
    twap = sandbox_values("twap", 20)
    assert twap["twap_duration_s"] % twap["twap_interval_s"] == 0 and twap["twap_duration_s"] < 20
    assert Decimal(str(sandbox_values("arbitrage", 20)["arbitrage_min_profitability"])) < 0


def per_kind_template(home: Path, kind: str) -> dict:
    return read_yml_file(home / "conf" / "scripts" / installer.EXECUTOR_TEMPLATES[kind])


def assert_backpack_market(connector_name: str, trading_pair: str):
    assert connector_name == "backpack"
    base, quote = trading_pair.split("-")
    assert (base, quote) == (SOL_USDC.base, SOL_USDC.quote) == ("SOL", "USDC")


def assert_on_step(amount: Decimal):
    assert amount % SOL_USDC.step_size == 0 and amount >= SOL_USDC.min_quantity


@pytest.mark.parametrize("kind", installer.EXECUTOR_KINDS)
def test_each_executor_template_validates_with_backpack_values(module, tmp_path, kind):
    data = per_kind_template(tmp_path, kind)
    config = module.BackpackExecutorsConfig(**data)
    ClientConfigAdapter(config)
    assert set(data) <= set(type(config).model_fields)  # no key the script would ignore
    assert config.script_file_name == installer.EXECUTORS_SCRIPT and config.executor == kind
    assert_backpack_market(config.connector_name, config.trading_pair)
    assert_on_step(config.order_amount)
    price = SOL_USDC.initial_mid
    if kind == "order":
        assert config.quote_order_type == "LIMIT_MAKER" and min(config.quote_spreads) > MAKER
    elif kind == "position":
        assert config.take_profit > MAKER + TAKER and config.stop_loss > 2 * TAKER
        assert 0 < config.time_limit <= config.position_max_s
    elif kind == "grid":
        assert config.grid_order_type == "LIMIT_MAKER" and config.grid_take_profit > 2 * MAKER
        # The script's smallest level: a fifth of the amount, at least the minimum quantity at the mid.
        assert config.grid_amount_quote / 5 / price >= SOL_USDC.min_quantity
    elif kind == "twap":
        slices = config.twap_duration_s // config.twap_interval_s + 1
        assert config.twap_duration_s % config.twap_interval_s == 0
        assert config.twap_amount_quote / slices / price >= SOL_USDC.min_quantity
    elif kind == "xemm":
        assert MAKER < config.xemm_min_profitability < config.xemm_target_profitability < config.xemm_max_profitability
        assert config.hedge_connector_name != config.connector_name
        assert not config.hedge_connector_name.endswith("_paper_trade")
    elif kind == "arbitrage":
        assert config.arbitrage_min_profitability > 2 * TAKER and config.arbitrage_rounds > 0
        assert config.hedge_connector_name != config.connector_name
        assert not config.hedge_connector_name.endswith("_paper_trade")


def test_the_dca_executor_template_is_the_dca_scripts(module, tmp_path):
    dca = importlib.import_module(".backpack_dca", package="scripts")
    data = per_kind_template(tmp_path, "dca")
    config = dca.BackpackDCAConfig(**data)
    ClientConfigAdapter(config)
    assert data["script_file_name"] == installer.DCA_SCRIPT
    assert_backpack_market(config.connector_name, config.trading_pair)
    assert config.mode.name == "MAKER" and min(config.level_spreads) > 0
    assert config.take_profit > MAKER + TAKER


def test_make_templates_installs_every_executor_template(tmp_path):
    home, package = tmp_path / "home", tmp_path / "package"
    written = set(installer.install(home=home, package_dir=package))
    assert set(installer.EXECUTOR_TEMPLATES) == {*installer.EXECUTOR_KINDS, "dca"}
    for template in installer.EXECUTOR_TEMPLATES.values():
        assert home / "conf" / "scripts" / template in written
        assert package / "templates" / template in written
        assert (home / "conf" / "scripts" / template).read_bytes() == (installer.TEMPLATES_DIR / template).read_bytes()


@pytest.mark.parametrize("field", ["quote_order_type", "grid_order_type"])
def test_resting_order_types_are_limit_maker_or_limit(module, field):
    assert getattr(module.BackpackExecutorsConfig(**{field: "LIMIT"}), field) == "LIMIT"
    with pytest.raises(ValueError, match="order type must be one of LIMIT_MAKER, LIMIT"):
        module.BackpackExecutorsConfig(**{field: "MARKET"})
