"""Fixtures of the rollout integration tests (playbooks/rollout.yml & co. on the lab)."""
from __future__ import annotations

import pytest

from rollout_lab import Rollout


@pytest.fixture
def rollout(lab, tmp_path):
    """This test's model, namespace and reports; faults healed and namespaces removed afterwards."""
    r = Rollout(lab, tmp_path)
    lab.restore()  # an earlier test's fault must not fail this one
    r.wait_healthy()
    yield r
    lab.restore()
    r.cleanup()
