# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the rollout playbooks."""

from __future__ import annotations

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import last_read
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import upgrade_order


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


def upgrade_plan(play_hosts, hostvars, groups, batch=1):
    """upgrade.yml's order from the play's hosts: the rollout's site order, agents in batches."""
    hosts = [{"name": h, "site": hostvars[h].get("gpufleet_site"), "wave": hostvars[h].get("gpufleet_rollout_wave")}
             for h in play_hosts]
    return upgrade_order(hosts, groups, batch)


class FilterModule:
    def filters(self):
        return {"last_read": last_read, "pause_here": pause_here, "upgrade_plan": upgrade_plan}
