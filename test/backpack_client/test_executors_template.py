"""The executors template validates with ``backpack_executors.py``'s config class (as ``start --v2`` loads it), with
Backpack values (spreads above the maker fee, amounts on the SOL step), and the script's markets follow the kind."""
import importlib
import sys
from decimal import Decimal
from pathlib import Path

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
    installer.install(home=tmp_path, package_dir=tmp_path / "package")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "scripts" or n.startswith("scripts.")]:
        monkeypatch.delitem(sys.modules, name)
    module = importlib.import_module(".backpack_executors", package="scripts")
    assert Path(module.__file__).resolve() == (tmp_path / "scripts" / "backpack_executors.py").resolve()
    return module


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
    ("xemm", {"backpack": {"SOL-USDC"}, "backpack_paper_trade": {"SOL-USDC"}}),
    ("arbitrage", {"backpack": {"SOL-USDC"}, "backpack_paper_trade": {"SOL-USDC"}}),
])
def test_markets_follow_the_executor_kind(module, template, kind, markets):
    config = module.BackpackExecutorsConfig(**{**template, "executor": kind})
    module.BackpackExecutors.init_markets(config)
    assert module.BackpackExecutors.markets == markets


def test_unknown_executor_kind_is_refused(module, template):
    with pytest.raises(ValueError, match="executor must be one of"):
        module.BackpackExecutorsConfig(**{**template, "executor": "lp"})


def test_sandbox_values_pace_every_kind_for_the_run(module):
    from backpack_demo.v2 import KINDS, sandbox_values
    assert set(KINDS) == set(module.EXECUTOR_KINDS)
    for kind in KINDS:
        values = sandbox_values(kind, 20)
        assert values["executor"] == kind and values["connector_name"] == "backpack_sandbox"
    assert sandbox_values("order", 20)["quote_duration_s"] < 20
    twap = sandbox_values("twap", 20)
    assert twap["twap_duration_s"] % twap["twap_interval_s"] == 0 and twap["twap_duration_s"] < 20
    assert Decimal(str(sandbox_values("arbitrage", 20)["arbitrage_min_profitability"])) < 0
