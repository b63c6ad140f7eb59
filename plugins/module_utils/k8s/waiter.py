# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait for a Deployment rollout, with the same completion rule as `kubectl rollout status`."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import object_ref
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.diagnose import collect, revision
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import RolloutError

FIRST_POLL = 0.2
POLL_GROWTH = 1.5


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
    """Poll until complete; on timeout or ProgressDeadlineExceeded raise RolloutError with the diagnosis.

    Never sleeps past the deadline, so the caller's wait_timeout bounds the wall time.
    """
    deadline = clock() + timeout
    ref = object_ref("Deployment", name, namespace)
    # Start polling fast and slow down to `sleep`: most lab and small rollouts finish in a
    # second or two, and a fixed 1s poll would add up to a second to each.
    interval = min(sleep, FIRST_POLL)
    while True:
        deployment = client.get("Deployment", name, namespace)
        if deployment is None:
            raise RolloutError("roll out", ref, client.site, "the Deployment disappeared while waiting")
        state = rollout_state(deployment)
        if state["complete"]:
            return state
        remaining = deadline - clock()
        if remaining <= 0 or (state["observed"] and deadline_exceeded(deployment)):
            diagnosis = collect(client, deployment)
            waited = "did not complete within %ss" % timeout if remaining <= 0 else "stopped progressing"
            raise RolloutError("roll out", ref, client.site, "%s: %s" % (waited, diagnosis["message"]),
                               result={"rollout": state, "diagnosis": diagnosis})
        pause(min(interval, remaining))
        interval = min(sleep, interval * POLL_GROWTH)
