"""A real Prometheus (Debian's package) on loopback for the monitoring tests, in its own session,
stopped by PID."""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator, Tuple

# One way to get a loopback port and to stop a server's session, shared with the model server tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "health"))
# lab_workloads (wait_for) for the monitoring tests that import this module first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
from health_mlserver import free_port, stop  # noqa: E402


@contextlib.contextmanager
def running_prometheus(root: Path, config: str = "global:\n  scrape_interval: 60s\n") -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (scripts/integration.sh installs Debian's package)"
    root.mkdir(parents=True, exist_ok=True)
    (root / "prometheus.yml").write_text(config)
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


def query(url: str, expr: str) -> Tuple[int, dict]:
    """(HTTP status, JSON body) of an instant query; a PromQL parse error is HTTP 400."""
    try:
        with urllib.request.urlopen("%s/api/v1/query?%s" % (url, urllib.parse.urlencode({"query": expr})),
                                    timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
