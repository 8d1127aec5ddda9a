"""Pure market making from this checkout's template: config as Hummingbot loads it, sandbox pace, oracle on books."""
import asyncio
from types import SimpleNamespace

import pytest

from backpack_harness.headless import ConnectorRateSource
from backpack_harness.strategies import PMM_PACE, PMM_TEMPLATE, start_pure_market_making
from hummingbot.core.rate_oracle.rate_oracle import RateOracle


class Core:
    def __init__(self, accept):
        self.accept, self.started, self.strategy_config_map = accept, None, None

    async def start_strategy(self, name, config, file_name):
        self.started = (name, config, file_name)
        return self.accept


@pytest.fixture
def oracle_source():
    oracle = RateOracle.get_instance()
    saved = oracle.source
    yield oracle
    oracle.source = saved


def test_the_template_starts_on_the_sandbox_connector_at_the_sandbox_pace(oracle_source):
    core = Core(accept=True)
    session = SimpleNamespace(core=core, connector=SimpleNamespace(name="backpack_sandbox", order_books={}))
    config_map = asyncio.run(start_pure_market_making(session, "ETH-USDC"))
    assert core.started == ("pure_market_making", config_map, PMM_TEMPLATE.name)
    assert core.strategy_config_map is config_map
    assert config_map["exchange"].value == "backpack_sandbox" and config_map["market"].value == "ETH-USDC"
    assert {key: config_map[key].value for key in PMM_PACE} == PMM_PACE
    assert isinstance(oracle_source.source, ConnectorRateSource)
    assert oracle_source.source.name == "backpack_sandbox_books"


def test_a_refused_start_raises(oracle_source):
    session = SimpleNamespace(core=Core(accept=False), connector=SimpleNamespace(name="backpack_sandbox"))
    with pytest.raises(RuntimeError, match="could not start the pure_market_making"):
        asyncio.run(start_pure_market_making(session, "SOL-USDC"))
