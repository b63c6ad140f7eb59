# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run release_check in the controller's worker, reading the sites from the inventory when the
task names none (see plugin_utils/in_process.py)."""

from __future__ import annotations

import os

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
                      "runtime_class": hv.get("gpufleet_runtime_class"),
                      "prometheus_url": hv.get("gpufleet_prometheus_url")})
        fleet.append({"name": name, "kubeconfig": hv.get("gpufleet_kubeconfig"),
                      "context": hv.get("gpufleet_kube_context"), "ca_cert": hv.get("gpufleet_kube_ca_cert")})
    return sites, fleet


def fleet_sites(hostvars, hosts):
    """{site: [hosts]} over every inventory host that names its site."""
    fleet = {}
    for host in hosts:
        site = (hostvars.get(host) or {}).get("gpufleet_site")
        if site:
            fleet.setdefault(site, []).append(host)
    return fleet


def project_dir(playbook_dir):
    """Where a project keeps its reports: the playbook's directory, or its parent when the playbooks
    live in a `playbooks/` directory. Not the current directory: a run from elsewhere (cron, another
    shell) must find the same journal."""
    if not playbook_dir:
        return None
    playbook_dir = os.path.realpath(playbook_dir)
    return os.path.dirname(playbook_dir) if os.path.basename(playbook_dir) == "playbooks" else playbook_dir


class ActionModule(InProcessAction):
    argument_spec = staticmethod(lambda: ARGUMENT_SPEC)
    execute = staticmethod(execute)

    def run(self, tmp=None, task_vars=None):
        fleet = None
        task_vars = task_vars or {}
        if self._task.args.get("sites") is None:
            groups, hostvars = task_vars.get("groups") or {}, task_vars.get("hostvars") or {}
            sites, fleet = sites_from_inventory(groups, hostvars)
            self._task.args = dict(self._task.args, sites=sites,
                                   fleet_sites=fleet_sites(hostvars, groups.get("all") or []))
        if not self._task.args.get("reports_dir") and project_dir(task_vars.get("playbook_dir")):
            self._task.args = dict(self._task.args,
                                   reports_dir=os.path.join(project_dir(task_vars["playbook_dir"]), "reports"))
        result = super().run(tmp, task_vars)
        if fleet is not None and not result.get("failed"):
            result["fleet"] = fleet
        if not result.get("failed"):
            Display().display(result["summary"])
        return result
