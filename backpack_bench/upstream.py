"""Load the Backpack connector shipped with Hummingbot (the benchmark's competitor) next to ours, in one process.

``make install`` moves the shipped ``hummingbot/connector/exchange/backpack`` folder aside to
``<venv>/hummingbot-upstream/backpack`` and links our checkout in its place, so a plain import always finds ours.
``load_upstream()`` briefly installs a meta-path finder that serves the shipped files under their real names
(``hummingbot.connector.exchange.backpack.*``), imports them, then moves them in ``sys.modules`` to
``_bench_upstream.backpack.*``, removes the finder and puts our modules back. Module-level imports inside the
shipped files stay bound to the shipped objects (its data source keeps *its* constants), while every later
``import hummingbot.connector.exchange.backpack...`` keeps resolving to ours. Nothing is copied: the shipped
files are executed from where pip put them.
"""
import importlib
import importlib.abc
import importlib.util
import os
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

PACKAGE = "hummingbot.connector.exchange.backpack"
PARENT = "hummingbot.connector.exchange"
ALIAS = "_bench_upstream.backpack"
#: Environment variable overriding the folder of the shipped connector.
DIR_ENV = "BACKPACK_BENCH_UPSTREAM_DIR"
MODULES = ("backpack_constants", "backpack_web_utils", "backpack_auth", "backpack_order_book", "backpack_utils",
           "backpack_api_order_book_data_source", "backpack_api_user_stream_data_source", "backpack_exchange")

_lock = threading.Lock()
_loaded: Optional["Upstream"] = None


@dataclass(frozen=True)
class Upstream:
    """The shipped connector's modules (under their alias names in ``sys.modules``)."""
    directory: Path
    constants: types.ModuleType
    web_utils: types.ModuleType
    auth: types.ModuleType
    order_book: types.ModuleType
    utils: types.ModuleType
    order_book_data_source: types.ModuleType
    user_stream_data_source: types.ModuleType
    exchange: types.ModuleType


def upstream_dir() -> Path:
    """``$BACKPACK_BENCH_UPSTREAM_DIR``, else ``<sys.prefix>/hummingbot-upstream/backpack`` (``make install``)."""
    override = os.environ.get(DIR_ENV)
    return Path(override) if override else Path(sys.prefix) / "hummingbot-upstream" / "backpack"


class _UpstreamFinder(importlib.abc.MetaPathFinder):
    """Serves ``hummingbot.connector.exchange.backpack[.x]`` from ``directory`` (only while installed)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def find_spec(self, fullname, path=None, target=None):
        if fullname == PACKAGE:
            return importlib.util.spec_from_file_location(
                fullname, self._directory / "__init__.py", submodule_search_locations=[str(self._directory)])
        if fullname.startswith(PACKAGE + "."):
            leaf = fullname[len(PACKAGE) + 1:]
            file = self._directory / f"{leaf}.py"
            if "." not in leaf and file.is_file():
                return importlib.util.spec_from_file_location(fullname, file)
        return None


def _ours_in_sys_modules() -> Dict[str, types.ModuleType]:
    return {name: module for name, module in sys.modules.items()
            if name == PACKAGE or name.startswith(PACKAGE + ".")}


def load_upstream(directory: Optional[Path] = None) -> Upstream:
    """Import the shipped connector under ``_bench_upstream.backpack.*`` (once per process) and return it.

    Our modules already in ``sys.modules`` stay there, the same objects; ``hummingbot.connector.exchange``'s
    ``backpack`` attribute is restored. :raises FileNotFoundError: the shipped connector's folder is missing
    (run ``make install``).
    """
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _import_from(Path(directory) if directory is not None else upstream_dir())
        return _loaded


def _import_from(directory: Path) -> Upstream:
    if not (directory / "backpack_exchange.py").is_file():
        raise FileNotFoundError(f"the shipped Backpack connector is not at {directory} (run `make install`, "
                                f"or set {DIR_ENV})")
    parent = importlib.import_module(PARENT)
    had_attr = hasattr(parent, "backpack")
    parent_attr = getattr(parent, "backpack", None)
    ours = _ours_in_sys_modules()
    for name in ours:
        del sys.modules[name]
    finder = _UpstreamFinder(directory)
    sys.meta_path.insert(0, finder)
    try:
        for leaf in MODULES:
            importlib.import_module(f"{PACKAGE}.{leaf}")
    finally:
        sys.meta_path.remove(finder)
        theirs = _ours_in_sys_modules()
        for name in theirs:
            del sys.modules[name]
        sys.modules.update(ours)
        if had_attr:
            parent.backpack = parent_attr
        elif hasattr(parent, "backpack"):
            delattr(parent, "backpack")
    alias_root = sys.modules.setdefault("_bench_upstream", types.ModuleType("_bench_upstream"))
    for name, module in theirs.items():
        sys.modules[ALIAS + name[len(PACKAGE):]] = module
    alias_root.backpack = theirs[PACKAGE]
    modules = {leaf: theirs[f"{PACKAGE}.{leaf}"] for leaf in MODULES}
    return Upstream(directory=directory, constants=modules["backpack_constants"],
                    web_utils=modules["backpack_web_utils"], auth=modules["backpack_auth"],
                    order_book=modules["backpack_order_book"], utils=modules["backpack_utils"],
                    order_book_data_source=modules["backpack_api_order_book_data_source"],
                    user_stream_data_source=modules["backpack_api_user_stream_data_source"],
                    exchange=modules["backpack_exchange"])
