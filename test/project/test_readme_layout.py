"""The README's development layout names every top-level folder of the repository."""
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def layout_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Development layout"):]
    start = section.index("```\n") + 4
    return section[start:section.index("```", start)]


def test_layout_names_every_top_level_folder():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, check=True, capture_output=True, text=True).stdout.split()
    folders = {name.split("/")[0] for name in tracked if "/" in name and not name.startswith(".")}
    assert {"backpack_sandbox", "docs", "test"} <= folders
    named = {line.split()[0].split("/")[0] for line in layout_block().splitlines() if line and not line[0].isspace()}
    assert folders - named == set(), f"folders missing from the README's layout: {sorted(folders - named)}"


def test_readme_ccxt_example_is_the_file_the_ccxt_test_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use the sandbox from any Backpack client"):]
    start = section.index("```python\n") + len("```python\n")
    block = section[start:section.index("```", start)]
    assert block == (REPO / "docs" / "ccxt_example.py").read_text(encoding="utf-8")
