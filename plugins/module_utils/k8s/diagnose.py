# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a rollout is not progressing, from Deployment, ReplicaSets, Pods and Events.

`diagnose()` is pure (dicts in, dict out); `collect()` is the only function here that
talks to the API server.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import GPU_PRODUCT_LABEL

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
# Container waiting reasons that explain a stuck rollout, most specific first.
WAITING_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff",
                   "CreateContainerConfigError", "CreateContainerError", "RunContainerError")
MAX_EVENTS_PER_OBJECT = 5

# Which problem wins when pods disagree: the one an operator must act on first.
PRIORITY = ("FailedCreate", "InsufficientGPU", "NoMatchingGPUProduct", "Unschedulable",
            "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
            "CreateContainerError", "RunContainerError", "CrashLoopBackOff", "ReadinessFailing",
            "ProgressDeadlineExceeded", "Pending", "Progressing")


def label_selector(deployment: Dict[str, Any]) -> str:
    match = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join("%s=%s" % (k, v) for k, v in sorted(match.items()))


def revision(obj: Optional[Dict[str, Any]]) -> Optional[int]:
    value = (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def owned_by(obj: Dict[str, Any], owner: Dict[str, Any]) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    return any(ref.get("uid") == uid for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def new_replicaset(deployment: Dict[str, Any], replicasets: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The ReplicaSet of the deployment's current revision (the one being rolled out)."""
    mine = [rs for rs in replicasets if owned_by(rs, deployment)] or replicasets
    want = revision(deployment)
    for rs in mine:
        if want is not None and revision(rs) == want:
            return rs
    return max(mine, key=lambda rs: revision(rs) or 0) if mine else None


def condition(obj: Dict[str, Any], ctype: str) -> Optional[Dict[str, Any]]:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def events_for(name: str, kind: str, events: List[Dict[str, Any]], warnings_only: bool = True) -> List[Dict[str, Any]]:
    """The object's latest events, newest last, as short dicts."""
    mine = [e for e in events
            if (e.get("involvedObject") or {}).get("name") == name
            and (e.get("involvedObject") or {}).get("kind") == kind
            and (not warnings_only or e.get("type") == "Warning")]
    mine.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return [{"reason": e.get("reason"), "message": (e.get("message") or "").strip(),
             "count": e.get("count") or 1, "type": e.get("type")}
            for e in mine[-MAX_EVENTS_PER_OBJECT:]]


def classify_unschedulable(message: str, pod: Dict[str, Any]) -> str:
    if "Insufficient nvidia.com/gpu" in message:
        return "InsufficientGPU"
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if GPU_PRODUCT_LABEL in selector and "node affinity/selector" in message:
        return "NoMatchingGPUProduct"
    return "Unschedulable"


def pod_problem(pod: Dict[str, Any], events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """One pod's state and the reason it is not Ready (reason None when it is)."""
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    name = meta.get("name")
    pod_events = events_for(name, "Pod", events)
    info: Dict[str, Any] = {
        "name": name,
        "phase": status.get("phase"),
        "node": (pod.get("spec") or {}).get("nodeName"),
        "ready": (condition(pod, "Ready") or {}).get("status") == "True",
        "reason": None,
        "message": "",
        "events": pod_events,
    }
    if meta.get("deletionTimestamp"):
        info["reason"], info["message"] = "Terminating", "pod is being deleted"
        return info
    scheduled = condition(pod, "PodScheduled")
    if scheduled and scheduled.get("status") == "False":
        message = scheduled.get("message") or next(
            (e["message"] for e in reversed(pod_events) if e["reason"] == "FailedScheduling"), "")
        info["reason"], info["message"] = classify_unschedulable(message, pod), message
        return info
    for cstatus in status.get("containerStatuses") or []:
        waiting = (cstatus.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in WAITING_REASONS:
            info["reason"] = waiting["reason"]
            info["message"] = "container %s: %s" % (cstatus.get("name"), waiting.get("message") or waiting["reason"])
            terminated = (cstatus.get("lastState") or {}).get("terminated")
            if terminated:
                info["message"] += " (last exit code %s, %s restarts)" % (
                    terminated.get("exitCode"), cstatus.get("restartCount", 0))
            return info
    if info["ready"]:
        return info
    if status.get("phase") == "Running":
        unhealthy = [e["message"] for e in pod_events if e["reason"] == "Unhealthy"]
        info["reason"] = "ReadinessFailing"
        info["message"] = unhealthy[-1] if unhealthy else "container running but not Ready (readiness probe failing)"
        return info
    info["reason"] = "Pending"
    info["message"] = "pod %s, not Ready yet" % (status.get("phase") or "Pending")
    return info


def rank(reason: Optional[str]) -> int:
    return PRIORITY.index(reason) if reason in PRIORITY else len(PRIORITY)


def summarize(reason: str, problems: List[Dict[str, Any]], total: int) -> str:
    hit = [p for p in problems if p["reason"] == reason]
    names = ", ".join(p["name"] for p in hit[:3]) + (" ..." if len(hit) > 3 else "")
    return "%s: %d of %d new pod(s) (%s): %s" % (reason, len(hit), total, names, hit[0]["message"])


def diagnose(deployment: Dict[str, Any], replicasets: List[Dict[str, Any]], pods: List[Dict[str, Any]],
             events: List[Dict[str, Any]], nodes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """Reason + message + per-pod detail for a Deployment that is not (yet) rolled out."""
    new_rs = new_replicaset(deployment, replicasets)
    new_pods = [p for p in pods if new_rs and owned_by(p, new_rs)] if new_rs else list(pods)
    problems = [pod_problem(p, events) for p in new_pods]
    stuck = [p for p in problems if p["reason"]]
    progressing = condition(deployment, "Progressing") or {}
    deadline = progressing.get("reason") == "ProgressDeadlineExceeded"
    result: Dict[str, Any] = {
        "reason": "Progressing",
        "message": "",
        "progress_deadline_exceeded": deadline,
        "new_replicaset": ((new_rs or {}).get("metadata") or {}).get("name"),
        "pods": stuck,
        "conditions": (deployment.get("status") or {}).get("conditions") or [],
        "replicaset_events": events_for(((new_rs or {}).get("metadata") or {}).get("name"), "ReplicaSet", events),
    }
    failure = condition(new_rs or {}, "ReplicaFailure") or condition(deployment, "ReplicaFailure")
    if failure and failure.get("status") == "True":
        result["reason"] = "FailedCreate"
        result["message"] = "FailedCreate: the ReplicaSet cannot create pods: %s" % failure.get("message")
    elif stuck:
        reason = min((p["reason"] for p in stuck), key=rank)
        result["reason"] = reason
        result["message"] = summarize(reason, stuck, len(problems))
        if reason == "NoMatchingGPUProduct" and nodes is not None:
            result["message"] += " (%s)" % gpu_products_note(new_pods, nodes)
    elif deadline:
        result["reason"] = "ProgressDeadlineExceeded"
        result["message"] = "ProgressDeadlineExceeded: %s" % progressing.get("message")
    else:
        result["message"] = rollout_progress_note(deployment)
    if deadline and result["reason"] != "ProgressDeadlineExceeded":
        result["message"] += "; the Deployment reports ProgressDeadlineExceeded"
    return result


def gpu_products_note(pods: List[Dict[str, Any]], nodes: List[Dict[str, Any]]) -> str:
    """Name the product asked for next to those the site has: the usual typo is visible at once."""
    wanted = sorted({((p.get("spec") or {}).get("nodeSelector") or {}).get(GPU_PRODUCT_LABEL) for p in pods} - {None})
    products = sorted({((n.get("metadata") or {}).get("labels") or {}).get(GPU_PRODUCT_LABEL)
                       for n in nodes} - {None})
    return "node selector %s=%s matches no node; GPU products on this site's nodes: %s" % (
        GPU_PRODUCT_LABEL, ", ".join(wanted) or "?", ", ".join(products) or "none labelled %s" % GPU_PRODUCT_LABEL)


def rollout_progress_note(deployment: Dict[str, Any]) -> str:
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    return "Progressing: %s of %s replicas updated, %s available" % (
        status.get("updatedReplicas", 0), spec.get("replicas", 1), status.get("availableReplicas", 0))


def collect(client: Any, deployment: Dict[str, Any]) -> Dict[str, Any]:
    """Read what diagnose() needs. Diagnosis is best effort: a failed read leaves a gap, not an error."""
    meta = deployment.get("metadata") or {}
    namespace, selector = meta.get("namespace"), label_selector(deployment)
    replicasets = client.list("ReplicaSet", namespace, label_selector=selector)
    pods = client.list("Pod", namespace, label_selector=selector)
    try:
        events = client.list("Event", namespace)
    except ApiError:
        events = []
    result = diagnose(deployment, replicasets, pods, events)
    if result["reason"] == "NoMatchingGPUProduct":
        try:
            nodes = client.list("Node")
        except ApiError:
            nodes = None
        result = diagnose(deployment, replicasets, pods, events, nodes)
    return result
