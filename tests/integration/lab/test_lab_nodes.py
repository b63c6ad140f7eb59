"""GPU nodes: Ready, with nvidia.com/gpu capacity and GPU feature / topology labels."""
import pytest
from kubernetes import client

pytestmark = pytest.mark.lab


def _ready(node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def test_nodes_ready_with_gpu_capacity_and_labels(lab):
    for site in lab.sites:
        nodes = client.CoreV1Api(lab.kube(site)).list_node().items
        assert len(nodes) == site.nodes, site.name
        for n in nodes:
            assert _ready(n), f"{site.name}/{n.metadata.name} not Ready"
            assert n.status.capacity["nvidia.com/gpu"] == str(site.gpus_per_node)
            assert n.status.allocatable["nvidia.com/gpu"] == str(site.gpus_per_node)
            labels = n.metadata.labels
            assert labels["nvidia.com/gpu.product"] == site.gpu_product
            assert labels["nvidia.com/gpu.count"] == str(site.gpus_per_node)
            assert labels["nvidia.com/gpu.memory"] == str(site.gpu_memory_mib)
            assert labels["nvidia.com/gpu.present"] == "true"
            assert labels["topology.kubernetes.io/region"] == site.region
            assert labels["topology.kubernetes.io/zone"].startswith(site.region)


def test_one_site_has_a_different_gpu_product(lab):
    products = {s.name: s.gpu_product for s in lab.sites}
    if len(lab.sites) < 2:
        pytest.skip("needs two sites")
    assert len(set(products.values())) > 1, products


def test_nodes_get_pod_cidrs_from_the_controller_manager(lab):
    """A real kube-controller-manager runs: nodeipam hands out per-node pod CIDRs."""
    import ipaddress

    for site in lab.sites:
        nodes = client.CoreV1Api(lab.kube(site)).list_node().items
        for n in nodes:
            assert n.spec.pod_cidr, f"{site.name}/{n.metadata.name} has no podCIDR"
            assert ipaddress.ip_network(n.spec.pod_cidr).subnet_of(ipaddress.ip_network(site.pod_cidr))
