# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run site_plan on the controller, reading the plan from the inventory when none is given; the
module's own execute() judges it, so the module and the action are one implementation."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.gpufleet.datacenter.plugins.modules.site_plan import ARGUMENT_SPEC, execute

SITE_VARS = (
    "gpufleet_region",
    "gpufleet_kube_api",
    "gpufleet_kubeconfig",
    "gpufleet_kube_context",
    "gpufleet_network",
    "gpufleet_gpu",
    "gpufleet_rollout_wave",
)
ROLE_GROUPS = ("k3s_server", "k3s_agent", "gpu", "kube_api")


def plan_from_inventory(groups, hostvars):
    """Return (sites, hosts, errors) read from the hosts under the `sites` group."""
    sites, hosts, errors = {}, [], []
    for name in groups.get("sites", []):
        hv = hostvars[name]
        site = hv.get("gpufleet_site")
        if not site:
            errors.append("host %s: gpufleet_site is not set; every host under 'sites' needs its site group's variables" % name)
            continue
        svars = {k: hv.get(k) for k in SITE_VARS}
        if site not in sites:
            sites[site] = svars
        else:
            for key in SITE_VARS:
                if svars[key] != sites[site][key]:
                    errors.append("site %s: host %s: %s %r differs from the site's value %r; set site variables in the site group only"
                                  % (site, name, key, svars[key], sites[site][key]))
        hosts.append(dict(
            name=name,
            site=site,
            address=str(hv.get("ansible_host", name)),
            groups=[g for g in ROLE_GROUPS if name in groups.get(g, [])],
        ))
    return sites, hosts, errors


class ActionModule(ActionBase):
    """Validate on the controller: the plan is inventory data, no host is contacted."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        errors = []
        if args.get("sites") is None:
            sites, hosts, errors = plan_from_inventory(task_vars["groups"], task_vars["hostvars"])
            args = dict(args, sites=sites, hosts=hosts)
        outcome, error = execute(args, errors)
        result.update(outcome)
        result["changed"] = False
        if error:
            result["failed"] = True
            result["msg"] = error
        return result
