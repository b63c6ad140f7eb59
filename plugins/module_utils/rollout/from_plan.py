# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a rollout step takes from the release's plan (the result of release_check).

A playbook passes the plan once and each step picks its part here: every templated option costs a
Jinja compile in each site's worker, and the same four lines were repeated by every playbook that
reports on a release.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError

# The options of rollout_preflight that the plan gives; a task that passes the plan gives none of them.
PREFLIGHT_OPTIONS = ("models", "max_surge", "create_namespace", "adopt", "journal", "release")
# The options of rollout_report that the plan gives.
REPORT_OPTIONS = ("journal", "dest", "desired")
# The latest read of a site wins: a rollback_all after the site's step, the step after preflight.
READS = ("__rollout_rollback", "__rollout_site", "__rollout_preflight")


def plan_sites(plan: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """(inventory host, site) of every site of the plan (release_check's `plan`), in rollout order
    (canary, then each wave)."""
    return list(zip(plan["hosts"], [site for batch in plan["batches"] for site in batch["sites"]]))


def preflight_args(check: Mapping[str, Any], site: str) -> Dict[str, Any]:
    """rollout_preflight's options for `site` from the plan: its models, the policy, the journal."""
    site_models = check.get("site_models") or {}
    if site not in site_models:
        raise RolloutError("preflight", "site %s" % site, "it is not in the plan (sites: %s)"
                           % (", ".join(sorted(site_models)) or "none"), release=check["release"]["name"])
    policy = check["release"]["policy"]
    return {"models": site_models[site], "max_surge": policy["max_surge"],
            "create_namespace": policy["create_namespace"], "adopt": policy["adopt"],
            "journal": check["journal"], "release": check["release"]["name"]}


def report_args(check: Mapping[str, Any]) -> Dict[str, Any]:
    """rollout_report's options from the plan: the journal, the reports directory, the target."""
    return {"journal": check["journal"], "dest": check["reports_dir"], "desired": check["desired"]}


def last_read(host_vars: Mapping[str, Any], preflight: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The most recent result that read the site (has `reachable`), or an unreachable placeholder.
    `preflight`: the site's preflight when every site was read at once (not registered on the host)."""
    for result in [host_vars.get(name) for name in READS] + [preflight]:
        if "reachable" in (result or {}):
            return result
    return {"site": host_vars.get("gpufleet_site") or host_vars.get("inventory_hostname"), "reachable": False,
            "current": {}, "at_release": False}


def sites_read(check: Mapping[str, Any], hostvars: Mapping[str, Any],
               preflights: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
    """Each host of the plan's latest read of its site, in the plan's order. `preflights`: every
    site's preflight by host, as one rollout_preflight of the whole plan returns them."""
    return [last_read(hostvars[host] if host in hostvars else {"inventory_hostname": host}, (preflights or {}).get(host))
            for host in check["plan"]["hosts"]]
