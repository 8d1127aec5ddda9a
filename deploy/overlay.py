"""Lay this project's connector folders over a Hummingbot install and prove Hummingbot loads ``backpack`` from them.

Hummingbot finds connectors only as folders inside its own package, so ours must replace the shipped ones there:
``<package>/connector/exchange/backpack`` and ``<package>/connector/backpack_common``. A package is either a source
tree (the official bot image: ``/home/hummingbot/hummingbot``, first on ``sys.path``, shadowing site-packages) or
the installed package (hummingbot-api's image, a venv). Standard library only: it runs in images before anything
else is installed.

Commands (``--from`` is a folder holding ``hummingbot/connector/...`` as in this repository):
  install --from SRC [--tree ROOT]   replace the package's two folders with copies of SRC's (whole folders, so no
                                     shipped module is left behind)
  verify  --from SRC [--tree ROOT]   in a fresh interpreter with ROOT first on ``sys.path``: Hummingbot's
                                     ``AllConnectorSettings`` maps ``backpack`` to ``BackpackExchange`` in a module
                                     of the package's folder, and both folders hold exactly SRC's files, byte for
                                     byte; exit 1 with the differences otherwise
Without ``--tree`` the package is the one ``import hummingbot`` finds (site-packages).

``scripts/dev_overlay.py`` (development venv) uses :func:`place` with links instead of copies.
"""
import argparse
import filecmp
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

#: Our folders, relative to the ``hummingbot`` package directory.
FOLDERS = (Path("connector/exchange/backpack"), Path("connector/backpack_common"))
CONNECTOR_NAME = "backpack"
EXCHANGE_CLASS = "BackpackExchange"
IGNORED = ("__pycache__", "*.pyc")

#: Run in a fresh interpreter by :func:`loaded_connector`: what Hummingbot's connector settings load for ``backpack``.
PROBE = """
import importlib, importlib.util, json, sys
from pathlib import Path
import hummingbot
from hummingbot.client.settings import AllConnectorSettings
setting = AllConnectorSettings.create_connector_settings()[{name!r}]
module = importlib.import_module(setting.module_path())
common = importlib.util.find_spec("hummingbot.connector.backpack_common")
print(json.dumps({{
    "package": str(Path(hummingbot.__file__).resolve().parent),
    "module_file": str(Path(module.__file__).resolve()),
    "class_name": setting.class_name(),
    "has_class": hasattr(module, setting.class_name()),
    "common_dirs": [str(Path(p).resolve()) for p in common.submodule_search_locations] if common else [],
}}))
"""


def package_dir(tree: Optional[Path] = None) -> Path:
    """The ``hummingbot`` package directory: ``<tree>/hummingbot`` or the importable one.

    :raises SystemExit: when there is none.
    """
    if tree is not None:
        candidate = Path(tree) / "hummingbot"
        if not (candidate / "__init__.py").is_file():
            raise SystemExit(f"overlay: {candidate} is not a Hummingbot source tree (no __init__.py)")
        return candidate
    spec = importlib.util.find_spec("hummingbot")
    if spec is None or spec.origin is None:
        raise SystemExit("overlay: hummingbot is not installed in this Python environment")
    return Path(spec.origin).parent


def place(package: Path, source_package: Path, link: bool = False, store: Optional[Path] = None) -> List[str]:
    """Put ``source_package``'s :data:`FOLDERS` in ``package``: symlinks when ``link``, else copies; a folder already
    in place (same link, or same files) is left alone. A shipped folder that is replaced is moved into ``store``
    (kept once; a second shipped copy is dropped) or deleted when ``store`` is None. Returns one line per change.
    """
    changes = []
    for rel in FOLDERS:
        target, source = package / rel, source_package / rel
        if not source.is_dir():
            raise SystemExit(f"overlay: {source} is not a folder")
        if link and target.is_symlink() and target.resolve() == source.resolve():
            continue
        if not link and not target.is_symlink() and target.is_dir() and not folder_differences(source, target):
            continue
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            if store is not None and not (store / target.name).exists():
                store.mkdir(parents=True, exist_ok=True)
                shutil.move(str(target), str(store / target.name))
            else:
                shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if link:
            target.symlink_to(source.resolve(), target_is_directory=True)
        else:
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED))
        changes.append(f"{target} -> {source}")
    return changes


