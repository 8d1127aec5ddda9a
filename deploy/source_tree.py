"""Hummingbot source trees made from this machine's venv, in the official bot image's layout.

The official image runs Hummingbot from ``/home/hummingbot/hummingbot`` (the source tree, Cython modules built in
place), first on ``sys.path``. :func:`copy_package` reproduces that package from the venv's installed Hummingbot
as shipped: the venv's ``connector/exchange/backpack`` is the development overlay's link to this checkout, so the
shipped folder comes from where ``scripts/dev_overlay.py`` stored it, and ``connector/backpack_common`` (ours only)
is left out. Files are hard-linked when source and destination share a file system (copied otherwise): a copy
takes a second, not the minute 70 MB of copies take under load.
"""
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

from deploy.overlay import FOLDERS, package_dir


def shipped_connector_dir(package: Path) -> Path:
    """The shipped ``backpack`` folder: the venv's own when it is not a link, else the development overlay's store.

    :raises FileNotFoundError: when neither exists (run ``make install``).
    """
    installed = package / FOLDERS[0]
    if installed.is_dir() and not installed.is_symlink():
        return installed
    stored = Path(sys.prefix) / "hummingbot-upstream" / "backpack"
    if not stored.is_dir():
        raise FileNotFoundError(f"the shipped backpack connector is neither at {installed} nor at {stored}")
    return stored


def _link_or_copy(source: str, destination: str) -> Any:
    try:
        os.link(source, destination)
        return destination
    except OSError:
        return shutil.copy2(source, destination)


def _ignore(package: Path) -> Callable[[str, Any], set]:
    ours = {str(package / rel) for rel in FOLDERS}

    def ignore(directory: str, names: Any) -> set:
        return {n for n in names if n == "__pycache__" or os.path.join(directory, n) in ours}
    return ignore


def copy_package(destination: Path, shipped_connector: bool = True) -> Path:
    """Copy the venv's ``hummingbot`` package to ``destination`` (the package folder itself, e.g.
    ``<tree>/hummingbot``) without our two folders; with ``shipped_connector`` the shipped ``backpack`` folder goes
    back in its place. ``destination`` may exist already (whatever it holds in our two folders stays). Returns
    ``destination``.
    """
    package = package_dir()
    shutil.copytree(package, destination, symlinks=False, ignore=_ignore(package), copy_function=_link_or_copy,
                    dirs_exist_ok=True)
    if shipped_connector:
        shutil.copytree(shipped_connector_dir(package), destination / FOLDERS[0],
                        ignore=shutil.ignore_patterns("__pycache__"), copy_function=_link_or_copy)
    return destination
