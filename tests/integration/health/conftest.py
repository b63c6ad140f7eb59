"""Fixtures for the model_health integration tests: a real MLServer on loopback.

These tests need neither the Kubernetes lab nor a GPU:
    .venv/bin/python -m pytest tests/integration/health -m mlserver
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from health_mlserver import ROOT, VENV, MLServer, free_port, stop, wait_ready, write_repository


def pytest_configure(config):
    config.addinivalue_line("markers", "mlserver: needs a real MLServer on loopback (started by the fixture)")


@pytest.fixture(scope="session")
def mlserver_bin() -> Path:
    subprocess.run([str(ROOT / "scripts" / "mlserver-venv.sh"), str(VENV)], check=True)
    return VENV / "bin" / "mlserver"


@pytest.fixture(scope="session")
def mlserver(mlserver_bin: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("mlserver")
    port = free_port()
    write_repository(root, port)
    log = root / "mlserver.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(mlserver_bin), "start", str(root)], cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = "http://127.0.0.1:%d" % port
    try:
        wait_ready(url, proc, log)
        yield MLServer(url=url, pid=proc.pid, log=log)
    finally:
        stop(proc)
