# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU capacity arithmetic for the preflight, from plain node and pod dicts (no API calls)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    GPU_PRODUCT_LABEL as PRODUCT_LABEL, GPU_RESOURCE as GPU)


def _quantity(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def pod_gpus(pod: Dict[str, Any]) -> int:
    """GPUs a pod holds: the larger of its containers' sum and its largest init container."""
    spec = pod.get("spec") or {}

    def request(container: Dict[str, Any]) -> int:
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        requests = resources.get("requests") or {}
        return _quantity(requests.get(GPU, limits.get(GPU, 0)))

    main = sum(request(c) for c in spec.get("containers") or [])
    init = max([request(c) for c in spec.get("initContainers") or []] or [0])
    return max(main, init)


def free_by_product(nodes: List[Dict[str, Any]], pods: List[Dict[str, Any]]) -> Dict[str, Dict[str, int]]:
    """Per GPU product: allocatable and free GPUs on schedulable nodes."""
    node_product: Dict[str, str] = {}
    totals: Dict[str, Dict[str, int]] = {}
    for node in nodes:
        meta = node.get("metadata") or {}
        if (node.get("spec") or {}).get("unschedulable"):
            continue
        allocatable = _quantity(((node.get("status") or {}).get("allocatable") or {}).get(GPU, 0))
        if allocatable <= 0:
            continue
        product = (meta.get("labels") or {}).get(PRODUCT_LABEL, "unlabelled")
        node_product[meta.get("name", "")] = product
        slot = totals.setdefault(product, {"allocatable": 0, "free": 0})
        slot["allocatable"] += allocatable
        slot["free"] += allocatable
    for pod in pods:
        phase = (pod.get("status") or {}).get("phase")
        node_name = (pod.get("spec") or {}).get("nodeName")
        if phase in ("Succeeded", "Failed") or node_name not in node_product:
            continue
        totals[node_product[node_name]]["free"] -= pod_gpus(pod)
    return totals


def held_by(pods: List[Dict[str, Any]], namespace: str, selector: Dict[str, str]) -> int:
    """GPUs the model's current pods hold; the rollout replaces them, so they count as available."""
    held = 0
    for pod in pods:
        meta = pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        if meta.get("namespace") != namespace or not all(labels.get(k) == v for k, v in selector.items()):
            continue
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") or not (pod.get("spec") or {}).get("nodeName"):
            continue
        held += pod_gpus(pod)
    return held


def capacity_problems(site: str, needs: List[Dict[str, Any]], totals: Dict[str, Dict[str, int]]) -> List[str]:
    """Problems for models that would not fit.

    needs: [{model, product (None: any), requested, held}], requested = (replicas + surge) × gpus,
    the peak of a rolling update; held = GPUs the model already holds at the site.
    """
    problems = []
    by_product: Dict[Optional[str], Dict[str, Any]] = {}
    for need in needs:
        product = need.get("product")
        if product is not None and product not in totals:
            have = ", ".join(sorted(totals)) or "no GPU nodes"
            problems.append("site %s has no schedulable node with GPU product %s (model %s; the site has: %s)"
                            % (site, product, need["model"], have))
            continue
        slot = by_product.setdefault(product, {"requested": 0, "held": 0, "models": []})
        slot["requested"] += need["requested"]
        slot["held"] += need["held"]
        slot["models"].append("%s %s" % (need["model"], need["detail"]))
    for product, slot in by_product.items():
        free = sum(t["free"] for p, t in totals.items() if product is None or p == product)
        available = free + slot["held"]
        if slot["requested"] > available:
            problems.append(
                "site %s has not enough nvidia.com/gpu%s: requested %d (%s), free %d%s"
                % (site, " of product %s" % product if product else "", slot["requested"], "; ".join(slot["models"]),
                   free, " + %d held by the models being replaced" % slot["held"] if slot["held"] else ""))
    return problems
