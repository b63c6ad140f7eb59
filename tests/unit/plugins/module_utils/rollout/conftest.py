"""Shared fixtures for the rollout module_utils tests."""
import os

import pytest
import yaml

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "releases")

# The inventory sites the release fixtures refer to.
SITES = {
    "eu": {"host": "api-eu", "wave": 1, "gpu_product": "NVIDIA-H100-80GB-HBM3"},
    "us": {"host": "api-us", "wave": 2, "gpu_product": "NVIDIA-H100-80GB-HBM3"},
    "apac": {"host": "api-apac", "wave": 3, "gpu_product": "NVIDIA-L40S"},
}


@pytest.fixture
def load_release():
    def load(name):
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    return load


@pytest.fixture
def sites():
    return {name: dict(info) for name, info in SITES.items()}
