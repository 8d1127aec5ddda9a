"""Podman as this machine's container engine: install it, configure it, serve its Docker-compatible API.

No Docker daemon runs here. Debian's ``podman`` and ``runc`` run containers as root when the ulimits podman would
set by default are dropped (``default_ulimits = []`` in a ``containers.conf`` of our own, passed through
``CONTAINERS_CONF`` so the machine's configuration is left alone) and ``runc`` is the runtime. ``podman system
service`` then exposes the Docker Engine API on a unix socket, which docker-py drives as hummingbot-api drives
Docker.
"""
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

#: Debian packages: the engine, its runtime, and the root-file-system builder of ``base_image.py``.
PACKAGES = {"podman": "podman", "runc": "runc", "mmdebstrap": "mmdebstrap"}
CONTAINERS_CONF = "[containers]\ndefault_ulimits = []\n"
RUNTIME = "runc"
SERVICE_START_S = 30.0


def missing_packages(which=shutil.which) -> List[str]:
    """Debian packages of :data:`PACKAGES` whose command is not on ``PATH``."""
    return [package for command, package in PACKAGES.items() if which(command) is None]


def install_commands(packages: Sequence[str]) -> List[List[str]]:
    """``apt-get update`` then a non-interactive install of ``packages`` (nothing when there are none)."""
    if not packages:
        return []
    return [["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]]


def ensure_installed(out=print) -> List[str]:
    """Install what :func:`missing_packages` lists (root only); return what was installed.

    :raises RuntimeError: when packages are missing and this process is not root, or apt-get fails.
    """
    packages = missing_packages()
    if packages and os.geteuid() != 0:
        raise RuntimeError(f"{', '.join(packages)} missing and not root: install them with apt-get as root")
    for command in install_commands(packages):
        out(f"deploy-check: {' '.join(command)}")
        result = subprocess.run(command, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return packages


@dataclass
class Podman:
    """Podman commands under our ``containers.conf`` (written into ``work``) and the runc runtime."""

    work: Path
    env: Dict[str, str] = field(default_factory=dict)
    _service: Optional[subprocess.Popen] = None

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        conf = self.work / "containers.conf"
        conf.write_text(CONTAINERS_CONF, encoding="utf-8")
        self.env = dict(os.environ, CONTAINERS_CONF=str(conf))

    @property
    def prefix(self) -> List[str]:
        return ["podman", "--runtime", RUNTIME]

    @property
    def socket(self) -> Path:
        return self.work / "podman.sock"

    @property
    def base_url(self) -> str:
        return f"unix://{self.socket}"

    def run(self, *args: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess:
        """``podman --runtime runc <args>`` with our configuration.

        :raises RuntimeError: on a non-zero exit when ``check`` (command and stderr tail in the message).
        """
        result = subprocess.run([*self.prefix, *args], env=self.env, text=True,
                                stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE)
        if check and result.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed ({result.returncode}): {result.stderr[-3000:]}")
        return result

    def start_service(self) -> str:
        """Start ``podman system service`` on :attr:`socket`; return its URL once the socket answers.

        :raises RuntimeError: when the service exits or its socket does not appear within ``SERVICE_START_S``.
        """
        self.socket.unlink(missing_ok=True)
        log = open(self.work / "podman-service.log", "w")
        self._service = subprocess.Popen([*self.prefix, "system", "service", "--time=0", self.base_url],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SERVICE_START_S
        while not self.socket.exists():
            if self._service.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("podman system service did not start; see " + str(self.work / "podman-service.log"))
            time.sleep(0.2)
        return self.base_url

    def stop_service(self) -> None:
        if self._service is not None and self._service.poll() is None:
            self._service.terminate()
            try:
                self._service.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._service.kill()
                self._service.wait()
        self._service = None
