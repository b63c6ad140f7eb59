"""The lab's pure parts (config validation, WAN-link toxics, node manifests, inventory shape): no lab needed."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root holds the lab package

from lab import config, inventory, link, nodes  # noqa: E402  pylint: disable=wrong-import-position
from lab.errors import LabError  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(autouse=True)
def default_environment(monkeypatch):
    # The isolated-lab variables change addresses; these tests pin the defaults.
    for var in ("GPUFLEET_LAB_NET", "GPUFLEET_LAB_CONFIG"):
        monkeypatch.delenv(var, raising=False)


def test_default_sites_match_issue_4():
    cfg = config.default_config()
    expected = [("lab-eu", 10, 1), ("lab-us", 40, 2), ("lab-apac", 90, 3)]
    assert [(s.name, s.rtt_ms, s.wave) for s in cfg.sites] == expected
    assert cfg.site("lab-apac").gpu_product != cfg.site("lab-eu").gpu_product
    assert all(s.nodes == 4 and s.gpus_per_node == 8 for s in cfg.sites)


@pytest.mark.parametrize("entries, message", [
    ([], "sites must list 1.."),
    ([{"name": "a"}, {"name": "a"}], "site #2 field name: invalid or duplicate value 'a'"),
    ([{"name": "bad name"}], "field name: invalid or duplicate value 'bad name'"),
    ([{"name": "x", "rtt_ms": -1}], "at site x: field rtt_ms: invalid value -1"),
    ([{"name": "x", "gpus": 8}], "at site x: unknown fields ['gpus']"),
])
def test_config_errors_name_site_field_and_value(entries, message):
    with pytest.raises(LabError) as err:
        config.build_config(entries)
    assert str(err.value).startswith("Failed to load lab config")
    assert message in str(err.value)


def test_config_file_inherits_defaults_by_name(tmp_path):
    f = tmp_path / "sites.yml"
    f.write_text("sites:\n  - {name: lab-eu, rtt_ms: 5}\n  - {name: lab-edge, gpu_product: NVIDIA-L40S, nodes: 2}\n")
    cfg = config.load_config(str(f))
    eu, edge = cfg.sites
    assert (eu.rtt_ms, eu.region, eu.gpu_product) == (5, "europe-west", "NVIDIA-H100-80GB-HBM3")
    assert (edge.index, edge.nodes, edge.wave, edge.address) == (2, 2, 2, "127.42.2.10")


def test_unknown_site_is_reported_with_the_known_ones():
    with pytest.raises(LabError, match=r"Failed to find site nope: no such site in the lab \(sites: lab-eu"):
        config.default_config().site("nope")


def test_site_networks_are_disjoint_and_hold_every_address():
    import ipaddress

    cfg = config.default_config()
    nets = [ipaddress.ip_network(c) for s in cfg.sites for c in (s.host_cidr, s.pod_cidr, s.service_cidr)]
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    for s in cfg.sites:
        for addr in (s.address, s.api_internal_address, s.link_address, s.etcd_address):
            assert ipaddress.ip_address(addr) in ipaddress.ip_network(s.host_cidr)


@pytest.mark.parametrize("rtt, partitioned, names", [
    (10, False, {"latency_upstream", "latency_downstream"}),
    (90, True, {"latency_upstream", "latency_downstream", "partition_upstream", "partition_downstream"}),
])
def test_toxics_split_the_rtt_and_partition_drops_both_ways(rtt, partitioned, names):
    toxics = link.desired_toxics(rtt, partitioned)
    assert set(toxics) == names
    assert sum(t["attributes"]["latency"] for t in toxics.values() if t["type"] == "latency") == rtt
    assert all(t["attributes"] == {"timeout": 0} for t in toxics.values() if t["type"] == "timeout")


def test_node_manifest_carries_gpu_capacity_and_labels():
    site = config.default_config().site("lab-apac")
    node = nodes.node_manifest(site, 1)
    labels = node["metadata"]["labels"]
    assert node["metadata"]["name"] == "lab-apac-gpu-1"
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "8" == node["status"]["allocatable"]["nvidia.com/gpu"]
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-L40S" and labels["nvidia.com/gpu.memory"] == "46068"
    assert labels["topology.kubernetes.io/zone"] == "asia-southeast-b"
    assert "spec" not in node or not node["spec"].get("taints"), "workloads must not need tolerations"


def test_hosts_doc_is_the_site_inventory_model():
    cfg = config.default_config()
    doc = inventory.hosts_doc(cfg)["all"]["children"]
    assert list(doc["sites"]["children"]) == ["lab_eu", "lab_us", "lab_apac"]
    host = doc["kube_api"]["hosts"]["api-lab-us"]
    assert host == {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    gv = inventory.group_vars(cfg.site("lab-us"))
    assert gv["gpufleet_rollout_wave"] == 2 and gv["gpufleet_kube_api"] == "https://127.42.2.10:6443"
