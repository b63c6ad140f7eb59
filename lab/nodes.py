"""Simulated GPU nodes: Node objects that kwok keeps Ready, with GPU capacity and feature labels."""
from __future__ import annotations

from typing import Any

from lab.config import SiteConfig


def node_name(site: SiteConfig, i: int) -> str:
    return f"{site.name}-gpu-{i}"


def node_manifest(site: SiteConfig, i: int) -> dict[str, Any]:
    name = node_name(site, i)
    zone = f"{site.zone_prefix}-{'ab'[i % 2]}"  # alternate two zones per site
    resources = {"cpu": "96", "memory": "1Ti", "pods": "110", "ephemeral-storage": "2Ti",
                 "nvidia.com/gpu": str(site.gpus_per_node)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                "node-role.kubernetes.io/gpu": "",
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": site.gpu_product,
                "nvidia.com/gpu.memory": str(site.gpu_memory_mib),
                "nvidia.com/gpu.count": str(site.gpus_per_node),
                "topology.kubernetes.io/region": site.region,
                "topology.kubernetes.io/zone": zone,
                "gpufleet.io/site": site.name,
            },
        },
        "status": {
            "allocatable": resources,
            "capacity": resources,
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "fake",
                         "kubeProxyVersion": "fake", "bootID": "", "containerRuntimeVersion": "",
                         "kernelVersion": "", "machineID": "", "osImage": "", "systemUUID": ""},
            "phase": "Running",
        },
    }


def site_nodes(site: SiteConfig) -> list[dict[str, Any]]:
    return [node_manifest(site, i) for i in range(site.nodes)]


def ensure_nodes(core_v1, site: SiteConfig) -> int:
    """Create missing nodes (status included: Node create keeps the status we send). Returns created count."""
    from kubernetes.client.exceptions import ApiException

    existing = {n.metadata.name for n in core_v1.list_node().items}
    created = 0
    for manifest in site_nodes(site):
        if manifest["metadata"]["name"] in existing:
            continue
        try:
            core_v1.create_node(manifest)
            created += 1
        except ApiException as e:
            if e.status != 409:
                raise
    return created
