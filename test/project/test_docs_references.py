"""The repository is its own reference: every ``§N`` cited in code, tests, README or docs names a section of
``docs/backpack-api.md``, and nothing points at notes outside the repository."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
API_DOC = REPO / "docs" / "backpack-api.md"
EXTERNAL_NOTES = "shared/" + "backpack-api"  # split so that this file does not match itself
CITATION = re.compile(r"§(\d+(?:\.\d+)?)")
HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)?) ", re.MULTILINE)


def tracked_text_files():
    names = subprocess.run(["git", "ls-files", "*.py", "*.md", "*.yml", "Makefile"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    return [REPO / name for name in names if (REPO / name).is_file()]


def test_every_cited_section_exists_in_the_api_doc():
    sections = set(HEADING.findall(API_DOC.read_text(encoding="utf-8")))
    assert {"2.3", "5.7", "8.3", "11.16"} <= sections  # the doc is parsed, not empty
    missing = {}
    for path in tracked_text_files():
        for number in CITATION.findall(path.read_text(encoding="utf-8")):
            if number not in sections:
                missing.setdefault(number, []).append(str(path.relative_to(REPO)))
    assert not missing, f"§ citations with no section in docs/backpack-api.md: {missing}"


def test_nothing_refers_to_notes_outside_the_repository():
    offenders = [str(path.relative_to(REPO)) for path in tracked_text_files()
                 if EXTERNAL_NOTES in path.read_text(encoding="utf-8")]
    assert not offenders, f"files citing notes outside the repository: {offenders}"
