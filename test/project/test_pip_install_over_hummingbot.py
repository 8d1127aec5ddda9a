"""The README's end-user install, done for real: `pip install .` into an environment whose Hummingbot package is the
unmodified `hummingbot==20260922` wheel (shipped Backpack connector included) makes `connect backpack` load ours.

The scratch environment is a new venv holding its own, untouched copy of the Hummingbot wheel (from pip's cache,
which `make install` fills). Hummingbot's third-party dependencies (pandas, web3, …) are borrowed from the project
venv through a `.pth` line so the test takes seconds, not the minutes a full dependency install takes; the
`.pth` path comes after the scratch venv's own site-packages, so `hummingbot` itself resolves to the scratch copy.
The checkout is copied first: an in-tree build would leave `build/` and `*.egg-info` behind.
"""
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUR_PACKAGES = (Path("hummingbot/connector/exchange/backpack"), Path("hummingbot/connector/backpack_common"),
                Path("backpack_sandbox"))

PROBE = """
import json, sys
from hummingbot.client.settings import AllConnectorSettings
import hummingbot.connector.exchange.backpack.backpack_exchange as exchange
import hummingbot.connector.backpack_common.signing as signing
settings = AllConnectorSettings.create_connector_settings()
print(json.dumps({
    "exchange_file": exchange.__file__,
    "signing_file": signing.__file__,
    "class_name": settings["backpack"].class_name(),
    "module_path": settings["backpack"].module_path(),
    "sandbox_domain": settings["backpack_sandbox"].domain_parameter if "backpack_sandbox" in settings else None,
    "has_health": hasattr(exchange.BackpackExchange, "health"),
}))
"""


def _run(cmd, cwd=None):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (f"{' '.join(map(str, cmd))} failed:\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _copy_source(dest: Path) -> Path:
    dest.mkdir()
    for name in ("setup.py", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    for package in OUR_PACKAGES:
        shutil.copytree(REPO / package, dest / package, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="module")
def scratch_hummingbot(tmp_path_factory) -> Path:
    """A venv with the unmodified Hummingbot wheel; returns its python."""
    root = tmp_path_factory.mktemp("pip-install")
    _run([sys.executable, "-m", "venv", str(root / "venv")])
    python = root / "venv" / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed", "hummingbot==20260922"])
    shipped = site / "hummingbot" / "connector" / "exchange" / "backpack" / "backpack_exchange.py"
    assert shipped.is_file() and not shipped.is_symlink(), "the scratch venv must hold the shipped connector"
    return python


def test_pip_install_replaces_the_shipped_connector(scratch_hummingbot, tmp_path):
    python = scratch_hummingbot
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    installed = site / "hummingbot" / "connector" / "exchange" / "backpack"
    before = (installed / "backpack_exchange.py").read_bytes()
    ours = (REPO / "hummingbot/connector/exchange/backpack/backpack_exchange.py").read_bytes()
    assert before != ours, "precondition: the scratch venv starts with the shipped connector"

    source = _copy_source(tmp_path / "src")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-build-isolation", str(source)])

    for package in OUR_PACKAGES:
        for path in (REPO / package).glob("*.py"):
            target = site / package / path.name
            assert target.read_bytes() == path.read_bytes(), f"{target} is not the checkout's {path.name}"
    import json
    probe = json.loads(_run([str(python), "-c", PROBE], cwd=tmp_path).strip().splitlines()[-1])
    assert Path(probe["exchange_file"]).resolve() == (installed / "backpack_exchange.py").resolve()
    assert Path(probe["signing_file"]).parent.resolve() == (site / "hummingbot/connector/backpack_common").resolve()
    assert probe["class_name"] == "BackpackExchange"
    assert probe["module_path"] == "hummingbot.connector.exchange.backpack.backpack_exchange"
    assert probe["sandbox_domain"] == "sandbox"
    assert probe["has_health"] is True