def link_problems(package: Path, source_package: Path) -> List[str]:
    """What is not a symlink to ``source_package``'s folder (the development overlay's state)."""
    return [f"{package / rel} is not a link to {source_package / rel}" for rel in FOLDERS
            if not ((package / rel).is_symlink() and (package / rel).resolve() == (source_package / rel).resolve())]


def _files(folder: Path) -> Dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def folder_differences(ours: Path, theirs: Path) -> List[str]:
    """Files of ``ours`` missing or different in ``theirs``, and files only in ``theirs`` (``__pycache__`` aside)."""
    mine, other = _files(ours), _files(theirs) if theirs.is_dir() else {}
    problems = [f"missing {theirs / name}" for name in sorted(set(mine) - set(other))]
    problems += [f"not ours: {theirs / name}" for name in sorted(set(other) - set(mine))]
    problems += [f"differs: {theirs / name}" for name in sorted(set(mine) & set(other))
                 if not filecmp.cmp(mine[name], other[name], shallow=False)]
    return problems


def loaded_connector(first_on_path: Sequence[Path] = (), python: str = sys.executable) -> Dict[str, object]:
    """What a fresh ``python`` loads for ``backpack`` with ``first_on_path`` (in order) ahead of its own
    ``sys.path``, as the official image puts its source tree ahead of site-packages.

    :raises RuntimeError: when the probe fails (its stderr tail in the message).
    """
    code = f"import sys; sys.path[:0] = {[str(p) for p in first_on_path]!r}\n" + PROBE.format(name=CONNECTOR_NAME)
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd="/")
    if result.returncode != 0:
        raise RuntimeError("overlay: the connector-settings probe failed:\n" + result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def verify(source_package: Path, tree: Optional[Path] = None) -> List[str]:
    """Problems with what Hummingbot loads for ``backpack`` against ``source_package`` (empty: it loads ours)."""
    loaded = loaded_connector([tree] if tree is not None else [])
    package = package_dir(tree).resolve()
    problems = []
    if Path(str(loaded["package"])) != package:
        problems.append(f"hummingbot loads from {loaded['package']}, not {package}")
    connector_dir = package / FOLDERS[0]
    if Path(str(loaded["module_file"])).parent != connector_dir:
        problems.append(f"backpack's module {loaded['module_file']} is not in {connector_dir}")
    if loaded["class_name"] != EXCHANGE_CLASS or not loaded["has_class"]:
        problems.append(f"backpack's class is {loaded['class_name']}, expected {EXCHANGE_CLASS}")
    if loaded["common_dirs"] != [str(package / FOLDERS[1])]:
        problems.append(f"backpack_common loads from {loaded['common_dirs']}, not {package / FOLDERS[1]}")
    for rel in FOLDERS:
        problems += folder_differences(source_package / rel, package / rel)
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("install", "verify"))
    parser.add_argument("--from", dest="source", type=Path, required=True,
                        help="folder holding hummingbot/connector/exchange/backpack and .../backpack_common")
    parser.add_argument("--tree", type=Path, help="Hummingbot source tree root (e.g. /home/hummingbot)")
    args = parser.parse_args(argv)
    source_package = args.source / "hummingbot"
    if args.command == "install":
        for change in place(package_dir(args.tree), source_package):
            print(f"overlay: {change}")
        return 0
    problems = verify(source_package, args.tree)
    for problem in problems:
        print(f"overlay: {problem}", file=sys.stderr)
    if not problems:
        print(f"overlay: Hummingbot loads {CONNECTOR_NAME} from {package_dir(args.tree) / FOLDERS[0]} (ours)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
