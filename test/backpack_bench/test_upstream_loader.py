"""The benchmark loads the shipped connector next to ours without displacing ours."""
import os
import sys
from pathlib import Path

import pytest

import hummingbot.connector.exchange as exchange_package
import hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source as our_data_source
import hummingbot.connector.exchange.backpack.backpack_auth as our_auth
from backpack_bench import upstream as loader

REPO = Path(__file__).resolve().parents[2]
OUR_FOLDER = REPO / "hummingbot" / "connector" / "exchange" / "backpack"


def _real(path) -> Path:
    return Path(os.path.realpath(path))


@pytest.fixture(scope="module")
def up():
    if not (loader.upstream_dir() / "backpack_exchange.py").is_file():
        pytest.skip("the shipped connector is not installed (make install)")
    return loader.load_upstream()


def test_loads_the_shipped_files(up):
    for module in (up.constants, up.auth, up.order_book_data_source, up.exchange):
        assert _real(module.__file__).parent == _real(loader.upstream_dir())
    # module-level imports inside the shipped files stay bound to the shipped modules
    assert up.order_book_data_source.CONSTANTS is up.constants
    assert up.exchange.BackpackAuth is up.auth.BackpackAuth
    assert sys.modules["_bench_upstream.backpack.backpack_auth"] is up.auth


def test_our_modules_stay_in_place(up):
    name = "hummingbot.connector.exchange.backpack.backpack_auth"
    assert sys.modules[name] is our_auth
    assert _real(our_auth.__file__).parent == _real(OUR_FOLDER)
    assert exchange_package.backpack.backpack_auth is our_auth
    shipped_data_source = up.order_book_data_source.BackpackAPIOrderBookDataSource
    assert our_data_source.BackpackAPIOrderBookDataSource is not shipped_data_source
    # a module of ours imported only now still comes from our checkout, not from the shipped folder
    import hummingbot.connector.exchange.backpack.backpack_exchange as our_exchange
    assert _real(our_exchange.__file__).parent == _real(OUR_FOLDER)
    assert our_exchange.BackpackExchange is not up.exchange.BackpackExchange
    assert not any(isinstance(f, loader._UpstreamFinder) for f in sys.meta_path)


def test_loading_twice_returns_the_same_modules(up):
    assert loader.load_upstream() is up


def test_missing_folder_is_a_clear_error(tmp_path):
    before = dict(sys.modules)
    with pytest.raises(FileNotFoundError, match="make install"):
        loader._import_from(tmp_path)
    assert sys.modules["hummingbot.connector.exchange.backpack.backpack_auth"] is before[
        "hummingbot.connector.exchange.backpack.backpack_auth"]
