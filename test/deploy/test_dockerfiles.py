"""Both Dockerfiles copy our two connector folders and the overlay script from the build context, run the overlay
and its build-time verification, and take their base image from build arguments; the context lets exactly those
files in."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = {"bot": REPO / "deploy" / "bot.Dockerfile", "api": REPO / "deploy" / "api.Dockerfile"}


def _instructions(path: Path):
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_dockerfile_overlays_then_verifies(kind):
    lines = _instructions(DOCKERFILES[kind])
    (run,) = [line for line in lines if line.startswith("RUN ")]
    steps = [step.strip() for step in run[4:].split("&&")]
    tree = " --tree /home/hummingbot" if kind == "bot" else ""
    install = f"python /tmp/backpack-connector/overlay.py install{tree} --from /tmp/backpack-connector"
    verify = f"python /tmp/backpack-connector/overlay.py verify{tree} --from /tmp/backpack-connector"
    assert steps.index(install) < steps.index(verify), steps
    if kind == "api":
        assert steps[0].startswith("python -m pip install --no-deps ") and steps[0].endswith(".whl")
    copies = [line.split()[1] for line in lines if line.startswith("COPY ")]
    assert {"hummingbot/connector/exchange/backpack", "hummingbot/connector/backpack_common",
            "deploy/overlay.py"} <= set(copies)


def test_bot_image_base_is_the_official_image_at_a_release_tag_from_build_args():
    lines = _instructions(DOCKERFILES["bot"])
    args = dict(line[4:].split("=", 1) for line in lines if line.startswith("ARG "))
    assert args == {"HUMMINGBOT_IMAGE": "hummingbot/hummingbot", "HUMMINGBOT_TAG": "version-2.17.0"}
    assert "FROM ${HUMMINGBOT_IMAGE}:${HUMMINGBOT_TAG}" in lines


def test_build_context_admits_what_the_dockerfiles_copy():
    rules = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    admitted = [re.escape(rule[1:]).replace(r"\*", "[^/]*") for rule in rules if rule.startswith("!")]
    assert rules[0] == "**"
    for path in DOCKERFILES.values():
        for line in _instructions(path):
            if line.startswith("COPY "):
                source = line.split()[1]
                assert any(re.fullmatch(pattern, source) for pattern in admitted), source
