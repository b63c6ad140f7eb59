"""The prometheus role's configuration and gpu_addons' dcgm-exporter as the roles render them.

The site Prometheus scrapes dcgm-exporter at <gpu host>:<port>: the DaemonSet must publish that port on
the host, and both roles must take it from the one inventory variable. The fleet's federation jobs
stamp samples at the fleet (slow WAN links) and pull the controller's rollout metrics.
"""
import os
import re

import yaml

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import manifests

from .role_play import ROOT, diff_after, facts_for, include_role, run_tasks

INVENTORY = {"all": {
    "vars": {"gpu_addons_dcgm_exporter_port": 9500},
    "children": {
        "sites": {"children": {
            "site_a": {"hosts": {"localhost": {"ansible_connection": "local"}, "gpu-a-1": {"ansible_host": "10.0.0.5"}},
                       "vars": {"gpufleet_site": "site-a", "gpufleet_region": "r1",
                                "gpufleet_prometheus_url": "http://10.0.0.4:9090"}},
            "site_b": {"hosts": {"mon-b": {}},
                       "vars": {"gpufleet_site": "site-b", "gpufleet_prometheus_url": "https://10.1.0.4:9443/prom/"}},
        }},
        "gpu": {"hosts": {"gpu-a-1": {}}},
    }}}


def prometheus_config(tmp_path, **role_vars):
    tmp_path.mkdir(exist_ok=True)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump(INVENTORY))
    run = run_tasks(tmp_path, [include_role("prometheus", "configure")], facts_for("debian12", service_mgr="systemd"),
                    role_vars, inventory=inventory)
    assert not run.failed, run.proc.stdout[-3000:]
    return yaml.safe_load(diff_after(run.result("Write the Prometheus configuration")))


def jobs(config):
    return {job["job_name"]: job for job in config["scrape_configs"]}


def test_site_scrapes_dcgm_exporter_on_the_port_gpu_addons_publishes_on_the_host(tmp_path):
    site = jobs(prometheus_config(tmp_path / "p", prometheus_mode="site"))
    assert site["dcgm-exporter"]["static_configs"] == [{"targets": ["10.0.0.5:9500"], "labels": {"instance": "gpu-a-1"}}]
    run = run_tasks(tmp_path, [include_role("gpu_addons", "objects")], facts_for("debian12"),
                    {"gpufleet_site": "site-a", "gpu_addons_kubeconfig": "/nonexistent", "gpu_addons_dcgm_exporter_port": 9500})
    assert not run.failed, run.proc.stdout[-3000:]
    daemonset = run.result("Render the add-on objects")["ansible_facts"]["__gpu_addons_objects"]["dcgm_exporter"]
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["containers"][0]["ports"] == [{"name": "metrics", "containerPort": 9500, "hostPort": 9500, "protocol": "TCP"}]
    # A hostPort, not the host's network: the pod keeps its own network namespace.
    assert not pod.get("hostNetwork")


def test_an_explicit_prometheus_port_still_wins(tmp_path):
    site = jobs(prometheus_config(tmp_path, prometheus_mode="site", prometheus_dcgm_exporter_port=9401))
    assert site["dcgm-exporter"]["static_configs"][0]["targets"] == ["10.0.0.5:9401"]


def test_fleet_federates_without_site_timestamps_and_with_the_rollout_metrics(tmp_path):
    fleet = jobs(prometheus_config(tmp_path, prometheus_mode="fleet"))
    federate = {name: job for name, job in fleet.items() if name.startswith("federate-")}
    assert sorted(federate) == ["federate-site-a", "federate-site-b"]
    for job in federate.values():
        assert job["honor_timestamps"] is False and job["honor_labels"] is True
        assert job["params"]["match[]"] == ['{__name__=~"job:.+"}', '{__name__=~"gpufleet:.+"}', '{__name__="up"}',
                                            '{__name__="ALERTS"}', '{__name__=~"gpufleet_rollout_.*"}']
    assert (federate["federate-site-b"]["scheme"], federate["federate-site-b"]["metrics_path"]) == ("https", "/prom/federate")
    assert federate["federate-site-b"]["static_configs"] == [{"targets": ["10.1.0.4:9443"], "labels": {"site": "site-b"}}]
    # The fleet server does not scrape GPU hosts itself.
    assert "dcgm-exporter" not in fleet


def test_honor_timestamps_can_be_turned_back_on(tmp_path):
    fleet = jobs(prometheus_config(tmp_path, prometheus_mode="fleet", prometheus_federation_honor_timestamps=True))
    assert fleet["federate-site-a"]["honor_timestamps"] is True


def test_kube_state_metrics_exports_the_labels_the_rules_join_on(tmp_path):
    run = run_tasks(tmp_path, [include_role("gpu_addons", "objects")], facts_for("debian12"),
                    {"gpufleet_site": "site-a", "gpu_addons_kubeconfig": "/nonexistent", "gpu_addons_namespace": "gpu-x"})
    assert not run.failed, run.proc.stdout[-3000:]
    ksm = run.result("Render the add-on objects")["ansible_facts"]["__gpu_addons_objects"]["kube_state_metrics"]
    container = ksm["deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0"
    assert container["args"] == [
        "--port=8080", "--telemetry-port=8081", "--resources=deployments,nodes,pods",
        "--metric-labels-allowlist=deployments=[app.kubernetes.io/name,app.kubernetes.io/version]"]
    # Each allowed label is one model_deploy gives its Deployments, and the rules join on its
    # kube-state-metrics name (label_<key with every other character as _>).
    allowed = container["args"][-1].split("deployments=[", 1)[1].rstrip("]").split(",")
    deployment_labels = manifests.common_labels({"name": "m", "model_version": "1.0.0"})
    with open(os.path.join(ROOT, "roles", "prometheus", "files", "rules", "gpufleet-models.yml"), encoding="utf-8") as f:
        rules = f.read()
    for key in allowed:
        assert key in deployment_labels
        assert "label_" + re.sub(r"[^A-Za-z0-9_]", "_", key) in rules
    assert ksm["service"]["spec"]["type"] == "NodePort"
    assert ksm["service"]["spec"]["ports"] == [{"name": "metrics", "port": 8080, "targetPort": "metrics",
                                               "nodePort": 30080, "protocol": "TCP"}]
    # Read-only, exactly the exported resources, bound to the account the pod runs as.
    assert ksm["cluster_role"]["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]}]
    assert ksm["cluster_role_binding"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "kube-state-metrics", "namespace": "gpu-x"}]
    assert ksm["deployment"]["spec"]["template"]["spec"]["serviceAccountName"] == "kube-state-metrics"
    assert ksm["cluster_role_binding"]["roleRef"]["name"] == ksm["cluster_role"]["metadata"]["name"]
