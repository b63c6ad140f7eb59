# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run site_plan on the controller, reading the plan from the inventory when none is given; the
module's own execute() judges it, so the module and the action are one implementation."""

from __future__ import annotations

from ansible.errors import AnsibleError
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
SITES_GROUP = "sites"
# Hosts named in one unreadable-file message; the rest are counted.
MAX_HOSTS_NAMED = 5


def source_of(exc):
    """'file:line:column' of the inventory file an Ansible error came from, or None.

    Ansible's group_vars/host_vars loader re-raises a YAML error as a plain parser error; the file
    is only on the original error in the chain (an Origin tag from ansible-core 2.19, ansible_pos before).
    """
    seen = set()
    todo = [exc]
    while todo:
        err = todo.pop(0)
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        obj = getattr(err, "obj", None)
        path = getattr(obj, "path", None)
        if path:
            where = [str(path)] + [str(n) for n in (getattr(obj, "line_num", None), getattr(obj, "col_num", None)) if n]
            return ":".join(where)
        pos = getattr(obj, "ansible_pos", None)
        if pos and pos[0]:
            return ":".join(str(p) for p in pos if p)
        todo.extend([getattr(err, "orig_exc", None), err.__cause__, err.__context__])
    return None


def _unreadable_errors(unreadable):
    """One message per unreadable file (or error), naming the file and the hosts it left out."""
    errors = []
    for (where, message), names in unreadable.items():
        shown = ", ".join(names[:MAX_HOSTS_NAMED]) + (" and %d more" % (len(names) - MAX_HOSTS_NAMED) if len(names) > MAX_HOSTS_NAMED else "")
        if where:
            errors.append("inventory file %s: %s (the variables of host(s) %s could not be read, so their sites are not checked)"
                          % (where, message, shown))
        else:
            errors.append("host(s) %s: variables could not be read: %s" % (shown, message))
    return errors


def site_groups(inventory):
    """{host: the group under `sites` it belongs to}: each such group is one datacenter."""
    sites = inventory.groups.get(SITES_GROUP) if inventory is not None else None
    if sites is None:
        return {}
    out = {}
    for group in sites.child_groups:
        for host in group.get_hosts():
            out.setdefault(host.name, group.name)
    return out


def plan_from_inventory(groups, hostvars, host_groups=None):
    """Return (sites, hosts, errors) read from the hosts under the `sites` group.

    host_groups: {host: its group under `sites`} (see site_groups), so the plan can tell two
    groups that claim the same site apart.
    """
    sites, hosts, errors = {}, [], []
    unreadable = {}
    host_groups = host_groups or {}
    for name in groups.get(SITES_GROUP, []):
        try:
            hv = hostvars[name]
            site = hv.get("gpufleet_site")
            svars = {k: hv.get(k) for k in SITE_VARS} if site else {}
            address = str(hv.get("ansible_host", name))
        except AnsibleError as e:
            # A broken group_vars/host_vars file: name it once and check every other site still.
            unreadable.setdefault((source_of(e), getattr(e, "message", str(e))), []).append(name)
            continue
        if not site:
            errors.append("host %s: gpufleet_site is not set; every host under 'sites' needs its site group's variables" % name)
            continue
        if site not in sites:
            sites[site] = svars
        else:
            for key in SITE_VARS:
                if svars[key] != sites[site][key]:
                    errors.append("site %s: host %s: %s %r differs from the site's value %r; set site variables in the site group only"
                                  % (site, name, key, svars[key], sites[site][key]))
        host = dict(
            name=name,
            site=site,
            address=address,
            groups=[g for g in ROLE_GROUPS if name in groups.get(g, [])],
        )
        if host_groups.get(name):
            host["group"] = host_groups[name]
        hosts.append(host)
    return sites, hosts, _unreadable_errors(unreadable) + errors


class ActionModule(ActionBase):
    """Validate on the controller: the plan is inventory data, no host is contacted."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        errors = []
        if args.get("sites") is None:
            # The group tree (which groups sit under `sites`) is only on the inventory object that
            # hostvars wraps; the `groups` variable is flat. Without it the plan is still checked,
            # only the two-groups-one-site rule has nothing to go on.
            inventory = getattr(task_vars["hostvars"], "_inventory", None)
            sites, hosts, errors = plan_from_inventory(task_vars["groups"], task_vars["hostvars"], site_groups(inventory))
            args = dict(args, sites=sites, hosts=hosts)
        outcome, error = execute(args, errors)
        result.update(outcome)
        result["changed"] = False
        if error:
            result["failed"] = True
            result["msg"] = error
        return result
