# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the rollout playbooks."""

from __future__ import annotations

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


class FilterModule:
    def filters(self):
        return {"last_read": last_read}
