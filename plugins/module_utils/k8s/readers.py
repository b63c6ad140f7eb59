# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a live Deployment: its running image and version, and the snapshots of it that a
report and a rollback need. The one place these are read, so every caller agrees (pure)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.diagnose import revision
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    CONTAINER_NAME, GPU_PRODUCT_LABEL, GPU_RESOURCE, VERSION_KEY)


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
        "env": {e["name"]: e.get("value", "") for e in container.get("env") or [] if "name" in e},
    }
