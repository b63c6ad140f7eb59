"""Fixtures of the rollout integration tests (playbooks/rollout.yml & co. on the lab).

`model_server` is a real MLServer (Open Inference V2) on loopback, as the model_health tests start
it; `prometheus` a real Prometheus (Debian's package) on loopback with an empty TSDB, whose PromQL
answers the release's Prometheus gate. Both run in their own session and are stopped by PID.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rollout_lab import prepared

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "health"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "monitoring"))
from health_mlserver import ROOT, VENV, running_mlserver  # noqa: E402
from prometheus_server import running_prometheus  # noqa: E402


@pytest.fixture
def rollout(lab, tmp_path):
    """This test's model, namespace and reports; faults healed and namespaces removed afterwards."""
    yield from prepared(lab, tmp_path)


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    subprocess.run([str(ROOT / "scripts" / "mlserver-venv.sh"), str(VENV)], check=True)
    with running_mlserver(VENV / "bin" / "mlserver", tmp_path_factory.mktemp("mlserver")) as server:
        yield server


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url
