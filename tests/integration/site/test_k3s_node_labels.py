"""k3s on joined nodes, through a real site API: labels and taints applied by the role's
node_metadata tasks, and the upgrade refusing to skip a k3s minor version.

k3s reads node-label/node-taint only when a node registers; the role's tasks/node_metadata.yml
keeps a joined node in line through the API. Each test module creates its own kwok node on the
first lab site (unique name) with a label and a taint of its own that the role must never touch,
and deletes it at the end.
"""
from __future__ import annotations

import json
import time
import uuid

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from playbook_json import failures, run_playbook, task_hosts

pytestmark = pytest.mark.lab

PLAY = """
- name: Run one of the k3s role's entry points on the site API host
  hosts: "{{ k3s_test_host }}"
  gather_facts: false
  tasks:
    - name: Include the k3s role
      ansible.builtin.include_role:
        name: gpufleet.datacenter.k3s
        tasks_from: "{{ k3s_test_entry }}"
"""
NODE_STEP_TASKS = """
- name: Report that the node-side upgrade step was reached
  ansible.builtin.fail:
    msg: node-side upgrade step reached
"""
# Set on the node by "someone else" (an operator, the node controller): the role must keep them.
FOREIGN_LABEL = {"team.example.com/owner": "ml-platform"}
FOREIGN_TAINT = {"key": "maintenance.example.com/window", "value": "tonight", "effect": "PreferNoSchedule"}
APPLY_TASK = "Apply the node labels and taints through the site API"


def kwok_node(name: str, kubelet_version: str) -> dict:
    resources = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                     "labels": dict({"kubernetes.io/hostname": name, "type": "kwok"}, **FOREIGN_LABEL)},
        "spec": {"taints": [FOREIGN_TAINT]},
        "status": {"allocatable": resources, "capacity": resources, "phase": "Running",
                   "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": kubelet_version,
                                "kubeProxyVersion": kubelet_version, "bootID": "", "containerRuntimeVersion": "",
                                "kernelVersion": "", "machineID": "", "osImage": "", "systemUUID": ""}},
    }


@pytest.fixture(scope="module")
def site_node(lab, tmp_path_factory):
    """A fresh kwok node on the first lab site, a runner for the role's entry points, and cleanup."""
    site = lab.sites[0]
    name = "k3s-labels-%s" % uuid.uuid4().hex[:8]
    core = client.CoreV1Api(lab.kube(site))
    core.create_node(kwok_node(name, "v1.31.4+k3s1"))
    settled(core, name)
    workdir = tmp_path_factory.mktemp("k3s-node")
    playbook = workdir / "k3s_entry.yml"
    playbook.write_text(PLAY)
    node_step = workdir / "node_step.yml"
    node_step.write_text(NODE_STEP_TASKS)

    def run(entry: str, check: bool = False, **role_vars) -> dict:
        extra = dict({"k3s_test_host": site.host, "k3s_test_entry": entry, "k3s_node_name": name,
                      "k3s_gpu_node_labels": {}, "k3s_upgrade_node_tasks": str(node_step)}, **role_vars)
        return run_playbook(playbook, [lab.inventory / "hosts.yml"], extra, check=check)

    def read() -> client.V1Node:
        return core.read_node(name)

    yield {"site": site, "name": name, "run": run, "read": read}
    try:
        core.delete_node(name)
    except ApiException as e:
        if e.status != 404:
            raise


def settled(core: client.CoreV1Api, name: str, deadline_s: float = 120) -> None:
    """Wait until kwok reports the new node Ready and the node controller has lifted its not-ready taint.

    Until then the node controller rewrites the taint list itself, which a run would race with.
    """
    end = time.monotonic() + deadline_s
    while True:
        node = core.read_node(name)
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        system = [t.key for t in node.spec.taints or [] if t.key.startswith("node.kubernetes.io/")]
        if ready and not system:
            return
        if time.monotonic() > end:
            raise AssertionError("node %s not settled: Ready=%s, taints %s" % (name, ready, system))
        time.sleep(1)


def labels_and_taints(node: client.V1Node) -> tuple[dict, list]:
    taints = [{k: v for k, v in (("key", t.key), ("value", t.value), ("effect", t.effect)) if v}
              for t in node.spec.taints or []]
    return dict(node.metadata.labels or {}), taints


def changed(doc: dict, host: str) -> int:
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    return doc["stats"][host]["changed"]


