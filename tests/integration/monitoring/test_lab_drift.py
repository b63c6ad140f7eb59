"""On the lab with monitoring: one site's model changed by hand makes the fleet Prometheus fire
GpufleetModelVersionDrift naming that site, model and version, after the (lab's short) grace period;
the fleet sends it to the lab's Alertmanager, whose v2 API lists it with site and model; putting
the version back clears it. Real kube-state-metrics on each site's API server, real site
Prometheus servers evaluating the collection's rules, a real fleet Prometheus federating them
through each site's WAN link, a real Alertmanager (Debian's package)."""
from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from kubernetes import client
from lab_workloads import wait_for
from prometheus_server import query

pytestmark = pytest.mark.lab
# Waits a lab's Prometheus answers within: two scrapes, federation and the alert rules' periods.
TIMEOUT = 240


def deployment(model: str, version: str) -> dict:
    labels = {"app.kubernetes.io/name": model, "app.kubernetes.io/version": version}
    selector = {"app.kubernetes.io/name": model}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": model, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": selector},
                     "template": {"metadata": {"labels": selector},
                                  "spec": {"containers": [{"name": "model-server",
                                                           "image": "registry.example.com/ml/%s:%s" % (model, version)}]}}}}


def alertmanager_alerts(url: str, model: str) -> list:
    """Active alerts about `model` as the Alertmanager's v2 API lists them."""
    with urllib.request.urlopen(url + "/api/v2/alerts?active=true", timeout=10) as answer:
        return [a for a in json.loads(answer.read()) if a["labels"].get("model") == model]


def series(url: str, expr: str) -> list:
    status, body = query(url, expr)
    assert status == 200, body
    return body["data"]["result"]


@pytest.fixture
def model(lab, lab_monitoring):
    """A model at 1.0.0 on every site, in its own namespace; removed afterwards."""
    name = "monitest-%s" % uuid.uuid4().hex[:6]
    for site in lab.sites:
        api = lab.kube(site)
        client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
        client.AppsV1Api(api).create_namespaced_deployment(name, deployment(name, "1.0.0"))
    yield name
    for site in lab.sites:
        client.CoreV1Api(lab.kube(site)).delete_namespace(name)


def test_a_version_changed_by_hand_fires_the_drift_alert_on_the_fleet(lab, lab_monitoring, model):
    fleet = lab_monitoring["fleet_prometheus"]
    sites = sorted(s.name for s in lab.sites)
    matrix = 'gpufleet:model_version:deployments{model="%s"}' % model
    wait_for(lambda: sorted(r["metric"]["site"] for r in series(fleet, matrix)) == sites, TIMEOUT, 1,
             what="every site's version of %s federated to the fleet" % model)
    drift = 'ALERTS{alertname="GpufleetModelVersionDrift", model="%s"%s}'
    assert series(fleet, drift % (model, "")) == [], "no drift while every site runs 1.0.0"

    odd = lab.sites[1]
    client.AppsV1Api(lab.kube(odd)).patch_namespaced_deployment(
        model, model, {"metadata": {"labels": {"app.kubernetes.io/version": "1.1.0"}}})
    changed = time.monotonic()
    # Pending first: the grace period holds it back.
    pending = wait_for(lambda: series(fleet, drift % (model, "")), TIMEOUT, 1, what="the drift alert pending")
    assert [r["metric"]["alertstate"] for r in pending] == ["pending"], pending
    firing = wait_for(lambda: series(fleet, drift % (model, ', alertstate="firing"')), TIMEOUT, 1, what="the drift alert firing")
    waited = time.monotonic() - changed
    assert [(r["metric"]["site"], r["metric"]["model"], r["metric"]["version"]) for r in firing] == [
        (odd.name, model, "1.1.0")]
    with urllib.request.urlopen(fleet + "/api/v1/alerts", timeout=10) as answer:
        alerts = [a for a in json.loads(answer.read())["data"]["alerts"]
                  if a["labels"].get("model") == model and a["state"] == "firing"]
    assert len(alerts) == 1
    description = alerts[0]["annotations"]["description"]
    assert description.startswith("Site %s serves model %s at version 1.1.0 while other sites serve" % (odd.name, model))
    others = sorted(s.name for s in lab.sites if s.name != odd.name)
    assert all("1.0.0 at %s" % name in description for name in others), description
    print("drift alert firing %.0fs after the change (grace %s, scrape %s)"
          % (waited, lab_monitoring["drift_grace"], lab_monitoring["scrape_interval"]))

    received = wait_for(lambda: alertmanager_alerts(lab_monitoring["alertmanager"], model), TIMEOUT, 1, what="the drift alert at the Alertmanager")
    assert [(a["labels"]["alertname"], a["labels"]["site"], a["labels"]["model"], a["labels"]["version"],
             a["status"]["state"]) for a in received] == [("GpufleetModelVersionDrift", odd.name, model, "1.1.0", "active")]
    assert received[0]["annotations"]["description"] == description

    client.AppsV1Api(lab.kube(odd)).patch_namespaced_deployment(
        model, model, {"metadata": {"labels": {"app.kubernetes.io/version": "1.0.0"}}})
    wait_for(lambda: series(fleet, drift % (model, "")) == [], TIMEOUT, 1, what="the drift alert cleared")
