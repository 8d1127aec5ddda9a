"""Hummingbot's home directory (``conf/``, ``logs/``, ``data/``, ``scripts/``) for the client launcher.

Hummingbot derives its home from where its package sits (``hummingbot.root_path()``: the checkout of a source
install, ``site-packages`` of a pip install) and reads it into module constants (``hummingbot.client.settings``)
at import time. :func:`use_home` points that home at another folder *before* those modules are imported, so a
test (or a user who wants several bots) runs the real client on a throwaway or separate folder without touching
the default one. Hummingbot's own files are not changed: the folder gets a ``hummingbot`` link to the installed
package, which is where Hummingbot looks for its connectors, strategies and templates under its home.
"""
import os
import sys
from pathlib import Path

#: Folders the client expects under its home.
HOME_FOLDERS = ("conf", "conf/connectors", "conf/strategies", "conf/scripts", "conf/controllers", "logs", "data",
                "scripts", "certs")


def use_home(home: Path) -> Path:
    """Make ``home`` Hummingbot's home for this process and ``chdir`` into it; return its absolute path.

    :raises RuntimeError: Hummingbot's client settings were already imported (their paths are fixed by then).
    """
    import hummingbot

    if "hummingbot.client.settings" in sys.modules:
        raise RuntimeError("use_home() must run before hummingbot.client is imported")
    home = Path(home).resolve()
    for folder in HOME_FOLDERS:
        (home / folder).mkdir(parents=True, exist_ok=True)
    link = home / "hummingbot"
    package_dir = Path(hummingbot.__file__).resolve().parent
    if not link.exists():
        link.symlink_to(package_dir, target_is_directory=True)
    elif link.resolve() != package_dir:
        raise RuntimeError(f"{link} exists and is not the installed Hummingbot package ({package_dir})")
    hummingbot.root_path = lambda: home
    hummingbot.set_prefix_path(str(home))
    enter_home(home)
    return home


def enter_home(home: Path) -> None:
    """``chdir`` into the home and put it first on ``sys.path``: the client imports V2 scripts as
    ``scripts.<name>`` and ``TradingCore`` looks for them under ``./scripts``."""
    os.chdir(home)
    if str(home) not in sys.path:
        sys.path.insert(0, str(home))
