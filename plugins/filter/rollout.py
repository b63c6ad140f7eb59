# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the rollout playbooks."""

from __future__ import annotations

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import upgrade_order
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan_table import plan_rows, render

# The latest read of a site wins: a rollback_all after the site's step, the step after preflight.
READS = ("__rollout_rollback", "__rollout_site", "__rollout_preflight")


def last_read(host_vars):
    """The most recent result that read the site (has `reachable`), or an unreachable placeholder."""
    for name in READS:
        result = host_vars.get(name) or {}
        if "reachable" in result:
            return result
    return {"site": host_vars.get("gpufleet_site") or host_vars.get("inventory_hostname"), "reachable": False,
            "current": {}, "at_release": False}


def pause_here(policy, batches, site, deployed, promote=False):
    """Whether the run stops after the batch holding `site` (policy.pause_after).

    Never after the last batch. A batch this run deployed nothing to (its sites were done) is
    where an earlier run paused: with promote the run goes past it, without it stays paused.
    """
    labels = [b["label"] for b in batches]
    index = next((i for i, b in enumerate(batches) if site in b["sites"]), None)
    mode = (policy or {}).get("pause_after") or "none"
    if index is None or index == len(labels) - 1 or mode == "none":
        return False
    if mode == "canary" and index != 0:
        return False
    return bool(deployed) or not promote


def preflight_problems(host_vars):
    """A site's preflight problems, or one naming the site when its preflight never ran."""
    result = host_vars.get("__rollout_preflight") or {}
    if "problems" in result:
        return list(result["problems"])
    return ["site %s was not preflighted (host %s failed or unreachable)"
            % (host_vars.get("gpufleet_site") or host_vars.get("inventory_hostname"), host_vars.get("inventory_hostname"))]


def plan_table(release_check, preflights):
    """The plan's lines (site, batch, model, from -> to, replicas, GPUs needed/free) from
    release_check's result and the preflight result of every site (a list)."""
    by_site = {p["site"]: p for p in preflights if isinstance(p, dict) and p.get("site")}
    return render(plan_rows(release_check["plan"], release_check["site_models"], by_site,
                            release_check["release"]["policy"]["max_surge"]))


def todo_plan(plan, preflights, paused=False, promote=False):
    """{hosts, serial}: the sites this run deploys to, in batch order, and the batch sizes.

    A site its preflight decided to skip (done and verified) is left out, and a batch left empty
    goes, so a no-op re-run starts no rollout play at all. While the release is paused and not
    promoted, nothing rolls.
    """
    deploy = {p["site"]: p for p in preflights if isinstance(p, dict) and p.get("site")
              and (p.get("decision") or {}).get("action") == "deploy"}
    if paused and not promote:
        return {"hosts": [], "serial": []}
    hosts, serial = [], []
    host_of = dict(zip([s for b in plan["batches"] for s in b["sites"]], plan["hosts"]))
    for batch in plan["batches"]:
        todo = [host_of[s] for s in batch["sites"] if s in deploy]
        if todo:
            hosts += todo
            serial.append(len(todo))
    return {"hosts": hosts, "serial": serial}


def upgrade_plan(play_hosts, hostvars, groups, batch=1):
    """upgrade.yml's order from the play's hosts: the rollout's site order, agents in batches."""
    hosts = [{"name": h, "site": hostvars[h].get("gpufleet_site"), "wave": hostvars[h].get("gpufleet_rollout_wave")}
             for h in play_hosts]
    return upgrade_order(hosts, groups, batch)


class FilterModule:
    def filters(self):
        return {"last_read": last_read, "pause_here": pause_here, "plan_table": plan_table,
                "preflight_problems": preflight_problems, "todo_plan": todo_plan,
                "upgrade_plan": upgrade_plan}
