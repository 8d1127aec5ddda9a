"""``make templates`` / ``python -m backpack_client.install_templates [--home DIR]``: copy this checkout's strategy
templates and V2 scripts to where Hummingbot's client finds them.

Hummingbot's client takes its folders from its home directory (``hummingbot.root_path()``: the checkout for a
source install, ``site-packages`` for a pip install):

- ``<package>/templates/``  every ``conf_backpack_*_TEMPLATE.yml`` (next to Hummingbot's own templates);
- ``<home>/conf/strategies/``  the V1 templates (pure MM, cross-exchange MM), for ``import <file>``;
- ``<home>/conf/controllers/``  the V2 controller configs (pmm_mister, pmm_simple, grid_strike);
- ``<home>/conf/scripts/``  the V2 script configs, for ``start --v2 <file>``: one per executor (order, position, grid,
  twap, xemm, arbitrage of ``backpack_executors.py``; dca of ``backpack_dca.py``), the generic executors config and
  Bollinger;
- ``<home>/scripts/``  ``backpack_dca.py``, ``backpack_executors.py``, ``backpack_bollinger.py``: the V2 scripts
  those configs run.

Only files named here are written (the ``*_TEMPLATE.yml`` names and the scripts of ``SCRIPTS``); nothing else in
the user's folders is touched. Run it with the Python of the Hummingbot install to target (``make templates
PY=/path/to/python``).
"""
import argparse
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Tuple

from backpack_harness.cli import command

REPO = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO / "hummingbot" / "templates"
SCRIPTS_DIR = REPO / "hummingbot_scripts"
PMM_TEMPLATE = "conf_backpack_pure_market_making_TEMPLATE.yml"
XEMM_TEMPLATE = "conf_backpack_cross_exchange_market_making_TEMPLATE.yml"
DCA_TEMPLATE = "conf_backpack_dca_TEMPLATE.yml"
DCA_SCRIPT = "backpack_dca.py"
EXECUTORS_TEMPLATE = "conf_backpack_executors_TEMPLATE.yml"
EXECUTORS_SCRIPT = "backpack_executors.py"
#: The executor kinds of ``backpack_executors.py``.
EXECUTOR_KINDS = ("order", "position", "grid", "twap", "xemm", "arbitrage")
#: One V2 template per executor: kind → template (``dca`` is ``backpack_dca.py``'s).
EXECUTOR_TEMPLATES = {**{kind: f"conf_backpack_executors_{kind}_TEMPLATE.yml" for kind in EXECUTOR_KINDS},
                      "dca": DCA_TEMPLATE}
BOLLINGER_TEMPLATE = "conf_backpack_bollinger_TEMPLATE.yml"
BOLLINGER_SCRIPT = "backpack_bollinger.py"
#: V2 controller configs (pmm_mister, pmm_simple, grid_strike: controllers of Hummingbot's source/Docker install).
CONTROLLER_TEMPLATES = tuple(f"conf_backpack_controller_{name}_TEMPLATE.yml"
                             for name in ("pmm_mister", "pmm_simple", "grid_strike"))
#: V2 scripts copied into ``<home>/scripts/``.
SCRIPTS = (DCA_SCRIPT, EXECUTORS_SCRIPT, BOLLINGER_SCRIPT)
#: file → folders under the Hummingbot home it goes to (the package's templates folder gets every template).
HOME_DESTINATIONS = {
    PMM_TEMPLATE: ("conf/strategies",),
    XEMM_TEMPLATE: ("conf/strategies",),
    DCA_TEMPLATE: ("conf/scripts",),
    EXECUTORS_TEMPLATE: ("conf/scripts",),
    **{template: ("conf/scripts",) for template in EXECUTOR_TEMPLATES.values()},
    BOLLINGER_TEMPLATE: ("conf/scripts",),
    **{template: ("conf/controllers",) for template in CONTROLLER_TEMPLATES},
}


def hummingbot_home() -> Path:
    """Hummingbot's home directory as its client computes it (``root_path()``)."""
    import hummingbot
    return Path(hummingbot.root_path())


def hummingbot_package_dir() -> Path:
    import hummingbot
    return Path(hummingbot.__file__).resolve().parent


def plan(home: Path, package_dir: Path) -> List[Tuple[Path, Path]]:
    """(source, destination) pairs of every copy ``install`` makes."""
    copies = []
    for template, folders in HOME_DESTINATIONS.items():
        source = TEMPLATES_DIR / template
        copies.append((source, package_dir / "templates" / template))
        copies.extend((source, home / folder / template) for folder in folders)
    copies.extend((SCRIPTS_DIR / script, home / "scripts" / script) for script in SCRIPTS)
    return copies


def install(home: Optional[Path] = None, package_dir: Optional[Path] = None) -> List[Path]:
    """Copy every file of :func:`plan`; return the destinations. Creates missing folders."""
    home = Path(home) if home is not None else hummingbot_home()
    package_dir = Path(package_dir) if package_dir is not None else hummingbot_package_dir()
    written = []
    for source, destination in plan(home, package_dir):
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.resolve() != destination.resolve():
            shutil.copyfile(source, destination)
        written.append(destination)
    return written


def _install(args: argparse.Namespace) -> int:
    for destination in install(args.home):
        print(f"installed {destination}")
    return 0


main = command(
    "python -m backpack_client.install_templates", __doc__, _install,
    lambda p: p.add_argument("--home", type=Path, default=None,
                             help="Hummingbot home (default: the installed Hummingbot's root_path())"))


if __name__ == "__main__":
    sys.exit(main())
