# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight of one site: read what runs there and whether the release can land, change nothing.

Problems are returned, not raised: the playbook gathers every site's problems and stops the run
with all of them listed, before any site changes.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    CONTAINER_NAME, GPU_PRODUCT_LABEL, selector_labels)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import running_image, running_version
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.capacity import (
    GPU, capacity_problems, free_by_product, held_by)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import decide, model_at_desired


def _container(deployment: Dict[str, Any]) -> Dict[str, Any]:
    containers = ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    for container in containers:
        if container.get("name") == CONTAINER_NAME:
            return container
    return containers[0] if containers else {}


def snapshot(deployment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """What runs now, with enough of the spec to roll back to it."""
    if not deployment:
        return {"exists": False}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    container = _container(deployment)
    limits = (container.get("resources") or {}).get("limits") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    node_selector = pod_spec.get("nodeSelector") or {}
    ports = container.get("ports") or [{}]
    return {
        "exists": True, "version": running_version(deployment), "image": running_image(deployment),
        "replicas": spec.get("replicas"), "ready_replicas": status.get("readyReplicas") or 0,
        "updated_replicas": status.get("updatedReplicas") or 0, "gpus": int(str(limits.get(GPU, 0) or 0)),
        "gpu_product": node_selector.get(GPU_PRODUCT_LABEL), "port": ports[0].get("containerPort"),
        "runtime_class": pod_spec.get("runtimeClassName") or "none",
        "args": container.get("args") or [],
        "env": {e["name"]: e.get("value", "") for e in container.get("env") or [] if "name" in e},
    }


def all_pods(client: Any) -> List[Dict[str, Any]]:
    """Live pods of every namespace (the GPUs of any namespace count), as dicts."""
    # No namespace: KubeClient lists the cluster-wide /api/v1/pods.
    return client.list("Pod", field_selector="status.phase!=Succeeded,status.phase!=Failed")


def _needs(models: List[Dict[str, Any]], current: Dict[str, Dict[str, Any]], pods: List[Dict[str, Any]],
           surge: int) -> List[Dict[str, Any]]:
    needs = []
    for model in models:
        if not model["gpus"] or model_at_desired(current.get(model["name"]), model):
            continue  # already there: nothing new to schedule
        peak = model["replicas"] + surge
        needs.append({
            "model": model["name"], "product": model.get("gpu_product"), "requested": peak * model["gpus"],
            "held": held_by(pods, model["namespace"], selector_labels(model["name"])),
            "detail": "(%d replicas + %d surge) x %d GPUs" % (model["replicas"], surge, model["gpus"]),
        })
    return needs


def check_site(client: Any, site: str, models: List[Dict[str, Any]], surge: int, create_namespace: bool,
               entry: Optional[Dict[str, Any]],
               list_pods: Callable[[Any], List[Dict[str, Any]]] = all_pods) -> Dict[str, Any]:
    """{reachable, problems, current, capacity, decision} for one site."""
    result: Dict[str, Any] = {"site": site, "reachable": False, "problems": [], "current": {}, "capacity": {},
                              "decision": None, "at_release": False}
    try:
        nodes = client.list("Node")
        result["reachable"] = True
        for namespace in sorted({m["namespace"] for m in models}):
            if client.get("Namespace", namespace) is None and not create_namespace:
                result["problems"].append("site %s has no namespace %s and policy.create_namespace is false"
                                          % (site, namespace))
        current = {m["name"]: snapshot(client.get("Deployment", m["name"], m["namespace"])) for m in models}
        pods = list_pods(client)
    except K8sError as e:
        result["problems"].append(str(e))
        return result
    result["current"] = current
    result["capacity"] = free_by_product(nodes, pods)
    result["problems"] += capacity_problems(site, _needs(models, current, pods, surge), result["capacity"])
    result["decision"] = decide(entry, current, models)
    result["at_release"] = all(model_at_desired(current.get(m["name"]), m) for m in models)
    return result