def test_labels_and_taints_reach_a_joined_node_and_only_ours_are_removed(site_node):
    run, read, host = site_node["run"], site_node["read"], site_node["site"].host
    wanted = {"k3s_node_labels": {"gpufleet.io/pool": "a100", "gpufleet.io/tier": "gold"},
              "k3s_node_taints": ["gpufleet.io/dedicated=training:NoSchedule"]}
    before = labels_and_taints(read())

    # Check mode reports the change and makes none (the API server's dry run).
    preview = run("node_metadata", check=True, **wanted)
    assert changed(preview, host) == 1
    assert labels_and_taints(read()) == before

    assert changed(run("node_metadata", **wanted), host) == 1
    labels, taints = labels_and_taints(read())
    assert labels["gpufleet.io/pool"] == "a100" and labels["gpufleet.io/tier"] == "gold"
    assert taints == [FOREIGN_TAINT, {"key": "gpufleet.io/dedicated", "value": "training", "effect": "NoSchedule"}]
    annotations = read().metadata.annotations
    assert json.loads(annotations["gpufleet.io/k3s-managed-labels"]) == ["gpufleet.io/pool", "gpufleet.io/tier"]
    assert json.loads(annotations["gpufleet.io/k3s-managed-taints"]) == ["gpufleet.io/dedicated:NoSchedule"]

    second = run("node_metadata", **wanted)
    assert changed(second, host) == 0
    assert task_hosts(second, APPLY_TASK) == {}

    # A changed value, a label and the taint dropped from the inventory, a new taint.
    changed_vars = {"k3s_node_labels": {"gpufleet.io/pool": "h100"},
                    "k3s_node_taints": ["gpufleet.io/dedicated=inference:NoSchedule", "gpufleet.io/drain:NoExecute"]}
    assert changed(run("node_metadata", **changed_vars), host) == 1
    labels, taints = labels_and_taints(read())
    assert labels["gpufleet.io/pool"] == "h100"
    assert "gpufleet.io/tier" not in labels
    assert taints == [FOREIGN_TAINT, {"key": "gpufleet.io/dedicated", "value": "inference", "effect": "NoSchedule"},
                      {"key": "gpufleet.io/drain", "effect": "NoExecute"}]
    assert changed(run("node_metadata", **changed_vars), host) == 0

    # Everything dropped: the role's labels and taints go, the foreign ones stay.
    assert changed(run("node_metadata", k3s_node_labels={}, k3s_node_taints=[]), host) == 1
    labels, taints = labels_and_taints(read())
    assert not any(k.startswith("gpufleet.io/") for k in labels), labels
    assert labels["team.example.com/owner"] == FOREIGN_LABEL["team.example.com/owner"]
    assert taints == [FOREIGN_TAINT]
    assert changed(run("node_metadata", k3s_node_labels={}, k3s_node_taints=[]), host) == 0


def test_a_node_not_registered_is_reported_not_failed(site_node):
    host = site_node["site"].host
    doc = site_node["run"]("node_metadata", k3s_node_name="k3s-labels-absent-%s" % uuid.uuid4().hex[:6],
                           k3s_node_labels={"gpufleet.io/pool": "a100"})
    assert changed(doc, host) == 0
    reported = task_hosts(doc, "Report a node that has not registered yet")
    assert "not registered in the site API yet" in reported[host]["msg"]


def test_an_upgrade_skipping_a_minor_is_refused_before_the_drain(site_node):
    read = site_node["read"]
    doc = site_node["run"]("upgrade", k3s_upgrade_target_version="v1.33.5+k3s1")
    assert doc["rc"] != 0
    messages = failures(doc)
    assert any("from v1.31.4+k3s1 to v1.33.5+k3s1 skips a minor version" in m and "upgrade to v1.32 first" in m
               for m in messages), messages
    assert not any("node-side upgrade step reached" in m for m in messages), messages
    assert not read().spec.unschedulable


def test_an_upgrade_of_one_minor_reaches_the_node_step(site_node):
    """The same node, one minor ahead: the rule lets it through to the drain and the node-side step."""
    read = site_node["read"]
    doc = site_node["run"]("upgrade", k3s_upgrade_target_version="v1.32.9+k3s1", k3s_drain_timeout=60)
    messages = failures(doc)
    assert doc["rc"] != 0 and any("node-side upgrade step reached" in m for m in messages), messages
    # A failed node step leaves the node cordoned, as the role promises; the fixture deletes it.
    assert read().spec.unschedulable
