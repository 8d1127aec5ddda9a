"""Tests mirror the source: each module of the connector packages has a test module named after it."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["hummingbot/connector/exchange/backpack", "hummingbot/connector/backpack_common"]
DATA_ONLY = {"__init__.py", "backpack_constants.py", "backpack_types.py"}


def test_every_connector_module_has_its_test_module():
    missing = []
    for package in PACKAGES:
        modules = sorted(path.name for path in (REPO / package).glob("*.py") if path.name not in DATA_ONLY)
        assert modules, package
        for module in modules:
            if not (REPO / "test" / package / f"test_{module}").is_file():
                missing.append(f"{package}/{module}")
    assert not missing, f"modules without a test module named after them: {missing}"
