"""The images' overlay on a source tree made from the venv (the official bot image's layout), the shadowing of a
pip-installed connector by such a tree, and the wheel the hummingbot-api image installs."""
import subprocess
import sys
import zipfile
from pathlib import Path
from test.project.test_pip_install_over_hummingbot import _copy_source, _run

import pytest

from deploy import overlay
from deploy.source_tree import copy_package

REPO = Path(__file__).resolve().parents[2]
OVERLAY = REPO / "deploy" / "overlay.py"
OUR_EXCHANGE = REPO / "hummingbot" / "connector" / "exchange" / "backpack" / "backpack_exchange.py"


def _overlay(*args: str) -> subprocess.CompletedProcess:
    """The overlay script as the Dockerfiles run it: a fresh interpreter, nothing from this checkout on its path."""
    return subprocess.run([sys.executable, str(OVERLAY), *args], capture_output=True, text=True, cwd="/",
                          timeout=300)


@pytest.fixture
def source_tree(tmp_path) -> Path:
    """``<tmp>/home`` holding ``hummingbot/`` as the official image's /home/hummingbot does (shipped connector)."""
    copy_package(tmp_path / "home" / "hummingbot")
    return tmp_path / "home"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    source = _copy_source(root / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
          str(root / "dist"), str(source)])
    (built,) = (root / "dist").glob("*.whl")
    return built


def test_overlay_script_makes_the_source_tree_load_our_connector(source_tree):
    shipped = overlay.loaded_connector([source_tree])
    assert Path(shipped["module_file"]).is_relative_to(source_tree)
    assert Path(shipped["module_file"]).read_bytes() != OUR_EXCHANGE.read_bytes(), "precondition: shipped copy"

    refused = _overlay("verify", "--tree", str(source_tree), "--from", str(REPO))
    assert refused.returncode == 1 and "missing" in refused.stderr, "a build without the overlay must fail"

    installed = _overlay("install", "--tree", str(source_tree), "--from", str(REPO))
    assert installed.returncode == 0, installed.stderr
    verified = _overlay("verify", "--tree", str(source_tree), "--from", str(REPO))
    assert verified.returncode == 0, verified.stderr
    assert "(ours)" in verified.stdout

    loaded = overlay.loaded_connector([source_tree])
    assert Path(loaded["module_file"]) == (source_tree / "hummingbot/connector/exchange/backpack/backpack_exchange.py")
    assert Path(loaded["module_file"]).read_bytes() == OUR_EXCHANGE.read_bytes()
    assert loaded["common_dirs"] == [str(source_tree / "hummingbot" / "connector" / "backpack_common")]
    assert _overlay("install", "--tree", str(source_tree), "--from", str(REPO)).stdout == "", "idempotent"


def test_verify_refuses_a_stale_shipped_module_left_in_our_folder(source_tree):
    assert _overlay("install", "--tree", str(source_tree), "--from", str(REPO)).returncode == 0
    stale = source_tree / "hummingbot" / "connector" / "exchange" / "backpack" / "backpack_stale_module.py"
    stale.write_text("# left behind by a file-by-file copy\n")
    refused = _overlay("verify", "--tree", str(source_tree), "--from", str(REPO))
    assert refused.returncode == 1 and f"not ours: {stale}" in refused.stderr


def test_wheel_holds_both_connector_packages_and_no_hummingbot_file(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "hummingbot/connector/exchange/backpack/backpack_exchange.py" in names
    assert "hummingbot/connector/backpack_common/signing.py" in names
    assert "backpack_sandbox/__main__.py" in names
    ours = {f"hummingbot/{p.relative_to(REPO / 'hummingbot')}" for folder in overlay.FOLDERS
            for p in (REPO / "hummingbot" / folder).glob("*.py")}
    assert ours <= set(names)
    assert not [n for n in names if n.startswith("hummingbot/") and n not in ours], "only our two folders"


def test_pip_installed_connector_is_shadowed_by_a_source_tree(wheel, source_tree, tmp_path):
    """`pip install` (our wheel) into site-packages works alone, and is silently ignored when a Hummingbot source
    tree comes first on ``sys.path`` — the official bot image's situation."""
    site = tmp_path / "site-packages"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)])
    copy_package(site / "hummingbot", shipped_connector=False)  # the rest of Hummingbot, as pip left it

    alone = overlay.loaded_connector([site])
    assert Path(alone["module_file"]) == site / "hummingbot/connector/exchange/backpack/backpack_exchange.py"
    assert Path(alone["module_file"]).read_bytes() == OUR_EXCHANGE.read_bytes()

    shadowed = overlay.loaded_connector([source_tree, site])
    assert Path(shadowed["package"]) == source_tree / "hummingbot"
    assert Path(shadowed["module_file"]).read_bytes() != OUR_EXCHANGE.read_bytes()
    assert shadowed["common_dirs"] == []


def test_place_links_moves_the_shipped_folder_once_and_is_idempotent(tmp_path):
    package, ours, store = tmp_path / "site" / "hummingbot", tmp_path / "checkout" / "hummingbot", tmp_path / "store"
    for rel in overlay.FOLDERS:
        (ours / rel).mkdir(parents=True)
        (ours / rel / "mine.py").write_text("ours\n")
    (package / overlay.FOLDERS[0]).mkdir(parents=True)
    (package / overlay.FOLDERS[0] / "shipped.py").write_text("shipped\n")

    assert len(overlay.place(package, ours, link=True, store=store)) == 2
    assert (store / "backpack" / "shipped.py").read_text() == "shipped\n"
    assert overlay.link_problems(package, ours) == []
    assert overlay.place(package, ours, link=True, store=store) == []

    (package / overlay.FOLDERS[0]).unlink()  # a reinstalled wheel puts the shipped copy back
    (package / overlay.FOLDERS[0]).mkdir()
    (package / overlay.FOLDERS[0] / "shipped.py").write_text("shipped again\n")
    assert len(overlay.place(package, ours, link=True, store=store)) == 1
    assert (store / "backpack" / "shipped.py").read_text() == "shipped\n", "the store keeps the first copy"
    assert overlay.link_problems(package, ours) == []


def test_place_copies_whole_folders_and_skips_identical_ones(tmp_path):
    package, ours = tmp_path / "tree" / "hummingbot", tmp_path / "src" / "hummingbot"
    for rel in overlay.FOLDERS:
        (ours / rel).mkdir(parents=True)
        (ours / rel / "mine.py").write_text("ours\n")
    (package / overlay.FOLDERS[0]).mkdir(parents=True)
    (package / overlay.FOLDERS[0] / "shipped_only.py").write_text("shipped\n")
    assert len(overlay.place(package, ours)) == 2
    assert sorted(p.name for p in (package / overlay.FOLDERS[0]).iterdir()) == ["mine.py"]
    assert overlay.folder_differences(ours / overlay.FOLDERS[0], package / overlay.FOLDERS[0]) == []
    assert overlay.place(package, ours) == []
