"""Fixtures of the monitoring tests: a real Prometheus on loopback (prometheus_server.py), and the
lab's monitoring for the tests on the lab."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prometheus_server import running_prometheus

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url


@pytest.fixture(scope="session")
def lab_monitoring(lab):
    """The lab's monitoring (`python -m lab up --monitoring`): started here when the lab runs
    without it (idempotent for a lab that has it); `python -m lab down` stops it with the lab."""
    path = Path(lab.doc["inventory"]) / ".lab" / "monitoring.json"
    if not path.exists():
        res = subprocess.run([sys.executable, "-m", "lab", "up", "--monitoring"], cwd=REPO, capture_output=True,
                             text=True, timeout=1800, check=False)
        assert res.returncode == 0, "python -m lab up --monitoring:\n%s\n%s" % (res.stdout, res.stderr[-3000:])
    return json.loads(path.read_text())
