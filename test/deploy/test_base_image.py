"""The local base image: the distributions it takes from the venv, its Debian root file system, the official
image's layout (working directory, PATH, command), and the launcher standing in for the official quickstart."""
import os
import subprocess
from pathlib import Path

import pytest

from deploy import base_image


def test_requirement_closure_takes_hummingbots_runtime_not_the_dev_tools():
    closure = base_image.requirement_closure(["hummingbot", *base_image.OUR_REQUIREMENTS])
    assert {"hummingbot", "pandas", "pydantic", "aiohttp", "pynacl", "sqlalchemy", "ujson"} <= set(closure)
    assert not {"pytest", "mypy", "flake8", "isort", "hypothesis", "ccxt", "docker"} & set(closure)


def test_distribution_files_stay_inside_site_packages(tmp_path):
    import importlib.metadata as metadata
    import sysconfig
    site = Path(sysconfig.get_paths()["purelib"])
    files = base_image.distribution_files([metadata.distribution("bidict")], site)
    assert Path("bidict/__init__.py") in files and all(not f.is_absolute() and ".." not in f.parts for f in files)


def test_fingerprint_follows_every_input():
    parts = [("python", "3.12.1"), ("launcher", "a")]
    assert base_image.fingerprint(parts) == base_image.fingerprint(list(parts))
    assert base_image.fingerprint(parts) != base_image.fingerprint([("python", "3.12.1"), ("launcher", "b")])
    assert len(base_image.fingerprint(parts)) == 12


def test_rootfs_and_import_commands_give_the_official_layout(tmp_path):
    command = base_image.mmdebstrap_command(tmp_path / "stage", tmp_path / "rootfs.tar")
    assert command[0] == "mmdebstrap" and "--variant=essential" in command and command[-2:] == [
        "bookworm", str(tmp_path / "rootfs.tar")]
    assert f"--customize-hook=sync-in {tmp_path / 'stage'} /" in command
    assert any(arg.startswith("--include=") and "libssl3" in arg for arg in command)
    imported = base_image.import_command(tmp_path / "rootfs.tar", "localhost/hummingbot-base:x")
    changes = [imported[i + 1] for i, arg in enumerate(imported) if arg == "--change"]
    assert "WORKDIR /home/hummingbot" in changes
    path = [c for c in changes if c.startswith("ENV PATH=")]
    assert path and path[0].startswith("ENV PATH=/opt/conda/envs/hummingbot/bin:")
    assert 'CMD ["/home/hummingbot/bin/hummingbot_headless.sh"]' in changes
    assert imported[-2:] == [str(tmp_path / "rootfs.tar"), "localhost/hummingbot-base:x"]
    mount_points = {"conf", "conf/connectors", "conf/scripts", "conf/controllers", "data", "logs", "scripts",
                    "controllers"}
    assert set(base_image.HOME_FOLDERS) >= mount_points


@pytest.fixture
def fake_python(tmp_path):
    """A ``python`` on PATH that prints its arguments, so the launcher's command line can be read."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text("#!/bin/sh\nprintf '%s\\n' \"$@\"\n")
    (bin_dir / "python").chmod(0o755)
    return bin_dir


def _launch(fake_python, **env):
    full = {"PATH": f"{fake_python}:{os.environ['PATH']}", "HOSTNAME": "bot-1", **env}
    return subprocess.run(["bash", str(base_image.LAUNCHER)], env=full, capture_output=True, text=True, timeout=30)


def test_launcher_runs_hummingbots_headless_engine_from_hummingbot_apis_environment(fake_python):
    v2 = _launch(fake_python, HEADLESS_MODE="True", SCRIPT_CONFIG="conf_x.yml", CONFIG_PASSWORD="p")
    assert v2.returncode == 0 and v2.stdout.split() == [
        "-m", "hummingbot.cli.engine", "--name", "bot-1", "--script-config", "conf_x.yml"]
    assert "p" not in v2.stdout.split(), "the password stays in the environment, off the command line"
    v1 = _launch(fake_python, HEADLESS_MODE="true", CONFIG_FILE_NAME="conf_pmm.yml")
    assert v1.stdout.split()[-2:] == ["--config", "conf_pmm.yml"]
    refused = _launch(fake_python, SCRIPT_CONFIG="conf_x.yml")
    assert refused.returncode == 2 and "HEADLESS_MODE=true" in refused.stderr


def test_the_image_takes_every_requirement_of_our_wheel():
    import ast
    setup_py = Path(__file__).resolve().parents[2] / "setup.py"
    call = next(node for node in ast.walk(ast.parse(setup_py.read_text()))
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup")
    requires = ast.literal_eval(next(k.value for k in call.keywords if k.arg == "install_requires"))
    assert set(base_image.OUR_REQUIREMENTS) - {"pip"} == {r for r in requires if not r.startswith("hummingbot")}
