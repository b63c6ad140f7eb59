# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading live Deployments: listing them, their running image and version, who manages them, and
the snapshots of them that a report and a rollback need. The one place these are read, so every caller agrees."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.diagnose import revision
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import snapshot as env_snapshot
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    CONTAINER_NAME, GPU_PRODUCT_LABEL, GPU_RESOURCE, MANAGED_BY, VERSION_KEY)


def deployments(client: Any, refs: Iterable[Tuple[str, str]]) -> Dict[Tuple[str, str], Optional[Dict[str, Any]]]:
    """{(namespace, name): live Deployment or None}. One LIST per namespace rather than one GET per
    Deployment: round trips, not models, cost time on a distant site. Falls back to GETs where RBAC
    only grants access to named objects."""
    wanted: Dict[str, list] = {}
    for namespace, name in refs:
        wanted.setdefault(namespace, []).append(name)
    live: Dict[Tuple[str, str], Optional[Dict[str, Any]]] = {}
    for namespace, names in wanted.items():
        try:
            found = {(d.get("metadata") or {}).get("name"): d for d in client.list("Deployment", namespace)}
        except ApiError as e:
            if e.status != 403:
                raise
            found = {name: client.get("Deployment", name, namespace) for name in names}
        live.update({(namespace, name): found.get(name) for name in names})
    return live


def container_of(deployment: Optional[Dict[str, Any]], container: str = CONTAINER_NAME) -> Dict[str, Any]:
    """The model server container (by name, else the first one), or {}."""
    containers = ((((deployment or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    for c in containers:
        if c.get("name") == container:
            return c
    return containers[0] if containers else {}


def running_image(deployment: Optional[Dict[str, Any]], container: str = CONTAINER_NAME) -> Optional[str]:
    return container_of(deployment, container).get("image")


def running_version(deployment: Optional[Dict[str, Any]]) -> Optional[str]:
    meta = (deployment or {}).get("metadata") or {}
    return (meta.get("labels") or {}).get(VERSION_KEY) or (meta.get("annotations") or {}).get(VERSION_KEY)


def previous(deployment: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """model_deploy's `previous`: version, image and revision before we touched anything."""
    if not deployment:
        return None
    return {"version": running_version(deployment), "image": running_image(deployment),
            "revision": revision(deployment), "replicas": (deployment.get("spec") or {}).get("replicas")}


def snapshot(deployment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """What runs now, with enough of the spec to roll back to it."""
    if not deployment:
        return {"exists": False}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    container = container_of(deployment)
    limits = (container.get("resources") or {}).get("limits") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    node_selector = pod_spec.get("nodeSelector") or {}
    ports = container.get("ports") or [{}]
    return {
        "exists": True, "version": running_version(deployment), "image": running_image(deployment),
        "replicas": spec.get("replicas"), "ready_replicas": status.get("readyReplicas") or 0,
        "updated_replicas": status.get("updatedReplicas") or 0, "gpus": int(str(limits.get(GPU_RESOURCE, 0) or 0)),
        "gpu_product": node_selector.get(GPU_PRODUCT_LABEL), "port": ports[0].get("containerPort"),
        "runtime_class": pod_spec.get("runtimeClassName") or "none",
        "args": container.get("args") or [],
        # Literal values only as fingerprints: a snapshot ends up in journals, reports and task results.
        "env": env_snapshot(container.get("env")),
    }


def foreign_manager(obj: Optional[Dict[str, Any]]) -> Optional[str]:
    """Who manages a live object that this collection did not create, or None (pure): its
    managed-by label, else the field managers that wrote it."""
    if not obj:
        return None
    meta = obj.get("metadata") or {}
    label = (meta.get("labels") or {}).get("app.kubernetes.io/managed-by")
    if label == MANAGED_BY:
        return None
    if label:
        return label
    managers = sorted({f.get("manager") for f in meta.get("managedFields") or [] if f.get("manager")})
    return ", ".join(managers) or "an unknown manager (no managed-by label)"
