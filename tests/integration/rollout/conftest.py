"""Fixtures of the rollout integration tests (playbooks/rollout.yml & co. on the lab).

`model_server` is a real MLServer (Open Inference V2) on loopback, as the model_health tests start
it; `prometheus` a real Prometheus (Debian's package) on loopback with an empty TSDB, whose PromQL
answers the release's Prometheus gate. Both run in their own session and are stopped by PID.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rollout_lab import Rollout

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "health"))
from health_mlserver import ROOT, VENV, free_port, running_mlserver, stop  # noqa: E402


@pytest.fixture
def rollout(lab, tmp_path):
    """This test's model, namespace and reports; faults healed and namespaces removed afterwards."""
    r = Rollout(lab, tmp_path)
    lab.restore()  # an earlier test's fault must not fail this one
    r.wait_healthy()
    yield r
    lab.restore()
    r.cleanup()


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    subprocess.run([str(ROOT / "scripts" / "mlserver-venv.sh"), str(VENV)], check=True)
    with running_mlserver(VENV / "bin" / "mlserver", tmp_path_factory.mktemp("mlserver")) as server:
        yield server


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (scripts/integration.sh installs Debian's package)"
    root = tmp_path_factory.mktemp("prometheus")
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 60s\n")
    port = free_port()
    log = root / "prometheus.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "--config.file=%s" % (root / "prometheus.yml"),
                                 "--storage.tsdb.path=%s" % (root / "data"),
                                 "--web.listen-address=127.0.0.1:%d" % port], cwd=root, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/-/ready", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Prometheus did not start:\n%s" % log.read_text()[-3000:])
                time.sleep(0.3)
        yield url
    finally:
        stop(proc)
