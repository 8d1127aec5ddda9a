"""Development overlay: make the installed Hummingbot load this checkout's Backpack packages.

Hummingbot discovers connectors only as folders inside its installed package (no plugin hook), so this script
links ``<site-packages>/hummingbot/connector/exchange/backpack`` and ``.../connector/backpack_common`` to the
checkout's folders. The shipped ``backpack`` folder is moved once to ``<venv>/hummingbot-upstream/backpack``
(outside ``site-packages``, so it can never be imported by accident; the benchmark loads it from there as the
competitor). Idempotent: a second run only verifies the links. Run with the venv's Python.

Usage: python scripts/dev_overlay.py [--check]
  --check  exit 1 (with a message) if the overlay is not in place, change nothing.
"""
import shutil
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
LINKS = {
    Path("connector/exchange/backpack"): CHECKOUT / "hummingbot/connector/exchange/backpack",
    Path("connector/backpack_common"): CHECKOUT / "hummingbot/connector/backpack_common",
}


def installed_hummingbot_dir() -> Path:
    import importlib.util
    spec = importlib.util.find_spec("hummingbot")
    if spec is None or spec.origin is None:
        sys.exit("dev_overlay: hummingbot is not installed in this Python environment")
    return Path(spec.origin).parent


def upstream_store(hb_dir: Path) -> Path:
    return Path(sys.prefix) / "hummingbot-upstream"


def apply(check_only: bool) -> int:
    hb_dir = installed_hummingbot_dir()
    if hb_dir.resolve() == (CHECKOUT / "hummingbot").resolve():
        sys.exit("dev_overlay: 'hummingbot' resolves to the checkout itself; run with the venv's Python "
                 "from outside the source tree's import path")
    problems = []
    for rel, target in LINKS.items():
        link = hb_dir / rel
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        if check_only:
            problems.append(f"{link} is not a link to {target}")
            continue
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            store = upstream_store(hb_dir) / link.name
            if store.exists():
                shutil.rmtree(link)  # a reinstalled wheel put the shipped copy back; the store already has it
            else:
                store.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(link), str(store))
        link.symlink_to(target, target_is_directory=True)
        print(f"dev_overlay: {link} -> {target}")
    for problem in problems:
        print(f"dev_overlay: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(apply(check_only="--check" in sys.argv[1:]))
