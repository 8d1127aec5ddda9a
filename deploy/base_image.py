"""A local stand-in for ``hummingbot/hummingbot:<tag>``, built on this machine (no registry pull is possible).

Same layout as the official image where our overlay and hummingbot-api's containers care: Hummingbot as a source
tree at ``/home/hummingbot/hummingbot`` with the shipped Backpack connector (``source_tree.copy_package``), run from
``WORKDIR /home/hummingbot`` by a Python 3.12 at ``/opt/conda/envs/hummingbot`` (first on ``PATH``), Hummingbot's
folders under ``/home/hummingbot`` (conf, conf/connectors, …, the mount points of hummingbot-api's volumes).

The root file system is Debian bookworm by ``mmdebstrap`` (variant ``essential`` plus the shared libraries Python's
extension modules link), with this machine's Python 3.12 (standard library without its tests and GUI modules) and
exactly the distributions Hummingbot and our wheel require (``requirement_closure``: each distribution's own
``RECORD``), not the development venv. ``podman import`` turns the tarball into the image; its tag carries a
fingerprint of everything that goes in, so an unchanged base is never rebuilt.

Its command stands in for the official ``bin/hummingbot_quickstart.py`` (not part of the wheel):
``deploy/base/hummingbot_headless.sh`` runs Hummingbot's own headless engine (``hummingbot.cli.engine``) with the
environment hummingbot-api sets (``CONFIG_PASSWORD``, ``SCRIPT_CONFIG`` or ``CONFIG_FILE_NAME``, ``HEADLESS_MODE``).
"""
import hashlib
import importlib.metadata as metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Sequence, Tuple

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy.source_tree import _link_or_copy, copy_package

if TYPE_CHECKING:  # pragma: no cover
    from deploy.podman import Podman

IMAGE = "localhost/hummingbot-base"
SUITE = "bookworm"
#: Shared libraries of Python's extension modules and of the wheels' compiled code (Debian package names).
RUNTIME_LIBRARIES = ("libssl3", "libsqlite3-0", "libffi8", "zlib1g", "libbz2-1.0", "liblzma5", "libreadline8",
                     "libncursesw6", "libuuid1", "libexpat1", "libnsl2", "libtirpc3", "libstdc++6", "libgomp1",
                     "ca-certificates")
#: Distributions the image's Python needs besides Hummingbot itself: our wheel's requirements (setup.py's
#: ``install_requires`` without Hummingbot; a test keeps them equal), and pip (the official image's environment has
#: it; the hummingbot-api stand-in installs our wheel with it).
OUR_REQUIREMENTS = ("pynacl>=1.5", "bidict>=0.22", "aiohttp<3.14", "ujson>=5", "msgspec>=0.18", "pip")
PREFIX = Path("/opt/conda/envs/hummingbot")
HOME = Path("/home/hummingbot")
#: Mount points of the official image (hummingbot-api binds its volumes there).
HOME_FOLDERS = ("conf", "conf/connectors", "conf/strategies", "conf/controllers", "conf/scripts", "logs", "data",
                "certs", "scripts", "controllers")
LAUNCHER = Path(__file__).resolve().parent / "base" / "hummingbot_headless.sh"
#: Standard-library parts a headless bot never imports.
STDLIB_SKIPPED = ("test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages",
                  "config-3.12-x86_64-linux-gnu")


def requirement_closure(roots: Iterable[str]) -> Dict[str, metadata.Distribution]:
    """Installed distributions needed by ``roots`` (requirement strings), transitively, extras and environment
    markers honoured; keyed by canonical name. Requirements not installed here are skipped (markers excluded them
    when pip installed the venv)."""
    found: Dict[str, metadata.Distribution] = {}
    extras_seen: Dict[str, FrozenSet[str]] = {}
    todo: List[Requirement] = [Requirement(root) for root in roots]
    while todo:
        requirement = todo.pop()
        key = canonicalize_name(requirement.name)
        extras = frozenset(requirement.extras)
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        extras_seen[key] = extras_seen.get(key, frozenset()) | extras
        try:
            distribution = found.get(key) or metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        found[key] = distribution
        environments = [{"extra": extra} for extra in extras_seen[key] | {""}]
        for line in distribution.requires or []:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate(env) for env in environments):
                todo.append(needed)
    return found


def distribution_files(distributions: Iterable[metadata.Distribution], site_packages: Path) -> List[Path]:
    """Files (``RECORD`` entries) of ``distributions`` that live in ``site_packages``, relative to it."""
    files = set()
    for distribution in distributions:
        for entry in distribution.files or []:
            path = Path(str(distribution.locate_file(entry)))
            try:
                relative = path.resolve().relative_to(site_packages.resolve())
            except ValueError:
                continue  # scripts in bin/ and the like
            if path.is_file():
                files.add(relative)
    return sorted(files)


def fingerprint(parts: Sequence[Tuple[str, str]]) -> str:
    """12 hex digits of a SHA-256 over ``(name, value)`` pairs: the base image's tag suffix."""
    digest = hashlib.sha256()
    for name, value in parts:
        digest.update(f"{name}={value}\n".encode())
    return digest.hexdigest()[:12]


