"""gpu_addons on every lab site: pinned objects, GPU node labels from gpu_facts, re-run changed=0.

Each site gets one kwok node made by the test (unique name and selector label), so the
DaemonSets schedule only there and the lab's own nodes keep their labels. The namespace and
RuntimeClass names are unique too; everything is deleted at the end.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from addons_helpers import gpu_facts_from_capture
from playbook_json import REPO, failures, run_playbook

pytestmark = pytest.mark.lab

PLAYBOOK = Path(__file__).parent / "playbooks" / "gpu_addons.yml"
DEFAULTS = yaml.safe_load((REPO / "roles" / "gpu_addons" / "defaults" / "main.yml").read_text())
CAPTURE_BY_PRODUCT = {"NVIDIA-L40S": "query-csv-l40s.txt"}
DEFAULT_CAPTURE = "query-csv-h100-80gb-hbm3.txt"


def kwok_node(name: str, uid: str) -> dict:
    resources = {"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": "1"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                     "labels": {"kubernetes.io/hostname": name, "type": "kwok", "gpufleet.io/addons-test": uid}},
        "status": {"allocatable": resources, "capacity": resources, "phase": "Running",
                   "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "fake",
                                "kubeProxyVersion": "fake", "bootID": "", "containerRuntimeVersion": "",
                                "kernelVersion": "", "machineID": "", "osImage": "", "systemUUID": ""}},
    }


def ignore_404(call, *args, **kwargs) -> None:
    try:
        call(*args, **kwargs)
    except ApiException as e:
        if e.status != 404:
            raise


@pytest.fixture(scope="module")
def addons(lab, tmp_path_factory):
    uid = uuid.uuid4().hex[:8]
    names = {"namespace": "gpufleet-addons-%s" % uid, "runtime_class": "nvidia-test-%s" % uid}
    nodes, node_facts, host_vars = {}, {}, {}
    for site in lab.sites:
        nodes[site.name] = "addons-%s-%s" % (uid, site.name)
        node_facts[site.name] = gpu_facts_from_capture(CAPTURE_BY_PRODUCT.get(site.gpu_product, DEFAULT_CAPTURE))
        host_vars[site.host] = {"gpu_addons_node_facts": {nodes[site.name]: node_facts[site.name]}}
        client.CoreV1Api(lab.kube(site)).create_node(kwok_node(nodes[site.name], uid))
    inventory = tmp_path_factory.mktemp("addons") / "test-hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": host_vars}}))
    extra_vars = {
        "gpu_addons_namespace": names["namespace"],
        "gpu_addons_runtime_class_name": names["runtime_class"],
        "gpu_addons_node_selector": {"gpufleet.io/addons-test": uid},
        "gpu_addons_wait_timeout": 240,
    }

    def run(check: bool = False, **overrides) -> dict:
        return run_playbook(PLAYBOOK, [lab.inventory / "hosts.yml", inventory], dict(extra_vars, **overrides), check=check)

    preview = run(check=True)
    preview["left_behind"] = [what for s in lab.sites for what in left_behind(lab.kube(s), names, nodes[s.name])]
    yield {"uid": uid, "names": names, "nodes": nodes, "facts": node_facts, "run": run,
           "preview": preview, "first": run(), "second": run()}

    for site in lab.sites:
        api = lab.kube(site)
        ignore_404(client.CoreV1Api(api).delete_namespace, names["namespace"])
        ignore_404(client.NodeV1Api(api).delete_runtime_class, names["runtime_class"])
        ignore_404(client.CoreV1Api(api).delete_node, nodes[site.name])


def left_behind(api, names: dict, node: str) -> list[str]:
    """What a check run must not have created: the namespace, the RuntimeClass, GPU labels."""
    out = []
    if client.CoreV1Api(api).list_namespace(field_selector="metadata.name=%s" % names["namespace"]).items:
        out.append("namespace")
    if client.NodeV1Api(api).list_runtime_class(field_selector="metadata.name=%s" % names["runtime_class"]).items:
        out.append("runtimeclass")
    if "nvidia.com/gpu.product" in client.CoreV1Api(api).read_node(node).metadata.labels:
        out.append("labels on %s" % node)
    return out


def stats(doc: dict) -> dict:
    return doc["stats"]


def changed_tasks(doc: dict, host: str) -> list:
    """The names of the tasks that changed on host: what a count alone does not say."""
    return [task["task"]["name"] for play in doc["plays"] for task in play["tasks"]
            if (task["hosts"].get(host) or {}).get("changed")]


def test_check_mode_previews_without_creating(lab, addons):
    doc = addons["preview"]
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    for site in lab.sites:
        # Namespace, RuntimeClass and the node labels would change; the namespaced objects
        # cannot be dry-run before their namespace exists.
        assert stats(doc)[site.host]["changed"] == 3, stats(doc)[site.host]
    assert doc["left_behind"] == []


def test_first_run_creates_the_addons_on_every_site(lab, addons):
    doc = addons["first"]
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    for site in lab.sites:
        assert stats(doc)[site.host]["changed"] >= 6, stats(doc)[site.host]


def test_rerun_changes_nothing(lab, addons):
    doc = addons["second"]
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    changed = {site.host: stats(doc)[site.host]["changed"] for site in lab.sites}
    assert changed == {site.host: 0 for site in lab.sites}


def test_objects_exist_at_the_pinned_versions(lab, addons):
    ns, rc_name = addons["names"]["namespace"], addons["names"]["runtime_class"]
    plugin_image = "%s:%s" % (DEFAULTS["gpu_addons_device_plugin_image_repository"], DEFAULTS["gpu_addons_device_plugin_version"])
    dcgm_image = "%s:%s" % (DEFAULTS["gpu_addons_dcgm_exporter_image_repository"], DEFAULTS["gpu_addons_dcgm_exporter_version"])
    for site in lab.sites:
        api = lab.kube(site)
        assert client.NodeV1Api(api).read_runtime_class(rc_name).handler == "nvidia"
        apps = client.AppsV1Api(api)
        for name, image in (("nvidia-device-plugin", plugin_image), ("dcgm-exporter", dcgm_image)):
            ds = apps.read_namespaced_daemon_set(name, ns)
            spec = ds.spec.template.spec
            assert [c.image for c in spec.containers] == [image], site.name
            assert spec.runtime_class_name == rc_name
            assert spec.node_selector == {"gpufleet.io/addons-test": addons["uid"]}
            assert any(t.key == "nvidia.com/gpu" and t.operator == "Exists" for t in spec.tolerations)
            # One ready pod, on the node the test made (kwok runs it like a kubelet would).
            assert (ds.status.desired_number_scheduled, ds.status.number_ready) == (1, 1), (site.name, name, ds.status)
        pods = client.CoreV1Api(api).list_namespaced_pod(ns).items
        assert {p.spec.node_name for p in pods} == {addons["nodes"][site.name]}
        service = client.CoreV1Api(api).read_namespaced_service("dcgm-exporter", ns)
        assert [(p.port, p.target_port) for p in service.spec.ports] == [(9400, "metrics")]
        config = yaml.safe_load(client.CoreV1Api(api).read_namespaced_config_map("nvidia-device-plugin-config", ns)
                                .data["config.yaml"])
        assert config["version"] == "v1" and config["flags"]["migStrategy"] == "none" and config["sharing"] == {}


def test_gpu_nodes_carry_labels_from_gpu_facts(lab, addons):
    for site in lab.sites:
        facts = addons["facts"][site.name]
        labels = client.CoreV1Api(lab.kube(site)).read_node(addons["nodes"][site.name]).metadata.labels
        driver = facts["driver_version"].split(".")
        assert labels["nvidia.com/gpu.present"] == "true"
        assert labels["nvidia.com/gpu.product"] == facts["product_labels"][0]
        assert labels["nvidia.com/gpu.product"] == site.gpu_product  # the capture matches the site's GPU
        assert labels["nvidia.com/gpu.memory"] == str(facts["gpus"][0]["memory_mib"])
        assert labels["nvidia.com/gpu.count"] == str(facts["gpu_count"])
        assert labels["nvidia.com/cuda.driver-version.full"] == facts["driver_version"]
        assert labels["nvidia.com/cuda.driver-version.major"] == driver[0]
        assert labels["nvidia.com/cuda.driver-version.minor"] == driver[1]
        # A capture without a CUDA version or a third driver field leaves those labels out.
        assert ("nvidia.com/cuda.driver-version.revision" in labels) == (len(driver) > 2)
        assert ("nvidia.com/cuda.runtime-version.full" in labels) == bool(facts["cuda_version"])


def test_time_slicing_reconfigures_the_device_plugin(lab, addons):
    doc = addons["run"](gpu_addons_sharing="time-slicing", gpu_addons_time_slicing_replicas=4)
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    for site in lab.sites:
        # The ConfigMap and the DaemonSet's config checksum annotation change; nothing else.
        assert stats(doc)[site.host]["changed"] == 2, changed_tasks(doc, site.host)
        api = lab.kube(site)
        ns = addons["names"]["namespace"]
        config = yaml.safe_load(client.CoreV1Api(api).read_namespaced_config_map("nvidia-device-plugin-config", ns)
                                .data["config.yaml"])
        assert config["sharing"]["timeSlicing"]["resources"] == [{"name": "nvidia.com/gpu", "replicas": 4}]
