"""rollout.yml on the lab with monitoring, the rollout metrics file in the controller's textfile
collector (`-e rollout_metrics_dir`, scraped by the first site's Prometheus and federated):

- a normal rollout of a new version across every site never fires the drift alert on the fleet
  Prometheus, from its start until the fleet sees every site at the new version (pending, inside
  the grace period, it may be: the metrics file that marks the release in progress, written before
  the first change, and the sites' versions reach the fleet by different scrapes);
- a rollout whose Prometheus gate asks the site's real Prometheus for more ready replicas of the
  model than it has rolls the site back, and the journal and the report say why;
- after those rollouts every PromQL expression of every dashboard over workload, node, rollout or
  GPU data returns series on the lab's Prometheus servers (GPU panels over dcgm-exporter output
  from fixtures/dcgm-exporter.prom, served as the first site's dcgm-exporter target).

One model and its rollouts serve the whole module (each rollout takes a minute on the lab)."""
from __future__ import annotations

import contextlib
import http.server
import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest
from lab_workloads import wait_for
from prometheus_server import query
from test_dashboards import ALL, as_grafana_sends

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rollout"))
from rollout_lab import out, prepared  # noqa: E402

pytestmark = pytest.mark.lab
# Waits a lab's Prometheus answers within: two scrapes, federation and the alert rules' periods.
TIMEOUT = 240

FIXTURES = Path(__file__).parent / "fixtures"
DRIFT = 'ALERTS{alertname="GpufleetModelVersionDrift", model="%s"}'
MATRIX = 'gpufleet:model_version:deployments{model="%s"}'
# Expressions over data the lab has no source for, by the series they read.
# Series that exist only while a rollout runs: their expressions are checked during the run.
DURING_ROLLOUT = "gpufleet:rollout_in_progress:max"
NO_LAB_SOURCE = {
    "nv_inference_": "a model server's request metrics: the lab's pods run no model server",
    "ALERTS": "active alerts: none after clean rollouts (test_lab_drift shows the drift alert)",
}


def series(url: str, expr: str) -> list:
    status, body = query(url, expr)
    assert status == 200, (expr, body)
    return body["data"]["result"]


def fleet_versions(fleet: str, model: str) -> dict:
    return {r["metric"]["site"]: r["metric"]["version"] for r in series(fleet, MATRIX % model)}


def watched_rollout(rollout, fleet: str, sites: set, lab_monitoring: dict) -> tuple:
    """1.0.0 rolled out, then 1.1.0 while the fleet's drift alert and in-progress panels are polled."""
    metrics = ("-e", "rollout_metrics_dir=%s" % lab_monitoring["rollout_metrics_dir"])
    first = rollout.run("rollout.yml", rollout.release("1.0.0"), *metrics)
    assert first.returncode == 0, out(first)
    wait_for(lambda: fleet_versions(fleet, rollout.model) == dict.fromkeys(sites, "1.0.0"), TIMEOUT, 1, what="1.0.0 at every site on the fleet")

    seen, answered = [], set()
    during = [(where, expr) for where, expr in ALL if DURING_ROLLOUT in metric_names(expr)]
    proc = rollout.start("rollout.yml", rollout.release("1.1.0"), *metrics)
    deadline = time.monotonic() + 900
    try:
        # From the start of the run until the fleet sees every site at the new version.
        while proc.poll() is None or fleet_versions(fleet, rollout.model) != dict.fromkeys(sites, "1.1.0"):
            seen += [r["metric"] for r in series(fleet, DRIFT % rollout.model)]
            answered |= {expr for _where, expr in during if series(fleet, as_grafana_sends(expr))}
            assert proc.poll() in (None, 0), (rollout.tmp / "background.log").read_text()
            assert time.monotonic() < deadline, "rollout of 1.1.0 or its federation not done in 900s"
            time.sleep(1)
    finally:
        if proc.poll() is None:
            rollout.interrupt(proc)
    # Keyed by place and expression: two panels may share a title.
    return rollout, metrics, seen, {"%s: %s" % (where, expr): expr in answered for where, expr in during}


@pytest.fixture(scope="module")
def rolled(lab, lab_monitoring, tmp_path_factory):
    """This module's model rolled out at 1.0.0, then at 1.1.0 while the drift alert and the
    dashboards' in-progress expressions are watched: (rollout helper, metrics args, every ALERTS
    series seen during the second rollout, the in-progress expressions that returned series)."""
    fleet = lab_monitoring["fleet_prometheus"]
    sites = {s.name for s in lab.sites}
    with contextlib.contextmanager(prepared)(lab, tmp_path_factory.mktemp("rollout-monitoring")) as rollout:
        yield watched_rollout(rollout, fleet, sites, lab_monitoring)


def test_a_normal_rollout_never_fires_the_drift_alert(rolled):
    """The drift alert's grace period holds it back for the sites a wave has not reached yet."""
    _rollout, _metrics, seen, _during = rolled
    print("drift alert during the rollout: %s" % (sorted({(m["site"], m["alertstate"]) for m in seen}) or "never"))
    firing = [m for m in seen if m["alertstate"] == "firing"]
    assert firing == [], "the drift alert fired during the rollout of 1.1.0: %s" % firing[:5]


