"""Import a V2 script the way Hummingbot does: ``scripts.<name>`` from a home's ``scripts/`` folder."""
import importlib
import sys
from pathlib import Path
from types import ModuleType

from backpack_client import install_templates as installer


def import_installed_script(home: Path, monkeypatch, name: str) -> ModuleType:
    """Install the templates and scripts into ``home`` (package files under ``home/package``) and import
    ``scripts.<name>`` from there, dropping any ``scripts`` package imported earlier (``monkeypatch`` restores it)."""
    installer.install(home=home, package_dir=home / "package")
    monkeypatch.syspath_prepend(str(home))
    for loaded in [n for n in sys.modules if n == "scripts" or n.startswith("scripts.")]:
        monkeypatch.delitem(sys.modules, loaded)
    module = importlib.import_module(f".{name}", package="scripts")
    assert Path(module.__file__).resolve() == (home / "scripts" / f"{name}.py").resolve()
    return module
