"""Podman setup: what is installed when missing, the containers.conf it runs under, the runc runtime."""
from deploy import podman


def test_only_missing_commands_are_installed_after_an_update():
    present = {"podman": "/usr/bin/podman"}
    missing = podman.missing_packages(which=present.get)
    assert missing == ["runc", "mmdebstrap"]
    assert podman.install_commands(missing) == [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "runc", "mmdebstrap"]]
    assert podman.install_commands([]) == []


def test_podman_runs_with_our_containers_conf_and_runc(tmp_path):
    engine = podman.Podman(tmp_path / "work")
    conf = tmp_path / "work" / "containers.conf"
    assert conf.read_text() == "[containers]\ndefault_ulimits = []\n"
    assert engine.env["CONTAINERS_CONF"] == str(conf)
    assert engine.prefix == ["podman", "--runtime", "runc"]
    assert engine.base_url == f"unix://{tmp_path / 'work' / 'podman.sock'}"