def test_the_dashboards_show_the_rollout_in_progress_while_it_runs(rolled):
    _rollout, _metrics, _seen, during = rolled
    assert during and all(during.values()), "no series while 1.1.0 rolled out: %s" % [
        where for where, answered in during.items() if not answered]


def test_the_fleet_sees_the_rollout_metrics_file(rolled, lab_monitoring):
    """Written by rollout.yml into the controller's textfile collector, scraped by the first site,
    federated to the fleet: the release complete, every site's running version."""
    rollout = rolled[0]
    release = rollout.report(rollout.release("1.1.0"))["release"]
    fleet = lab_monitoring["fleet_prometheus"]
    done = wait_for(lambda: series(
        fleet, 'gpufleet_rollout_release_info{release="%s", status="complete"}' % release), TIMEOUT, 1, what="the release complete on the fleet")
    assert len(done) == 1, done
    running = series(fleet, 'gpufleet_rollout_running_version_info{release="%s", model="%s"}' % (release, rollout.model))
    assert sorted((r["metric"]["site"], r["metric"]["version"]) for r in running) == sorted(
        (s, "1.1.0") for s in lab_monitoring["sites"])


def test_a_failing_prometheus_gate_over_real_series_rolls_the_site_back(rolled, lab, lab_monitoring):
    rollout, metrics, _seen, _during = rolled
    canary = lab.sites[0]
    # A real query over kube-state-metrics series of this model at the site's own Prometheus,
    # asking for more ready replicas than the release runs (2).
    rule = {"url": lab_monitoring["sites"][canary.name]["prometheus"], "allow_http": True,
            "query": 'sum(kube_deployment_status_replicas_ready{site="$site", namespace="%s", deployment="%s"})'
                     % (rollout.namespace, rollout.model),
            "min": 3}
    release = rollout.release("1.2.0", prometheus=rule)
    run = rollout.run("rollout.yml", release, *metrics)
    assert run.returncode != 0, out(run)
    entry = rollout.journal(release)["sites"][canary.name]
    assert entry["status"] == "rolled_back", entry
    assert rollout.versions() == dict.fromkeys((s.name for s in lab.sites), "1.1.0"), entry
    why = re.compile(r"query sum\(kube_deployment_status_replicas_ready\{.*\}\) returned [0-9.]+, expected >= 3")
    assert why.search(entry["diagnosis"]), entry["diagnosis"]
    report = json.dumps(rollout.report(release))
    assert why.search(report), report[:3000]


@contextlib.contextmanager
def serving(path: Path):
    """A loopback HTTP server answering every GET with the file (a dcgm-exporter stand-in)."""
    body = path.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  # http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dcgm_target(lab, lab_monitoring):
    """The first site's Prometheus scrapes the recorded dcgm-exporter output (its file_sd target)."""
    site = lab.sites[0].name
    targets = Path(lab_monitoring["sites"][site]["dcgm_targets"])
    url = lab_monitoring["sites"][site]["prometheus"]
    with serving(FIXTURES / "dcgm-exporter.prom") as address:
        targets.write_text(json.dumps([{"targets": [address]}]))
        try:
            wait_for(lambda: series(url, 'DCGM_FI_DEV_GPU_TEMP{site="%s"}' % site), TIMEOUT, 1, what="the recorded dcgm-exporter series at %s" % site)
            yield
        finally:
            targets.write_text("[]\n")


def metric_names(expr: str) -> set:
    """The series names a PromQL expression reads (label matchers, grouping and functions left out)."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    return set(re.findall(r"\b[A-Za-z_:][A-Za-z0-9_:]*\b(?!\s*\()", bare)) - {"or", "and", "unless"}


def no_lab_source(expr: str) -> bool:
    names = metric_names(expr)
    return bool(names) and all(any(n.startswith(prefix) for prefix in NO_LAB_SOURCE) for n in names)


def test_every_dashboard_expression_returns_series_on_the_lab(rolled, dcgm_target, lab_monitoring):
    servers = [lab_monitoring["fleet_prometheus"]] + [s["prometheus"] for s in lab_monitoring["sites"].values()]
    checked, skipped, empty = [], [], []
    for where, expr in ALL:
        if DURING_ROLLOUT in metric_names(expr):
            continue  # test_the_dashboards_show_the_rollout_in_progress_while_it_runs
        if no_lab_source(expr):
            skipped.append(where)
            continue
        checked.append(where)
        sent = as_grafana_sends(expr)
        if not any(series(url, sent) for url in servers):
            empty.append("%s: %s" % (where, expr))
    assert empty == [], "no series on any of the lab's Prometheus servers:\n" + "\n".join(empty)
    print("checked %d dashboard expressions; left out (%s): %s"
          % (len(checked), "; ".join(NO_LAB_SOURCE.values()), ", ".join(skipped)))
    assert checked and skipped
