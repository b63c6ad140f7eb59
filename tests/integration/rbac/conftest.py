"""Fixtures of the RBAC tests: the rollout tests' Rollout helper, and a ServiceAccount per test bound
only to what playbooks/rbac.yml grants, with a kubeconfig of its own token for every lab site."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rollout"))
from rollout_lab import prepared  # noqa: E402

from rbac_lab import Restricted  # noqa: E402


@pytest.fixture
def rollout(lab, tmp_path):
    """This test's model, namespace and reports; namespaces removed afterwards."""
    yield from prepared(lab, tmp_path)


@pytest.fixture
def restricted(lab, rollout):
    """The rollout subject of this test: granted by rbac.yml for the test's namespace, removed afterwards."""
    r = Restricted(lab, rollout)
    yield r
    r.cleanup()
