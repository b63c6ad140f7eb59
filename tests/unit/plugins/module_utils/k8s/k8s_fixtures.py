"""Recorded API objects (YAML files under tests/unit/fixtures/k8s) for the k8s module_utils tests.

A uniquely named module rather than `conftest`: other test directories put their own
helpers on sys.path, and several conftest modules exist in this tree.
"""
from __future__ import annotations

from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parents[4] / "unit" / "fixtures" / "k8s"


def load_fixture(name: str):
    return yaml.safe_load((FIXTURES / name).read_text())
