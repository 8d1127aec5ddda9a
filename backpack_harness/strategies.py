"""Hummingbot's ``pure_market_making`` started from this checkout's template on a sandbox session (demo, chaos)."""
from pathlib import Path
from typing import Any, Dict

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from backpack_harness.headless import use_connector_prices_for_rate_oracle
from hummingbot.client.config.config_helpers import load_strategy_config_map_from_file

REPO = Path(__file__).resolve().parent.parent
PMM_TEMPLATE = REPO / "hummingbot" / "templates" / "conf_backpack_pure_market_making_TEMPLATE.yml"
#: Sandbox pace: the template's production values (15 s refresh, 60 s pause after a fill) show little in a minute.
PMM_PACE = {"order_refresh_time": 5.0, "filled_order_delay": 3.0, "max_order_age": 60.0}


async def start_pure_market_making(session: Any, trading_pair: str, template: Path = PMM_TEMPLATE,
                                   overrides: Dict[str, Any] = PMM_PACE) -> Any:
    """Load ``template`` through Hummingbot's config machinery (exchange ``backpack_sandbox``, market
    ``trading_pair``, ``overrides`` on top), start it with ``TradingCore.start_strategy``; return the config map.

    :raises RuntimeError: when Hummingbot refuses to start the strategy.
    """
    core = session.core
    config_map = await load_strategy_config_map_from_file(template)
    config_map["exchange"].value = CONSTANTS.SANDBOX_CONNECTOR_NAME
    config_map["market"].value = trading_pair
    for key, value in overrides.items():
        config_map[key].value = value
    core.strategy_config_map = config_map
    use_connector_prices_for_rate_oracle(session.connector)
    if not await core.start_strategy("pure_market_making", config_map, template.name):
        raise RuntimeError("Hummingbot could not start the pure_market_making strategy (see the log)")
    return config_map