def image_tag(distributions: Dict[str, metadata.Distribution]) -> str:
    """``localhost/hummingbot-base:<hummingbot version>-<fingerprint>``."""
    hummingbot_version = metadata.version("hummingbot")
    parts = [("python", sys.version), ("suite", SUITE), ("libraries", ",".join(RUNTIME_LIBRARIES)),
             ("launcher", LAUNCHER.read_text(encoding="utf-8")), ("layout", ",".join(HOME_FOLDERS))]
    parts += sorted((name, d.version) for name, d in distributions.items())
    return f"{IMAGE}:{hummingbot_version}-{fingerprint(parts)}"


def stage(staging: Path) -> Dict[str, int]:
    """Lay out ``staging`` as the image's files on top of Debian: Python at :data:`PREFIX`, Hummingbot's source
    tree and folders at :data:`HOME`, the launcher. Returns file counts for the summary."""
    python_home = Path(sys.base_prefix)
    target = staging / PREFIX.relative_to("/")
    stdlib = f"lib/python{sys.version_info.major}.{sys.version_info.minor}"

    def skipped(directory: str, names: List[str]) -> List[str]:
        return [n for n in names if n in STDLIB_SKIPPED] if Path(directory) == python_home / stdlib else []
    shutil.copytree(python_home / stdlib, target / stdlib, symlinks=True, copy_function=_link_or_copy, ignore=skipped)
    (target / "bin").mkdir(parents=True)
    executable = f"python{sys.version_info.major}.{sys.version_info.minor}"
    shutil.copy2(python_home / "bin" / executable, target / "bin" / executable)
    for alias in ("python", "python3"):
        (target / "bin" / alias).symlink_to(executable)
    for library in (python_home / "lib").glob("libpython*.so*"):
        shutil.copy2(library, target / "lib" / library.name, follow_symlinks=False)

    site_packages = Path(sysconfig.get_paths()["purelib"])
    distributions = requirement_closure(["hummingbot", *OUR_REQUIREMENTS])
    distributions.pop("hummingbot")  # the source tree, not site-packages
    files = distribution_files(distributions.values(), site_packages)
    destination = target / stdlib / "site-packages"
    for relative in files:
        (destination / relative).parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(site_packages / relative), str(destination / relative))

    home = staging / HOME.relative_to("/")
    copy_package(home / "hummingbot")
    for folder in HOME_FOLDERS:
        (home / folder).mkdir(parents=True, exist_ok=True)
    (home / "bin").mkdir()
    shutil.copy2(LAUNCHER, home / "bin" / LAUNCHER.name)
    os.chmod(home / "bin" / LAUNCHER.name, 0o755)
    return {"site_packages_files": len(files), "distributions": len(distributions)}


def mmdebstrap_command(staging: Path, tarball: Path) -> List[str]:
    """Debian ``essential`` + :data:`RUNTIME_LIBRARIES`, with ``staging`` copied in, written as ``tarball``."""
    return ["mmdebstrap", "--quiet", "--variant=essential", f"--include={','.join(RUNTIME_LIBRARIES)}",
            "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
            f"--customize-hook=sync-in {staging} /", SUITE, str(tarball)]


def import_command(tarball: Path, tag: str) -> List[str]:
    """``podman import`` with the official image's working directory, ``PATH`` and a headless command."""
    changes = [f"ENV PATH={PREFIX}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               f"ENV LD_LIBRARY_PATH={PREFIX}/lib", "ENV INSTALLATION_TYPE=docker", f"WORKDIR {HOME}",
               f'CMD ["{HOME}/bin/{LAUNCHER.name}"]']
    return ["podman", "import", *[arg for change in changes for arg in ("--change", change)], str(tarball), tag]


def ensure_base_image(work: Path, podman: "Podman", out=print) -> Tuple[str, Dict[str, object]]:
    """The base image's tag, built first when no image of that fingerprint exists. Returns (tag, figures: built
    or reused, seconds, sizes).

    :raises subprocess.CalledProcessError: when mmdebstrap fails; RuntimeError when podman does.
    """
    distributions = requirement_closure(["hummingbot", *OUR_REQUIREMENTS])
    tag = image_tag(distributions)
    if podman.run("image", "exists", tag, check=False).returncode == 0:
        return tag, {"base_image": tag, "base_built": False}
    started = time.monotonic()
    staging, tarball = work / "base-rootfs", work / "base-rootfs.tar"
    shutil.rmtree(staging, ignore_errors=True)
    out(f"deploy-check: staging the base image's files in {staging}")
    counts = stage(staging)
    out(f"deploy-check: mmdebstrap {SUITE} + Python + {counts['distributions']} distributions -> {tarball}")
    subprocess.run(mmdebstrap_command(staging, tarball), check=True)
    podman.run(*import_command(tarball, tag)[1:], quiet=True)
    figures: Dict[str, object] = {"base_image": tag, "base_built": True, "rootfs_mib": tarball.stat().st_size >> 20,
                                  "base_build_s": round(time.monotonic() - started, 1), **counts}
    shutil.rmtree(staging, ignore_errors=True)
    tarball.unlink()
    return tag, figures
