"""Fixtures for the model_health integration tests: a real MLServer on loopback.

These tests need neither the Kubernetes lab nor a GPU:
    .venv/bin/python -m pytest tests/integration/health -m mlserver
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from health_mlserver import (
    TLS_LAUNCHER, ROOT, VENV, MLServer, free_port, running_mlserver, stop, wait_ready_tls, write_repository, write_tls,
)


def pytest_configure(config):
    config.addinivalue_line("markers", "mlserver: needs a real MLServer on loopback (started by the fixture)")


@pytest.fixture(scope="session")
def mlserver_bin() -> Path:
    subprocess.run([str(ROOT / "scripts" / "mlserver-venv.sh"), str(VENV)], check=True)
    return VENV / "bin" / "mlserver"


@pytest.fixture(scope="session")
def mlserver(mlserver_bin: Path, tmp_path_factory: pytest.TempPathFactory):
    with running_mlserver(mlserver_bin, tmp_path_factory.mktemp("mlserver")) as server:
        yield server


@pytest.fixture(scope="session")
def mlserver_tls(mlserver_bin: Path, tmp_path_factory: pytest.TempPathFactory):
    """The same MLServer behind TLS, with a certificate from a private CA: yields (server, ca.pem)."""
    root = tmp_path_factory.mktemp("mlserver-tls")
    port = free_port()
    write_repository(root, port)
    ca, cert, key = write_tls(root)
    launcher = root / "start_tls.py"
    launcher.write_text(TLS_LAUNCHER)
    log = root / "mlserver.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(mlserver_bin.parent / "python"), str(launcher), str(root), str(cert), str(key)],
            cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = "https://127.0.0.1:%d" % port
    try:
        wait_ready_tls(url, ca, proc, log)
        yield MLServer(url=url, pid=proc.pid, log=log), ca
    finally:
        stop(proc)
