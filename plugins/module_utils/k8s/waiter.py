# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait for a Deployment rollout, with the same completion rule as `kubectl rollout status`."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import object_ref
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.diagnose import collect, revision
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError, K8sError, DeploymentStuck
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import deployments

FIRST_POLL = 0.2
POLL_GROWTH = 1.5
# Seconds past a wait's deadline for reading why it is stuck (about one request timeout).
DIAGNOSIS_GRACE = 5.0


def rollout_state(deployment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Replica counts and whether the rollout is complete (pure)."""
    if not deployment:
        return {"exists": False, "complete": False, "revision": None, "replicas": 0, "updated_replicas": 0,
                "ready_replicas": 0, "available_replicas": 0, "current_replicas": 0, "observed": False}
    meta, spec, status = deployment.get("metadata") or {}, deployment.get("spec") or {}, deployment.get("status") or {}
    desired = spec.get("replicas", 1)
    updated = status.get("updatedReplicas") or 0
    current = status.get("replicas") or 0
    available = status.get("availableReplicas") or 0
    observed = (status.get("observedGeneration") or 0) >= (meta.get("generation") or 0)
    return {
        "exists": True,
        # Controller has seen our spec, every replica runs the new template, old pods
        # are gone and all new ones are available.
        "complete": observed and updated == desired and current == updated and available == updated,
        "revision": revision(deployment),
        "replicas": desired,
        "updated_replicas": updated,
        "ready_replicas": status.get("readyReplicas") or 0,
        "available_replicas": available,
        "current_replicas": current,
        "observed": observed,
    }


def deadline_exceeded(deployment: Dict[str, Any]) -> bool:
    for cond in (deployment.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return True
    return False


def wait_for_rollout(client: Any, name: str, namespace: str, timeout: float, sleep: float = 1.0,
                     clock: Callable[[], float] = time.monotonic,
                     pause: Callable[[float], None] = time.sleep) -> Dict[str, Any]:
    """model_deploy's wait for one Deployment: the rollout's wait (wait_for_all) with the task's
    wait_timeout as its deadline. Never sleeps past the deadline."""
    return wait_for_all(client, [(namespace, name)], clock() + timeout, sleep=sleep, clock=clock, pause=pause,
                        late="did not complete within %ss" % timeout)[name]


def progress_line(site: str, name: str, deployment: Optional[Dict[str, Any]], cause: str) -> str:
    """`lab-us chat-llm: 1/2 ready; ImagePullBackOff: ...`: what a waiting operator needs to see."""
    state = rollout_state(deployment)
    line = "%s %s: %d/%d ready, %d/%d updated" % (site, name, state["ready_replicas"], state["replicas"],
                                                  state["updated_replicas"], state["replicas"])
    return "%s; %s" % (line, cause) if cause else line


def wait_for_all(client: Any, refs: List[Tuple[str, str]], deadline: float, sleep: float = 1.0,
                 progress: Optional[Callable[[str], None]] = None, progress_every: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 pause: Callable[[float], None] = time.sleep,
                 late: str = "did not complete before the deadline") -> Dict[str, Dict[str, Any]]:
    """Wait for every (namespace, name) Deployment together; {name: state} once all are complete.

    A failed poll (a blip of the API server) is retried until the deadline: the deadline, not a
    retry count, bounds the wait. Every `progress_every` seconds each incomplete Deployment gets a
    line naming why it is not done yet. On timeout or ProgressDeadlineExceeded raise DeploymentStuck
    with the diagnosis of the first Deployment still incomplete, read within DIAGNOSIS_GRACE.
    """
    pending = list(refs)
    states: Dict[str, Dict[str, Any]] = {}
    seen: Dict[str, Dict[str, Any]] = {}
    interval = min(sleep, FIRST_POLL)
    next_report = clock() + progress_every
    last_error: Optional[K8sError] = None
    while True:
        still = []
        listed = _list_pending(client, pending)
        for namespace, name in pending:
            if isinstance(listed, ApiError):
                last_error = listed
                still.append((namespace, name))
                continue
            deployment = listed.get((namespace, name))
            if deployment is None:
                raise DeploymentStuck("roll out", object_ref("Deployment", name, namespace), client.site,
                                      "the Deployment disappeared while waiting")
            seen[name] = deployment
            states[name] = rollout_state(deployment)
            if states[name]["complete"]:
                continue
            still.append((namespace, name))
            if states[name]["observed"] and deadline_exceeded(deployment):
                raise _stuck(client, deployment, "stopped progressing", states[name], deadline)
        pending = still
        if not pending:
            return states
        now = clock()
        if now >= deadline:
            for namespace, name in pending:
                if name in seen:
                    raise _stuck(client, seen[name], late, states[name], deadline)
            raise DeploymentStuck("roll out", object_ref("Deployment", pending[0][1], pending[0][0]), client.site,
                                  "no answer before the deadline: %s" % (last_error.cause if last_error else "?"))
        if progress is not None and now >= next_report:
            for namespace, name in pending:
                progress(progress_line(client.site, name, seen.get(name), _cause(client, seen.get(name), last_error)))
            next_report = now + progress_every
        pause(max(0.0, min(interval, deadline - clock())))
        interval = min(sleep, interval * POLL_GROWTH)


def _list_pending(client: Any, pending: List[Tuple[str, str]]) -> Any:
    """{(namespace, name): Deployment}, or the ApiError of a failed poll (retried until the deadline)."""
    try:
        return deployments(client, pending)
    except ApiError as e:
        return e


def _cause(client: Any, deployment: Optional[Dict[str, Any]], error: Optional[K8sError]) -> str:
    if deployment is None:
        return error.cause if error else "no answer"
    try:
        return collect(client, deployment)["message"]
    except K8sError as e:
        return e.cause


def _stuck(client: Any, deployment: Dict[str, Any], waited: str, state: Dict[str, Any],
           deadline: float) -> DeploymentStuck:
    meta = deployment.get("metadata") or {}
    ref = object_ref("Deployment", meta.get("name"), meta.get("namespace"))
    bounded = getattr(client, "bounded", None)
    try:
        diagnosis = collect(bounded(deadline + DIAGNOSIS_GRACE) if bounded else client, deployment)
    except K8sError as e:
        diagnosis = {"reason": "Unknown", "message": "no diagnosis: %s" % e.cause}
    return DeploymentStuck("roll out", ref, client.site, "%s: %s" % (waited, diagnosis["message"]),
                           result={"rollout": state, "diagnosis": diagnosis})
