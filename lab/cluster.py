"""Kubernetes-level readiness of a site: GPU nodes registered and Ready, default ServiceAccount present."""
from __future__ import annotations

import time

from lab import health
from lab.config import SiteConfig
from lab.errors import lab_error
from lab.nodes import ensure_nodes
from lab.site import admin_kubeconfig

REQUEST_TIMEOUT = 10


def _core(site: SiteConfig):
    from kubernetes import client

    return client.CoreV1Api(health.api_client(admin_kubeconfig(site.name)))


def node_is_ready(node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))


def ensure_ready(site: SiteConfig, timeout: float = 120.0) -> None:
    core = _core(site)
    ensure_nodes(core, site)
    deadline = time.monotonic() + timeout
    ready, sa = 0, False
    while time.monotonic() < deadline:
        nodes = core.list_node(_request_timeout=REQUEST_TIMEOUT).items
        ready = sum(node_is_ready(n) for n in nodes)
        # Pods in a namespace are refused until the controller manager made its default ServiceAccount.
        sa = bool(core.list_namespaced_service_account(
            "default", field_selector="metadata.name=default", _request_timeout=REQUEST_TIMEOUT).items)
        if ready >= site.nodes and sa:
            return
        time.sleep(0.5)
    raise lab_error("wait for GPU nodes", f"{ready}/{site.nodes} nodes Ready, default ServiceAccount "
                    f"{'present' if sa else 'missing'} after {timeout:.0f}s", site=site.name)


def gpu_summary(site: SiteConfig) -> dict[str, int]:
    """Nodes Ready/total and GPUs allocatable/requested by pods that hold them (not finished)."""
    core = _core(site)
    nodes = core.list_node(_request_timeout=REQUEST_TIMEOUT).items
    ready_nodes = [n for n in nodes if node_is_ready(n)]
    total = sum(int((n.status.allocatable or {}).get("nvidia.com/gpu", "0")) for n in ready_nodes)
    used = 0
    pods = core.list_pod_for_all_namespaces(
        field_selector="status.phase!=Succeeded,status.phase!=Failed", _request_timeout=REQUEST_TIMEOUT).items
    ready_names = {n.metadata.name for n in ready_nodes}
    for p in pods:
        if p.spec.node_name not in ready_names:
            continue
        for c in p.spec.containers:
            req = (c.resources.requests or {}) if c.resources else {}
            lim = (c.resources.limits or {}) if c.resources else {}
            used += int(req.get("nvidia.com/gpu", lim.get("nvidia.com/gpu", "0")))
    return {"nodes": len(nodes), "nodes_ready": len(ready_nodes), "gpus": total, "gpus_free": total - used}
