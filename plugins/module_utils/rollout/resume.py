# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a (re-)run does at one site, from its journal entry and what the site runs now."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.images import same_image
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import UNFINISHED


def model_at_desired(current: Optional[Dict[str, Any]], desired: Dict[str, Any]) -> bool:
    """Running the desired version and image, with every desired replica ready: the one rule for
    "this site runs the release" of resume, preflight, the soak re-check and the report."""
    if not current or not current.get("exists"):
        return False
    return (current.get("version") == desired["version"] and same_image(desired["image"], current.get("image"))
            and current.get("replicas") == desired["replicas"]
            and (current.get("ready_replicas") or 0) >= desired["replicas"])


def decide(entry: Optional[Dict[str, Any]], current: Dict[str, Dict[str, Any]],
           desired: List[Dict[str, Any]]) -> Dict[str, Any]:
    """{action: skip|deploy, reason, before} for one site.

    `before` is what a rollback returns to: the journal's record when the site was already
    started (a half-rolled site must not become its own rollback target), else what runs now.
    """
    status = (entry or {}).get("status", "pending")
    at_desired = all(model_at_desired(current.get(m["name"]), m) for m in desired)
    before = (entry or {}).get("before") or {m["name"]: current.get(m["name"]) or {"exists": False}
                                             for m in desired}
    if status == "verified" and at_desired:
        return {"action": "skip", "reason": "done and verified by an earlier run; still at the release",
                "before": before}
    if status == "verified":
        reason = "verified earlier but no longer runs the release (drifted); deploying again"
    elif status in UNFINISHED:
        reason = "an earlier run stopped at this site in state %s; re-checking and finishing it" % status
    else:
        reason = "not started"
    return {"action": "deploy", "reason": reason, "before": before}
