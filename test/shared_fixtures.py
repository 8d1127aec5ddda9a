"""Payloads recorded from Backpack's official SDK tests, read from ``../shared/fixtures`` beside the checkout.

Those payloads are not ours to commit: CI places the ``shared`` folder next to the clone. Without it every test that
needs them fails with one message that says so, instead of passing over zero vectors.
"""
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
VECTORS_PATH = REPO_ROOT.parent / "shared" / "fixtures" / "bpx_official_vectors.json"


@lru_cache(maxsize=1)
def _all_vectors() -> List[Dict[str, Any]]:
    if not VECTORS_PATH.is_file():
        pytest.fail(f"Official SDK payloads not found at {VECTORS_PATH}: place the project's 'shared' folder beside "
                    "the checkout (CI does).", pytrace=False)
    return json.loads(VECTORS_PATH.read_text())["vectors"]


def official_vectors(test_name: str, expected: int) -> List[Any]:
    """The ``json`` payloads of the official SDK test ``test_name``; fails unless exactly ``expected`` are found."""
    payloads = [vector["json"] for vector in _all_vectors() if vector["test"] == test_name]
    assert len(payloads) == expected, f"{len(payloads)} official vectors for {test_name!r}, expected {expected}"
    return payloads
