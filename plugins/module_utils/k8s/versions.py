# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired vs running model versions: pure functions from Deployments to a fleet report."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.images import same_image
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import running_image, running_version
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.waiter import rollout_state


def observe(site: str, model: Dict[str, Any], deployment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """One row of the report: what is wanted, what runs, and how they differ."""
    state = rollout_state(deployment)
    row: Dict[str, Any] = {
        "site": site,
        "name": model["name"],
        "namespace": model["namespace"],
        "exists": state["exists"],
        "desired_version": model.get("version"),
        "running_version": running_version(deployment),
        "desired_image": model.get("image"),
        "running_image": running_image(deployment),
        "replicas": state["replicas"],
        "ready_replicas": state["ready_replicas"],
        "updated_replicas": state["updated_replicas"],
        "available_replicas": state["available_replicas"],
        "revision": state["revision"],
        "rollout_in_progress": state["exists"] and not state["complete"],
    }
    row["drift_reasons"] = drift_reasons(row)
    row["drifted"] = bool(row["drift_reasons"])
    row["degraded"] = state["exists"] and row["ready_replicas"] < row["replicas"]
    row["in_sync"] = not row["drifted"] and not row["rollout_in_progress"] and not row["degraded"]
    return row


def drift_reasons(row: Dict[str, Any]) -> List[str]:
    if not row["exists"]:
        return ["Deployment %s/%s not found" % (row["namespace"], row["name"])]
    reasons = []
    if row["desired_version"] is not None and str(row["desired_version"]) != (row["running_version"] or ""):
        reasons.append("version %s, want %s" % (row["running_version"] or "(none)", row["desired_version"]))
    if row["desired_image"] and not same_image(row["desired_image"], row["running_image"]):
        reasons.append("image %s, want %s" % (row["running_image"] or "(none)", row["desired_image"]))
    return reasons


def unreachable_rows(site: str, models: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Nothing is known about an unreachable site; its rows say so rather than vanish."""
    return [{"site": site, "name": m["name"], "namespace": m["namespace"], "exists": None,
             "desired_version": m.get("version"), "running_version": None, "desired_image": m.get("image"),
             "running_image": None, "replicas": None, "ready_replicas": None, "updated_replicas": None,
             "available_replicas": None, "revision": None, "rollout_in_progress": None,
             "drift_reasons": [], "drifted": False, "degraded": None, "in_sync": None} for m in models]


def short(row: Dict[str, Any]) -> str:
    return "%s/%s/%s (%s)" % (row["site"], row["namespace"], row["name"], "; ".join(row["drift_reasons"]))


def summarize(site_names: List[str], models: List[Dict[str, Any]], rows: List[Dict[str, Any]],
              unreachable: List[Dict[str, Any]]) -> str:
    seen = [r for r in rows if r["exists"] is not None]
    drifted = [r for r in seen if r["drifted"]]
    rolling = [r for r in seen if r["rollout_in_progress"] and not r["drifted"]]
    degraded = [r for r in seen if r["degraded"] and not r["drifted"] and not r["rollout_in_progress"]]
    in_sync = [r for r in seen if r["in_sync"]]
    text = "%d site(s) x %d model(s): %d in sync, %d drifted, %d rolling out, %d degraded, %d site(s) unreachable" % (
        len(site_names), len(models), len(in_sync), len(drifted), len(rolling), len(degraded), len(unreachable))
    if unreachable:
        text += " (%s)" % ", ".join(u["site"] for u in unreachable)
    if drifted:
        text += "; drift: " + ", ".join(short(r) for r in drifted[:5]) + (" ..." if len(drifted) > 5 else "")
    return text


def model_errors(models: List[Dict[str, Any]]) -> List[str]:
    errors = []
    seen = set()
    for i, m in enumerate(models):
        if m.get("version") is None and not m.get("image"):
            errors.append("models[%d] (%s/%s) needs version or image" % (i, m.get("namespace"), m.get("name")))
        key = (m.get("namespace"), m.get("name"))
        if key in seen:
            errors.append("models[%d] (%s/%s) is listed twice" % (i, key[0], key[1]))
        seen.add(key)
    return errors
