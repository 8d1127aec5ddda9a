"""The checkout, not the copy shipped in the Hummingbot wheel, is what Hummingbot discovers and imports."""
import importlib
import subprocess
import sys
from pathlib import Path

from hummingbot.client.settings import AllConnectorSettings

REPO = Path(__file__).resolve().parents[2]
CHECKOUT_CONNECTOR = REPO / "hummingbot" / "connector" / "exchange" / "backpack"
CHECKOUT_COMMON = REPO / "hummingbot" / "connector" / "backpack_common"


def _module_file(module_path: str) -> Path:
    return Path(importlib.import_module(module_path).__file__).resolve()


def test_connector_settings_list_backpack_and_its_sandbox_domains():
    settings = AllConnectorSettings.create_connector_settings()
    assert "backpack" in settings
    for name, domain in (("backpack_sandbox", "sandbox"), ("backpack_sandbox_2", "sandbox_2")):
        assert name in settings
        assert settings[name].parent_name == "backpack"
        assert settings[name].domain_parameter == domain


def test_discovered_exchange_class_and_utils_are_the_checkouts_files():
    setting = AllConnectorSettings.create_connector_settings()["backpack"]
    exchange_module = _module_file(setting.module_path())
    utils_module = _module_file("hummingbot.connector.exchange.backpack.backpack_utils")
    assert exchange_module == (CHECKOUT_CONNECTOR / "backpack_exchange.py").resolve()
    assert utils_module == (CHECKOUT_CONNECTOR / "backpack_utils.py").resolve()
    assert setting.class_name() == "BackpackExchange"
    assert hasattr(importlib.import_module(setting.module_path()), "BackpackExchange")
    assert _module_file("hummingbot.connector.backpack_common.signing") == (CHECKOUT_COMMON / "signing.py").resolve()


def test_shipped_copy_is_kept_out_of_the_import_path():
    """The wheel's own backpack folder was moved aside (it is the benchmark's competitor), not left importable."""
    import hummingbot
    exchange_dir = Path(hummingbot.__file__).parent / "connector" / "exchange"
    entries = [p.name for p in exchange_dir.iterdir() if "backpack" in p.name]
    assert entries == ["backpack"]
    assert (exchange_dir / "backpack").is_symlink()


def test_overlay_check_passes():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "dev_overlay.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
