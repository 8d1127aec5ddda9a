"""Development overlay: make the installed Hummingbot load this checkout's Backpack packages.

Hummingbot discovers connectors only as folders inside its installed package (no plugin hook), so this script
links ``<site-packages>/hummingbot/connector/exchange/backpack`` and ``.../connector/backpack_common`` to the
checkout's folders (``deploy/overlay.py``'s :func:`place`, the code the images run, with links instead of copies).
The shipped ``backpack`` folder is moved once to ``<venv>/hummingbot-upstream/backpack`` (outside
``site-packages``, so it can never be imported by accident; the benchmark loads it from there as the competitor).
Idempotent: a second run only verifies the links. Run with the venv's Python.

Usage: python scripts/dev_overlay.py [--check]
  --check  exit 1 (with a message) if the overlay is not in place, change nothing.
"""
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.append(str(CHECKOUT))  # after site-packages: `hummingbot` stays the installed package

from deploy.overlay import link_problems, package_dir, place  # noqa: E402


def upstream_store() -> Path:
    return Path(sys.prefix) / "hummingbot-upstream"


def apply(check_only: bool) -> int:
    hb_dir = package_dir()
    if hb_dir.resolve() == (CHECKOUT / "hummingbot").resolve():
        sys.exit("dev_overlay: 'hummingbot' resolves to the checkout itself; run with the venv's Python "
                 "from outside the source tree's import path")
    if not check_only:
        for change in place(hb_dir, CHECKOUT / "hummingbot", link=True, store=upstream_store()):
            print(f"dev_overlay: {change}")
    problems = link_problems(hb_dir, CHECKOUT / "hummingbot")
    for problem in problems:
        print(f"dev_overlay: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(apply(check_only="--check" in sys.argv[1:]))
