# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run release_check in the controller's worker, reading the sites from the inventory when the
task names none (see plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.modules.release_check import ARGUMENT_SPEC, execute
from ansible_collections.gpufleet.datacenter.plugins.plugin_utils.in_process import InProcessAction


def sites_from_inventory(groups, hostvars):
    """(sites, fleet) from the kube_api hosts: what release_check plans with, and how to reach each."""
    sites, fleet = [], []
    for host in groups.get("kube_api", []):
        hv = hostvars[host]
        name = hv.get("gpufleet_site") or host
        sites.append({"name": name, "host": host, "wave": hv.get("gpufleet_rollout_wave"),
                      "gpu_product": (hv.get("gpufleet_gpu") or {}).get("product"),
                      "runtime_class": hv.get("gpufleet_runtime_class")})
        fleet.append({"name": name, "kubeconfig": hv.get("gpufleet_kubeconfig"),
                      "context": hv.get("gpufleet_kube_context"), "ca_cert": hv.get("gpufleet_kube_ca_cert")})
    return sites, fleet


class ActionModule(InProcessAction):
    argument_spec = staticmethod(lambda: ARGUMENT_SPEC)
    execute = staticmethod(execute)

    def run(self, tmp=None, task_vars=None):
        fleet = None
        task_vars = task_vars or {}
        if self._task.args.get("sites") is None:
            sites, fleet = sites_from_inventory(task_vars.get("groups") or {}, task_vars.get("hostvars") or {})
            self._task.args = dict(self._task.args, sites=sites)
        result = super().run(tmp, task_vars)
        if fleet is not None and not result.get("failed"):
            result["fleet"] = fleet
        if not result.get("failed"):
            Display().display(result["summary"])
        return result
