"""playbooks/upgrade.yml against a lab site: the Kubernetes side of the rolling k3s upgrade.

The test registers its own kwok nodes in lab-eu (one server, three agents), runs a Deployment
whose pods land on them, and lets the real playbook cordon, drain (real evictions by the real
API server and controllers), wait and uncordon. Only the node-side step (binary swap and
restart) is replaced, by tasks/kwok_node_step.yml, because no real k3s host exists here:
it checks the node was drained and then reports the new kubeletVersion as a restarted kubelet
would, or never does for a node marked broken.
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from playbook_json import REPO, failures, run_playbook, task_hosts

pytestmark = pytest.mark.lab

PLAYBOOK = REPO / "playbooks" / "upgrade.yml"
NODE_STEP = Path(__file__).parent / "tasks" / "kwok_node_step.yml"
OLD, NEW = "v1.33.5+k3s1", "v1.33.6+k3s1"


def kwok_node(name: str, uid: str, version: str) -> dict:
    resources = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                     "labels": {"kubernetes.io/hostname": name, "type": "kwok", "gpufleet.io/upgrade-test": uid}},
        "status": {"allocatable": resources, "capacity": resources, "phase": "Running",
                   "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": version,
                                "kubeProxyVersion": version, "bootID": "", "containerRuntimeVersion": "",
                                "kernelVersion": "", "machineID": "", "osImage": "", "systemUUID": ""}},
    }


def deployment(uid: str, replicas: int) -> dict:
    labels = {"app": "upgrade-test-%s" % uid}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "workload", "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "nodeSelector": {"gpufleet.io/upgrade-test": uid},
                     # One pod per node, so every drain has something to evict.
                     "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                                    "whenUnsatisfiable": "DoNotSchedule",
                                                    "labelSelector": {"matchLabels": labels}}],
                     "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "server", "image": "example.invalid/server:1"}]}}},
    }


def wait_for(predicate, timeout: float = 90, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError("timed out waiting for %s" % what)


class Fleet:
    """Test nodes of one lab site, their inventory and the workload on them."""

    def __init__(self, lab, tmp: Path):
        self.lab = lab
        self.site = lab.sites[0]
        self.uid = uuid.uuid4().hex[:6]
        self.core = client.CoreV1Api(lab.kube(self.site))
        self.namespace = "upgrade-test-%s" % self.uid
        self.server = "upg-%s-server" % self.uid
        self.agents = ["upg-%s-agent-%d" % (self.uid, i) for i in range(1, 4)]
        self.nodes = [self.server] + self.agents
        self.tmp = tmp
        self.inventory = tmp / "fleet.yml"
        prefix = self.site.host_cidr.rsplit(".", 1)[0]
        hosts = {name: {"ansible_host": "%s.%d" % (prefix, 200 + i), "ansible_connection": "local",
                        "ansible_python_interpreter": "{{ ansible_playbook_python }}", "ansible_become": False}
                 for i, name in enumerate(self.nodes)}
        self.inventory.write_text(yaml.safe_dump({"all": {"children": {
            self.site.group: {"hosts": hosts},
            "k3s_server": {"hosts": {self.server: None}},
            "k3s_agent": {"hosts": {name: None for name in self.agents}},
        }}}))

    def reset(self, versions: dict[str, str]) -> None:
        """(Re)create the nodes at the given versions, schedulable, with one workload pod each."""
        for name in self.nodes:
            try:
                self.core.delete_node(name)
                wait_for(lambda: not self.node_exists(name), what="node %s deleted" % name)
            except ApiException as e:
                if e.status != 404:
                    raise
            self.core.create_node(kwok_node(name, self.uid, versions[name]))
        apps = client.AppsV1Api(self.lab.kube(self.site))
        try:
            apps.delete_namespaced_deployment("workload", self.namespace)
        except ApiException as e:
            if e.status != 404:
                raise
        wait_for(lambda: not self.pods(), what="old workload pods gone")
        apps.create_namespaced_deployment(self.namespace, deployment(self.uid, len(self.nodes)))
        wait_for(lambda: {p.spec.node_name for p in self.pods() if self.ready(p)} == set(self.nodes),
                 timeout=120, what="one ready workload pod per test node")

    def node_exists(self, name: str) -> bool:
        try:
            self.core.read_node(name)
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise

    def pods(self):
        return self.core.list_namespaced_pod(self.namespace).items

    @staticmethod
    def ready(pod) -> bool:
        return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))

    def node(self, name: str):
        return self.core.read_node(name)

    def step_times(self) -> dict[str, float]:
        return {p.stem: float(p.read_text()) for p in self.tmp.glob("*.step")}

    def upgrade(self, broken: list[str] = (), batch: int = 2) -> dict:
        for step in self.tmp.glob("*.step"):
            step.unlink()
        return run_playbook(PLAYBOOK, [self.lab.inventory / "hosts.yml", self.inventory], {
            "k3s_version": NEW,
            "k3s_upgrade_node_tasks": str(NODE_STEP),
            "k3s_upgrade_ready_retries": 5,
            "k3s_upgrade_ready_delay": 2,
            "k3s_drain_timeout": 60,
            "k3s_drain_grace_period": 0,
            "gpufleet_upgrade_agent_batch": batch,
            "upgrade_test_namespace": self.namespace,
            "upgrade_test_dir": str(self.tmp),
            "upgrade_test_kubectl": str(self.lab.bin_dir / "kubectl"),
            "upgrade_test_broken_nodes": list(broken),
        })


@pytest.fixture(scope="module")
def fleet(lab, tmp_path_factory):
    f = Fleet(lab, tmp_path_factory.mktemp("upgrade"))
    f.core.create_namespace({"metadata": {"name": f.namespace}})
    yield f
    try:
        f.core.delete_namespace(f.namespace)
    except ApiException as e:
        if e.status != 404:
            raise
    for name in f.nodes:
        try:
            f.core.delete_node(name)
        except ApiException as e:
            if e.status != 404:
                raise


def test_rolls_servers_then_agents_in_batches_and_skips_nodes_at_version(fleet):
    already = fleet.agents[2]
    fleet.reset({name: (NEW if name == already else OLD) for name in fleet.nodes})

    doc = fleet.upgrade(batch=2)

    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    for name in fleet.nodes:
        node = fleet.node(name)
        assert node.status.node_info.kubelet_version == NEW, name
        assert not node.spec.unschedulable, "%s left cordoned" % name
    times = fleet.step_times()
    # The node already at the target was neither drained nor touched.
    assert set(times) == {fleet.server, fleet.agents[0], fleet.agents[1]}
    drained = task_hosts(doc, "Cordon and drain the node")
    assert set(drained) == set(times)
    # Servers first; agents 1 and 2 share a batch (batch size 2), after the server.
    assert times[fleet.server] < min(times[fleet.agents[0]], times[fleet.agents[1]])
    plan = [r["msg"] for r in task_hosts(doc, "Show the plan").values()][0]
    assert "in batches [2, 1]" in plan, plan
    # Evicted pods were recreated on schedulable nodes and are Ready again.
    assert len([p for p in fleet.pods() if fleet.ready(p)]) == len(fleet.nodes)


def test_rerun_at_target_changes_nothing(fleet):
    doc = fleet.upgrade(batch=2)
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    assert fleet.step_times() == {}
    changed = {host: s["changed"] for host, s in doc["stats"].items() if host in fleet.nodes}
    assert changed == {name: 0 for name in fleet.nodes}
    assert task_hosts(doc, "Cordon and drain the node") == {}


def test_stops_at_the_first_node_that_does_not_come_back(fleet):
    fleet.reset({name: OLD for name in fleet.nodes})
    broken = fleet.agents[0]

    doc = fleet.upgrade(broken=[broken], batch=1)

    assert doc["rc"] != 0
    errors = failures(doc)
    assert any(broken in e and "the rollout stops here" in e for e in errors), errors
    # The server before it was upgraded and uncordoned.
    server = fleet.node(fleet.server)
    assert server.status.node_info.kubelet_version == NEW and not server.spec.unschedulable
    # The broken node stays cordoned at the old version, for someone to look at.
    node = fleet.node(broken)
    assert node.status.node_info.kubelet_version == OLD and node.spec.unschedulable
    # Nothing after it was touched.
    assert set(fleet.step_times()) == {fleet.server, broken}
    for name in fleet.agents[1:]:
        node = fleet.node(name)
        assert node.status.node_info.kubelet_version == OLD and not node.spec.unschedulable, name
