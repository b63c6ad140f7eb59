# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight of one site: read what runs there and whether the release can land, change nothing.

Problems are returned, not raised: the playbook gathers every site's problems and stops the run
with all of them listed, before any site changes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.fleet import live_deployments
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import MANAGED_BY, selector_labels
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import foreign_manager, snapshot
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.capacity import (
    capacity_problems, free_by_product, held_by)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.leases import Leases
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import decide, model_at_desired


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
               list_pods: Callable[[Any], List[Dict[str, Any]]] = all_pods,
               holder: Optional[str] = None, adopt: bool = False) -> Dict[str, Any]:
    """{reachable, problems, current, capacity, decision} for one site. With holder (this run's
    lease identity), a model another run is changing on the site is a problem too."""
    result: Dict[str, Any] = {"site": site, "reachable": False, "problems": [], "current": {}, "capacity": {},
                              "decision": None, "at_release": False}

    def missing_namespaces() -> List[str]:
        return [ns for ns in sorted({m["namespace"] for m in models}) if client.get("Namespace", ns) is None]

    try:
        # The reads are independent: on a distant site, one round of connections and requests
        # instead of one per read. The nodes answer first whether the API is reachable at all.
        with ThreadPoolExecutor(max_workers=5) as pool:
            listed_nodes = pool.submit(client.list, "Node")
            missing = pool.submit(missing_namespaces)
            live = pool.submit(live_deployments, client, models)
            listed = pool.submit(list_pods, client)
            held = pool.submit(Leases(client, site, models, holder).check) if holder else None
            nodes = listed_nodes.result()
            result["reachable"] = True
            absent, current, pods = missing.result(), live.result(), listed.result()
            result["problems"] += held.result() if held else []
    except K8sError as e:
        result["problems"].append(str(e))
        return result
    if not adopt:
        result["problems"] += ["site %s: Deployment %s/%s exists and is not managed by %s (it is managed by %s); "
                               "set policy.adopt: true to take it over" % (site, d["metadata"].get("namespace"), name,
                                                                           MANAGED_BY, foreign_manager(d))
                               for name, d in sorted(current.items()) if foreign_manager(d)]
    current = {name: snapshot(d) for name, d in current.items()}
    if not create_namespace:
        result["problems"] += ["site %s has no namespace %s and policy.create_namespace is false" % (site, namespace)
                               for namespace in absent]
    result["current"] = current
    result["capacity"] = free_by_product(nodes, pods)
    result["problems"] += capacity_problems(site, _needs(models, current, pods, surge), result["capacity"])
    result["decision"] = decide(entry, current, models)
    result["at_release"] = all(model_at_desired(current.get(m["name"]), m) for m in models)
    return result
