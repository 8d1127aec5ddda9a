"""The client launcher's pieces: ``--home`` moves Hummingbot's folders, the offline rate source prices from books."""
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from backpack_client.home import use_home
from backpack_client.offline_rates import OfflineRateSource

REPO = Path(__file__).resolve().parents[2]


def test_use_home_points_hummingbots_folders_at_the_home(tmp_path):
    code = ("import sys; from pathlib import Path; from backpack_client.home import use_home; "
            "home = use_home(Path(sys.argv[1])); from hummingbot.client import settings; import os; "
            "print(settings.CONF_DIR_PATH); print(settings.SCRIPT_STRATEGIES_PATH); print(os.getcwd()); "
            "print('backpack_sandbox' in settings.AllConnectorSettings.get_connector_settings())")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "home")], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    conf, scripts, cwd, connectors_found = out.stdout.split()
    home = (tmp_path / "home").resolve()
    assert (Path(conf), Path(scripts), Path(cwd)) == (home / "conf", home / "scripts", home)
    assert connectors_found == "True"  # connectors are still discovered through the home's hummingbot link
    assert (home / "hummingbot").resolve() == Path(__import__("hummingbot").__file__).resolve().parent


def test_use_home_refuses_once_the_client_settings_are_imported(tmp_path):
    import hummingbot.client.settings  # noqa: F401
    with pytest.raises(RuntimeError, match="before hummingbot.client is imported"):
        use_home(tmp_path)


def test_launcher_help():
    out = subprocess.run([sys.executable, "-m", "backpack_client", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "--home" in out.stdout and "--offline-rates" in out.stdout


class _Book:
    def __init__(self, bid, ask):
        self._bid, self._ask = bid, ask

    def get_price(self, is_buy):
        return self._ask if is_buy else self._bid


class _Connector:
    def __init__(self, books):
        self.order_books = books


@pytest.mark.asyncio
async def test_offline_rates_price_stablecoins_at_one_and_assets_from_running_books():
    connectors = [_Connector({"SOL-USDC": _Book(149.0, 151.0), "ETH-BTC": _Book(0.03, 0.031)})]
    source = OfflineRateSource(lambda: connectors)
    prices = await source.get_prices("USDT")
    assert prices["USDC-USDT"] == Decimal(1) and prices["SOL-USDT"] == Decimal(150)
    assert "ETH-USDT" not in prices and source.name == "offline"
    connectors.append(_Connector({"BTC-USDC": _Book(float("nan"), 1.0)}))
    assert "BTC-USDT" not in await source.get_prices("USDT")
